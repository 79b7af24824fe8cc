"""Chronologies: one per contact and one per child, every event in the order it happened."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import (
    MEETING_RATIONALE, StatementCounter, assert_problem, child, convene_at, created, decide, iso,
    new_nhs_number, read, record_contact, respond, step_down, step_up, utc, withdraw,
)


ITEM_KEYS = {"at", "kind", "summary", "by", "ref", "contact_id"}


def hold(client, meeting_id, held_at, **extra):
    return created(client.post(f"/api/v1/strategy-meetings/{meeting_id}/outcome", json={
        "held_at": iso(held_at),
        "attendance": [{"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
                       {"agency": "hilltop-gp", "attended": True, "name": "Dr Shah", "role": "GP"}],
        "outcome": "s47_enquiry", "rationale": MEETING_RATIONALE,
        "medical_examination": {"decision": "required"}, **extra,
    }))


def history(client, contact_id):
    return read(client, f"/api/v1/contacts/{contact_id}/history")["items"]


def chronology(client, child_id):
    return read(client, f"/api/v1/children/{child_id}/chronology")["items"]


def rows(items):
    """(at, kind, by, ref type, ref id) of each item."""
    return [(item["at"], item["kind"], item["by"], item["ref"]["type"], item["ref"]["id"])
            for item in items]


def assert_well_formed(items):
    for item in items:
        assert set(item) == ITEM_KEYS, item
        assert set(item["ref"]) == {"type", "id"}, item
        assert item["at"].endswith("Z"), item
        assert isinstance(item["summary"], str) and item["summary"].strip(), item
    instants = [utc(item["at"]) for item in items]
    assert instants == sorted(instants), "not oldest first"


# ---- a contact's history ------------------------------------------------------------------


def test_a_contacts_history_lists_every_event_about_it_in_the_order_it_happened(
        staff, police, clock):
    day = datetime(2026, 11, 20, tzinfo=UTC)
    clock.set(day.replace(hour=8))
    contact = record_contact(police, received_at=iso(day.replace(hour=7, minute=30)),
                             children=[child("Amelia", new_nhs_number())])
    contact_id, child_id = contact["id"], contact["children"][0]["id"]

    clock.set(day.replace(hour=8, minute=20))
    created(staff.mash.post(f"/api/v1/contacts/{contact_id}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    clock.set(day.replace(hour=8, minute=40))
    decision = decide(staff.mash, contact_id, "strategy_discussion")
    clock.set(day.replace(hour=9))
    created(staff.mash_manager.post(f"/api/v1/decisions/{decision['id']}/approval", json={"note": "Agreed."}))
    clock.set(day.replace(hour=9, minute=30))  # recorded after the approval, given before it
    feedback = created(staff.mash.post(f"/api/v1/contacts/{contact_id}/feedback", json={
        "given_at": iso(day.replace(hour=8, minute=50)), "method": "phone",
        "summary": "Told PC Doe a strategy discussion is being convened."}))
    clock.set(day.replace(hour=9, minute=40))
    meeting = convene_at(staff.mash, contact_id, [child_id], day.replace(hour=9, minute=35))
    clock.set(day.replace(hour=12))
    hold(staff.sc, meeting["id"], day.replace(hour=10, minute=35))
    clock.set(day.replace(hour=13))
    created(staff.sc.post(f"/api/v1/strategy-meetings/{meeting['id']}/minutes",
                          json={"minutes_recorded_at": iso(day.replace(hour=12, minute=30))}))

    items = history(staff.auditor, contact_id)
    assert_well_formed(items)
    assert rows(items) == [
        ("2026-11-20T07:30:00Z", "contact_received", "wmp-case-system", "contact", contact_id),
        ("2026-11-20T08:00:00Z", "consent_recorded", "wmp-case-system", "contact", contact_id),
        ("2026-11-20T08:20:00Z", "consent_recorded", "priya", "contact", contact_id),
        ("2026-11-20T08:40:00Z", "decision_recorded", "priya", "decision", decision["id"]),
        ("2026-11-20T08:50:00Z", "feedback_given", "priya", "feedback", feedback["id"]),
        ("2026-11-20T09:00:00Z", "decision_approved", "mark", "decision", decision["id"]),
        ("2026-11-20T09:35:00Z", "strategy_meeting_convened", "priya", "strategy_meeting", meeting["id"]),
        ("2026-11-20T10:35:00Z", "strategy_meeting_held", "sam", "strategy_meeting", meeting["id"]),
        ("2026-11-20T12:30:00Z", "strategy_meeting_minutes_recorded", "sam", "strategy_meeting",
         meeting["id"]),
    ]
    assert {item["contact_id"] for item in items} == {contact_id}
    summaries = {item["kind"]: item["summary"] for item in items}
    assert contact["reference"] in summaries["contact_received"]
    assert "overridden" in items[2]["summary"]
    assert "strategy_discussion" in summaries["decision_recorded"]
    assert "phone" in summaries["feedback_given"]
    assert meeting["reference"] in summaries["strategy_meeting_convened"]
    assert "s47_enquiry" in summaries["strategy_meeting_held"]


def test_a_contacts_history_leaves_out_other_contacts(staff, police, clock):
    mine = record_contact(police, received_at=iso(clock() - timedelta(hours=1)),
                          children=[child("Amelia", new_nhs_number())])
    other = record_contact(police, received_at=iso(clock() - timedelta(minutes=50)),
                           children=[child("Ben", new_nhs_number())])
    clock.advance(minutes=5)
    decide(staff.mash, other["id"], "nfa")
    created(staff.mash.post(f"/api/v1/contacts/{other['id']}/consent", json={"status": "given",
                                                                       "given_by": "Father"}))
    items = history(staff.auditor, mine["id"])
    assert [item["kind"] for item in items] == ["contact_received", "consent_recorded"]
    assert {item["ref"]["id"] for item in items} == {mine["id"]}


def test_events_at_the_same_instant_keep_the_order_things_happen_in_a_case(staff, clock):
    contact = record_contact(staff.mash, received_at=iso(clock()),
                             children=[child("Amelia", new_nhs_number())],
                             consent={"status": "given", "given_by": "Mother"})
    decision = decide(staff.mash, contact["id"], "early_help")
    created(staff.mash_manager.post(f"/api/v1/decisions/{decision['id']}/approval", json={}))
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/feedback", json={
        "given_at": iso(clock()), "method": "phone", "summary": "Passed to early help."}))
    up = created(step_up(staff.eh, contact["children"][0]["id"], requested_at=iso(clock())))
    created(respond(staff.sc_manager, up["id"], "refused"))
    expected = ["contact_received", "consent_recorded", "decision_recorded", "decision_approved",
                "feedback_given", "transition_requested", "transition_refused"]
    items = chronology(staff.auditor, contact["children"][0]["id"])
    assert {item["at"] for item in items} == {iso(clock())}
    assert [item["kind"] for item in items] == expected
    assert [item["kind"] for item in history(staff.auditor, contact["id"])] == expected[:5]


def test_a_superseded_decision_stays_in_the_history(staff, clock):
    contact = record_contact(staff.mash, received_at=iso(clock() - timedelta(hours=1)),
                             children=[child("Amelia", new_nhs_number())])
    first = decide(staff.mash, contact["id"], "nfa")
    clock.advance(minutes=30)
    second = decide(staff.mash, contact["id"], "strategy_discussion", supersedes=first["id"],
                    supersede_reason="Police shared a previous conviction for violence.")
    decided = [(item["ref"]["id"], item["summary"]) for item in history(staff.auditor, contact["id"])
               if item["kind"] == "decision_recorded"]
    assert [ref for ref, _ in decided] == [first["id"], second["id"]]
    assert "supersedes" in decided[1][1]


# ---- a child's chronology -----------------------------------------------------------------


def test_a_childs_chronology_spans_its_contacts_meetings_and_transitions(staff, police, clock):
    amelia_nhs, ben_nhs = new_nhs_number(), new_nhs_number()
    day = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday

    # Contact 1 (police) about Amelia and her brother Ben: s47, meeting about Amelia only.
    clock.set(day.replace(hour=9))
    first = record_contact(police, received_at=iso(day.replace(hour=8)),
                           children=[child("Amelia", amelia_nhs), child("Ben", ben_nhs)])
    amelia, ben = first["children"][0]["id"], first["children"][1]["id"]
    clock.set(day.replace(hour=10))
    decision = decide(staff.mash, first["id"], "strategy_discussion")
    clock.set(day.replace(hour=11))
    created(staff.mash_manager.post(f"/api/v1/decisions/{decision['id']}/approval", json={}))
    meeting = convene_at(staff.mash, first["id"], [amelia], day.replace(hour=10, minute=30))
    clock.set(day.replace(hour=14))
    hold(staff.sc, meeting["id"], day.replace(hour=13))

    # Ten days later: a step-down, accepted.
    clock.set(day + timedelta(days=10, hours=9))
    down = created(step_down(staff.sc, amelia))
    clock.advance(hours=3)
    created(respond(staff.eh_manager, down["id"], "accepted"))

    # Contact 2 (a school) about Amelia alone: same NHS number, same child.
    clock.set(day + timedelta(days=15, hours=9))
    second = record_contact(staff.mash, received_at=iso(day + timedelta(days=15, hours=8)),
                            children=[child("Amelia", amelia_nhs)],
                            source_agency="oakfield-primary",
                            consent={"status": "given", "given_by": "Mother"})
    assert second["children"][0]["id"] == amelia
    clock.advance(hours=1)
    created(staff.mash.post(f"/api/v1/contacts/{second['id']}/feedback", json={
        "given_at": iso(clock()), "method": "email", "summary": "Passed to her early help worker."}))

    # Step-ups: one withdrawn, one refused.
    clock.set(day + timedelta(days=16, hours=9))
    withdrawn = created(step_up(staff.eh, amelia))
    clock.advance(hours=1)
    created(withdraw(staff.eh, withdrawn["id"], reason="Sent before the school's information arrived."))
    clock.advance(hours=1)
    refused = created(step_up(staff.eh, amelia))
    clock.advance(hours=1)
    created(respond(staff.sc_manager, refused["id"], "refused"))

    # A contact about someone else entirely.
    record_contact(police, received_at=iso(clock() - timedelta(minutes=30)),
                   children=[child("Cara", new_nhs_number())])

    items = chronology(staff.auditor, amelia)
    assert_well_formed(items)
    assert [(item["kind"], item["ref"]["type"], item["ref"]["id"]) for item in items] == [
        ("contact_received", "contact", first["id"]),
        ("consent_recorded", "contact", first["id"]),
        ("decision_recorded", "decision", decision["id"]),
        ("strategy_meeting_convened", "strategy_meeting", meeting["id"]),
        ("decision_approved", "decision", decision["id"]),
        ("strategy_meeting_held", "strategy_meeting", meeting["id"]),
        ("transition_requested", "transition", down["id"]),
        ("transition_accepted", "transition", down["id"]),
        ("contact_received", "contact", second["id"]),
        ("consent_recorded", "contact", second["id"]),
        ("feedback_given", "feedback", items[10]["ref"]["id"]),
        ("transition_requested", "transition", withdrawn["id"]),
        ("transition_withdrawn", "transition", withdrawn["id"]),
        ("transition_requested", "transition", refused["id"]),
        ("transition_refused", "transition", refused["id"]),
    ]
    # Each event names the contact it belongs to (a link to it); transitions belong to none.
    assert [item["contact_id"] for item in items] == [
        first["id"]] * 6 + [None] * 2 + [second["id"]] * 3 + [None] * 4
    by = [item["by"] for item in items]
    assert by == ["wmp-case-system", "wmp-case-system", "priya", "priya", "mark", "sam", "sam", "emma",
                  "priya", "priya", "priya", "erin", "erin", "erin", "sara"]
    assert items[6]["at"] == down["requested_at"]
    assert items[7]["at"] == iso(day + timedelta(days=10, hours=12))
    assert "Step-down" in items[6]["summary"] and "accepted" in items[7]["summary"]

    # Ben shares the first contact, but not Amelia's meeting, second contact or transitions.
    ben_items = chronology(staff.auditor, ben)
    assert [item["kind"] for item in ben_items] == [
        "contact_received", "consent_recorded", "decision_recorded", "decision_approved"]
    assert {item["ref"]["id"] for item in ben_items} == {first["id"], decision["id"]}


def test_a_backdated_request_takes_its_place_in_the_chronology_by_when_it_was_made(staff, clock):
    contact = record_contact(staff.mash, received_at=iso(clock() - timedelta(hours=3)),
                             children=[child("Amelia", new_nhs_number())],
                             consent={"status": "given", "given_by": "Mother"})
    amelia = contact["children"][0]["id"]
    decide(staff.mash, contact["id"], "early_help", decided_at=iso(clock() - timedelta(hours=2)))
    feedback_at = clock() - timedelta(minutes=30)
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/feedback", json={
        "given_at": iso(feedback_at), "method": "letter", "summary": "Referred on to early help."}))
    up = created(step_up(staff.eh, amelia, requested_at=iso(clock() - timedelta(hours=1))))
    kinds = [item["kind"] for item in chronology(staff.auditor, amelia)]
    assert kinds == ["contact_received", "decision_recorded", "transition_requested",
                     "feedback_given", "consent_recorded"]
    assert up["requested_at"] == iso(clock() - timedelta(hours=1))


def test_a_child_with_only_a_contact_has_a_short_chronology(staff, clock):
    contact = record_contact(staff.mash, received_at=iso(clock() - timedelta(hours=1)),
                             children=[child("Amelia", new_nhs_number())])
    items = chronology(staff.sc_manager, contact["children"][0]["id"])
    assert [item["kind"] for item in items] == ["contact_received", "consent_recorded"]


# ---- who may read them --------------------------------------------------------------------


@pytest.fixture
def case(staff, police, clock):
    contact = record_contact(police, received_at=iso(clock() - timedelta(hours=1)),
                             children=[child("Amelia", new_nhs_number())])
    decide(staff.mash, contact["id"], "strategy_discussion")
    return contact["id"], contact["children"][0]["id"]


READERS = ["mash", "eh", "sc", "mash_manager", "eh_manager", "sc_manager", "auditor"]


@pytest.mark.parametrize("who", READERS)
def test_practitioners_managers_and_auditors_read_a_contacts_history(staff, case, who):
    contact_id, _ = case
    assert len(history(getattr(staff, who), contact_id)) == 3


@pytest.mark.parametrize("who", READERS)
def test_practitioners_managers_and_auditors_read_a_childs_chronology(staff, case, who):
    _, child_id = case
    assert len(chronology(getattr(staff, who), child_id)) == 3


@pytest.mark.parametrize("who", ["agency", "admin"])
def test_agencies_and_admins_may_not_read_a_contacts_history_or_a_childs_chronology(
        staff, case, who):
    contact_id, child_id = case
    assert_problem(getattr(staff, who).get(f"/api/v1/contacts/{contact_id}/history"), 403)
    assert_problem(getattr(staff, who).get(f"/api/v1/children/{child_id}/chronology"), 403)


def test_even_the_agency_that_sent_the_contact_may_not_read_its_history(staff, police, case):
    contact_id, child_id = case
    assert police.get(f"/api/v1/contacts/{contact_id}").status_code == 200  # its own contact
    assert_problem(police.get(f"/api/v1/contacts/{contact_id}/history"), 403)
    assert_problem(police.get(f"/api/v1/children/{child_id}/chronology"), 403)


def test_chronologies_need_a_token(case, anonymous):
    contact_id, child_id = case
    assert_problem(anonymous.get(f"/api/v1/contacts/{contact_id}/history"), 401)
    assert_problem(anonymous.get(f"/api/v1/children/{child_id}/chronology"), 401)


def test_the_chronology_of_an_unknown_contact_or_child_is_not_found(staff):
    assert_problem(staff.auditor.get(f"/api/v1/contacts/{uuid.uuid4()}/history"), 404)
    assert_problem(staff.auditor.get(f"/api/v1/children/{uuid.uuid4()}/chronology"), 404)


# ---- one query per kind, not per row ------------------------------------------------------


def add_a_round_of_everything(staff, police, clock, nhs_number):
    """A contact about the child with every kind of event, and a closed transition of each kind."""
    contact = record_contact(police, received_at=iso(clock() - timedelta(minutes=30)),
                             children=[child("Amelia", nhs_number)])
    child_id = contact["children"][0]["id"]
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    clock.advance(minutes=1)
    decision = decide(staff.mash, contact["id"], "strategy_discussion")
    clock.advance(minutes=1)
    created(staff.mash_manager.post(f"/api/v1/decisions/{decision['id']}/approval", json={}))
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/feedback", json={
        "given_at": iso(clock()), "method": "phone", "summary": "Strategy discussion under way."}))
    meeting = convene_at(staff.mash, contact["id"], [child_id], clock())
    clock.advance(hours=2)
    hold(staff.sc, meeting["id"], clock() - timedelta(minutes=30),
         minutes_recorded_at=iso(clock()))
    clock.advance(minutes=1)
    for close in ("withdraw", "refuse", "accept"):
        down = created(step_down(staff.sc, child_id))
        clock.advance(minutes=1)
        if close == "withdraw":
            created(withdraw(staff.sc, down["id"]))
        else:
            created(respond(staff.eh_manager, down["id"], "refused" if close == "refuse" else "accepted"))
        clock.advance(minutes=1)
    up = created(step_up(staff.eh, child_id))
    clock.advance(minutes=1)
    created(respond(staff.sc_manager, up["id"], "accepted"))
    clock.advance(minutes=1)
    return contact["id"], child_id


def test_reading_a_chronology_takes_the_same_number_of_queries_however_long_it_is(
        app, staff, police, clock):
    engine = app.extensions["db"].engine
    nhs_number = new_nhs_number()
    contact_id, child_id = add_a_round_of_everything(staff, police, clock, nhs_number)
    add_a_round_of_everything(staff, police, clock, nhs_number)

    with StatementCounter(engine) as short:
        short_items = chronology(staff.auditor, child_id)
    with StatementCounter(engine) as short_history:
        short_history_items = history(staff.auditor, contact_id)

    for _ in range(3):
        add_a_round_of_everything(staff, police, clock, nhs_number)
    created(staff.mash.post(f"/api/v1/contacts/{contact_id}/consent", json={
        "status": "given", "given_by": "Mother"}))
    created(staff.mash.post(f"/api/v1/contacts/{contact_id}/feedback", json={
        "given_at": iso(clock()), "method": "email", "summary": "A second update to the referrer."}))

    with StatementCounter(engine) as long:
        long_items = chronology(staff.auditor, child_id)
    with StatementCounter(engine) as long_history:
        long_history_items = history(staff.auditor, contact_id)

    assert len(long_items) > 2 * len(short_items)
    assert len(long_history_items) > len(short_history_items)
    assert short.count > 0 and short_history.count > 0
    assert long.count == short.count
    assert long_history.count == short_history.count


# ---- what each item says ------------------------------------------------------------------


def item(at, kind, summary, by, ref_type, ref_id, contact_id):
    return {"at": at, "kind": kind, "summary": summary, "by": by,
            "ref": {"type": ref_type, "id": ref_id}, "contact_id": contact_id}


def test_each_item_of_a_contacts_history_says_in_full_what_happened_who_did_it_and_to_what(
        staff, police, api_as, clock):
    """Every item whole: an auditor reads the summary as the record of what happened, and follows
    its ref to the record itself."""
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-system")
    day = datetime(2026, 11, 20, tzinfo=UTC)
    clock.set(day.replace(hour=8))
    contact = record_contact(police, received_at=iso(day.replace(hour=7, minute=30)),
                             concerns={"categories": ["domestic_abuse", "neglect"],
                                       "summary": "Police attended a domestic incident."})
    contact_id = contact["id"]
    clock.set(day.replace(hour=8, minute=10))
    created(staff.mash.post(f"/api/v1/contacts/{contact_id}/consent",
                            json={"status": "given", "given_by": "Mother"}))
    clock.set(day.replace(hour=8, minute=20))
    created(staff.mash.post(f"/api/v1/contacts/{contact_id}/rag", json={
        "rating": "red", "reason": "Bruising seen by the school nurse today."}))
    clock.set(day.replace(hour=8, minute=30))
    body = {"question": "Is the family known to you?",
            "child_ids": [contact["children"][0]["id"]]}
    asked = created(staff.mash.post(f"/api/v1/contacts/{contact_id}/information-requests",
                                    json={"agency": "oakfield-primary", **body}))
    clock.set(day.replace(hour=8, minute=40))
    to_gp = created(staff.mash.post(f"/api/v1/contacts/{contact_id}/information-requests",
                                    json={"agency": "hilltop-gp", **body}))
    clock.set(day.replace(hour=8, minute=50))
    created(staff.mash.post(f"/api/v1/information-requests/{to_gp['id']}/withdrawal",
                            json={"reason": "Asked the wrong practice."}))
    clock.set(day.replace(hour=9))  # within the red rating's two hours
    created(school.post(f"/api/v1/information-requests/{asked['id']}/response",
                        json={"known": False}))
    clock.set(day.replace(hour=9, minute=30))
    first = decide(staff.mash, contact_id, "nfa")
    clock.set(day.replace(hour=9, minute=40))
    second = decide(staff.mash, contact_id, "strategy_discussion", supersedes=first["id"],
                    supersede_reason="Police shared a previous conviction for violence.")

    assert history(staff.auditor, contact_id) == [
        item("2026-11-20T07:30:00Z", "contact_received",
             f"Contact {contact['reference']} received from West Midlands Police "
             "(domestic_abuse, neglect).", "wmp-case-system", "contact", contact_id, contact_id),
        item("2026-11-20T08:00:00Z", "consent_recorded",
             "Consent not_sought: Police protection notification; consent would increase risk.",
             "wmp-case-system", "contact", contact_id, contact_id),
        item("2026-11-20T08:10:00Z", "consent_recorded", "Consent given", "priya", "contact",
             contact_id, contact_id),
        item("2026-11-20T08:20:00Z", "rag_rated",
             "RAG rated red: Bruising seen by the school nurse today.", "priya", "contact",
             contact_id, contact_id),
        item("2026-11-20T08:30:00Z", "information_requested",
             "Information requested from Oakfield Primary School: Is the family known to you?",
             "priya", "information_request", asked["id"], contact_id),
        item("2026-11-20T08:40:00Z", "information_requested",
             "Information requested from Hill Top Medical Practice: Is the family known to you?",
             "priya", "information_request", to_gp["id"], contact_id),
        item("2026-11-20T08:50:00Z", "information_request_withdrawn",
             "Request to Hill Top Medical Practice withdrawn: Asked the wrong practice.", "priya",
             "information_request", to_gp["id"], contact_id),
        item("2026-11-20T09:00:00Z", "information_answered",
             "Oakfield Primary School answered: Not known to the agency.", "oakfield-system",
             "information_request", asked["id"], contact_id),
        item("2026-11-20T09:30:00Z", "decision_recorded", "Threshold decision: nfa.", "priya",
             "decision", first["id"], contact_id),
        item("2026-11-20T09:40:00Z", "decision_recorded",
             "Threshold decision: strategy_discussion (supersedes an earlier decision).", "priya",
             "decision", second["id"], contact_id),
    ]


def test_a_contact_with_no_category_of_concern_says_so(staff, clock):
    contact = record_contact(staff.mash, received_at=iso(clock() - timedelta(hours=1)),
                             source_agency="oakfield-primary",
                             concerns={"categories": [], "summary": "The child seemed withdrawn."})
    [received] = [i for i in history(staff.auditor, contact["id"]) if i["kind"] == "contact_received"]
    assert received["summary"] == (
        f"Contact {contact['reference']} received from Oakfield Primary School (no category).")


def test_each_item_of_a_meeting_says_in_full_what_happened_and_when(staff, police, clock):
    day = datetime(2026, 11, 20, tzinfo=UTC)  # a Friday
    clock.set(day.replace(hour=9))
    contact = record_contact(police, received_at=iso(day.replace(hour=8)),
                             children=[child("Amelia", new_nhs_number())])
    child_id = contact["children"][0]["id"]
    decide(staff.mash, contact["id"], "strategy_discussion")
    meeting = convene_at(staff.mash, contact["id"], [child_id], day.replace(hour=9))
    clock.set(day.replace(hour=12))
    hold(staff.sc, meeting["id"], day.replace(hour=11))
    clock.set(day.replace(hour=16))
    created(staff.sc.post(f"/api/v1/strategy-meetings/{meeting['id']}/minutes",
                          json={"minutes_recorded_at": iso(day.replace(hour=15))}))
    clock.set(datetime(2026, 11, 27, 14, tzinfo=UTC))  # a week later, well within 15 working days
    created(staff.sc_manager.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2026-11-27",
        "child_protection_plan": [{"child_id": child_id, "plan": True,
                                   "category_of_abuse": "PHY"}]}))

    ref = {"type": "strategy_meeting", "id": meeting["id"]}
    expected = [
        {"at": "2026-11-20T09:00:00Z", "kind": "strategy_meeting_convened", "by": "priya",
         "summary": f"Strategy meeting {meeting['reference']} convened (chair {meeting['chair']}).",
         "ref": ref, "contact_id": contact["id"]},
        {"at": "2026-11-20T11:00:00Z", "kind": "strategy_meeting_held", "by": "sam",
         "summary": "Strategy meeting held: s47_enquiry.", "ref": ref, "contact_id": contact["id"]},
        {"at": "2026-11-20T15:00:00Z", "kind": "strategy_meeting_minutes_recorded", "by": "sam",
         "summary": "Strategy meeting minutes recorded.", "ref": ref, "contact_id": contact["id"]},
        {"at": "2026-11-27T14:00:00Z", "kind": "icpc_recorded", "by": "sara",
         "summary": "Initial child protection conference held on 2026-11-27 (within timescale): "
                    "1 of 1 children made subject to a child protection plan.",
         "ref": ref, "contact_id": contact["id"]},
    ]
    meetings = [i for i in chronology(staff.auditor, child_id) if i["ref"] == ref]
    assert meetings == expected
