from ..domain import accounts
from . import Blueprint
from schemas.auth import TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, description="Tokens for partner systems and people")


@blp.route("/auth/token", methods=["POST"], public=True)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(responses={"401": "UNAUTHORIZED"})
def issue_token(data):
    """Exchange client credentials or a username and password for a bearer token."""
    return accounts.issue_token(data)
