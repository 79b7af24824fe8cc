from sqlalchemy import text

from ..auth import public
from ..db import session
from ..limits import unlimited
from . import Blueprint

blp = Blueprint("health", __name__, description="Liveness and database reachability")


@blp.route("/health")
@public
@unlimited
@blp.response(200)
def health():
    """Report that the API is up and its database answers (no auth)."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
