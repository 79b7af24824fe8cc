from ..auth import ADMINS
from ..caller import current_actor
from ..domain import accounts
from . import Blueprint, honours_if_match, located
from schemas.accounts import (
    AccountListArgsSchema, AccountSchema, AccountStatusChangeSchema, ExternalAccountSchema,
    RotatedSecretSchema, SecretRotationSchema,
)
from schemas.common import page_of

blp = Blueprint(
    "accounts", __name__,
    description="API clients and users (admin only; no case data, never a secret). Disabling an "
    "account refuses its credentials and, at once, every token it already holds (401).",
)

if_account_matches = honours_if_match(accounts.get_account, AccountSchema, "account")


@blp.route("/accounts", roles=ADMINS)
@blp.arguments(AccountListArgsSchema, location="query")
@blp.response(200, page_of(AccountSchema))
def list_accounts(args):
    """List API clients and users in name order; filters: kind, active."""
    return accounts.list_accounts(args)


@blp.route("/accounts/<uuid:account_id>", roles=ADMINS)
@blp.etag
@blp.response(200, AccountSchema)
def get_account(account_id):
    """Read one API client or user."""
    return accounts.get_account(account_id)


@blp.route("/accounts/<uuid:account_id>/disable", methods=["POST"], roles=ADMINS, writes=True)
@if_account_matches
@blp.arguments(AccountStatusChangeSchema)
@blp.response(200, AccountSchema)
@blp.doc(responses={"409": "CONFLICT"})
def disable_account(data, account_id):
    """Disable an account: no new tokens, and its live tokens are refused (401) at once.

    409 when it is already disabled, when it is your own account, or when it is the last enabled
    admin account (the problem's detail says which): nobody would be left to enable accounts.
    """
    return accounts.set_account_active(current_actor(), account_id, data, active=False)


@blp.route("/accounts/<uuid:account_id>/enable", methods=["POST"], roles=ADMINS, writes=True)
@if_account_matches
@blp.arguments(AccountStatusChangeSchema)
@blp.response(200, AccountSchema)
@blp.doc(responses={"409": "CONFLICT"})
def enable_account(data, account_id):
    """Enable a disabled account again: it can be issued tokens again.

    Tokens it was issued before it was disabled stay refused (401) until they expire: after a
    suspected theft of a token, enabling the account does not give the token back its use.
    """
    return accounts.set_account_active(current_actor(), account_id, data, active=True)


@blp.route("/accounts/<uuid:account_id>/secret", methods=["POST"], roles=ADMINS, writes=True,
           shown_once=("client_secret",))
@if_account_matches
@blp.arguments(SecretRotationSchema)
@blp.response(200, RotatedSecretSchema)
@blp.doc(responses={"409": "CONFLICT"})
def rotate_secret(data, account_id):
    """Rotate a partner client's secret: the new one shown once, the old one still accepted.

    The previous secret is accepted for `grace_minutes` more (default a day; 0 after a leak), so
    the partner can change its configuration without an outage; a secret rotated out before
    that is no longer accepted. 409 for a person (a password is theirs) or an external subject.
    """
    return accounts.rotate_secret(current_actor(), account_id, data)


@blp.route("/accounts/external", methods=["POST"], roles=ADMINS, writes=True)
@blp.arguments(ExternalAccountSchema)
@blp.response(201, AccountSchema)
@blp.doc(responses={"409": "CONFLICT"})
def register_external_account(data):
    """Register a subject of the council's identity provider, to manage it here.

    Its tokens are accepted without this; registered, it is listed, and disabling it refuses its
    tokens whatever the provider says (tokens the provider issued before a disable stay refused
    after enabling it again). 409 when it is registered already.
    """
    account = accounts.register_external(current_actor(), data)
    return located(account, "accounts.get_account", account_id=account.id)
