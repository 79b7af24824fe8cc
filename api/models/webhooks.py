import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import WEBHOOK_EVENTS, WEBHOOK_MESSAGE_STATUSES
from .checks import list_of, one_of


class WebhookSubscription(Base):
    """A partner agency's endpoint for notifications (api/webhooks.py): where to post, which
    events, and the secret the posts are signed with (kept encrypted: it must be read to sign)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        Index("ix_webhook_subscriptions_agency_code", "agency_code"),
        list_of("events", WEBHOOK_EVENTS),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON)
    # Who the MASH tells when deliveries to it keep failing (shown in the delivery log).
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Fernet (api/webhooks.py, WEBHOOK_SECRETS_KEY) of the `whsec_...` signing secret.
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_sub: Mapped[str] = mapped_column(String(100))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_by_sub: Mapped[str | None] = mapped_column(String(100))


class WebhookMessage(Base):
    """One notification for one subscription: written in the transaction of the change that
    causes it (the outbox), then posted by a delivery worker until delivered or given up. Its id
    is the `webhook-id` of every attempt, so a partner can drop a duplicate."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        # A worker takes the pending messages that are due, oldest due first.
        Index("ix_webhook_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_messages_subscription_id_created_at", "subscription_id", "created_at"),
        one_of("event", WEBHOOK_EVENTS),
        one_of("status", WEBHOOK_MESSAGE_STATUSES),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_<uuid hex>
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event: Mapped[str] = mapped_column(String(40))
    # The body exactly as posted and signed (canonical JSON).
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(Base):
    """One post of a message: when, what the partner answered (or why there was no answer)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_message_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
