"""Partner agencies' webhook subscriptions: registered by the agency's own system for its own
agency, listed, disabled and given a new secret; the delivery log. An admin sees and may disable
every agency's. The secret is shown once, when it is made (api/webhooks.py keeps it encrypted)."""

from sqlalchemy import select

from .. import audit, webhooks
from ..db import session
from ..errors import Conflict, NotConfigured, NotFound
from ..models import WebhookAttempt, WebhookMessage, WebhookSubscription
from ..pages import filtered, keyset_page
from ..timescales import now

SHOWN = ("id", "agency_code", "url", "events", "contact_email", "active", "created_at",
         "created_by_sub", "secret_rotated_at", "disabled_at", "disabled_by_sub")


def _secrets_available():
    if webhooks.secrets_box() is None:
        raise NotConfigured("Webhooks are not set up on this server (WEBHOOK_SECRETS_KEY): ask "
                            "the MASH's operators.")


def _audited(subscription):
    return {name: getattr(subscription, name) for name in SHOWN}


def subscribe(actor, data):
    """An agency's system registers an endpoint for its own agency: the URL checked (https, a
    public address), the events it wants, who to tell of failures. The secret is in the answer
    only."""
    _secrets_available()
    webhooks.check_url(data["url"])
    secret = webhooks.new_secret()
    subscription = WebhookSubscription(
        agency_code=actor.agency, url=data["url"], events=list(data["events"]),
        contact_email=data.get("contact_email"), secret_ciphertext=webhooks.seal(secret),
        active=True, created_at=now(), created_by_sub=actor.sub)
    session.add(subscription)
    session.flush()
    audit.record(actor, "webhook.subscribed", "webhook_subscription", subscription.id,
                 _audited(subscription))
    subscription.secret = secret
    return subscription


def _visible(actor):
    stmt = select(WebhookSubscription)
    if actor.role == "agency":
        stmt = stmt.where(WebhookSubscription.agency_code == actor.agency)
    return stmt


def get_subscription(actor, subscription_id):
    subscription = session.scalar(_visible(actor).where(WebhookSubscription.id == subscription_id))
    if subscription is None:
        raise NotFound(f"No webhook subscription {subscription_id} that you may see.")
    return subscription


def list_subscriptions(actor, args):
    stmt = filtered(_visible(actor), args, equal={"active": WebhookSubscription.active,
                                                   "agency": WebhookSubscription.agency_code})
    return keyset_page(stmt, [WebhookSubscription.created_at, WebhookSubscription.id],
                       limit=args["limit"], cursor=args.get("cursor"))


def disable(actor, subscription_id, data):
    """No more messages are made for it; those pending are not sent (marked failed, saying so)."""
    subscription = get_subscription(actor, subscription_id)
    if not subscription.active:
        raise Conflict("The subscription is already disabled.")
    subscription.active = False
    subscription.disabled_at, subscription.disabled_by_sub = now(), actor.sub
    session.flush()
    audit.record(actor, "webhook.disabled", "webhook_subscription", subscription.id,
                 {"reason": data["reason"], "disabled_at": subscription.disabled_at})
    return subscription


def rotate_secret(actor, subscription_id, data):
    """A new signing secret, shown once; every message posted from now on is signed with it."""
    _secrets_available()
    subscription = get_subscription(actor, subscription_id)
    if not subscription.active:
        raise Conflict("The subscription is disabled.")
    secret = webhooks.new_secret()
    subscription.secret_ciphertext = webhooks.seal(secret)
    subscription.secret_rotated_at = now()
    session.flush()
    audit.record(actor, "webhook.secret_rotated", "webhook_subscription", subscription.id,
                 {"reason": data["reason"], "rotated_at": subscription.secret_rotated_at})
    subscription.secret = secret
    return subscription


def deliveries(actor, args):
    """The delivery log: each message with its attempts, newest first; an agency's own, or (an
    admin) every agency's, with the agency's contact for those that failed."""
    stmt = (select(WebhookMessage, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookMessage.subscription_id))
    if actor.role == "agency":
        stmt = stmt.where(WebhookSubscription.agency_code == actor.agency)
    stmt = filtered(stmt, args, equal={"status": WebhookMessage.status,
                                       "subscription_id": WebhookMessage.subscription_id,
                                       "event": WebhookMessage.event})
    page = keyset_page(stmt, [WebhookMessage.created_at, WebhookMessage.id], limit=args["limit"],
                       cursor=args.get("cursor"), descending=True, rows=True,
                       values_of=lambda row: (row[0].created_at, row[0].id))
    ids = [message.id for message, _ in page["items"]]
    attempts = {}
    for attempt in session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.message_id.in_(ids)).order_by(WebhookAttempt.id)):
        attempts.setdefault(attempt.message_id, []).append(attempt)
    items = []
    for message, subscription in page["items"]:
        items.append({
            "id": message.id, "event": message.event, "subscription_id": subscription.id,
            "agency": subscription.agency_code, "url": subscription.url,
            "status": message.status, "created_at": message.created_at,
            "attempts": message.attempts, "next_attempt_at": message.next_attempt_at,
            "delivered_at": message.delivered_at, "failed_at": message.failed_at,
            "last_status_code": message.last_status_code, "last_error": message.last_error,
            "contact_email": subscription.contact_email if message.status == "failed" else None,
            "attempt_log": [{"at": a.attempted_at, "status_code": a.status_code,
                             "error": a.error, "duration_ms": a.duration_ms}
                            for a in attempts.get(message.id, [])],
        })
    return {**page, "items": items}
