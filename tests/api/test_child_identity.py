"""A child's identity (DOMAIN.md): a referrer's details never change a council record nor tell a
partner what the council holds; weaker evidence is a possible match that staff confirm or reject;
staff search children and merge duplicates, and a merge can be undone."""

from datetime import timedelta

import pytest

from api.models import AccessEvent
from tests.helpers import (
    CONTACTS, DROP, NHS_AMELIA, NHS_OTHER, NHS_THIRD, assert_problem, audit_actions, child,
    contact_body, created, forget_loaded_records, last_event_id, new_nhs_number, only_event_after,
    convene, iso, read, record_contact, step_up, strategy_case, utc,
)

CHILDREN = "/api/v1/children"
REASON = "Same child: the school confirmed the date of birth and address with the mother."


def link(client, contact_id, n, child_id, reason=REASON, **kwargs):
    return client.post(f"{CONTACTS}/{contact_id}/children/{n}/link",
                       json={"child": child_id, "reason": reason}, **kwargs)


def merge(client, child_id, duplicate_id, reason=REASON, **kwargs):
    return client.post(f"{CHILDREN}/{child_id}/merge",
                       json={"duplicate": duplicate_id, "reason": reason}, **kwargs)


def unmerge(client, child_id, reason="Not the same child: the GP holds two records.", **kwargs):
    return client.post(f"{CHILDREN}/{child_id}/unmerge", json={"reason": reason}, **kwargs)


