import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import ACTOR_ROLES, INFORMATION_REQUEST_STATUSES, RAG_RATINGS
from .checks import one_of


class InformationRequest(Base):
    """A question the MASH asked a partner agency about some of a contact's children, due by a
    time the contact's RAG rating set when it was asked, and the agency's one answer."""

    __tablename__ = "information_requests"
    __table_args__ = (
        # One open request per agency per contact, enforced by the database too (two at once).
        Index(
            "uq_information_requests_open_per_agency",
            "contact_id", "agency",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_information_requests_requested_at_id", "requested_at", "id"),
        Index("ix_information_requests_agency_requested_at", "agency", "requested_at"),
        Index("ix_information_requests_status_due", "status", "due_at"),
        # The scorecard (GET /metrics/timeliness information_requests): one range of this index
        # over the period answers every figure, the median included.
        Index("ix_information_requests_figures", "requested_at", "agency", "status", "due_at",
              "within_deadline", "seconds_to_response"),
        one_of("status", INFORMATION_REQUEST_STATUSES),
        one_of("rag_rating", RAG_RATINGS),
        one_of("requested_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    question: Mapped[str] = mapped_column(Text)
    # The contact's rating when asked (null: unrated), which set due_at.
    rag_rating: Mapped[str | None] = mapped_column(String(5))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_sub: Mapped[str] = mapped_column(String(100))
    requested_by_role: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    known: Mapped[bool | None] = mapped_column(Boolean)
    information: Mapped[str | None] = mapped_column(Text)
    # When the agency says it answered (responded_at), when the answer was recorded, and by whom.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_sub: Mapped[str | None] = mapped_column(String(100))
    within_deadline: Mapped[bool | None] = mapped_column(Boolean)
    # Whole seconds from requested_at to responded_at, stored with the answer (the scorecard's
    # hours to answer compare a column, as decisions' seconds_from_receipt).
    seconds_to_response: Mapped[int | None] = mapped_column(Integer)
    # The answer arrived after the contact's threshold decision: flagged for the decider.
    after_decision: Mapped[bool | None] = mapped_column(Boolean)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_sub: Mapped[str | None] = mapped_column(String(100))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    children: Mapped[list["InformationRequestChild"]] = relationship(
        order_by="InformationRequestChild.position", lazy="selectin"
    )


class InformationRequestChild(Base):
    """One of the children a request asks about (the contact's child records), in the order asked."""

    __tablename__ = "information_request_children"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("information_requests.id"),
                                                  primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    child = relationship("Child", lazy="selectin")
