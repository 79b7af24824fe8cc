import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import (
    ACTOR_ROLES, CHANNELS, CLOSURE_REASONS, CONCERN_CATEGORIES, CONSENT_STATUSES, CONTACT_STATUSES,
    MATCH_EVIDENCE, MATCH_STATUSES, PRIMARY_NEEDS, RAG_RATINGS,
)
from .checks import list_of, one_of


class Contact(Base):
    """Information received about one or more children; not yet a referral."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_received_at_id", "received_at", "id"),
        Index("ix_contacts_status_due", "status", "decision_due_at"),
        Index("ix_contacts_source_agency_received_at", "source_agency", "received_at"),
        Index("ix_contacts_recorded_by_role_source", "recorded_by_role", "source_agency"),
        # Covering for the metrics: a period's contact figures are one index range, no table reads.
        Index(
            "ix_contacts_received_at_figures", "received_at", "status", "consent_status",
            "decision_due_at", "feedback_given_at", "source_agency", "rag_rating",
        ),
        one_of("channel", CHANNELS),
        list_of("concern_categories", CONCERN_CATEGORIES),
        one_of("consent_status", CONSENT_STATUSES),
        one_of("status", CONTACT_STATUSES),
        one_of("recorded_by_role", ACTOR_ROLES),
        one_of("rag_rating", RAG_RATINGS),
        one_of("primary_need", tuple(PRIMARY_NEEDS)),
        one_of("closure_reason", tuple(CLOSURE_REASONS)),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    source_reference: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(20))
    referrer: Mapped[dict | None] = mapped_column(JSON)
    concern_categories: Mapped[list] = mapped_column(JSON)
    concern_summary: Mapped[str] = mapped_column(Text)
    consent_status: Mapped[str] = mapped_column(String(12))
    consent_given_by: Mapped[str | None] = mapped_column(String(200))
    consent_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    # When the contact must be decided: set by its RAG rating (api/timescales.py
    # rag_decision_due_at), the statutory working day while it is unrated.
    decision_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The current RAG rating (null: unrated); every rating given is a row of rag_ratings.
    rag_rating: Mapped[str | None] = mapped_column(String(5))
    # When feedback was first given to the referrer (the metrics count it without reading feedback).
    feedback_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_sub: Mapped[str] = mapped_column(String(100))
    recorded_by_role: Mapped[str] = mapped_column(String(20))
    # A referral (current decision assessment or strategy discussion) after the front door: its
    # current allocation (every one is a row of allocations), its primary need (CIN census
    # PrimaryNeedCode, set by an assessment's completion or the closure) and its closure.
    allocated_team: Mapped[str | None] = mapped_column(String(100))
    allocated_worker: Mapped[str | None] = mapped_column(String(100))
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    primary_need: Mapped[str | None] = mapped_column(String(4))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(4))
    closure_rationale: Mapped[str | None] = mapped_column(Text)
    closure_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_sub: Mapped[str | None] = mapped_column(String(100))
    # Bumped by every change to the contact, so clients can send If-Match.
    version: Mapped[int] = mapped_column(Integer, default=1)

    child_links: Mapped[list["ContactChild"]] = relationship(
        back_populates="contact", order_by="ContactChild.position", lazy="selectin"
    )
    consent_history: Mapped[list["ConsentRecord"]] = relationship(
        order_by="ConsentRecord.recorded_at", lazy="selectin"
    )
    rag_history: Mapped[list["RagRating"]] = relationship(
        order_by="RagRating.position", lazy="selectin"
    )
    allocations = relationship(
        "Allocation", order_by="Allocation.position", lazy="selectin", viewonly=True,
        primaryjoin="Contact.id == Allocation.contact_id",
    )

    decisions = relationship(
        "Decision", order_by="Decision.recorded_at", lazy="selectin", viewonly=True
    )
    feedback = relationship("Feedback", order_by="Feedback.given_at", lazy="selectin", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def current_decision(self):
        return next((d for d in self.decisions if d.superseded_by_id is None), None)

    @property
    def current_outcome(self):
        decision = self.current_decision
        if decision is None:
            return None
        return {"outcome": decision.outcome, "decided_at": decision.decided_at}

    @property
    def children(self):
        return [link.child for link in self.child_links]

    @property
    def concerns(self):
        return {"categories": self.concern_categories, "summary": self.concern_summary}

    @property
    def consent(self):
        return {
            "status": self.consent_status,
            "given_by": self.consent_given_by,
            "reason": self.consent_reason,
        }


class ContactChild(Base):
    """A child as one contact gives them: the details as given (never written to a child record)
    and the council child record the entry is linked to.

    `child_id` is the record it is linked to now: a practitioner may link it to another (a
    possible match confirmed), and a merge moves it to the surviving record. `first_child_id` is
    the record it was linked to when the contact was recorded, which is what the referrer was
    told and still sees, whatever the council later learns about the child.
    """

    __tablename__ = "contact_children"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    first_child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    # The child as this contact's referrer described them (the child record may hold more).
    details: Mapped[dict] = mapped_column(JSON)

    contact: Mapped[Contact] = relationship(back_populates="child_links")
    child = relationship("Child", back_populates="contact_links", lazy="joined",
                         foreign_keys=[child_id])


class PossibleMatch(Base):
    """A council child record that may be the child a contact's entry gives, on weak evidence (an
    NHS number with another date of birth, a known local id, the same names and date of birth),
    until a practitioner confirms it (the entry is linked to it) or rejects it."""

    __tablename__ = "possible_matches"
    __table_args__ = (
        ForeignKeyConstraint(["contact_id", "position"],
                             ["contact_children.contact_id", "contact_children.position"]),
        UniqueConstraint("contact_id", "position", "candidate_id"),
        Index("ix_possible_matches_candidate_id_status", "candidate_id", "status"),
        one_of("status", MATCH_STATUSES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    by_nhs_number: Mapped[bool] = mapped_column(Boolean)
    by_local_child_id: Mapped[bool] = mapped_column(Boolean)
    by_name_and_date_of_birth: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_sub: Mapped[str | None] = mapped_column(String(100))

    candidate = relationship("Child", lazy="joined", foreign_keys=[candidate_id])

    @property
    def evidence(self):
        return [name for name in MATCH_EVIDENCE if getattr(self, f"by_{name}")]


class ChildLinkDecision(Base):
    """A practitioner's decision on a contact's child entry, with its reason: linked to another
    child record (`to_child_id`), or its possible matches rejected (`to_child_id` null, the link
    kept)."""

    __tablename__ = "child_link_decisions"
    __table_args__ = (
        ForeignKeyConstraint(["contact_id", "position"],
                             ["contact_children.contact_id", "contact_children.position"]),
        Index("ix_child_link_decisions_contact_id_position", "contact_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer)
    from_child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    to_child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_sub: Mapped[str] = mapped_column(String(100))


class ConsentRecord(Base):
    """One consent status as recorded: the first with the contact, then each change."""

    __tablename__ = "consent_records"
    __table_args__ = (
        one_of("status", CONSENT_STATUSES),
        one_of("recorded_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    given_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_sub: Mapped[str] = mapped_column(String(100))
    recorded_by_role: Mapped[str] = mapped_column(String(20))


class RagRating(Base):
    """One RAG rating given to a contact (the current one is the latest): how fast it must be
    decided, with the practitioner's reason."""

    __tablename__ = "rag_ratings"
    __table_args__ = (
        # The contact's ratings in the order given (0 the first): written under the contact's
        # row lock, so two ratings never take the same place, even at the same instant.
        UniqueConstraint("contact_id", "position"),
        one_of("rating", RAG_RATINGS),
        one_of("rated_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"))
    position: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rated_by_sub: Mapped[str] = mapped_column(String(100))
    rated_by_role: Mapped[str] = mapped_column(String(20))
