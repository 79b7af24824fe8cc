"""Partner notifications: signed webhooks through an outbox.

A partner agency registers its own endpoint (api/domain/webhook_subscriptions.py). When something
it would want to know happens (its contact decided, feedback given on it, an information request
made of it or withdrawn), `notify` writes one message per subscription into the outbox table
`webhook_messages`, in the transaction of the change itself: a committed decision always has its
message and a rolled-back one never does.

A delivery worker (`flask webhooks deliver`; `make run` starts one) takes the messages that are
due (PostgreSQL: FOR UPDATE SKIP LOCKED, so several workers share the work and none takes a
message another holds; SQLite: its one write lock), posts each with a timeout, and records the
attempt. A failure is retried with exponential backoff and jitter until WEBHOOK_RETRY_HOURS have
passed since the message was made; then the message is marked failed (the delivery log shows the
partner's contact). Every attempt of a message carries the same `webhook-id`, so a partner drops
a duplicate (after a worker killed between the post and its record, the message is posted again).

Signed with the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
HMAC-SHA256 of `id.timestamp.body` with the subscription's secret), by the `standardwebhooks`
package. A body says what the partner's own GET shows it (the same view and schema), never more.

No request is sent where it should not go: a URL must be https and its host must not resolve to
a loopback, private, link-local or otherwise special address, checked when it is registered and
again at each delivery, and the connection is made to the address that was checked (a DNS answer
that changes in between cannot redirect it). WEBHOOK_ALLOW_LOCAL=1 (local use and tests) allows
http and such addresses. Redirects are not followed.
"""

import base64
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select
from standardwebhooks import Webhook

from .audit import canonical_json, iso_utc
from .db import session
from .errors import RuleViolation
from .keys import secret_file_once
from .models import WebhookAttempt, WebhookMessage, WebhookSubscription
from .timescales import now

log = logging.getLogger(__name__)

EXTENSION = "webhook_secrets"
USER_AGENT = "mash-front-door-webhooks/1"
MAX_ERROR = 500


# ---- the subscriptions' secrets, encrypted at rest ---------------------------------------------


