"""GET /decisions: current threshold decisions, oldest decided first; with approval=pending, the
managers' sign-off inbox. Filters, pages, who may read it, and what it never lists."""

import pytest

from tests.helpers import (
    approve, assert_problem, created, decide, decided, field_errors, make_account, read,
    record_contact, walk_pages,
)

DECISIONS = "/api/v1/decisions"
REASON = "The child's aunt works in the MASH; only the named worker may see the record."


def listed(client, **query):
    return [item["id"] for item in read(client, f"{DECISIONS}?" + "&".join(
        f"{name}={value}" for name, value in query.items()))["items"]]


def contact_decided(client, police, decided_at, outcome="nfa", received_at="2026-11-19T08:00:00Z",
                    **contact):
    made = record_contact(police, received_at=received_at, **contact)
    return made, decide(client, made["id"], outcome, decided_at)


def test_the_inbox_lists_decisions_awaiting_sign_off_oldest_decided_first(staff):
    _, later = contact_decided(staff.mash, staff.agency, "2026-11-20T09:00:00Z")
    contact, earlier = contact_decided(staff.mash, staff.agency, "2026-11-19T15:00:00Z")
    _, signed = contact_decided(staff.mash, staff.agency, "2026-11-19T12:00:00Z")
    assert approve(staff.mash_manager, signed["id"]).status_code == 201

    page = read(staff.mash_manager, f"{DECISIONS}?approval=pending")
    assert [item["id"] for item in page["items"]] == [earlier["id"], later["id"]]
    first = page["items"][0]
    assert first["contact_id"] == contact["id"]
    assert first["contact_reference"] == contact["reference"]
    assert first["outcome"] == "nfa"
    assert first["decided_at"] == "2026-11-19T15:00:00Z"
    assert first["decided_by"] == "priya"
    assert first["decided_by_service"] == "mash"
    assert first["rationale"] == earlier["rationale"]
    assert first["approval"] is None
    assert page["next_cursor"] is None

    given = read(staff.mash_manager, f"{DECISIONS}?approval=given")["items"]
    assert [item["id"] for item in given] == [signed["id"]]
    assert given[0]["approval"]["approved_by"] == "mark"
    assert listed(staff.auditor) == [signed["id"], earlier["id"], later["id"]]


def test_a_superseded_decision_is_not_listed_and_its_replacement_is(staff):
    contact, first = contact_decided(staff.mash, staff.agency, "2026-11-20T08:30:00Z")
    second = decided(staff.mash, contact["id"], outcome="information_advice",
                     decided_at="2026-11-20T09:00:00Z", supersedes=first["id"],
                     supersede_reason="The school called back with more information.")
    assert listed(staff.mash_manager, approval="pending") == [second["id"]]
    assert listed(staff.auditor) == [second["id"]]
    # A signed-off decision that is later superseded leaves the signed-off list too.
    assert approve(staff.mash_manager, second["id"]).status_code == 201
    third = decided(staff.mash, contact["id"], outcome="nfa", decided_at="2026-11-20T09:30:00Z",
                    supersedes=second["id"], supersede_reason="The family has moved away.")
    assert listed(staff.mash_manager, approval="given") == []
    assert listed(staff.mash_manager, approval="pending") == [third["id"]]


def test_the_inbox_filters_by_the_deciders_service_and_a_period_of_london_dates(staff):
    _, mash = contact_decided(staff.mash, staff.agency, "2026-11-18T23:30:00Z",  # 18th in London
                              received_at="2026-11-18T08:00:00Z")
    _, social_care = contact_decided(staff.sc, staff.agency, "2026-11-19T00:30:00Z",
                                     outcome="assessment", consent={"status": "given",
                                                                    "given_by": "Mother"},
                                     received_at="2026-11-18T08:00:00Z")
    assert listed(staff.mash_manager, service="mash") == [mash["id"]]
    assert listed(staff.mash_manager, service="social_care") == [social_care["id"]]
    assert listed(staff.mash_manager, service="early_help") == []
    assert listed(staff.mash_manager, **{"from": "2026-11-19"}) == [social_care["id"]]
    assert listed(staff.mash_manager, to="2026-11-19") == [mash["id"]]
    assert listed(staff.mash_manager, **{"from": "2026-11-18", "to": "2026-11-20"}) == [
        mash["id"], social_care["id"]]
    assert listed(staff.mash_manager, **{"from": "2026-11-18", "to": "2026-11-19"},
                  service="social_care") == []


