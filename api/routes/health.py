from flask import current_app
from sqlalchemy import text

from ..db import session
from ..errors import DomainError
from ..limits import storage_answers
from ..migrations_head import head_revision
from . import Blueprint
from schemas.health import ReadinessSchema

blp = Blueprint("health", __name__, description="Liveness, readiness and database reachability")


@blp.route("/health", public=True, rate_limited=False)
@blp.response(200)
def health():
    """Report that the API is up and its database answers (no auth)."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


class NotReady(DomainError):
    status = 503
    slug = "not-ready"
    title = "Not ready to serve"


@blp.route("/health/ready", public=True, rate_limited=False)
@blp.response(200, ReadinessSchema)
def ready():
    """Ready to serve: the database answers, its schema is at the migrations' head, and the
    rate-limit counts' storage (Redis, when shared) answers. A load balancer sends requests only
    to a server that says so. 503 problem+json naming what is not ready (no auth)."""
    problems = []
    try:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - the database is down, or not migrated at all
        session.rollback()
        revision = None
        problems.append("the database does not answer, or has no migrations")
    head = head_revision()
    if revision is not None and revision != head:
        problems.append(f"the database is at migration {revision}, not {head}: run "
                        "`flask db upgrade`")
    if not storage_answers(current_app):
        problems.append("the rate-limit storage (RATELIMIT_STORAGE_URI) does not answer")
    if problems:
        raise NotReady("Not ready: " + "; ".join(problems) + ".")
    return {"status": "ready", "database": "ok", "migration": revision,
            "rate_limit_storage": "ok"}
