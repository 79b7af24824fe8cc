from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import TOKEN_STATES
from .audit import RecordsAnActor
from .checks import one_of

# SQLite numbers rows itself only for a column declared INTEGER PRIMARY KEY.
EVENT_ID = BigInteger().with_variant(Integer(), "sqlite")


class AccessEvent(RecordsAnActor, Base):
    """One read of case data (or an attempt at one), whoever asked and however it ended.

    Append-only: triggers refuse UPDATE and DELETE. The actor is what the token claimed;
    `token` says whether that claim was proven (a forged token must not frame anyone).
    """

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_at_id", "at", "id"),
        Index("ix_access_events_actor_sub_at_id", "actor_sub", "at", "id"),
        # Not the actor's role or service: they are what the token claimed, proven or not.
        one_of("token", TOKEN_STATES),
    )

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_sub: Mapped[str | None] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_agency: Mapped[str | None] = mapped_column(String(32))
    actor_service: Mapped[str | None] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    entity_type: Mapped[str] = mapped_column(String(40))
    # The record named in the URL; null for lists, whose items shown are in record_ids.
    entity_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[list | None] = mapped_column(JSON)
    child_ids: Mapped[list] = mapped_column(JSON)



class AccessEventRecord(Base):
    """Every record one access touched (the record read, the items a list showed, the children
    they are about), so "who read this child's record" is an index range, not a table scan."""

    __tablename__ = "access_event_records"
    __table_args__ = (
        Index("ix_access_event_records_record_id_at_event_id", "record_id", "at", "event_id"),
        # Reads of a record by one reader: one range (GET /audit/access?entity_id=&actor=).
        Index("ix_access_event_records_record_id_actor_sub_at_event_id",
              "record_id", "actor_sub", "at", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(
        EVENT_ID, ForeignKey("access_events.id"), primary_key=True, autoincrement=False
    )
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The event's time again, so the index above also gives the order.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The event's reader again, for the second index (the event's own, sealed, is checked too).
    actor_sub: Mapped[str | None] = mapped_column(String(100))