def _shape(value, ignore=("id", "reference", "recorded_at", "nhs_number")):
    """The answer with its ids, references, times of recording and NHS numbers blanked out."""
    if isinstance(value, dict):
        return {key: ("*" if key in ignore else _shape(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return value


# ---- what a partner is told --------------------------------------------------------------------


KNOWN_AS = {
    "the nhs number with another date of birth": lambda nhs: child(
        "Millie", nhs, date_of_birth="2018-01-01"),
    "the local child id": lambda nhs: child("Millie", NHS_AMELIA, local_child_id="LC-KNOWN",
                                            date_of_birth="2018-01-01"),
    "the names and date of birth": lambda nhs: child("Amelia", new_nhs_number()),
    "the nhs number and date of birth (linked)": lambda nhs: child("Millie", nhs),
}


@pytest.mark.parametrize("known_as", list(KNOWN_AS))
def test_a_partners_answer_is_the_same_whether_or_not_the_council_knows_the_child(
    police, practitioner, known_as
):
    """The same post (but for its identifiers) about a child the council does not know, then
    about one it knows under other details: the same status, headers and body but for ids."""
    sent = child("Amelia", DROP, local_child_id="LC-SENT")
    unknown = police.post(CONTACTS, json=contact_body(children=[{**sent, "nhs_number": NHS_OTHER}]))
    record_contact(practitioner, children=[
        {**KNOWN_AS[known_as](NHS_THIRD), "local_child_id": "LC-SENT-2"}
        if known_as != "the local child id" else KNOWN_AS[known_as](NHS_THIRD)])
    known_sent = {**sent, "nhs_number": NHS_THIRD,
                  **({"local_child_id": "LC-KNOWN"} if known_as == "the local child id" else {})}
    known = police.post(CONTACTS, json=contact_body(children=[known_sent]))

    assert known.status_code == unknown.status_code == 201, known.get_data(as_text=True)
    assert set(known.headers.keys()) - {"X-Request-ID"} == set(unknown.headers.keys()) - {"X-Request-ID"}
    shapes = [_shape(answer.json) for answer in (unknown, known)]
    for shape in shapes:
        shape["children"][0].pop("local_child_id")  # as sent: LC-SENT or LC-KNOWN
    assert shapes[0] == shapes[1]
    assert set(known.json["children"][0]) == {"id", "given_name", "family_name", "date_of_birth",
                                             "sex", "nhs_number", "local_child_id"}
    read_back = [police.get(f"{CONTACTS}/{answer.json['id']}").json for answer in (unknown, known)]
    assert _shape(read_back[0])["children"][0].keys() == _shape(read_back[1])["children"][0].keys()
    assert "possible_matches" not in str(police.get(CONTACTS).json)


def test_a_partners_conflicting_ids_are_kept_on_its_contact_and_name_no_other_child(
    police, practitioner, auditor
):
    """The issue's case: a partner's child carries a known child's NHS number with another name
    and date of birth, and a local id of its own."""
    amelia = record_contact(practitioner)["children"][0]
    ben = record_contact(practitioner, children=[
        child("Ben", NHS_OTHER, date_of_birth="2016-06-06", local_child_id="LC-BEN")])["children"][0]

    response = police.post(CONTACTS, json=contact_body(children=[
        child("Millie", NHS_AMELIA, date_of_birth="2018-01-01", local_child_id="LC-BEN")]))

    assert response.status_code == 201, response.json
    text = response.get_data(as_text=True)
    for other in (amelia, ben):
        assert other["id"] not in text and other["reference"] not in text
    entry = read(practitioner, f"{CONTACTS}/{response.json['id']}")["children"][0]
    assert {m["candidate"]["id"]: m["evidence"] for m in entry["possible_matches"]} == {
        amelia["id"]: ["nhs_number"], ben["id"]: ["local_child_id"]}
    # The audit trail keeps what was found with the contact, as it was found.
    events = read(auditor, f"/api/v1/audit/events?entity_id={response.json['id']}")["items"]
    [recorded] = [event for event in events if event["action"] == "contact.recorded"]
    assert sorted(recorded["data"]["possible_matches"], key=lambda m: m["evidence"]) == [
        {"position": 0, "candidate_id": ben["id"], "evidence": ["local_child_id"]},
        {"position": 0, "candidate_id": amelia["id"], "evidence": ["nhs_number"]},
    ]
    forget_loaded_records()
    assert read(practitioner, f"{CHILDREN}/{amelia['id']}")["local_child_id"] is None
    assert read(practitioner, f"{CHILDREN}/{ben['id']}")["nhs_number"] == NHS_OTHER


def test_a_practitioners_correct_contact_is_not_refused_after_a_partner_gave_a_conflicting_id(
    police, practitioner
):
    amelia = record_contact(practitioner)["children"][0]
    police.post(CONTACTS, json=contact_body(children=[
        child("Millie", NHS_AMELIA, date_of_birth="2018-01-01", local_child_id="LC-POLICE")]))

    correct = practitioner.post(CONTACTS, json=contact_body(children=[
        child(local_child_id="LC-COUNCIL")]))

    assert correct.status_code == 201, correct.json
    assert correct.json["children"][0]["id"] == amelia["id"]


def test_staff_see_a_childs_possible_matches_and_an_auditor_reads_them(
    clock, police, practitioner, auditor
):
    amelia = record_contact(practitioner)["children"][0]
    clock.advance(minutes=7)
    found = clock()
    contact = created(police.post(CONTACTS, json=contact_body(children=[
        child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])))
    made = contact["children"][0]["id"]
    clock.advance(minutes=7)

    for record in (amelia["id"], made):
        [match] = read(auditor, f"{CHILDREN}/{record}")["possible_matches"]
        assert (match["contact_id"], match["position"], match["child_id"]) == (
            contact["id"], 0, made)
        assert match["candidate"]["id"] == amelia["id"]
        assert match["status"] == "open"
        # Found when the contact was recorded; open, so not decided yet.
        assert (utc(match["found_at"]), match["decided_at"], match["decided_by"]) == (
            found, None, None)


# ---- confirming or rejecting a possible match ----------------------------------------------------


def test_confirming_a_possible_match_links_the_child_and_retires_the_record_made_for_it(
    clock, weak, police, practitioner, auditor
):
    amelia, contact_id, made = weak
    clock.advance(minutes=30)

    response = link(practitioner, contact_id, 0, amelia)

    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"{CONTACTS}/{contact_id}")
    entry = response.json["children"][0]
    assert entry["id"] == amelia
    assert [(m["status"], m["decided_by"]) for m in entry["possible_matches"]] == [
        ("confirmed", "priya")]
    [match] = entry["possible_matches"]
    assert match["child_id"] == amelia  # the record the entry is linked to now
    assert utc(match["decided_at"]) == clock()
    assert utc(match["found_at"]) == clock() - timedelta(minutes=30)
    assert read(practitioner, f"{CHILDREN}/{amelia}")["possible_matches"] == []
    assert contact_id in [c["id"] for c in read(practitioner, f"{CHILDREN}/{amelia}")["contacts"]]
    gone = assert_problem(practitioner.get(f"{CHILDREN}/{made}"), 404)
    assert gone["merged_into"] == amelia
    # The partner's answer does not change with what the council decided.
    assert police.get(f"{CONTACTS}/{contact_id}").json["children"][0]["id"] == made
    assert audit_actions(auditor, contact_id)[-1] == "contact.child_linked"
    assert audit_actions(auditor, made)[-1] == "child.merged"
    kinds = [i["kind"] for i in read(practitioner, f"{CHILDREN}/{amelia}/chronology")["items"]]
    assert {"child_linked", "child_merged"} <= set(kinds)
    history = read(practitioner, f"{CONTACTS}/{contact_id}/history")["items"]
    assert any(i["kind"] == "child_linked" and REASON in i["summary"] for i in history)


def test_a_record_another_contacts_entry_still_names_is_kept_when_one_entry_is_linked_away(
        weak, police, practitioner):
    amelia, contact_id, made = weak
    # A second police contact with the same details, whose entry a practitioner links to the
    # record made for the first.
    again = created(police.post(CONTACTS, json=contact_body(children=[
        child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])))
    created(link(practitioner, again["id"], 0, made))
    assert read(practitioner, f"{CONTACTS}/{again['id']}")["children"][0]["id"] == made

    created(link(practitioner, contact_id, 0, amelia))

    kept = practitioner.get(f"{CHILDREN}/{made}")
    assert kept.status_code == 200 and kept.json["merged_into"] is None


@pytest.mark.parametrize("whose", ["the record made for it", "another child"])
def test_a_record_a_strategy_meeting_names_is_kept_when_its_entry_is_linked_away(
        practitioner, whose):
    amelia = record_contact(practitioner)["children"][0]["id"]
    # A contact giving Amelia's NHS number with another date of birth: a record of its own is made.
    case = strategy_case(practitioner, children=[
        child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])
    made = case.child_ids[0]
    if whose == "the record made for it":
        convene(practitioner, case)
    else:
        convene(practitioner, strategy_case(practitioner, children=[child("Noah", new_nhs_number())]))

    created(link(practitioner, case.contact_id, 0, amelia))

    answer = practitioner.get(f"{CHILDREN}/{made}")
    if whose == "the record made for it":  # still named by its meeting: not retired
        assert answer.status_code == 200 and answer.json["merged_into"] is None
    else:  # another child's meeting does not keep it: retired into Amelia
        assert assert_problem(answer, 404)["merged_into"] == amelia


def test_rejecting_the_possible_matches_keeps_the_link_and_is_recorded(
    weak, practitioner, auditor
):
    amelia, contact_id, made = weak

    response = link(practitioner, contact_id, 0, None, reason="Different child: twins' cousin.")

    assert response.status_code == 201, response.json
    entry = response.json["children"][0]
    assert entry["id"] == made
    assert [m["status"] for m in entry["possible_matches"]] == ["rejected"]
    assert read(practitioner, f"{CHILDREN}/{amelia}")["possible_matches"] == []
    assert audit_actions(auditor, contact_id)[-1] == "contact.possible_matches_rejected"
    kinds = [i["kind"] for i in read(practitioner, f"{CHILDREN}/{made}/chronology")["items"]]
    assert "possible_matches_rejected" in kinds
    again = link(practitioner, contact_id, 0, None)
    assert_problem(again, 409, "child")


def test_a_link_to_what_the_child_already_is_with_nothing_open_is_a_conflict(practitioner):
    contact = record_contact(practitioner)
    response = link(practitioner, contact["id"], 0, contact["children"][0]["id"])
    assert_problem(response, 409, "child")


@pytest.mark.parametrize("body, status, field", [
    ({"child": "00000000-0000-4000-8000-000000000000", "reason": REASON}, 422, "child"),
    ({"child": None}, 422, "reason"),
    ({"reason": REASON}, 422, "child"),
    ({"child": None, "reason": "   "}, 422, "reason"),
], ids=["unknown child", "no reason", "no child", "blank reason"])
def test_a_link_without_a_known_child_or_a_reason_is_refused(weak, practitioner, body, status, field):
    _amelia, contact_id, _made = weak
    response = practitioner.post(f"{CONTACTS}/{contact_id}/children/0/link", json=body)
    assert_problem(response, status, field)


def test_a_link_of_a_child_the_contact_does_not_have_is_not_found(weak, practitioner):
    amelia, contact_id, _made = weak
    body = assert_problem(link(practitioner, contact_id, 1, amelia), 404, slug="not-found")
    assert "no child 1" in body["detail"]
    assert link(practitioner, contact_id, 0, amelia).status_code == 201


def test_a_link_to_a_merged_record_is_refused_naming_the_child(weak, practitioner):
    amelia, contact_id, made = weak
    other = record_contact(practitioner, children=[child("Zoe", new_nhs_number())])["children"][0]
    created(merge(practitioner, other["id"], amelia))
    assert_problem(link(practitioner, contact_id, 0, amelia), 422, "child", says="merged")


def test_a_retried_link_with_the_same_key_is_replayed_not_done_twice(weak, practitioner, auditor):
    amelia, contact_id, _made = weak
    key = {"Idempotency-Key": "link-once"}
    first = link(practitioner, contact_id, 0, amelia, headers=key)
    again = link(practitioner, contact_id, 0, amelia, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert audit_actions(auditor, contact_id).count("contact.child_linked") == 1


# ---- searching children ----------------------------------------------------------------------------


def test_staff_find_children_by_nhs_number_local_id_or_names_and_date_of_birth(practitioner):
    amelia = record_contact(practitioner, children=[child(local_child_id="LC-FIND")])["children"][0]
    record_contact(practitioner, children=[child("Ben", NHS_OTHER, date_of_birth="2016-06-06")])

    for query in ({"nhs_number": "943 476 5919"}, {"local_child_id": "LC-FIND"},
                  {"family_name": "hughes", "given_name": "AMELIA", "date_of_birth": "2019-04-02"}):
        found = read(practitioner, f"{CHILDREN}?" + "&".join(f"{k}={v}" for k, v in query.items()))
        assert [c["id"] for c in found["items"]] == [amelia["id"]], query
        assert found["next_cursor"] is None
    assert read(practitioner, f"{CHILDREN}?local_child_id=LC-NONE")["items"] == []


@pytest.mark.parametrize("query, fields", [
    ("", {"nhs_number", "local_child_id", "family_name"}),
    ("?family_name=Hughes", {"given_name", "date_of_birth"}),
    ("?family_name=Hughes&given_name=Amelia", {"date_of_birth"}),
    ("?given_name=Amelia&date_of_birth=2019-04-02", {"family_name"}),
    ("?nhs_number=9434765919&local_child_id=LC-1", {"local_child_id"}),
    ("?nhs_number=9434765919&given_name=Amelia", {"given_name"}),
    ("?nhs_number=9434765918", {"nhs_number"}),
], ids=["no criterion", "family name alone", "no date of birth", "no family name",
        "two criteria", "a name with an nhs number", "a bad check digit"])
def test_a_search_without_one_whole_criterion_is_refused_naming_the_fields(practitioner, query, fields):
    body = assert_problem(practitioner.get(f"{CHILDREN}{query}"), 422)
    assert set(body["errors"]) == fields


@pytest.mark.parametrize("role", ["agency", "auditor", "admin"])
def test_only_staff_search_children(api_as, role):
    assert_problem(api_as(role).get(f"{CHILDREN}?nhs_number={NHS_AMELIA}"), 403)


def test_every_search_is_an_access_event_with_its_query_and_the_children_shown(practitioner):
    amelia = record_contact(practitioner)["children"][0]
    before = last_event_id()

    read(practitioner, f"{CHILDREN}?nhs_number={NHS_AMELIA}")

    event = only_event_after(before)
    assert (event.entity_type, event.entity_id, event.status) == ("child", None, 200)
    assert event.query == f"nhs_number={NHS_AMELIA}"
    assert event.record_ids == [amelia["id"]] and event.child_ids == [amelia["id"]]
    before = last_event_id()
    practitioner.get(f"{CHILDREN}?family_name=Nobody")
    refused = only_event_after(before)
    assert (refused.status, refused.record_ids) == (422, None)
    assert isinstance(refused, AccessEvent)


def test_a_search_by_names_needs_all_three_to_match_and_pages_by_cursor(practitioner):
    def recorded(**fields):
        contact = record_contact(practitioner, children=[child(nhs_number=new_nhs_number(), **fields)])
        return contact["children"][0]["id"]

    # Two records of an Amelia Hughes born 2 April 2019 (two NHS numbers: not linked), and three
    # children who differ from her in one of the three only.
    amelias = [recorded(), recorded()]
    recorded(date_of_birth="2018-01-01")
    recorded(given_name="Ava")
    recorded(family_name="Jones")

    query = f"{CHILDREN}?family_name=HUGHES&given_name=amelia&date_of_birth=2019-04-02"
    first = read(practitioner, f"{query}&limit=1")
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = read(practitioner, f"{query}&limit=1&cursor={first['next_cursor']}")
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    # Both, once each (in the order they were recorded, the id breaking a tie: on PostgreSQL a
    # test's records share its transaction's time).
    whole = [item["id"] for item in read(practitioner, query)["items"]]
    assert sorted(whole) == sorted(amelias)
    assert [item["id"] for item in first["items"] + second["items"]] == whole


# ---- merging duplicates, and undoing it ------------------------------------------------------------


@pytest.fixture
def duplicate(staff, clock):
    """Amelia's record, and a duplicate of her (another NHS number, a day's difference in the date
    of birth) with a contact decided early help and an open step-up request."""
    amelia = record_contact(staff.mash)
    clock.advance(minutes=5)
    dup_contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                                 received_at="2026-11-20T09:30:00Z",
                                 children=[child("Amelia", NHS_OTHER, date_of_birth="2019-04-03")])
    dup = dup_contact["children"][0]["id"]
    created(staff.mash.post(f"{CONTACTS}/{dup_contact['id']}/decisions", json={
        "outcome": "early_help", "rationale": "The family asked for help with the child's school."}))
    clock.advance(minutes=5)
    transition = created(step_up(staff.eh, dup))
    return amelia["children"][0]["id"], amelia["id"], dup, dup_contact["id"], transition["id"]


def test_a_merge_moves_the_duplicates_records_and_its_history_and_the_duplicate_points_there(
    duplicate, practitioner, auditor
):
    amelia, amelia_contact, dup, dup_contact, transition = duplicate

    response = merge(practitioner, amelia, dup)

    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"{CHILDREN}/{amelia}")
    assert [c["id"] for c in response.json["contacts"]] == [amelia_contact, dup_contact]
    assert response.json["current_service"] == "early_help"
    gone = practitioner.get(f"{CHILDREN}/{dup}")
    body = assert_problem(gone, 404)
    assert body["merged_into"] == amelia
    assert gone.headers["Location"].endswith(f"{CHILDREN}/{amelia}")
    assert_problem(practitioner.get(f"{CHILDREN}/{dup}/chronology"), 404)
    assert read(practitioner, f"/api/v1/transitions/{transition}")["child_id"] == amelia
    assert read(practitioner, f"{CONTACTS}/{dup_contact}")["children"][0]["id"] == amelia
    kinds = [i["kind"] for i in read(practitioner, f"{CHILDREN}/{amelia}/chronology")["items"]]
    assert kinds.count("contact_received") == 2
    assert {"decision_recorded", "transition_requested", "child_merged"} <= set(kinds)
    assert audit_actions(auditor, dup)[-1] == "child.merged"
    found = read(practitioner, f"{CHILDREN}?nhs_number={NHS_OTHER}")["items"]
    assert [(c["id"], c["merged_into"]) for c in found] == [(dup, amelia)]


def test_an_unmerge_moves_back_what_the_merge_moved_and_the_duplicate_answers_again(
    duplicate, practitioner, auditor
):
    amelia, amelia_contact, dup, dup_contact, transition = duplicate
    created(merge(practitioner, amelia, dup))

    response = unmerge(practitioner, dup)

    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"{CHILDREN}/{dup}")
    assert [c["id"] for c in response.json["contacts"]] == [dup_contact]
    assert response.json["merged_into"] is None
    assert [c["id"] for c in read(practitioner, f"{CHILDREN}/{amelia}")["contacts"]] == [amelia_contact]
    assert read(practitioner, f"/api/v1/transitions/{transition}")["child_id"] == dup
    kinds = [i["kind"] for i in read(practitioner, f"{CHILDREN}/{amelia}/chronology")["items"]]
    assert kinds.count("contact_received") == 1
    assert {"child_merged", "child_unmerged"} <= set(kinds)
    assert audit_actions(auditor, dup)[-2:] == ["child.merged", "child.unmerged"]
    assert_problem(unmerge(practitioner, dup), 409)