def new_secret():
    """A Standard Webhooks secret: `whsec_` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _development_key(instance_dir):
    return secret_file_once(Path(instance_dir) / "webhook-secrets.key",
                            lambda: Fernet.generate_key().decode()).strip()


def init_app(app):
    """The key(s) the subscriptions' secrets are encrypted with: WEBHOOK_SECRETS_KEY, one Fernet key
    or several (comma-separated, the first encrypts: a rotation); on a development machine
    (JWT_GENERATE_KEYS) a key made once under instance/. Without one, webhooks cannot be
    registered (503) and nothing else changes."""
    keys = [key.strip() for key in (app.config.get("WEBHOOK_SECRETS_KEY") or "").split(",")
            if key.strip()]
    if not keys and app.config.get("JWT_GENERATE_KEYS"):
        keys = [_development_key(app.config["INSTANCE_DIR"])]
    try:
        app.extensions[EXTENSION] = MultiFernet([Fernet(key) for key in keys]) if keys else None
    except ValueError as error:
        raise RuntimeError(f"WEBHOOK_SECRETS_KEY is not a Fernet key: {error}") from error


def secrets_box():
    return current_app.extensions[EXTENSION]


def seal(secret):
    return secrets_box().encrypt(secret.encode()).decode()


def unseal(ciphertext):
    try:
        return secrets_box().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, AttributeError) as error:
        raise RuntimeError("a subscription's secret cannot be read with WEBHOOK_SECRETS_KEY") from error


# ---- where a request may go ----------------------------------------------------------------------


def _special(address):
    return (address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or (address.version == 6 and address.ipv4_mapped is not None
                and _special(address.ipv4_mapped)))


def resolve(url, allow_local):
    """(scheme, host, port, address to connect to) for a URL a webhook may be posted to, or
    ValueError saying why not."""
    parts = urlparse(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http" and not allow_local:
        raise ValueError("must be https (http only where WEBHOOK_ALLOW_LOCAL=1)")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise ValueError("has an invalid port") from error
    try:
        answers = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValueError(f"its host {parts.hostname!r} does not resolve") from error
    addresses = [ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers]
    if not allow_local:
        special = [str(a) for a in addresses if _special(a)]
        if special:
            raise ValueError(f"its host resolves to an address that is not public ({special[0]}): "
                             "loopback, private and link-local addresses are refused")
    return parts.scheme, parts.hostname, port, str(addresses[0])


def check_url(url):
    """RuleViolation naming `url` unless a webhook may be posted there."""
    try:
        resolve(url, current_app.config["WEBHOOK_ALLOW_LOCAL"])
    except ValueError as error:
        raise RuleViolation("url", f"The URL {error}.") from error


class _PinnedHTTPS(http.client.HTTPSConnection):
    """https to the address that was checked, with the host's name for SNI and the certificate."""

    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url, headers, body, timeout, allow_local):
    """POST `body`; (status, None) or (None, why there was no answer). Never follows a redirect."""
    try:
        scheme, host, port, address = resolve(url, allow_local)
    except ValueError as error:
        return None, f"refused: the URL {error}"
    parts = urlparse(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = (_PinnedHTTPS if scheme == "https" else _PinnedHTTP)(host, address, port, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # a partner's answer is not kept; read a little, then close
        return response.status, None
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR]
    finally:
        connection.close()


# ---- the outbox ------------------------------------------------------------------------------------


def message_id():
    """`msg_`, the wall clock in microseconds (hex) and 64 random bits: ids that sort in the order
    they were made, so messages made at one instant are still sent in order."""
    return f"msg_{time.time_ns() // 1000:014x}{secrets.token_hex(8)}"


def notify(event, agency_code, data):
    """Put `event` in the outbox for each active subscription of the agency that wants it, in the
    current transaction. `data`: what the agency's own GET shows it (a callable, built only if
    someone subscribed)."""
    subscriptions = session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.agency_code == agency_code,
        WebhookSubscription.active.is_(True))).all()
    wanted = [s for s in subscriptions if event in (s.events or [])]
    if not wanted:
        return []
    at = now()
    body = {"type": event, "timestamp": iso_utc(at), "data": data()}
    payload = canonical_json(body)
    messages = [WebhookMessage(id=message_id(), subscription_id=s.id, event=event,
                               payload=payload, created_at=at, status="pending", attempts=0,
                               next_attempt_at=at)
                for s in wanted]
    session.add_all(messages)
    session.flush()
    return messages


# ---- delivery --------------------------------------------------------------------------------------


def backoff_seconds(attempts, config, rng=random):
    """The wait after the `attempts`-th failed attempt: doubling from WEBHOOK_RETRY_BASE_SECONDS,
    at most WEBHOOK_RETRY_MAX_SECONDS, drawn between half that and the whole of it (jitter, so a
    partner back from an outage is not hit by every message at once)."""
    ceiling = min(config["WEBHOOK_RETRY_BASE_SECONDS"] * 2 ** min(attempts - 1, 30),
                  config["WEBHOOK_RETRY_MAX_SECONDS"])
    return rng.uniform(ceiling / 2, ceiling)


def _due(limit):
    stmt = (select(WebhookMessage)
            .where(WebhookMessage.status == "pending", WebhookMessage.next_attempt_at <= now())
            .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class _Taken:
    """A message taken for one attempt, with what posting it needs (read in the taking
    transaction, so the post itself holds no transaction and no lock)."""

    id: str
    payload: str
    url: str
    secret_ciphertext: str
    active: bool
    agency_code: str
    contact_email: str


def take(limit, config):
    """Take up to `limit` messages that are due, in one short transaction: each is leased (its
    next attempt put after the time a post may take), so no other worker takes it meanwhile, and
    a worker that dies holding it leaves it to be taken again when the lease ends."""
    session.connection()  # a write transaction (SQLite: the write lock, for a moment)
    due = _due(limit)
    if not due:
        session.rollback()
        return []
    lease_until = now() + timedelta(
        seconds=config["WEBHOOK_TIMEOUT_SECONDS"] + config["WEBHOOK_LEASE_MARGIN_SECONDS"])
    subscriptions = {s.id: s for s in session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.id.in_({m.subscription_id for m in due})))}
    taken = []
    for message in due:
        subscription = subscriptions[message.subscription_id]
        message.next_attempt_at = lease_until
        taken.append(_Taken(message.id, message.payload, subscription.url,
                            subscription.secret_ciphertext, subscription.active,
                            subscription.agency_code, subscription.contact_email))
    session.commit()
    return taken


