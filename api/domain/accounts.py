"""Accounts (partner clients and people) and the tokens they are issued."""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, sign_in
from ..auth import claims_for, mint_token
from ..db import session
from ..transactions import reading_session
from ..errors import Conflict, NotFound, RuleViolation, Unauthorized
from ..issuers import MAX_SUBJECT, external_issuers
from ..models import Account, Agency
from ..pages import filtered, keyset_page
from ..vocab import STAFF_ROLES
from ..timescales import now

# Never in the audit trail, even as hashes; nor, when an account is made, the state of a rotation
# it has not had (a rotation's own event says it).
SECRETS = ("secret_hash", "previous_secret_hash", "previous_secret_expires_at")
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
    account = session.scalar(select(Account).where(
        Account.name == name, Account.kind == kind, Account.issuer.is_(None)))
    secret_ok = _secret_matches(account, secret)
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


def _secret_matches(account, secret):
    """The account's secret, or its previous one until that expires (after a rotation). The same
    work whether or not there is an account, so the time taken says nothing."""
    if account is None:
        check_password_hash(_DUMMY_HASH, secret)
        return False
    if check_password_hash(account.secret_hash, secret):
        return True
    expires = account.previous_secret_expires_at
    return (account.previous_secret_hash is not None and expires is not None and now() < expires
            and check_password_hash(account.previous_secret_hash, secret))


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
                 audit.snapshot(account, exclude=SECRETS))
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
        values["last_disabled_at"] = now()
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


# ---- a client's secret, rotated -----------------------------------------------------------------


def rotate_secret(actor, account_id, data):
    """A new secret for a partner client, shown once (the response); the old one is still accepted
    for `grace_minutes` (default SECRET_GRACE_MINUTES; 0 ends it at once, after a leak), so the
    partner can change its configuration without an outage. A secret rotated before that grace
    ended is no longer accepted: only the secret in use just before this rotation is. Only a
    local client's secret: a person's password is theirs, an external subject's secret is its
    provider's (409)."""
    account = get_account(account_id)
    if account.issuer is not None:
        raise Conflict("This account is a subject of an external identity provider: its secret "
                       "is the provider's, not this API's.")
    if account.kind != "client":
        raise Conflict("Only a partner client's secret is rotated here: a person's password is "
                       "theirs to change.")
    config = current_app.config
    grace = data.get("grace_minutes")
    if grace is None:
        grace = config["SECRET_GRACE_MINUTES"]
    if grace > config["SECRET_GRACE_MAX_MINUTES"]:
        raise RuleViolation("grace_minutes", f"At most {config['SECRET_GRACE_MAX_MINUTES']} "
                            "minutes (SECRET_GRACE_MAX_MINUTES).")
    at = now()
    secret = secrets.token_urlsafe(32)
    expires = at + timedelta(minutes=grace) if grace > 0 else None
    # Conditional on the hash read: two admins rotating at once cannot both succeed (the second
    # would otherwise keep, as "previous", a secret nobody was ever shown).
    changed = session.execute(
        update(Account)
        .where(Account.id == account.id, Account.secret_hash == account.secret_hash)
        .values(secret_hash=generate_password_hash(secret),
                previous_secret_hash=account.secret_hash if expires else None,
                previous_secret_expires_at=expires)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("The secret was rotated by another request at the same moment; read the "
                       "account and try again.")
    session.refresh(account)
    audit.record(actor, "account.secret_rotated", "account", account.id, {
        "reason": data["reason"], "grace_minutes": grace,
        "previous_secret_valid_until": expires.isoformat() if expires else None})
    return {"account": account, "client_id": account.name, "client_secret": secret,
            "previous_secret_valid_until": expires}


# ---- subjects of the council's identity providers -------------------------------------------


def register_external(actor, data):
    """Register a subject of a configured external issuer (api/issuers.py) as an account, so that
    an admin sees it and can disable it here: its tokens are then refused whatever its provider
    says. Its role comes from each token (the provider's mapping), not from the account."""
    issuers = external_issuers(current_app)
    issuer = issuers.by_name.get(data["issuer"])
    if issuer is None:
        known = ", ".join(sorted(issuers.by_name)) or "none is configured"
        raise RuleViolation("issuer", f"No external issuer is named {data['issuer']!r}; the "
                            f"configured issuers: {known}.")
    subject = data["subject"]
    if len(subject) > MAX_SUBJECT:
        raise RuleViolation("subject", f"At most {MAX_SUBJECT} characters.")
    existing = session.scalar(select(Account).where(
        Account.issuer == issuer.issuer, Account.subject == subject))
    if existing is not None:
        raise Conflict(f"{issuer.name}:{subject} is already account {existing.id}.")
    role = data["role"]
    service = data.get("service") if role in STAFF_ROLES else None
    agency = data.get("agency") if role == "agency" else None
    try:
        claims_for(role, service, agency, data["kind"])
    except ValueError as error:
        raise RuleViolation("role", f"{error}.") from error
    if agency is not None and session.get(Agency, agency) is None:
        raise RuleViolation("agency", f"No agency has the code {agency!r} (GET /agencies).")
    account = Account(
        name=f"{issuer.name}:{subject}", kind=data["kind"], display_name=data["display_name"],
        secret_hash=None, role=role, service=service, agency_code=agency, active=True,
        created_at=now(), issuer=issuer.issuer, subject=subject)
    session.add(account)
    session.flush()
    audit.record(actor, "account.registered", "account", account.id,
                 {**audit.snapshot(account, exclude=SECRETS), "reason": data["reason"]})
    return account
