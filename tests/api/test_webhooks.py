"""Partner notifications (api/webhooks.py): an agency subscribes its own endpoint; a decision,
feedback or information request writes a message into the outbox in its own transaction; the
delivery worker posts it, signed with the Standard Webhooks scheme, to a real HTTP server, and
retries what fails with the same webhook-id."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from api import webhooks
from api.db import session
from api.models import AuditEvent, WebhookAttempt, WebhookMessage
from tests.helpers import (
    CONTACTS, assert_problem, audit_events, created, decide, feedback_body,
    give_feedback, iso, item_ids, record_contact, walk_pages,
)
from tests.webhook_receiver import Receiver

WEBHOOKS = "/api/v1/webhooks"
DELIVERIES = "/api/v1/webhooks/deliveries"
EVENTS = ["contact.decided", "contact.feedback_given", "information_request.created",
          "information_request.withdrawn"]


@pytest.fixture(scope="module")
def receiver():
    served = Receiver()
    yield served
    served.stop()


@pytest.fixture
def local(app, monkeypatch, receiver):
    """Deliveries to the test's own server on 127.0.0.1 allowed, as WEBHOOK_ALLOW_LOCAL=1 does;
    quick timeouts."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOCAL", True)
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1.0)
    receiver.reset()
    return receiver


def subscribe(client, url, events=EVENTS, **extra):
    return client.post(WEBHOOKS, json={"url": url, "events": events,
                                       "contact_email": "it-support@wmp.example", **extra})


@pytest.fixture
def subscription(police, local):
    response = subscribe(police, local.url)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliver():
    return webhooks.deliver_due()


def outbox(event=None):
    stmt = select(WebhookMessage).order_by(WebhookMessage.created_at, WebhookMessage.id)
    if event:
        stmt = stmt.where(WebhookMessage.event == event)
    return session.scalars(stmt).all()


# ---- subscribing ---------------------------------------------------------------------------------


def test_an_agency_subscribes_its_own_endpoint_and_sees_its_secret_once(police, local):
    response = subscribe(police, local.url)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["agency"] == "wmp" and body["events"] == EVENTS and body["active"] is True
    assert body["secret"].startswith("whsec_")
    assert response.headers["Location"].endswith(f"{WEBHOOKS}/{body['id']}")
    again = police.get(f"{WEBHOOKS}/{body['id']}").get_json()
    assert "secret" not in again and body["secret"] not in json.dumps(again)
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "webhook_subscription")).one()
    assert event.action == "webhook.subscribed" and body["secret"] not in event.data
    assert "whsec_" not in event.data


def test_every_write_to_a_subscription_is_audited_in_full_and_never_with_its_secret(
        police, local, auditor, clock):
    body = created(subscribe(police, local.url))
    clock.advance(minutes=5)
    rotated = police.post(f"{WEBHOOKS}/{body['id']}/secret", json={"reason": "Annual rotation."})
    assert rotated.status_code == 200, rotated.get_json()
    clock.advance(minutes=5)
    disabled = police.post(f"{WEBHOOKS}/{body['id']}/disable",
                           json={"reason": "Moving to a new case system."})
    assert disabled.status_code == 200, disabled.get_json()

    events = audit_events(auditor, body["id"])
    assert events == [
        ("webhook.subscribed", {
            "id": body["id"], "agency_code": "wmp", "url": local.url, "events": EVENTS,
            "contact_email": "it-support@wmp.example", "active": True,
            "created_at": "2026-11-20T10:00:00.000000Z", "created_by_sub": "wmp-case-system",
            "secret_rotated_at": None, "disabled_at": None, "disabled_by_sub": None}),
        ("webhook.secret_rotated", {
            "reason": "Annual rotation.", "rotated_at": "2026-11-20T10:05:00.000000Z"}),
        ("webhook.disabled", {
            "reason": "Moving to a new case system.", "disabled_at": "2026-11-20T10:10:00.000000Z"}),
    ]
    for secret in (body["secret"], rotated.get_json()["secret"]):
        assert secret not in json.dumps(events)


def test_an_agency_sees_only_its_own_subscriptions_and_an_admin_sees_all(police, local, api_as):
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-system")
    mine = subscribe(police, local.url).get_json()
    theirs = subscribe(school, local.url).get_json()

    assert [s["id"] for s in police.get(WEBHOOKS).get_json()["items"]] == [mine["id"]]
    assert_problem(police.get(f"{WEBHOOKS}/{theirs['id']}"), 404)
    admin = api_as("admin", sub="ops.admin")
    assert {s["id"] for s in admin.get(WEBHOOKS).get_json()["items"]} == {mine["id"], theirs["id"]}
    assert_problem(api_as("practitioner").get(WEBHOOKS), 403)


