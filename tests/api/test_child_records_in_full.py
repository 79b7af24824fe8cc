"""A child's record as written and audited, whole: a merge and its undoing on every record they
move (each record's own event, and each left in the state its latest event holds), a link
decision's event, the record made from a contact's details, the evidence that finds a match, and
a disability. tests/api/test_child_identity.py has the rules each way; these are what an auditor
reads back."""

import uuid

import pytest
from sqlalchemy import select

from api.db import session
from api.models import PossibleMatch
from tests.api.test_child_identity import REASON, link, merge, unmerge
from tests.api.test_record_state import check
from tests.helpers import (
    CONTACTS, DROP, NHS_AMELIA, NHS_OTHER, Case, assert_problem, audit_events, child, convene,
    created, decide, new_nhs_number, read, record_contact, record_outcome, step_up, strategy_case,
)

CHILDREN = "/api/v1/children"
UNMERGE_REASON = "Not the same child: the GP holds two records."


def events(auditor, entity_id, action):
    return [data for name, data in audit_events(auditor, entity_id) if name == action]


@pytest.fixture
def named_everywhere(staff, clock):
    """Amelia's record, with a strategy meeting and conference of her own; and a duplicate of her
    named by two contacts' entries, a meeting held with her brother Ben and its conference, a
    meeting not yet held, and a step-up request."""
    own = strategy_case(staff.mash)
    amelia = own.child_ids[0]
    own_meeting = convene(staff.mash, own)
    record_outcome(staff.mash, own_meeting["id"])
    created(staff.mash.post(f"/api/v1/strategy-meetings/{own_meeting['id']}/icpc", json={
        "held_on": "2026-11-20", "child_protection_plan": [{"child_id": amelia, "plan": False}]}))
    dup_child = child("Amelia", NHS_OTHER, date_of_birth="2019-04-03")
    case = strategy_case(staff.mash, children=[dup_child, child("Ben", new_nhs_number())])
    dup, ben = case.child_ids
    meeting = convene(staff.mash, case)
    record_outcome(staff.mash, meeting["id"])
    created(staff.mash.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2026-11-20", "child_protection_plan": [
            {"child_id": dup, "plan": True, "category_of_abuse": "PHY"},
            {"child_id": ben, "plan": False}]}))
    not_held = convene(staff.mash, Case(case.contact_id, [dup], None),
                       convened_at="2026-11-20T09:35:00Z", scheduled_for="2026-11-21T09:00:00Z")
    helped = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                            received_at="2026-11-20T09:40:00Z", children=[dup_child])
    assert helped["children"][0]["id"] == dup
    decide(staff.mash, helped["id"], "early_help", "2026-11-20T09:45:00Z")
    clock.advance(minutes=5)
    transition = created(step_up(staff.eh, dup))
    return {"amelia": amelia, "dup": dup, "ben": ben, "own_meeting": own_meeting["id"],
            "contact": case.contact_id, "helped": helped["id"],
            "meetings": sorted([meeting["id"], not_held["id"]]), "icpc": meeting["id"],
            "transition": transition["id"]}


def names(client, records):
    """Who each record the merge may move names now."""
    meeting = read(client, f"/api/v1/strategy-meetings/{records['icpc']}")
    return {
        "contact": [c["id"] for c in read(client, f"{CONTACTS}/{records['contact']}")["children"]],
        "helped": read(client, f"{CONTACTS}/{records['helped']}")["children"][0]["id"],
        "meetings": [sorted(read(client, f"/api/v1/strategy-meetings/{m}")["children"])
                     for m in records["meetings"]],
        "icpc": sorted((c["child_id"], c["child_protection_plan"])
                       for c in meeting["icpc"]["children"]),
        "own_meeting": read(client, f"/api/v1/strategy-meetings/{records['own_meeting']}")[
            "children"],
        "transition": read(client, f"/api/v1/transitions/{records['transition']}")["child_id"],
    }


