"""Accounts (partner clients and people) and the tokens they are issued."""

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, sign_in
from ..auth import claims_for, mint_token
from ..db import session
from ..transactions import reading_session
from ..errors import Conflict, NotFound, Unauthorized
from ..models import Account
from ..pages import filtered, keyset_page
from ..vocab import STAFF_ROLES
from ..timescales import now

# Checked when the account does not exist, so a wrong name costs the same time as a wrong secret.
_DUMMY_HASH = generate_password_hash("not-a-real-secret")


def issue_token(data):
    """A token for the right secret of an enabled account. Every other answer is the same 401,
    after the same work, whether the name is an account's or not; and a name that keeps failing
    waits (429, api/sign_in.py), its secret not checked meanwhile."""
    kind = "client" if "client_id" in data else "person"
    name = data["client_id"] if kind == "client" else data["username"]
    secret = data["client_secret"] if kind == "client" else data["password"]
    throttled = sign_in.check_not_waiting(session, kind, name)
    account = session.scalar(select(Account).where(Account.name == name, Account.kind == kind))
    secret_ok = check_password_hash(account.secret_hash if account else _DUMMY_HASH, secret)
    if account is None or not secret_ok or not account.active:
        # A disabled account's right secret counts too: its answer must not say it was right.
        sign_in.record_failure(throttled)
        raise Unauthorized("Unknown account, wrong secret, or account disabled.")
    sign_in.forget_failures(session, throttled)
    token, lifetime = mint_token(
        current_app,
        account.name,
        account.role,
        service=account.service,
        agency=account.agency_code,
        kind=kind,
        generation=account.token_generation,
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


def token_generation_of(name):
    """The token_generation a token for subject `name` must carry: its account's, or None for a
    subject with no account (an operator's `flask token create` token, which no disable reaches).
    Read in a session of its own: minting a token writes nothing."""
    with reading_session() as lookup:
        return lookup.scalar(select(Account.token_generation).where(Account.name == name))


def create_account(actor, *, name, kind, secret, role, display_name, service=None, agency=None):
    """Create a client or person account (secrets stored only as salted hashes)."""
    claims_for(role, service, agency, kind)  # refuses a role without its agency or service
    account = Account(
        name=name,
        kind=kind,
        display_name=display_name,
        secret_hash=generate_password_hash(secret),
        role=role,
        service=service if role in STAFF_ROLES else None,
        agency_code=agency if role == "agency" else None,
        active=True,
        created_at=now(),
    )
    session.add(account)
    session.flush()
    audit.record(actor, "account.created", "account", account.id,
                 audit.snapshot(account, exclude=("secret_hash",)))
    return account


# ---- administration: list, read, disable, enable ---------------------------------------------


def list_accounts(args):
    """In name order (the unique index): a handful of partner systems and staff, never a secret."""
    stmt = filtered(select(Account), args, equal={"kind": Account.kind, "active": Account.active})
    return keyset_page(stmt, [Account.name], limit=args["limit"], cursor=args.get("cursor"))


def get_account(account_id):
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account {account_id}.")
    return account


def _refuse_to_lock_the_admins_out(actor, account):
    """409 for disabling one's own account, or the last enabled admin account: either would leave
    nobody able to enable accounts again but an operator at the database or the command line."""
    if account.name == actor.sub:
        raise Conflict(
            "You cannot disable your own account: another admin must do it, so that an account "
            "is never disabled by the one person who could then not undo it.")
    if account.role != "admin" or not account.active:
        return
    # Every enabled admin row, locked in one order (PostgreSQL FOR UPDATE; SQLite's write
    # transaction already excludes other writers): two admins disabling each other at the same
    # moment take turns, and the second sees the first's change.
    admins = session.scalars(
        select(Account.id).where(Account.role == "admin", Account.active.is_(True))
        .order_by(Account.id).with_for_update()
    ).all()
    if set(admins) <= {account.id}:
        raise Conflict(
            "This is the last enabled admin account: enable or create another admin before "
            "disabling it, so that someone can still manage accounts.")


def set_account_active(actor, account_id, data, active):
    """Disable (active=False) or enable an account, once; the reason goes in the audit trail.

    The change is a conditional update, so two admins at the same moment cannot both record it.
    From its commit, the account's live tokens are refused (api/auth.py, account_disabled).
    An admin may not disable their own account, nor the last enabled admin account (409).
    Disabling also advances the account's token_generation, so the tokens it holds now stay
    refused after it is enabled again: only tokens issued after enabling work.
    """
    account = get_account(account_id)
    values = {"active": active}
    if not active:
        _refuse_to_lock_the_admins_out(actor, account)
        values["token_generation"] = Account.token_generation + 1
    changed = session.execute(
        update(Account)
        .where(Account.id == account.id, Account.active == (not active))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(account)
    if changed != 1:
        raise Conflict(f"The account is already {'enabled' if active else 'disabled'}.")
    action = "account.enabled" if active else "account.disabled"
    audit.record(actor, action, "account", account.id, {"active": active, "reason": data["reason"]})
    return account
