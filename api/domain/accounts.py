"""Accounts (partner clients and people) and the tokens they are issued."""

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..auth import claims_for, mint_token
from ..db import session
from ..errors import Unauthorized
from ..models import Account
from ..timescales import now

# Checked when the account does not exist, so a wrong name costs the same time as a wrong secret.
_DUMMY_HASH = generate_password_hash("not-a-real-secret")


def issue_token(data):
    kind = "client" if "client_id" in data else "person"
    name = data["client_id"] if kind == "client" else data["username"]
    secret = data["client_secret"] if kind == "client" else data["password"]
    account = session.scalar(select(Account).where(Account.name == name, Account.kind == kind))
    secret_ok = check_password_hash(account.secret_hash if account else _DUMMY_HASH, secret)
    if account is None or not secret_ok or not account.active:
        raise Unauthorized("Unknown account, wrong secret, or account disabled.")
    token, lifetime = mint_token(
        current_app,
        account.name,
        account.role,
        service=account.service,
        agency=account.agency_code,
        kind=kind,
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


def create_account(actor, *, name, kind, secret, role, display_name, service=None, agency=None):
    """Create a client or person account (secrets stored only as salted hashes)."""
    claims_for(role, service, agency, kind)  # refuses a role without its agency or service
    account = Account(
        name=name,
        kind=kind,
        display_name=display_name,
        secret_hash=generate_password_hash(secret),
        role=role,
        service=service if role in ("practitioner", "manager") else None,
        agency_code=agency if role == "agency" else None,
        active=True,
        created_at=now(),
    )
    session.add(account)
    session.flush()
    audit.record(actor, "account.created", "account", account.id,
                 audit.snapshot(account, exclude=("secret_hash",)))
    return account