def test_a_merge_and_its_undoing_move_what_they_name_and_are_audited_on_every_record_moved(
        staff, auditor, named_everywhere):
    records = named_everywhere
    amelia, dup, ben = records["amelia"], records["dup"], records["ben"]
    moved_records = ([("contact", c) for c in sorted([records["contact"], records["helped"]])]
                     + [("strategy_meeting", m) for m in records["meetings"]]
                     + [("transition", records["transition"])])

    created(merge(staff.mash, amelia, dup))
    assert names(staff.mash, records) == {
        "contact": [amelia, ben], "helped": amelia,
        "meetings": [sorted([amelia, ben]) if m == records["icpc"] else [amelia]
                     for m in records["meetings"]],
        "icpc": sorted([(amelia, True), (ben, False)]), "own_meeting": [amelia],
        "transition": amelia}
    [merged] = events(auditor, dup, "child.merged")
    merge_id = merged["merge_id"]
    moved = merged.pop("moved")
    assert merged == {"merged_into": amelia, "merge_id": merge_id, "reason": REASON}
    assert {key: sorted(value) for key, value in moved.items()} == {
        "contact_children": sorted([[records["contact"], 0], [records["helped"], 0]]),
        "strategy_meetings": records["meetings"], "icpc": [records["icpc"]],
        "transitions": [records["transition"]]}
    there = {"from_child": dup, "to_child": amelia, "merge_id": merge_id}
    for entity_type, entity_id in moved_records:
        assert events(auditor, entity_id, f"{entity_type}.child_merged") == [there], entity_type
    report = check(auditor)
    assert (report["findings"], report["valid"]) == ([], True)

    # One entry is linked to another record since: undoing the merge leaves it there.
    zoe = record_contact(staff.mash, children=[child("Zoe", new_nhs_number())])["children"][0]
    created(link(staff.mash, records["helped"], 0, zoe["id"]))
    created(unmerge(staff.mash, dup, UNMERGE_REASON))
    assert names(staff.mash, records) == {
        "contact": [dup, ben], "helped": zoe["id"],
        "meetings": [sorted([dup, ben]) if m == records["icpc"] else [dup]
                     for m in records["meetings"]],
        "icpc": sorted([(dup, True), (ben, False)]), "own_meeting": [amelia],
        "transition": dup}
    assert events(auditor, dup, "child.unmerged") == [
        {"was_merged_into": amelia, "merge_id": merge_id, "reason": UNMERGE_REASON}]
    back = {"from_child": amelia, "to_child": dup, "merge_id": merge_id}
    for entity_type, entity_id in moved_records:
        assert events(auditor, entity_id, f"{entity_type}.child_unmerged") == [back], entity_type
    report = check(auditor)
    assert (report["findings"], report["valid"]) == ([], True)


# ---- a link decision ----------------------------------------------------------------------------


def test_a_confirmed_match_is_audited_whole(weak, practitioner, auditor):
    amelia, contact_id, made = weak
    created(link(practitioner, contact_id, 0, amelia))
    [linked] = events(auditor, contact_id, "contact.child_linked")
    assert linked == {"position": 0, "from": made, "to": amelia, "reason": REASON,
                      "confirmed": [amelia], "rejected": [], "decision_id": linked["decision_id"],
                      "retired": made}


def test_a_record_retired_by_a_link_can_be_unmerged(weak, practitioner):
    """The record made for the entry, retired into Amelia's when the entry was linked to hers,
    moved nothing: undoing that merge moves nothing back, and it answers again."""
    amelia, contact_id, made = weak
    created(link(practitioner, contact_id, 0, amelia))
    assert created(unmerge(practitioner, made, UNMERGE_REASON))["merged_into"] is None
    assert read(practitioner, f"{CHILDREN}/{made}")["id"] == made


def test_a_record_a_step_up_names_is_kept_when_its_entry_is_linked_away(staff):
    amelia = record_contact(staff.mash)["children"][0]["id"]
    contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                             children=[child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])
    made = contact["children"][0]["id"]
    decide(staff.mash, contact["id"], "early_help")
    created(step_up(staff.eh, made))
    linked = created(link(staff.mash, contact["id"], 0, amelia))
    assert linked["children"][0]["id"] == amelia
    assert read(staff.mash, f"{CHILDREN}/{made}")["merged_into"] is None


