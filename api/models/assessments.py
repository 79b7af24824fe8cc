import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import (
    ACTOR_ROLES, ASSESSMENT_FACTORS, ASSESSMENT_OUTCOMES, ASSESSMENT_STATUSES, PRIMARY_NEEDS,
)
from .checks import one_of


class Assessment(Base):
    """A referral's single assessment (s17) of one of its children: started, then completed
    with the date the child was seen, a manager's authorisation, the factors it identified (CIN
    census codes), its outcome and rationale. Due 45 working days after the referral (the
    London date of the contact's current decision)."""

    __tablename__ = "assessments"
    __table_args__ = (
        # One assessment of a child on a referral (a second is a 409).
        UniqueConstraint("contact_id", "child_id"),
        Index("ix_assessments_started_at_id", "started_at", "id"),
        Index("ix_assessments_status_due", "status", "due_at"),
        Index("ix_assessments_child_id", "child_id"),
        one_of("status", ASSESSMENT_STATUSES),
        one_of("outcome", ASSESSMENT_OUTCOMES),
        one_of("primary_need", tuple(PRIMARY_NEEDS)),
        one_of("started_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    # The referral's date as an instant (its current decision's decided_at when started).
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by_sub: Mapped[str] = mapped_column(String(100))
    started_by_role: Mapped[str] = mapped_column(String(20))
    # The end of the 45th working day after the referral's London date (UTC).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    child_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorised_by_sub: Mapped[str | None] = mapped_column(String(100))
    completion_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(24))
    rationale: Mapped[str | None] = mapped_column(Text)
    primary_need: Mapped[str | None] = mapped_column(String(4))
    # Authorised at or before due_at (null while open).
    within_45_working_days: Mapped[bool | None] = mapped_column(Boolean)
    # The current allocation (every one given is a row of allocations).
    allocated_team: Mapped[str | None] = mapped_column(String(100))
    allocated_worker: Mapped[str | None] = mapped_column(String(100))
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    factor_rows: Mapped[list["AssessmentFactor"]] = relationship(
        order_by="AssessmentFactor.position", lazy="selectin")
    allocations: Mapped[list["Allocation"]] = relationship(
        order_by="Allocation.position", lazy="selectin",
        primaryjoin="Assessment.id == Allocation.assessment_id", viewonly=True,
    )


class AssessmentFactor(Base):
    """A factor the assessment identified (a CIN census AssessmentFactors code), in the order
    given. A row each: neither engine checks every value of a long JSON list cheaply."""

    __tablename__ = "assessment_factors"
    __table_args__ = (
        UniqueConstraint("assessment_id", "code"),
        one_of("code", tuple(ASSESSMENT_FACTORS)),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"),
                                                     primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(4))


class Allocation(Base):
    """A referral, or one of its assessments, allocated to a team and a worker. Every allocation
    is kept; the latest (by position) is the record's current one. A row belongs to a contact
    or to an assessment, never both."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("(contact_id IS NULL) <> (assessment_id IS NULL)", name="one_record"),
        UniqueConstraint("contact_id", "position"),
        UniqueConstraint("assessment_id", "position"),
        one_of("recorded_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"),
                                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(100))
    worker: Mapped[str] = mapped_column(String(100))
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_sub: Mapped[str] = mapped_column(String(100))
    recorded_by_role: Mapped[str] = mapped_column(String(20))
