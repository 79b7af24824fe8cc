import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import ACTOR_ROLES, DIRECTIONS, SERVICES, TRANSITION_RESPONSES, TRANSITION_STATUSES
from .checks import direction_of, one_of


class Transition(Base):
    """A request to move a child between early help and social care, and its answer."""

    __tablename__ = "transitions"
    __table_args__ = (
        # One open request per child, enforced by the database too (concurrent requests).
        Index(
            "uq_transitions_open_per_child",
            "child_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
        Index("ix_transitions_requested_at_id", "requested_at", "id"),
        Index("ix_transitions_direction_requested_at", "direction", "requested_at"),
        Index("ix_transitions_status_due", "status", "response_due_at"),
        Index("ix_transitions_child_id", "child_id"),
        # The services follow from the direction: one constraint holds all three together.
        direction_of("direction", "from_service", "to_service", DIRECTIONS),
        one_of("requested_by_role", ACTOR_ROLES),
        one_of("requested_by_service", SERVICES),
        one_of("status", TRANSITION_STATUSES),
        one_of("response_decision", TRANSITION_RESPONSES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    direction: Mapped[str] = mapped_column(String(10))
    from_service: Mapped[str] = mapped_column(String(20))
    to_service: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    plan: Mapped[dict | None] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_sub: Mapped[str] = mapped_column(String(100))
    requested_by_role: Mapped[str] = mapped_column(String(20))
    requested_by_service: Mapped[str | None] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_by_sub: Mapped[str | None] = mapped_column(String(100))
    response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_decision: Mapped[str | None] = mapped_column(String(10))
    response_rationale: Mapped[str | None] = mapped_column(Text)
    # Working days from the London date of the request to that of the response, when answered.
    working_days_to_response: Mapped[int | None]
    withdrawn_by_sub: Mapped[str | None] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def response(self):
        if self.response_at is None:
            return None
        return {"by": self.response_by_sub, "at": self.response_at,
                "decision": self.response_decision, "rationale": self.response_rationale}
