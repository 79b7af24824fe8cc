"""What a form convening a strategy meeting needs from a contact: who must be invited (or left
out with a reason), and the meetings already convened on it (the list filtered by contact_id)."""

import uuid

from tests.helpers import (
    MEETINGS, assert_problem, convene, early_help_case, item_ids, strategy_case, utc,
)


def invitees(client, contact_id):
    return client.get(f"/api/v1/contacts/{contact_id}/strategy-meeting-invitees")


def test_a_police_contact_must_invite_police_health_and_the_police_force_itself(practitioner, case):
    answer = invitees(practitioner, case.contact_id)
    assert answer.status_code == 200, answer.json
    assert answer.json["contact_id"] == case.contact_id
    assert answer.json["children"] == case.child_ids
    assert answer.json["required"] == [
        {"key": "police", "is_kind": True, "description": "a police agency", "usual_agency": None},
        {"key": "health", "is_kind": True, "description": "a health agency", "usual_agency": None},
        {"key": "wmp", "is_kind": False, "description": "the referring agency (West Midlands Police)",
         "usual_agency": None},
    ]


def test_the_usual_agency_of_a_kind_is_the_one_invited_to_most_meetings(practitioner, clock):
    clock.set(utc("2026-11-20T10:00:00Z"))
    cases = [strategy_case(practitioner, decided_at="2026-11-20T08:30:00Z") for _ in range(3)]
    convene(practitioner, cases[0], invited=[{"agency": "btp"}, {"agency": "camhs"},
                                             {"agency": "wmp"}])
    convene(practitioner, cases[1], invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"}])
    usual = {item["key"]: item["usual_agency"]
             for item in invitees(practitioner, cases[2].contact_id).json["required"]}
    # wmp twice; camhs and hilltop-gp once each: the first by code.
    assert usual == {"police": "wmp", "health": "camhs", "wmp": None}


def test_what_it_says_is_what_convening_requires(practitioner, case):
    required = {item["key"] for item in invitees(practitioner, case.contact_id).json["required"]}
    meeting = convene(practitioner, case)
    assert set(meeting["required_invitees"]) == required


def test_a_child_open_to_early_help_adds_early_help(practitioner, case):
    early_help_case(practitioner, received_at="2026-11-20T08:40:00Z",
                    decided_at="2026-11-20T08:50:00Z")
    required = invitees(practitioner, case.contact_id).json["required"]
    assert {"key": "early_help", "is_kind": True, "usual_agency": None,
            "description": "early help (a child is open to early help)"} in required


def test_an_unknown_contact_is_404_and_an_auditor_may_not_ask(practitioner, auditor, case):
    assert_problem(invitees(practitioner, uuid.uuid4()), 404)
    assert invitees(auditor, case.contact_id).status_code == 403


def test_meetings_are_listed_for_one_contact(practitioner, auditor, clock):
    clock.set(utc("2026-11-20T10:00:00Z"))
    first = strategy_case(practitioner, decided_at="2026-11-20T08:30:00Z")
    second = strategy_case(practitioner, decided_at="2026-11-20T08:30:00Z")
    mine = convene(practitioner, first)["id"]
    theirs = convene(practitioner, second)["id"]
    assert item_ids(auditor.get(f"{MEETINGS}?contact_id={first.contact_id}")) == [mine]
    assert item_ids(auditor.get(f"{MEETINGS}?contact_id={second.contact_id}")) == [theirs]
    assert item_ids(auditor.get(f"{MEETINGS}?contact_id={uuid.uuid4()}")) == []
    assert_problem(auditor.get(f"{MEETINGS}?contact_id=not-an-id"), 422, "contact_id")


def test_a_configured_kind_is_described_as_a_form_would_say_it(practitioner, case, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRATEGY_REQUIRED_KINDS", ["education", "youth_justice"])
    required = invitees(practitioner, case.contact_id).json["required"]
    assert [(item["key"], item["description"]) for item in required] == [
        ("education", "an education agency"), ("youth_justice", "a youth_justice agency"),
        ("wmp", "the referring agency (West Midlands Police)")]