def test_deciding_one_entrys_matches_leaves_every_other_entrys_open(practitioner):
    """Two contacts, and a contact with two children, each entry a possible match to a record
    on file: linking one entry decides its own matches only."""
    amelia = record_contact(practitioner)["children"][0]["id"]
    ben = record_contact(practitioner, children=[
        child("Ben", NHS_OTHER, date_of_birth="2016-06-06")])["children"][0]["id"]
    weak_amelia = child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")
    weak_ben = child("Ben", NHS_OTHER, date_of_birth="2016-06-07")
    first = record_contact(practitioner, children=[weak_amelia, weak_ben])
    second = record_contact(practitioner, children=[weak_amelia])

    created(link(practitioner, first["id"], 0, amelia))

    def statuses(contact):
        entries = read(practitioner, f"{CONTACTS}/{contact['id']}")["children"]
        return [[m["status"] for m in entry["possible_matches"]] for entry in entries]

    assert statuses(first) == [["confirmed"], ["open"]]
    assert statuses(second) == [["open", "open"]]  # Amelia's, and the record made for the first
    # A third contact: a possible match for its first child, Ben (linked) for its second. Ben's
    # record lists the one match he is the candidate of, not another entry's of his contact.
    third = record_contact(practitioner, children=[
        weak_amelia, child("Ben", NHS_OTHER, date_of_birth="2016-06-06")])
    assert third["children"][1]["id"] == ben
    assert [m["candidate"]["id"] for m in read(practitioner, f"{CHILDREN}/{ben}")[
        "possible_matches"]] == [ben]


def test_rejected_matches_are_audited_whole(weak, practitioner, auditor):
    amelia, contact_id, made = weak
    created(link(practitioner, contact_id, 0, None))
    [rejected] = events(auditor, contact_id, "contact.possible_matches_rejected")
    assert rejected == {"position": 0, "from": made, "to": None, "reason": REASON,
                        "confirmed": [], "rejected": [amelia],
                        "decision_id": rejected["decision_id"], "retired": None}


# ---- the record made from a contact's details, and the evidence that finds one -------------------


def test_a_record_made_from_a_contact_keeps_what_it_gave_and_is_audited_so(practitioner, auditor):
    contact = record_contact(practitioner, children=[
        {"given_name": "Baby", "family_name": "Okafor", "expected_date_of_birth": "2027-01-15",
         "sex": "male", "ethnicity": "WIRI"},
        child("Ben", DROP, date_of_birth="2016-06-06", sex=DROP)])
    unborn, ben = (c["id"] for c in contact["children"])
    shown = read(practitioner, f"{CHILDREN}/{unborn}")
    assert (shown["expected_date_of_birth"], shown["sex"], shown["ethnicity"]) == (
        "2027-01-15", "male", "WIRI")
    assert read(practitioner, f"{CHILDREN}/{ben}")["sex"] == "unknown"
    [recorded] = events(auditor, unborn, "child.recorded")
    assert (recorded["id"], recorded["expected_date_of_birth"], recorded["sex"],
            recorded["ethnicity"]) == (unborn, "2027-01-15", "male", "WIRI")


def test_the_names_and_date_of_birth_alone_find_a_possible_match(practitioner):
    """No NHS number and no local id: the names and the date of birth are the only evidence,
    and with the names spaced and cased otherwise they still are."""
    amelia = record_contact(practitioner, children=[
        child("Amelia Rose", NHS_AMELIA)])["children"][0]["id"]
    contact = record_contact(practitioner, children=[
        child("  amelia   ROSE ", DROP)])
    entry = read(practitioner, f"{CONTACTS}/{contact['id']}")["children"][0]
    assert entry["id"] != amelia
    assert [(m["candidate"]["id"], m["evidence"]) for m in entry["possible_matches"]] == [
        (amelia, ["name_and_date_of_birth"])]


def test_a_local_id_alone_finds_a_possible_match_for_an_unborn_child(practitioner):
    known = record_contact(practitioner, children=[
        child("Cara", DROP, local_child_id="LC-CARA")])["children"][0]["id"]
    contact = record_contact(practitioner, children=[
        {"given_name": "Baby", "family_name": "Hughes", "expected_date_of_birth": "2027-01-15",
         "local_child_id": "LC-CARA"}])
    entry = read(practitioner, f"{CONTACTS}/{contact['id']}")["children"][0]
    assert [(m["candidate"]["id"], m["evidence"]) for m in entry["possible_matches"]] == [
        (known, ["local_child_id"])]