def test_the_list_filters_by_active_and_agency_and_pages_oldest_first(police, local, api_as, clock):
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-system")
    admin = api_as("admin", sub="ops.admin")
    first = created(subscribe(police, local.url))["id"]
    clock.advance(minutes=1)
    second = created(subscribe(school, local.url))["id"]
    clock.advance(minutes=1)
    third = created(subscribe(police, local.url))["id"]
    assert police.post(f"{WEBHOOKS}/{first}/disable", json={"reason": "Replaced."}).status_code == 200

    def listed(client, query):
        return item_ids(client.get(WEBHOOKS + query))

    page = admin.get(f"{WEBHOOKS}?limit=2").get_json()
    assert [s["id"] for s in page["items"]] == [first, second]
    rest = admin.get(f"{WEBHOOKS}?limit=2&cursor={page['next_cursor']}").get_json()
    assert ([s["id"] for s in rest["items"]], rest["next_cursor"]) == ([third], None)
    assert listed(admin, "?agency=oakfield-primary") == [second]
    assert listed(admin, "?active=false") == [first]
    assert listed(admin, "?active=true") == [second, third]
    assert listed(police, "?active=true") == [third]


@pytest.mark.parametrize("url, says", [
    ("http://partner.example/hook", "https"),
    ("https://127.0.0.1/hook", "not public"),
    ("https://10.1.2.3/hook", "not public"),
    ("https://192.168.0.10/hook", "not public"),
    ("https://169.254.169.254/latest/meta-data", "not public"),
    ("https://[::1]/hook", "not public"),
    ("https://localhost/hook", "not public"),
    ("https://user:pass@partner.example/hook", "user name"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
    ("ftp://partner.example/hook", "https"),
])
def test_a_url_that_is_not_https_to_a_public_address_is_refused(police, url, says):
    before = session.scalar(select(func.count()).select_from(AuditEvent))

    body = assert_problem(subscribe(police, url), 422, field="url")

    assert says in json.dumps(body)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_local_addresses_and_http_are_allowed_only_where_configured(police, local, app,
                                                                      monkeypatch):
    assert subscribe(police, local.url).status_code == 201
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOCAL", False)
    assert_problem(subscribe(police, local.url), 422, field="url")


def test_events_must_be_known_and_given(police, local):
    assert_problem(subscribe(police, local.url, events=[]), 422, field="events")
    assert_problem(subscribe(police, local.url, events=["contact.recorded"]), 422)


# ---- the outbox: in the change's own transaction ---------------------------------------------


def test_a_decision_on_an_agencys_contact_puts_its_notification_in_the_outbox(
        police, practitioner, subscription):
    contact = record_contact(police)
    assert outbox() == []

    decide(practitioner, contact["id"], "nfa")

    (message,) = outbox()
    assert (message.event, message.status, str(message.subscription_id)) == (
        "contact.decided", "pending", subscription["id"])
    assert message.id.startswith("msg_")


def test_a_decision_refused_leaves_no_notification(police, practitioner, subscription):
    contact = record_contact(police)

    refused = practitioner.post(f"{CONTACTS}/{contact['id']}/decisions",
                                json={"outcome": "nfa", "rationale": "too short"})

    assert refused.status_code == 422
    assert outbox() == []


def test_a_contact_phoned_in_by_staff_sends_the_agency_nothing(police, practitioner,
                                                                subscription):
    contact = record_contact(practitioner, source_agency="wmp", channel="phone")
    decide(practitioner, contact["id"], "nfa")

    assert outbox() == []


def test_only_the_events_subscribed_to_are_sent(police, practitioner, local, clock):
    subscribe(police, local.url, events=["contact.feedback_given"])
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    assert outbox() == []

    assert give_feedback(practitioner, contact["id"], feedback_body(clock)).status_code == 201

    assert [m.event for m in outbox()] == ["contact.feedback_given"]


def test_an_information_request_made_and_withdrawn_is_sent_to_the_agency_asked(
        police, practitioner, local, api_as):
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-system")
    subscribe(school, local.url)
    contact = record_contact(police)
    asked = created(practitioner.post(f"{CONTACTS}/{contact['id']}/information-requests", json={
        "agency": "oakfield-primary", "question": "Has Amelia been absent this term, and why?",
        "child_ids": [contact["children"][0]["id"]]}))
    withdrawn = practitioner.post(f"/api/v1/information-requests/{asked['id']}/withdrawal",
                                  json={"reason": "The police have since told us."})
    assert withdrawn.status_code == 201, withdrawn.get_json()

    assert [m.event for m in outbox()] == ["information_request.created",
                                           "information_request.withdrawn"]
    data = json.loads(outbox()[0].payload)["data"]["information_request"]
    # What the school's own GET shows it: the same fields, nothing of the staff's.
    assert data == school.get(f"/api/v1/information-requests/{asked['id']}").get_json() | {
        "status": "open", "withdrawn_at": None}
    assert "requested_by" not in data and "contact_id" not in data


# ---- delivery ---------------------------------------------------------------------------------------


def test_a_notification_is_posted_signed_and_says_what_the_agencys_get_shows(
        police, practitioner, subscription, local):
    contact = record_contact(police)
    decide(practitioner, contact["id"], "information_advice")

    assert deliver() == 1

    (request,) = local.received
    assert request["path"] == "/mash/events"
    # The signature verifies with the secret the agency was shown (Standard Webhooks).
    body = Webhook(subscription["secret"]).verify(request["body"], request["headers"])
    assert request["headers"]["webhook-id"] == outbox()[0].id
    assert body["type"] == "contact.decided"
    assert body["data"]["contact"] == police.get(f"{CONTACTS}/{contact['id']}").get_json()
    assert "rationale" not in json.dumps(body)
    assert outbox()[0].status == "delivered"


def test_a_signature_made_with_another_secret_does_not_verify(police, practitioner,
                                                              subscription, local):
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    deliver()

    (request,) = local.received
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(request["body"], request["headers"])


def test_a_receiver_that_fails_twice_gets_the_event_three_times_with_the_same_id(
        police, practitioner, subscription, local, clock):
    local.answers = [500, 503]
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")

    for _ in range(3):
        deliver()
        clock.advance(hours=2)  # past any backoff

    ids = [request["headers"]["webhook-id"] for request in local.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    (message,) = outbox()
    assert (message.status, message.attempts, message.last_status_code) == ("delivered", 3, 204)
    log = police.get(DELIVERIES).get_json()["items"][0]
    assert [a["status_code"] for a in log["attempt_log"]] == [500, 503, 204]


def test_a_retry_waits_for_its_backoff(police, practitioner, subscription, local, clock):
    local.answers = [500]
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    deliver()

    assert deliver() == 0  # not due yet
    (message,) = outbox()
    assert message.next_attempt_at > clock()
    clock.set(message.next_attempt_at)
    assert deliver() == 1


def test_a_receiver_that_hangs_meets_the_timeout_and_is_tried_again(
        police, practitioner, subscription, local, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    local.hang_seconds = 2
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")

    deliver()

    (message,) = outbox()
    assert message.status == "pending" and message.attempts == 1
    assert message.last_status_code is None and "timed out" in message.last_error


def test_after_the_retry_window_a_message_fails_and_the_log_names_the_agencys_contact(
        police, practitioner, subscription, local, clock, api_as):
    local.answers = [500] * 100
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")

    for _ in range(60):
        deliver()
        clock.advance(hours=2)

    (message,) = outbox()
    assert message.status == "failed"
    assert message.failed_at - message.created_at <= timedelta(hours=72)
    entry = api_as("admin", sub="ops.admin").get(f"{DELIVERIES}?status=failed").get_json()
    assert entry["items"][0]["contact_email"] == "it-support@wmp.example"


def test_an_https_only_server_refuses_to_post_to_http(police, practitioner, subscription,
                                                        local, app, monkeypatch):
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOCAL", False)

    deliver()

    assert local.received == []
    (message,) = outbox()
    assert "refused" in message.last_error and "https" in message.last_error


def test_a_disabled_subscription_is_sent_nothing_more(police, practitioner, subscription, local):
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    disabled = police.post(f"{WEBHOOKS}/{subscription['id']}/disable",
                           json={"reason": "Moving to a new case system."})
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False

    deliver()
    other = record_contact(police, source_reference="WMP-2")
    decide(practitioner, other["id"], "nfa")

    assert local.received == []
    assert [m.status for m in outbox()] == ["failed"]
    assert "disabled" in outbox()[0].last_error


def test_a_rotated_secret_signs_what_is_sent_from_then_on(police, practitioner, subscription,
                                                          local):
    rotated = police.post(f"{WEBHOOKS}/{subscription['id']}/secret",
                          json={"reason": "Annual rotation."})
    assert rotated.status_code == 200, rotated.get_json()
    new_secret = rotated.get_json()["secret"]
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    deliver()

    (request,) = local.received
    Webhook(new_secret).verify(request["body"], request["headers"])
    with pytest.raises(Exception):
        Webhook(subscription["secret"]).verify(request["body"], request["headers"])


def test_the_delivery_log_is_the_agencys_own(police, practitioner, subscription, local, api_as):
    contact = record_contact(police)
    decide(practitioner, contact["id"], "nfa")
    deliver()
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-system")

    mine = police.get(DELIVERIES).get_json()["items"]
    assert [(m["event"], m["status"], m["attempts"]) for m in mine] == [
        ("contact.decided", "delivered", 1)]
    assert school.get(DELIVERIES).get_json()["items"] == []
    assert len(api_as("admin", sub="ops.admin").get(DELIVERIES).get_json()["items"]) == 1


def test_the_delivery_log_shows_each_message_whole_and_filters_and_pages_newest_first(
        police, practitioner, subscription, local, clock):
    local.answers = [500]
    first = record_contact(police)
    decide(practitioner, first["id"], "nfa")
    deliver()
    clock.advance(hours=2)  # past the backoff: the second attempt is answered 204
    deliver()
    clock.advance(minutes=5)
    second = record_contact(police, source_reference="WMP-2")
    decide(practitioner, second["id"], "nfa")  # pending: not tried yet

    older, newer = outbox()
    attempts = session.scalars(select(WebhookAttempt).where(
        WebhookAttempt.message_id == older.id).order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [500, 204]
    entry = police.get(f"{DELIVERIES}?status=delivered").get_json()["items"]
    assert entry == [{
        "id": older.id, "event": "contact.decided", "subscription_id": subscription["id"],
        "agency": "wmp", "url": local.url, "status": "delivered",
        "created_at": iso(older.created_at), "attempts": 2, "next_attempt_at": None,
        "delivered_at": iso(older.delivered_at), "failed_at": None, "last_status_code": 204,
        "last_error": older.last_error, "contact_email": None,
        "attempt_log": [{"at": iso(a.attempted_at), "status_code": a.status_code,
                         "error": a.error, "duration_ms": a.duration_ms} for a in attempts]}]

    def listed(query):
        return item_ids(police.get(DELIVERIES + query))

    page = police.get(f"{DELIVERIES}?limit=1").get_json()
    assert [m["id"] for m in page["items"]] == [newer.id]
    rest = police.get(f"{DELIVERIES}?limit=1&cursor={page['next_cursor']}").get_json()
    assert [m["id"] for m in rest["items"]] == [older.id]
    assert listed("?status=pending") == [newer.id]
    assert listed(f"?subscription_id={subscription['id']}&event=contact.decided") == [
        newer.id, older.id]
    assert listed("?event=contact.feedback_given") == []


def test_the_delivery_log_pages_through_messages_of_one_instant_each_once(
        police, practitioner, subscription, local, clock):
    created(subscribe(police, local.url))  # a second endpoint: each decision makes two messages
    for n in (1, 2):
        clock.advance(hours=1)  # the messages made later than the subscriptions
        decide(practitioner, record_contact(police, source_reference=f"WMP-{n}")["id"], "nfa")

    seen, _ = walk_pages(police, DELIVERIES, max_pages=6, limit=1)
    assert sorted(m["id"] for m in seen) == sorted(m.id for m in outbox())
    assert [m["created_at"] for m in seen] == sorted((m["created_at"] for m in seen), reverse=True)
    first_endpoints = [m.id for m in outbox() if str(m.subscription_id) == subscription["id"]]
    assert len(first_endpoints) == 2
    assert sorted(item_ids(police.get(f"{DELIVERIES}?subscription_id={subscription['id']}"))) == \
        sorted(first_endpoints)


def test_a_subscription_as_api_md_names_it_url_and_events_is_enough(police, local):
    response = police.post(WEBHOOKS, json={"url": local.url, "events": ["contact.decided"]})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["contact_email"] is None


def test_a_development_machine_gets_a_secrets_key_made_once_and_production_must_give_one(
        tmp_path, police, app, monkeypatch):
    from api import create_app
    from api.config import TestConfig

    def configured(**values):
        return type("C", (TestConfig,), {"DATABASE_URL": "sqlite://", "ACCESS_SEAL_SECONDS": 0,
                                         "INSTANCE_DIR": tmp_path, **values})

    development = create_app(configured(WEBHOOK_SECRETS_KEY=None, JWT_GENERATE_KEYS=True))
    again = create_app(configured(WEBHOOK_SECRETS_KEY=None, JWT_GENERATE_KEYS=True))
    with development.app_context():
        sealed = webhooks.seal("whsec_x")
    with again.app_context():
        assert webhooks.unseal(sealed) == "whsec_x"  # the same key, made once
    assert (tmp_path / "webhook-secrets.key").stat().st_mode & 0o777 == 0o600

    # The session's app without a key: subscribing says so (the operators' to fix: 503, not the
    # client's 422), and nothing is written.
    monkeypatch.setitem(app.extensions, webhooks.EXTENSION, None)
    body = assert_problem(subscribe(police, "https://93.184.216.34/hook"), 503,
                          slug="not-configured")
    assert "WEBHOOK_SECRETS_KEY" in body["detail"]
    assert police.get(WEBHOOKS).json["items"] == []
