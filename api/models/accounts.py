import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import ACCOUNT_KINDS, ROLES, SERVICES
from .checks import one_of


class Account(Base):
    """Someone who may hold a token: a partner system (client) or a person (user).

    One table so a token's `sub` (the account name) is unique across both.
    """

    __tablename__ = "accounts"
    __table_args__ = (
        one_of("kind", ACCOUNT_KINDS),
        one_of("role", ROLES),
        one_of("service", SERVICES),
        UniqueConstraint("issuer", "subject"),
        # A local account has a secret here; an external subject's secret is its provider's.
        CheckConstraint(
            "(issuer IS NULL AND subject IS NULL AND secret_hash IS NOT NULL) OR "
            "(issuer IS NOT NULL AND subject IS NOT NULL AND secret_hash IS NULL "
            "AND previous_secret_hash IS NULL)", name="local_or_external"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(200))
    # Null for an external subject (its secret is its provider's).
    secret_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    service: Mapped[str | None] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    active: Mapped[bool] = mapped_column(default=True)
    # How many times the account has been disabled. Each token it is issued carries the number
    # (claim `gen`); disabling adds one, so the tokens it held before stay refused after it is
    # enabled again. A token without the claim counts as 0.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it was last disabled: a token an external issuer issued before then stays refused.
    last_disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A subject of an external issuer (api/issuers.py): the issuer's URL and its subject.
    issuer: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(64))
    # A client's secret before its last rotation, accepted until previous_secret_expires_at.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(255))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailures(Base):
    """Failed sign-ins for one name (a client_id or username, whether or not an account has it),
    shared by every worker: api/sign_in.py's per-account throttle when the counts live in the
    database. The name is kept only as a keyed hash: a username field sometimes holds a password
    typed in the wrong box."""

    __tablename__ = "sign_in_failures"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No sign-in for this name is checked before then (429 with Retry-After); null: no wait.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