def test_a_record_merged_into_the_strong_match_is_not_its_possible_match(staff):
    """Amelia's record, and one of an Amelia Hughes born the same day under another NHS number,
    merged into hers. A contact giving Amelia's NHS number and date of birth is linked to her
    record, with no possible match (the other record is hers)."""
    amelia = record_contact(staff.mash)["children"][0]["id"]
    other = record_contact(staff.mash, children=[child("Amelia", NHS_OTHER)])["children"][0]["id"]
    assert other != amelia
    created(merge(staff.mash, amelia, other))
    contact = record_contact(staff.mash)
    entry = read(staff.mash, f"{CONTACTS}/{contact['id']}")["children"][0]
    assert (entry["id"], entry["possible_matches"]) == (amelia, [])


def test_a_disability_is_audited_with_what_was_recorded(practitioner, auditor):
    child_id = record_contact(practitioner)["children"][0]["id"]
    created(practitioner.post(f"{CHILDREN}/{child_id}/disability",
                              json={"disability": True, "disabilities": ["LD", "AUT"]}))
    created(practitioner.post(f"{CHILDREN}/{child_id}/disability", json={"disability": False}))
    assert events(auditor, child_id, "child.disability_recorded") == [
        {"disability": True, "disabilities": ["LD", "AUT"]},
        {"disability": False, "disabilities": None}]


def test_a_childs_possible_matches_are_its_own_in_the_order_found(practitioner, clock):
    """Amelia's record is the candidate of entries found an hour apart (until a later one's match
    has the lesser id, so that an order by id would not pass), and another child's entry has a
    match of its own: her record lists hers, oldest first."""
    amelia = record_contact(practitioner)["children"][0]["id"]
    record_contact(practitioner, children=[child("Ben", NHS_OTHER, date_of_birth="2016-06-06")])
    record_contact(practitioner, children=[child("Ben", NHS_OTHER, date_of_birth="2016-06-07")])
    found, match_ids = [], []
    for day in range(3, 29):
        clock.advance(hours=1)
        contact = record_contact(practitioner, children=[
            child("Amelia", NHS_AMELIA, date_of_birth=f"2019-04-{day:02d}")])
        found.append(contact["children"][0]["id"])
        match_ids.append(session.scalar(select(PossibleMatch.id).where(
            PossibleMatch.contact_id == uuid.UUID(contact["id"]))))
        if len(match_ids) > 1 and match_ids[-1] < match_ids[0]:
            break
    listed = read(practitioner, f"{CHILDREN}/{amelia}")["possible_matches"]
    assert [m["child_id"] for m in listed] == found
    assert {m["candidate"]["id"] for m in listed} == {amelia}


def test_a_merge_is_refused_while_both_children_have_an_open_transition_request(staff):
    records = []
    for nhs_number, born in ((NHS_AMELIA, "2019-04-02"), (NHS_OTHER, "2019-04-03")):
        contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                                 children=[child("Amelia", nhs_number, date_of_birth=born)])
        decide(staff.mash, contact["id"], "early_help")
        records.append(contact["children"][0]["id"])
        created(step_up(staff.eh, records[-1]))
    assert_problem(merge(staff.mash, *records), 409, "duplicate", "open transition")


def test_a_merge_is_not_refused_for_another_childs_request_or_a_closed_one(staff):
    """The duplicate has an open step-up request, the record it is merged into had one
    (withdrawn), and another child has one open: none of that stops the merge."""
    records = []
    for nhs_number, born in ((NHS_AMELIA, "2019-04-02"), (NHS_OTHER, "2019-04-03"),
                             (new_nhs_number(), "2017-01-01")):
        contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                                 children=[child("Amelia", nhs_number, date_of_birth=born)])
        decide(staff.mash, contact["id"], "early_help")
        records.append(contact["children"][0]["id"])
        records.append(created(step_up(staff.eh, records[-1]))["id"])
    amelia, withdrawn, dup, _, _, _ = records
    created(staff.eh.post(f"/api/v1/transitions/{withdrawn}/withdrawal", json={}))
    assert created(merge(staff.mash, amelia, dup))["id"] == amelia
