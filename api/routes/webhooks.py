from ..caller import current_actor
from ..domain import webhook_subscriptions as subscriptions
from . import Blueprint, located
from schemas.common import page_of
from schemas.webhooks import (
    DeliveryListArgsSchema, DeliverySchema, WebhookListArgsSchema, WebhookReasonSchema,
    WebhookSecretSchema, WebhookSubscribeSchema, WebhookSubscriptionSchema,
)

blp = Blueprint(
    "webhooks", __name__,
    description="Partner notifications: an agency's system subscribes its own endpoint and is "
    "sent, signed (Standard Webhooks), each event it subscribed to about its contacts and the "
    "information requests made of it; the delivery log. Admins see and may disable every "
    "agency's.",
)

AGENCY = ("agency",)
AGENCY_OR_ADMIN = ("agency", "admin")


@blp.route("/webhooks", methods=["POST"], roles=AGENCY, writes=True, shown_once=("secret",))
@blp.arguments(WebhookSubscribeSchema)
@blp.response(201, WebhookSecretSchema)
def subscribe_webhook(data):
    """Subscribe your agency's endpoint; the answer holds its signing secret, once.

    Each notification is a POST of `{"type", "timestamp", "data"}` (what your own GET of the
    record shows) with headers `webhook-id` (the same on every retry), `webhook-timestamp` and
    `webhook-signature` (Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}` with the secret). Answer 2xx within WEBHOOK_TIMEOUT_SECONDS;
    anything else is retried with backoff for up to three days.
    """
    subscription = subscriptions.subscribe(current_actor(), data)
    return located(subscription, "webhooks.get_webhook", subscription_id=subscription.id)


@blp.route("/webhooks", roles=AGENCY_OR_ADMIN)
@blp.arguments(WebhookListArgsSchema, location="query")
@blp.response(200, page_of(WebhookSubscriptionSchema))
def list_webhooks(args):
    """List subscriptions: your agency's, or (admins) every agency's; oldest first."""
    return subscriptions.list_subscriptions(current_actor(), args)


@blp.route("/webhooks/<uuid:subscription_id>", roles=AGENCY_OR_ADMIN)
@blp.response(200, WebhookSubscriptionSchema)
def get_webhook(subscription_id):
    """Read one subscription (never its secret)."""
    return subscriptions.get_subscription(current_actor(), subscription_id)


@blp.route("/webhooks/<uuid:subscription_id>/disable", methods=["POST"], roles=AGENCY_OR_ADMIN,
           writes=True)
@blp.arguments(WebhookReasonSchema)
@blp.response(200, WebhookSubscriptionSchema)
@blp.doc(responses={"409": "CONFLICT"})
def disable_webhook(data, subscription_id):
    """Disable a subscription: nothing more is sent to it. 409 when it is disabled already."""
    return subscriptions.disable(current_actor(), subscription_id, data)


@blp.route("/webhooks/<uuid:subscription_id>/secret", methods=["POST"], roles=AGENCY,
           writes=True, shown_once=("secret",))
@blp.arguments(WebhookReasonSchema)
@blp.response(200, WebhookSecretSchema)
@blp.doc(responses={"409": "CONFLICT"})
def rotate_webhook_secret(data, subscription_id):
    """A new signing secret, in this answer only; what is sent from now on is signed with it."""
    return subscriptions.rotate_secret(current_actor(), subscription_id, data)


@blp.route("/webhooks/deliveries", roles=AGENCY_OR_ADMIN)
@blp.arguments(DeliveryListArgsSchema, location="query")
@blp.response(200, page_of(DeliverySchema))
def list_webhook_deliveries(args):
    """The delivery log: each message, newest first, with every attempt, its status codes and
    its next retry; filters status, subscription_id, event."""
    return subscriptions.deliveries(current_actor(), args)
