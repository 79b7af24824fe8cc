import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import RESTRICTED_RECORDS
from .checks import one_of


class Restriction(Base):
    """A child or contact restricted to named staff (a colleague's relative, a case in the news):
    for any other practitioner or manager it is as if it did not exist (api/domain/restrictions.py).
    Lifted, it stays on record (lifted_at); at most one restriction of a record is in force."""

    __tablename__ = "restrictions"
    __table_args__ = (
        Index("uq_restrictions_in_force", "entity_type", "entity_id", unique=True,
              sqlite_where=text("lifted_at IS NULL"), postgresql_where=text("lifted_at IS NULL")),
        Index("ix_restrictions_restricted_at_id", "restricted_at", "id"),
        one_of("entity_type", RESTRICTED_RECORDS),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(Text)
    restricted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    restricted_by_sub: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_sub: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    members = relationship("RestrictionMember", order_by="RestrictionMember.sub",
                           cascade="all, delete-orphan", lazy="selectin")
    grants = relationship("RestrictionGrant", order_by="RestrictionGrant.granted_at",
                          cascade="all, delete-orphan", lazy="selectin")

    @property
    def allowed(self):
        return [member.sub for member in self.members]


class RestrictionMember(Base):
    """One of the staff a restriction allows (an account's name, the token's `sub`)."""

    __tablename__ = "restriction_members"

    restriction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("restrictions.id"),
                                                      primary_key=True)
    sub: Mapped[str] = mapped_column(String(100), primary_key=True)


class RestrictionGrant(Base):
    """A manager's break-glass access to a restricted record: with a reason, until expires_at."""

    __tablename__ = "restriction_grants"
    __table_args__ = (
        Index("ix_restriction_grants_sub_expires", "granted_to_sub", "expires_at"),
        Index("ix_restriction_grants_granted_at_id", "granted_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    restriction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("restrictions.id"), index=True)
    granted_to_sub: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