@pytest.mark.parametrize("case, status, field", [
    ("itself", 422, "duplicate"),
    ("unknown", 422, "duplicate"),
    ("already merged", 409, "duplicate"),
], ids=["into itself", "an unknown duplicate", "a duplicate already merged"])
def test_a_merge_the_records_cannot_make_is_refused(duplicate, practitioner, case, status, field):
    amelia, _, dup, _, _ = duplicate
    other = record_contact(practitioner, children=[child("Zoe", new_nhs_number())])["children"][0]["id"]
    if case == "already merged":
        created(merge(practitioner, other, dup))
    target = {"itself": amelia, "unknown": "00000000-0000-4000-8000-000000000000",
              "already merged": dup}[case]
    assert_problem(merge(practitioner, amelia, target), status, field)


def test_a_merge_into_a_merged_record_answers_with_the_pointer(duplicate, practitioner):
    amelia, _, dup, _, _ = duplicate
    created(merge(practitioner, amelia, dup))
    other = record_contact(practitioner, children=[child("Zoe", new_nhs_number())])["children"][0]["id"]
    assert assert_problem(merge(practitioner, dup, other), 404)["merged_into"] == amelia


def test_a_merge_of_two_children_of_one_strategy_meeting_is_a_conflict(practitioner, case):
    from tests.helpers import convene, strategy_case

    both = strategy_case(practitioner, children=[child("Amelia", new_nhs_number()),
                                                 child("Ben", new_nhs_number())])
    convene(practitioner, both)
    first, second = both.child_ids
    assert_problem(merge(practitioner, first, second), 409, "duplicate")


