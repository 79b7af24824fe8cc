from sqlalchemy import text

from ..db import session
from . import Blueprint

blp = Blueprint("health", __name__, description="Liveness and database reachability")


@blp.route("/health", public=True, rate_limited=False)
@blp.response(200)
def health():
    """Report that the API is up and its database answers (no auth)."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
