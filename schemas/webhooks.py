"""Partner agencies' webhook subscriptions and their delivery log."""

from marshmallow import Schema, fields, validate

from api.vocab import WEBHOOK_EVENTS, WEBHOOK_MESSAGE_STATUSES

from .common import NO_NUL, Characters, PageArgsSchema, Text, Timestamp, UniqueList

EVENTS = ", ".join(f"`{event}`" for event in WEBHOOK_EVENTS)


class WebhookSubscribeSchema(Schema):
    url = Characters(required=True, validate=validate.Length(min=9, max=2_000), metadata={
        "description": "Where to POST each notification: https, on a host that resolves to a "
        "public address (loopback, private and link-local addresses are refused); redirects "
        "are not followed."})
    events = UniqueList(fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)), required=True,
                        min_items=1, max_items=len(WEBHOOK_EVENTS), metadata={
        "description": f"Which events to be sent: {EVENTS}."})
    contact_email = fields.Email(validate=validate.Length(max=254), metadata={
        "pattern": NO_NUL,
        "description": "Who at the agency the MASH tells when deliveries keep failing: shown in "
        "the delivery log beside a failed message. Optional, and strongly advised: without it "
        "a failure has nobody to tell."})


class WebhookSubscriptionSchema(Schema):
    id = fields.UUID()
    agency = fields.String(attribute="agency_code")
    url = fields.String()
    events = fields.List(fields.String())
    contact_email = fields.String(allow_none=True)
    active = fields.Boolean(metadata={"description": "false: disabled; no message is sent."})
    created_at = Timestamp()
    secret_rotated_at = Timestamp(allow_none=True)
    disabled_at = Timestamp(allow_none=True)


class WebhookSecretSchema(WebhookSubscriptionSchema):
    secret = fields.String(metadata={
        "description": "The signing secret (Standard Webhooks, `whsec_...`), shown in this "
        "answer only: check each notification's `webhook-signature` with it. A replay of the "
        "request with its Idempotency-Key answers null here; rotate to get a new one."})


class WebhookReasonSchema(Schema):
    reason = Text(required=True, max_length=2_000, metadata={
        "description": "Why (kept in the audit trail)."})


class WebhookListArgsSchema(PageArgsSchema):
    active = fields.Boolean()
    agency = Characters(validate=validate.Length(max=32), metadata={
        "description": "Admins: one agency's subscriptions."})


class DeliveryListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(WEBHOOK_MESSAGE_STATUSES))
    subscription_id = fields.UUID()
    event = fields.String(validate=validate.OneOf(WEBHOOK_EVENTS))


class AttemptSchema(Schema):
    at = Timestamp()
    status_code = fields.Integer(allow_none=True, metadata={
        "description": "What the endpoint answered; null: no answer (see error)."})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliverySchema(Schema):
    id = fields.String(metadata={
        "description": "The message's `webhook-id`, the same on every attempt: drop a duplicate "
        "by it."})
    event = fields.String()
    subscription_id = fields.UUID()
    agency = fields.String()
    url = fields.String()
    status = fields.String(metadata={
        "description": "`pending` (to be tried, at next_attempt_at), `delivered` (a 2xx "
        "answer), or `failed` (retried until WEBHOOK_RETRY_HOURS after it was made, or its "
        "subscription was disabled)."})
    created_at = Timestamp()
    attempts = fields.Integer()
    next_attempt_at = Timestamp(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    failed_at = Timestamp(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True, metadata={
        "description": "For a failed message: who at the agency to tell."})
    attempt_log = fields.List(fields.Nested(AttemptSchema))
