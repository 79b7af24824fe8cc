"""POST /api/v1/contacts/{id}/consent: who may record a consent change, the history kept with who
and when, the rules a change must meet, and If-Match."""

import uuid

import pytest

from tests.helpers import (
    CONTACTS, assert_problem, consent_url, forget_loaded_records, listed_contact_ids,
    record_contact,
)


@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_staff_may_record_a_consent_change(api_as, police, role):
    contact_id = record_contact(police)["id"]

    response = api_as(role).post(consent_url(contact_id), json={"status": "given", "given_by": "Mother"})

    assert response.status_code == 201, response.json
    assert response.json["consent"]["status"] == "given"
    assert response.headers["Location"].endswith(f"{CONTACTS}/{contact_id}")


@pytest.mark.parametrize("role", ["agency", "auditor", "admin"])
def test_others_may_not_record_a_consent_change(api_as, police, practitioner, role):
    contact_id = record_contact(police)["id"]

    response = api_as(role).post(consent_url(contact_id), json={"status": "given"})

    assert_problem(response, 403)
    forget_loaded_records()
    assert len(practitioner.get(f"{CONTACTS}/{contact_id}").json["consent_history"]) == 1


def test_recording_consent_without_a_token_is_unauthorised(anonymous, police):
    contact_id = record_contact(police)["id"]

    assert_problem(anonymous.post(consent_url(contact_id), json={"status": "given"}), 401)


def test_every_consent_change_is_kept_with_who_and_when(api_as, clock, police):
    contact_id = record_contact(police)["id"]
    clock.advance(hours=2)
    api_as("practitioner", sub="mash.worker").post(
        consent_url(contact_id), json={"status": "refused", "given_by": "Father",
                                       "reason": "Father refused on the phone."})
    clock.advance(hours=3)
    api_as("manager", sub="mash.manager").post(
        consent_url(contact_id), json={"status": "overridden",
                                       "reason": "Risk of significant harm; DPA 2018 sch. 1 para 18."})

    forget_loaded_records()
    contact = api_as("auditor").get(f"{CONTACTS}/{contact_id}").json

    assert [(c["status"], c["recorded_by"], c["recorded_at"]) for c in contact["consent_history"]] == [
        ("not_sought", "wmp-case-system", "2026-11-20T10:00:00Z"),
        ("refused", "mash.worker", "2026-11-20T12:00:00Z"),
        ("overridden", "mash.manager", "2026-11-20T15:00:00Z"),
    ]
    assert contact["consent_history"][1]["given_by"] == "Father"
    assert contact["consent_history"][1]["reason"] == "Father refused on the phone."
    assert contact["consent"] == {
        "status": "overridden", "given_by": None,
        "reason": "Risk of significant harm; DPA 2018 sch. 1 para 18.",
    }
    # The referrer sees the consent as it sent it, never what the MASH recorded after.
    assert police.get(f"{CONTACTS}/{contact_id}").json["consent"] == {
        "status": "not_sought", "given_by": None,
        "reason": "Police protection notification; consent would increase risk."}


def test_a_consent_change_is_written_to_the_audit_trail(api_as, police, practitioner):
    contact_id = record_contact(police)["id"]
    practitioner.post(consent_url(contact_id), json={"status": "given", "given_by": "Mother"})

    events = api_as("auditor").get(f"/api/v1/audit/events?entity_type=contact&entity_id={contact_id}")

    assert [e["action"] for e in events.json["items"]] == ["contact.recorded", "contact.consent_recorded"]
    assert events.json["items"][1]["actor"]["sub"] == "priya"
    assert events.json["items"][1]["data"]["status"] == "given"


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_a_consent_change_other_than_given_without_a_reason_is_rejected(police, practitioner, status):
    contact_id = record_contact(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": status, "given_by": "Mother"})

    assert_problem(response, 422, "reason")
    forget_loaded_records()
    assert len(practitioner.get(f"{CONTACTS}/{contact_id}").json["consent_history"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "status"), ({"status": "yes"}, "status"), ({"status": "given", "mood": "calm"}, "mood")],
)
def test_a_malformed_consent_change_is_rejected(police, practitioner, body, field):
    contact_id = record_contact(police)["id"]

    assert_problem(practitioner.post(consent_url(contact_id), json=body), 422, field)


def test_a_consent_change_for_an_unknown_contact_is_not_found(practitioner):
    assert_problem(practitioner.post(consent_url(uuid.uuid4()), json={"status": "given"}), 404)


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_consent_never_blocks_recording_a_contact(practitioner, status):
    reason = f"Consent {status}: recorded under DPA 2018 sch. 1 para 18."

    contact = record_contact(practitioner, consent={"status": status, "reason": reason})

    assert contact["status"] == "awaiting_decision"
    assert contact["consent"]["status"] == status
    assert contact["consent"]["reason"] == reason
    assert listed_contact_ids(practitioner) == [contact["id"]]


def test_a_consent_change_with_the_current_etag_is_recorded(police, practitioner):
    contact_id = record_contact(police)["id"]
    etag = practitioner.get(f"{CONTACTS}/{contact_id}").headers["ETag"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"},
                                 headers={"If-Match": etag})

    assert response.status_code == 201, response.json
    assert response.json["consent"]["status"] == "given"


def test_a_consent_change_with_a_stale_etag_is_refused(clock, police, practitioner):
    contact_id = record_contact(police)["id"]
    stale = practitioner.get(f"{CONTACTS}/{contact_id}").headers["ETag"]
    clock.advance(minutes=5)
    changed = practitioner.post(consent_url(contact_id), json={"status": "given"})
    assert changed.status_code == 201

    response = practitioner.post(consent_url(contact_id), headers={"If-Match": stale},
                                 json={"status": "refused", "reason": "Changed their mind."})

    assert_problem(response, 412)
    forget_loaded_records()
    read = practitioner.get(f"{CONTACTS}/{contact_id}")
    assert read.headers["ETag"] != stale
    assert [c["status"] for c in read.json["consent_history"]] == ["not_sought", "given"]


def test_a_consent_change_with_an_etag_of_nothing_read_is_refused(police, practitioner):
    contact_id = record_contact(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"},
                                 headers={"If-Match": '"not-an-etag-we-gave-out"'})

    assert_problem(response, 412)


def test_a_consent_change_without_if_match_is_recorded(police, practitioner):
    contact_id = record_contact(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"})

    assert response.status_code == 201
    assert [c["status"] for c in response.json["consent_history"]] == ["not_sought", "given"]
