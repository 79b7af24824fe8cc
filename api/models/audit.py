import json
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import ACTOR_ROLES, SERVICES
from .checks import one_of


class RecordsAnActor:
    """A record with actor_sub, _role, _agency and _service columns (who did it, or who read):
    `actor` is them as one {"sub", "role", "agency", "service"}, as API.md shows an actor."""

    @property
    def actor(self):
        return {"sub": self.actor_sub, "role": self.actor_role, "agency": self.actor_agency,
                "service": self.actor_service}


class AuditEvent(RecordsAnActor, Base):
    """One link of the append-only, hash-chained audit trail. Triggers refuse UPDATE/DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "seq"),
        Index("ix_audit_events_actor_sub", "actor_sub", "seq"),
        Index("ix_audit_events_at", "at"),
        one_of("actor_role", ACTOR_ROLES),
        one_of("actor_service", SERVICES),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_sub: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_agency: Mapped[str | None] = mapped_column(String(32))
    actor_service: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    # Canonical JSON text, exactly as hashed: no engine may re-order or re-format it.
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # sha256 of the canonical state of the record the event names, just after the write
    # (api/record_state.py); null for events about no stored record, and for events appended
    # before revision 0012. Part of the hashed payload when not null.
    state_hash: Mapped[str | None] = mapped_column(String(64))


    @property
    def data_object(self):
        return json.loads(self.data)
