import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import ABUSE_CATEGORIES, MEDICAL_DECISIONS, MEETING_OUTCOMES, MEETING_STATUSES
from .checks import one_of


class StrategyMeeting(Base):
    """A multi-agency strategy meeting convened on a strategy discussion decision."""

    __tablename__ = "strategy_meetings"
    __table_args__ = (
        Index("ix_strategy_meetings_convened_at_id", "convened_at", "id"),
        Index("ix_strategy_meetings_icpc_due_date", "icpc_due_date"),
        Index("ix_strategy_meetings_held_at", "held_at"),
        one_of("status", MEETING_STATUSES),
        one_of("outcome", MEETING_OUTCOMES),
        one_of("medical_examination_decision", MEDICAL_DECISIONS),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id"))
    status: Mapped[str] = mapped_column(String(12))
    convened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    chair: Mapped[str] = mapped_column(String(200))
    # {agency_code: reason} for required agencies deliberately left out
    not_invited_reasons: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_sub: Mapped[str] = mapped_column(String(100))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    rationale: Mapped[str | None] = mapped_column(Text)
    medical_examination_decision: Mapped[str | None] = mapped_column(String(20))
    medical_examination_reason: Mapped[str | None] = mapped_column(Text)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_recorded_by_sub: Mapped[str | None] = mapped_column(String(100))
    minutes_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_recorded_by_sub: Mapped[str | None] = mapped_column(String(100))
    icpc_due_date: Mapped[date | None] = mapped_column(Date)
    # Judged when recorded, on the London calendar: praised practice and a measured lateness.
    held_same_day: Mapped[bool | None]
    minutes_within_1_working_day: Mapped[bool | None]
    # Required agencies for this meeting, as worked out when it was convened (codes or kinds).
    required_invitees: Mapped[list] = mapped_column(JSON)
    # How many required agencies were left out with a reason recorded.
    required_left_out: Mapped[int] = mapped_column(Integer, default=0)
    # When the outcome is recorded: the agencies invited, and how many of them attended (the
    # metrics' attendance reads these, not the invitation and attendance rows).
    agencies_invited: Mapped[int | None] = mapped_column(Integer)
    agencies_attended: Mapped[int | None] = mapped_column(Integer)
    # The initial child protection conference an s47 enquiry leads to: held (on a London date),
    # or recorded as not required with a reason. Within timescale is judged when recorded.
    icpc_held_on: Mapped[date | None] = mapped_column(Date)
    icpc_not_required: Mapped[bool | None]
    icpc_not_required_reason: Mapped[str | None] = mapped_column(Text)
    icpc_within_timescale: Mapped[bool | None]
    icpc_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    icpc_recorded_by_sub: Mapped[str | None] = mapped_column(String(100))

    children = relationship("MeetingChild", order_by="MeetingChild.position", lazy="selectin")
    invitations = relationship("Invitation", order_by="Invitation.position", lazy="selectin")
    attendance = relationship("Attendance", order_by="Attendance.position", lazy="selectin")
    actions = relationship("MeetingAction", order_by="MeetingAction.position", lazy="selectin")
    icpc_children = relationship("IcpcChild", lazy="selectin")

    @property
    def child_ids(self):
        return [link.child_id for link in self.children]

    @property
    def attendance_summary(self):
        return {
            "invited": len(self.invitations),
            "recorded": len(self.attendance),
            "attended": sum(1 for a in self.attendance if a.attended),
        }

    @property
    def medical_examination(self):
        if self.medical_examination_decision is None:
            return None
        return {"decision": self.medical_examination_decision,
                "reason": self.medical_examination_reason}

    @property
    def icpc(self):
        if self.icpc_recorded_at is None:
            return None
        plans = {c.child_id: c for c in self.icpc_children}
        return {
            "held_on": self.icpc_held_on,
            "within_timescale": self.icpc_within_timescale,
            "not_required": bool(self.icpc_not_required),
            "reason": self.icpc_not_required_reason,
            # In the order the meeting lists its children.
            "children": [{"child_id": link.child_id,
                          "child_protection_plan": plans[link.child_id].child_protection_plan,
                          "category_of_abuse": plans[link.child_id].category_of_abuse}
                         for link in self.children if link.child_id in plans],
        }


class MeetingChild(Base):
    __tablename__ = "strategy_meeting_children"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_meetings.id"), primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Invitation(Base):
    __tablename__ = "strategy_meeting_invitations"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_meetings.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer)


class Attendance(Base):
    __tablename__ = "strategy_meeting_attendance"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_meetings.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    attended: Mapped[bool]
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class MeetingAction(Base):
    __tablename__ = "strategy_meeting_actions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_meetings.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    due_date: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer)


class IcpcChild(Base):
    """Whether the ICPC made a child of the meeting subject to a child protection plan."""

    __tablename__ = "strategy_meeting_icpc_children"
    __table_args__ = (one_of("category_of_abuse", tuple(ABUSE_CATEGORIES)),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_meetings.id"), primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), primary_key=True, index=True)
    child_protection_plan: Mapped[bool]
    # With a plan: its category of abuse (CIN census InitialCategoryOfAbuse; from revision 0021,
    # so plans made before have none).
    category_of_abuse: Mapped[str | None] = mapped_column(String(4))