def test_unmerging_a_child_that_is_not_merged_is_a_conflict(practitioner):
    amelia = record_contact(practitioner)["children"][0]["id"]
    assert_problem(unmerge(practitioner, amelia), 409)


def test_a_retried_merge_with_the_same_key_is_replayed_not_done_twice(duplicate, practitioner, auditor):
    amelia, _, dup, _, _ = duplicate
    key = {"Idempotency-Key": "merge-once"}
    first = merge(practitioner, amelia, dup, headers=key)
    again = merge(practitioner, amelia, dup, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert audit_actions(auditor, dup).count("child.merged") == 1


# ---- links and merges in the chronologies -----------------------------------------------------


def untimed(items):
    """Each item whole but for its time."""
    return [{key: value for key, value in item.items() if key != "at"} for item in items]


def chronology_of(client, child_id, *kinds):
    """The items of these kinds in the child's chronology, each whole but for its time."""
    return untimed(item for item in read(client, f"{CHILDREN}/{child_id}/chronology")["items"]
                   if item["kind"] in kinds)


LINKS_AND_MERGES = ("child_linked", "possible_matches_rejected", "child_merged", "child_unmerged")


def test_a_confirmed_match_says_in_full_which_entry_moved_from_which_record_to_which(
        weak, practitioner):
    amelia, contact_id, made = weak
    someone_else = record_contact(practitioner, children=[child("Noah", new_nhs_number())])
    references = {i: read(practitioner, f"{CHILDREN}/{i}")["reference"] for i in (amelia, made)}
    contact_ref = read(practitioner, f"{CONTACTS}/{contact_id}")["reference"]
    created(link(practitioner, contact_id, 0, amelia))

    linked = {"kind": "child_linked", "by": "priya", "ref": {"type": "contact", "id": contact_id},
              "contact_id": contact_id,
              "summary": f"Child 0 of contact {contact_ref} linked to {references[amelia]} "
                         f"(was {references[made]}): {REASON}"}
    assert linked in chronology_of(practitioner, amelia, "child_linked")
    assert linked in untimed(read(practitioner, f"{CONTACTS}/{contact_id}/history")["items"])
    # Another child's chronology has none of it.
    noah = someone_else["children"][0]["id"]
    assert chronology_of(practitioner, noah, *LINKS_AND_MERGES) == []


def test_rejected_matches_say_which_record_the_entry_stays_with_and_why(weak, practitioner):
    amelia, contact_id, made = weak
    made_ref = read(practitioner, f"{CHILDREN}/{made}")["reference"]
    contact_ref = read(practitioner, f"{CONTACTS}/{contact_id}")["reference"]
    created(link(practitioner, contact_id, 0, None, reason="Different child: twins' cousin."))

    assert chronology_of(practitioner, made, *LINKS_AND_MERGES) == [{
        "kind": "possible_matches_rejected", "by": "priya",
        "ref": {"type": "contact", "id": contact_id}, "contact_id": contact_id,
        "summary": f"Child 0 of contact {contact_ref}: possible matches rejected, still "
                   f"{made_ref}: Different child: twins' cousin."}]
    assert chronology_of(practitioner, amelia, *LINKS_AND_MERGES) == []


def test_a_merge_and_its_undoing_are_in_both_childrens_chronologies_and_no_others(
        duplicate, practitioner, api_as):
    amelia, _, dup, _, _ = duplicate
    noah = record_contact(practitioner, children=[child("Noah", new_nhs_number())])["children"][0]["id"]
    references = {i: read(practitioner, f"{CHILDREN}/{i}")["reference"] for i in (amelia, dup)}
    created(merge(practitioner, amelia, dup))
    sam = api_as("practitioner", sub="sam", service="social_care")
    created(unmerge(sam, dup))

    pair = f"{references[dup]} into {references[amelia]}"
    expected = [
        {"kind": "child_merged", "by": "priya", "ref": {"type": "child", "id": dup},
         "contact_id": None, "summary": f"Child {pair} merged: {REASON}"},
        {"kind": "child_unmerged", "by": "sam", "ref": {"type": "child", "id": dup},
         "contact_id": None,
         "summary": f"Merge of child {pair} undone: Not the same child: the GP holds two records."},
    ]
    assert chronology_of(practitioner, amelia, *LINKS_AND_MERGES) == expected
    assert chronology_of(practitioner, dup, *LINKS_AND_MERGES) == expected
    assert chronology_of(practitioner, noah, *LINKS_AND_MERGES) == []


def test_a_childs_record_lists_its_contacts_in_the_order_they_were_received_not_recorded(
        practitioner, clock):
    """Recorded newest-received first until two contacts' ids fall in the other order, so the
    order by receipt is not the order of the ids either."""
    received = clock() - timedelta(hours=1)
    contacts = [record_contact(practitioner, received_at=iso(received))]
    while len(contacts) < 2 or contacts[-1]["id"] < contacts[-2]["id"]:
        received -= timedelta(minutes=5)
        contacts.append(record_contact(practitioner, received_at=iso(received)))
    amelia = contacts[0]["children"][0]["id"]
    listed = [c["id"] for c in read(practitioner, f"{CHILDREN}/{amelia}")["contacts"]]
    assert listed == [c["id"] for c in reversed(contacts)]
    assert listed != sorted(listed)
