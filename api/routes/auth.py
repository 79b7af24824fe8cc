from ..auth import EVERYONE
from ..caller import current_actor, current_caller
from ..domain import accounts
from . import Blueprint
from schemas.auth import CallerSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, description="Tokens for partner systems and people")


@blp.route("/auth/token", methods=["POST"], public=True)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(responses={"401": "UNAUTHORIZED"})
def issue_token(data):
    """Exchange client credentials or a username and password for a bearer token."""
    return accounts.issue_token(data)


@blp.route("/me", roles=EVERYONE)
@blp.response(200, CallerSchema)
def get_current_caller():
    """Who the API takes you to be: your subject, role, service or agency, and who vouched.

    The same for a token of this API and one from the council's identity provider (whose claims
    are mapped to a role here): what a client shows of its user, or uses to leave out what the
    API would refuse them, comes from here, not from reading the token.
    """
    actor = current_actor()
    caller = current_caller()
    return {**actor.as_dict(),
            "issuer": caller.claims.get("iss") if caller.external else "local"}
