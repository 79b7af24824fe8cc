import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import ACTOR_ROLES, FEEDBACK_METHODS, OUTCOMES, SERVICES
from .checks import one_of


class Decision(Base):
    """A threshold decision on a contact. Superseded decisions stay, marked superseded_by."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_contact_id_decided_at", "contact_id", "decided_at"),
        Index("ix_decisions_decided_at", "decided_at"),
        Index("ix_decisions_current", "contact_id", "superseded_by_id"),
        # A decision is superseded at most once and supersedes at most one. Unique among the
        # non-null values only: a plain UNIQUE on a mostly-null column leads SQLite's planner to
        # walk every null entry for "IS NULL" instead of using the indexes below.
        Index("uq_decisions_supersedes_id", "supersedes_id", unique=True,
              postgresql_where=text("supersedes_id IS NOT NULL"),
              sqlite_where=text("supersedes_id IS NOT NULL")),
        Index("uq_decisions_superseded_by_id", "superseded_by_id", unique=True,
              postgresql_where=text("superseded_by_id IS NOT NULL"),
              sqlite_where=text("superseded_by_id IS NOT NULL")),
        # The metrics read decisions by their contact's receipt, not through contacts: first
        # decisions for PI1 and the hours to decide, current ones for outcomes and referrals.
        # Partial and covering (every column a figure needs is in the key), so a period is one
        # index range on either engine whatever the size of the table.
        Index(
            "ix_decisions_first_by_receipt", "contact_received_at", "within_24_hours",
            "within_1_working_day", "seconds_from_receipt", "within_rag_deadline",
            postgresql_where=text("supersedes_id IS NULL"), sqlite_where=text("supersedes_id IS NULL"),
        ),
        Index(
            "ix_decisions_current_by_receipt", "contact_received_at", "outcome", "approved_at",
            "re_referral",
            postgresql_where=text("superseded_by_id IS NULL"),
            sqlite_where=text("superseded_by_id IS NULL"),
        ),
        # The managers' sign-off inbox (GET /decisions?approval=pending), oldest decided first:
        # partial, so it holds only what awaits sign-off, however many were signed off before.
        Index("ix_decisions_awaiting_sign_off", "decided_at", "id",
              postgresql_where=text("superseded_by_id IS NULL AND approved_at IS NULL"),
              sqlite_where=text("superseded_by_id IS NULL AND approved_at IS NULL")),
        one_of("outcome", OUTCOMES),
        one_of("decided_by_role", ACTOR_ROLES),
        one_of("decided_by_service", SERVICES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"))
    # A copy of the contact's received_at (set once, never changed), so that a period's
    # decisions are found by an index on decisions alone.
    contact_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_sub: Mapped[str] = mapped_column(String(100))
    decided_by_role: Mapped[str] = mapped_column(String(20))
    decided_by_service: Mapped[str | None] = mapped_column(String(20))
    within_24_hours: Mapped[bool]
    # By the statutory deadline (DECISION_WORKING_DAYS after receipt), whatever the rating.
    within_1_working_day: Mapped[bool]
    # By the contact's decision_due_at as its RAG rating set it when decided (unrated: the
    # statutory deadline).
    within_rag_deadline: Mapped[bool]
    # Stored when written, so the metrics compare columns: exact seconds from the contact's
    # receipt, and (for a referral) whether a child had another referral in the 12 months before.
    seconds_from_receipt: Mapped[int] = mapped_column(BigInteger)
    re_referral: Mapped[bool | None]
    # A referral (from revision 0021): when it must be allocated by, the end of the 5th working
    # day after it (the seeds' PI5); null for other outcomes and for referrals decided earlier.
    allocation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    supersede_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    approved_by_sub: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_note: Mapped[str | None] = mapped_column(Text)

    @property
    def approval(self):
        if self.approved_at is None:
            return None
        return {"approved_by": self.approved_by_sub, "approved_at": self.approved_at,
                "note": self.approval_note}

    @property
    def is_current(self):
        return self.superseded_by_id is None


class Feedback(Base):
    """Feedback given to the referrer: when, how, and what they were told."""

    __tablename__ = "feedback"
    __table_args__ = (one_of("method", FEEDBACK_METHODS),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_sub: Mapped[str] = mapped_column(String(100))