def _send(message, config):
    """Post one taken message: (attempted_at, status, error, duration_ms)."""
    at = now()
    if not message.active:
        return at, None, "not sent: the subscription is disabled", 0
    started = time.monotonic()
    hook = Webhook(unseal(message.secret_ciphertext))
    # The wall clock, whatever the app's clock (CLOCK) says: the partner checks the timestamp
    # against its own clock to refuse a replayed message (Standard Webhooks: within 5 minutes).
    sent = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "webhook-id": message.id, "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": hook.sign(message.id, sent, message.payload.encode()),
    }
    status, error = post(message.url, headers, message.payload.encode(),
                         config["WEBHOOK_TIMEOUT_SECONDS"], config["WEBHOOK_ALLOW_LOCAL"])
    if status is not None and not 200 <= status < 300:
        error = f"answered {status}"
    return at, status, error, int((time.monotonic() - started) * 1000)


def _record(message, attempted_at, status, error, duration, config):
    """The attempt and what it makes of the message, in one short transaction."""
    session.connection()
    stored = session.get(WebhookMessage, message.id, populate_existing=True)
    stored.attempts += 1
    stored.last_status_code, stored.last_error = status, error
    if status is not None and 200 <= status < 300:
        stored.status, stored.delivered_at, stored.next_attempt_at = "delivered", now(), None
    elif not message.active:
        stored.status, stored.failed_at, stored.next_attempt_at = "failed", now(), None
    else:
        give_up = stored.created_at + timedelta(hours=config["WEBHOOK_RETRY_HOURS"])
        retry_at = now() + timedelta(seconds=backoff_seconds(stored.attempts, config))
        if retry_at > give_up:
            stored.status, stored.failed_at, stored.next_attempt_at = "failed", now(), None
            log.warning("webhook message %s to agency %s failed after %d attempts; its contact "
                        "is %s", stored.id, message.agency_code, stored.attempts,
                        message.contact_email)
        else:
            stored.next_attempt_at = retry_at
    session.add(WebhookAttempt(message_id=stored.id, attempted_at=attempted_at,
                               status_code=status, error=error, duration_ms=duration))
    session.commit()


def deliver_due(limit=None):
    """Take the messages that are due and post each, recording every attempt. A worker killed
    anywhere in this loses nothing: a message taken and not recorded is taken again when its
    lease ends (and posted again: the partner drops it by its webhook-id). Returns how many
    were attempted."""
    config = current_app.config
    taken = take(limit or config["WEBHOOK_BATCH"], config)
    try:
        for message in taken:
            _record(message, *_send(message, config), config)
    finally:
        session.remove()
    return len(taken)


def work(poll_seconds=None):
    """Deliver until killed: what is due, then a short sleep when nothing was."""
    poll = poll_seconds if poll_seconds is not None else current_app.config["WEBHOOK_POLL_SECONDS"]
    while True:
        try:
            attempted = deliver_due()
        except Exception:  # noqa: BLE001 - a worker keeps going; the message stays pending
            log.exception("webhook delivery failed; retrying shortly")
            attempted = 0
        if not attempted:
            time.sleep(poll)


# ---- what each event says: what the partner's own GET shows it ----------------------------------


def partner(agency_code):
    from .caller import Actor

    return Actor(sub=f"webhooks:{agency_code}", role="agency", agency=agency_code)


def contact_event(event, contact):
    """`event` about a contact, to the agency whose system posted it (only it may read it)."""
    if contact.recorded_by_role != "agency":
        return []

    def data():
        from schemas.contacts import ContactSchema

        from .domain.contacts import view_for

        session.flush()
        session.refresh(contact)
        return {"contact": json.loads(canonical_json(
            ContactSchema().dump(view_for(partner(contact.source_agency), contact))))}

    return notify(event, contact.source_agency, data)


def information_request_event(event, record):
    """`event` about an information request, to the agency it asks."""

    def data():
        from schemas.information_requests import InformationRequestSchema

        from .domain.information_requests import view_for

        return {"information_request": json.loads(canonical_json(
            InformationRequestSchema().dump(view_for(partner(record.agency), record))))}

    return notify(event, record.agency, data)