def test_a_decision_at_london_midnight_belongs_to_the_day_it_starts(staff):
    # 23:00 UTC on 30 June is midnight starting 1 July in London (BST): `from` takes it in and
    # `to` (exclusive) leaves it out, for the London date, not the UTC one.
    _, midnight = contact_decided(staff.mash, staff.agency, "2026-06-30T23:00:00Z",
                                  received_at="2026-06-30T08:00:00Z")
    _, before = contact_decided(staff.mash, staff.agency, "2026-06-30T22:59:59Z",
                                received_at="2026-06-30T08:00:00Z")
    assert listed(staff.mash_manager, **{"from": "2026-07-01"}) == [midnight["id"]]
    assert listed(staff.mash_manager, to="2026-07-01") == [before["id"]]
    assert listed(staff.mash_manager, **{"from": "2026-06-30", "to": "2026-07-02"}) == [
        before["id"], midnight["id"]]


def test_the_inbox_is_paged_by_cursor_without_repeating_or_losing_a_decision(staff):
    made = [contact_decided(staff.mash, staff.agency, f"2026-11-19T1{hour}:00:00Z")[1]["id"]
            for hour in range(5)]
    first = read(staff.mash_manager, f"{DECISIONS}?approval=pending&limit=2")
    assert [item["id"] for item in first["items"]] == made[:2]
    assert first["next_cursor"]
    items, pages = walk_pages(staff.mash_manager, DECISIONS, approval="pending", limit=2)
    assert [item["id"] for item in items] == made
    assert pages == 3


@pytest.mark.parametrize("query, field", [
    ("approval=waiting", "approval"),
    ("service=police", "service"),
    ("from=2026-13-01", "from"),
    ("to=yesterday", "to"),
    ("from=2026-11-20&to=2026-11-20", "to"),
    ("limit=0", "limit"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_a_bad_filter_is_refused_naming_the_field(staff, query, field):
    assert field in field_errors(staff.mash_manager.get(f"{DECISIONS}?{query}"))


@pytest.mark.parametrize("who", ["mash", "mash_manager", "sc_manager", "auditor"])
def test_case_readers_may_read_it(staff, who):
    _, decision = contact_decided(staff.mash, staff.agency, "2026-11-20T09:00:00Z")
    assert listed(getattr(staff, who), approval="pending") == [decision["id"]]


@pytest.mark.parametrize("who", ["agency", "admin"])
def test_partners_and_admins_may_not(staff, who):
    assert_problem(getattr(staff, who).get(f"{DECISIONS}?approval=pending"), 403)


def test_a_restricted_contacts_decision_is_hidden_from_those_it_is_hidden_from(staff):
    make_account("priya", "person", "practitioner", service="mash")
    contact, hidden = contact_decided(staff.mash, staff.agency, "2026-11-19T09:00:00Z")
    _, open_decision = contact_decided(staff.mash, staff.agency, "2026-11-20T09:00:00Z")
    created(staff.mash_manager.post("/api/v1/restrictions", json={
        "entity_type": "contact", "entity_id": contact["id"], "allowed": ["priya"],
        "reason": REASON}))
    assert listed(staff.sc_manager, approval="pending") == [open_decision["id"]]
    assert listed(staff.eh) == [open_decision["id"]]
    # The manager who set it, the practitioner it names and auditors still see it.
    for who in (staff.mash_manager, staff.mash, staff.auditor):
        assert listed(who, approval="pending") == [hidden["id"], open_decision["id"]]


def test_a_restricted_childs_decisions_are_hidden_too(staff):
    make_account("priya", "person", "practitioner", service="mash")
    contact, hidden = contact_decided(staff.mash, staff.agency, "2026-11-19T09:00:00Z")
    created(staff.mash_manager.post("/api/v1/restrictions", json={
        "entity_type": "child", "entity_id": contact["children"][0]["id"], "allowed": ["priya"],
        "reason": REASON}))
    assert listed(staff.sc_manager, approval="pending") == []
    assert listed(staff.mash, approval="pending") == [hidden["id"]]


def test_reading_the_inbox_is_in_the_access_log_as_a_read_of_each_contact_shown(staff):
    contact, _ = contact_decided(staff.mash, staff.agency, "2026-11-19T09:00:00Z")
    read(staff.mash_manager, f"{DECISIONS}?approval=pending")
    events = read(staff.auditor, f"/api/v1/audit/access?entity_id={contact['id']}")["items"]
    inbox = [event for event in events if event["endpoint"] == "decisions.list_current_decisions"]
    assert len(inbox) == 1
    assert inbox[0]["actor"]["sub"] == "mark"
    assert inbox[0]["entity_type"] == "contact"
    assert contact["id"] in inbox[0]["record_ids"]
    child_id = contact["children"][0]["id"]
    by_child = read(staff.auditor, f"/api/v1/audit/access?entity_id={child_id}")["items"]
    assert any(event["endpoint"] == "decisions.list_current_decisions" for event in by_child)
