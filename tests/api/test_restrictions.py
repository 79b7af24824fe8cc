"""Restricted records (DOMAIN.md): a child or contact only named staff may see; for everyone else
it is as if it did not exist; a manager may break the glass with a reason, for a short time."""

import json
from datetime import timedelta

import pytest

from tests.helpers import (
    NHS_AMELIA, NHS_OTHER, as_audited, assert_problem, audit_actions, audit_events, child,
    contact_body, convene_at, created, decide, field_errors, iso, item_ids, make_account,
    new_nhs_number, read, record_contact, step_up, utc,
)

RESTRICTIONS = "/api/v1/restrictions"
REASON = "The child's aunt works in the MASH; only the named worker may see the record."
GLASS = "The child was admitted to hospital tonight and I am the duty manager on call."
NOWHERE = "00000000-0000-4000-8000-000000000000"
LIFTED = "The worker has left the MASH; the record is open to staff again."


@pytest.fixture
def accounts(db):
    """Accounts for the staff a restriction can name (priya: MASH practitioner; erin: early help),
    a partner's and a practitioner's deactivated one (gone)."""
    make_account("priya", "person", "practitioner", service="mash")
    make_account("erin", "person", "practitioner", service="early_help")
    make_account("wmp-system", "client", "agency", agency="wmp")
    make_account("gone", "person", "practitioner", service="mash", active=False)


def restrict(manager, entity_type, entity_id, allowed=("priya",), **overrides):
    body = {"entity_type": entity_type, "entity_id": entity_id, "allowed": list(allowed),
            "reason": REASON, **overrides}
    return manager.post(RESTRICTIONS, json=body)


@pytest.fixture
def restricted_child(staff, accounts):
    """Amelia, on a contact the police posted and one a practitioner took, restricted to priya by
    mark (the MASH manager)."""
    police_contact = record_contact(staff.agency, received_at="2026-11-20T08:00:00Z")
    phoned = record_contact(staff.mash, received_at="2026-11-20T08:30:00Z",
                            consent={"status": "given", "given_by": "Mother"})
    child_id = police_contact["children"][0]["id"]
    assert phoned["children"][0]["id"] == child_id
    decision = decide(staff.mash, phoned["id"], "early_help", "2026-11-20T09:00:00Z")
    restriction = created(restrict(staff.mash_manager, "child", child_id))
    return {"child": child_id, "police_contact": police_contact["id"], "contact": phoned["id"],
            "decision": decision["id"], "restriction": restriction}


def reads_of(records):
    return [f"/api/v1/children/{records['child']}",
            f"/api/v1/children/{records['child']}/chronology",
            f"/api/v1/contacts/{records['contact']}",
            f"/api/v1/contacts/{records['contact']}/decisions",
            f"/api/v1/contacts/{records['contact']}/history",
            f"/api/v1/contacts/{records['police_contact']}"]


def test_a_restricted_child_reads_exactly_like_one_that_does_not_exist(staff, restricted_child):
    for path in reads_of(restricted_child):
        hidden = staff.eh.get(path)
        absent = staff.eh.get(path.replace(restricted_child["child"], NOWHERE)
                              .replace(restricted_child["contact"], NOWHERE)
                              .replace(restricted_child["police_contact"], NOWHERE))
        assert_problem(hidden, 404)
        assert hidden.json["title"] == absent.json["title"] and set(hidden.json) == set(absent.json)


@pytest.mark.parametrize("who", ["mash", "mash_manager", "auditor"],
                         ids=["the named practitioner", "the manager who set it", "an auditor"])
def test_those_it_names_and_auditors_still_read_it(staff, restricted_child, who):
    for path in reads_of(restricted_child):
        response = getattr(staff, who).get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))


def test_being_named_on_or_granted_one_restriction_opens_no_other(staff, restricted_child):
    other = record_contact(staff.mash, received_at="2026-11-20T09:40:00Z",
                           consent={"status": "given", "given_by": "Mother"},
                           children=[child(given_name="Oscar", nhs_number=NHS_OTHER)])
    created(restrict(staff.mash_manager, "child", other["children"][0]["id"], allowed=["erin"]))
    amelia = f"/api/v1/children/{restricted_child['child']}"  # restricted to priya
    oscar = f"/api/v1/children/{other['children'][0]['id']}"  # restricted to erin
    assert read(staff.mash, amelia)["id"] and read(staff.eh, oscar)["id"]
    assert_problem(staff.mash.get(oscar), 404)
    assert_problem(staff.eh.get(amelia), 404)

    created(staff.sc_manager.post(f"{RESTRICTIONS}/{restricted_child['restriction']['id']}/access",
                                  json={"reason": GLASS}))
    assert read(staff.sc_manager, amelia)["id"]
    assert_problem(staff.sc_manager.get(oscar), 404)


@pytest.mark.parametrize("who", ["eh", "eh_manager", "sc_manager"])
def test_other_staff_do_not_see_it_in_lists(staff, restricted_child, who):
    client = getattr(staff, who)
    listed = [item["id"] for item in read(client, "/api/v1/contacts")["items"]]
    assert restricted_child["contact"] not in listed
    assert restricted_child["police_contact"] not in listed
    named = [item["id"] for item in read(staff.mash, "/api/v1/contacts")["items"]]
    assert {restricted_child["contact"], restricted_child["police_contact"]} <= set(named)


def test_the_partner_that_posted_the_contact_still_reads_what_it_sent(staff, restricted_child):
    contact = read(staff.agency, f"/api/v1/contacts/{restricted_child['police_contact']}")
    assert contact["id"] == restricted_child["police_contact"]
    listed = [item["id"] for item in read(staff.agency, "/api/v1/contacts")["items"]]
    assert listed == [restricted_child["police_contact"]]


def test_a_hidden_contact_cannot_be_written_to_and_nothing_is_written(staff, restricted_child,
                                                                      rows):
    before = rows()
    response = staff.eh.post(f"/api/v1/contacts/{restricted_child['contact']}/consent",
                             json={"status": "refused", "reason": "Mother withdrew consent."})
    assert_problem(response, 404)
    assert rows() == before


def test_a_step_up_for_a_hidden_child_is_refused_as_for_no_child(staff, restricted_child):
    hidden = step_up(staff.eh, restricted_child["child"])
    absent = step_up(staff.eh, NOWHERE)
    assert field_errors(hidden) == field_errors(absent)
    assert created(step_up(staff.mash, restricted_child["child"]))["child_id"] == \
        restricted_child["child"]


def test_its_transitions_are_hidden_too(staff, restricted_child):
    transition = created(step_up(staff.mash, restricted_child["child"]))
    assert_problem(staff.sc_manager.get(f"/api/v1/transitions/{transition['id']}"), 404)
    assert transition["id"] not in [
        t["id"] for t in read(staff.sc_manager, "/api/v1/transitions")["items"]]
    answer = staff.sc_manager.post(f"/api/v1/transitions/{transition['id']}/response",
                                   json={"decision": "accepted"})
    assert_problem(answer, 404)
    assert read(staff.auditor, f"/api/v1/transitions/{transition['id']}")["status"] == "requested"


def test_a_restricted_contact_hides_only_that_contact_from_the_childs_record(staff, accounts):
    first = record_contact(staff.mash, received_at="2026-11-20T08:00:00Z",
                           consent={"status": "given", "given_by": "Mother"})
    second = record_contact(staff.agency, received_at="2026-11-20T08:30:00Z")
    child_id = first["children"][0]["id"]
    created(restrict(staff.mash_manager, "contact", second["id"]))

    detail = read(staff.eh, f"/api/v1/children/{child_id}")
    assert [c["id"] for c in detail["contacts"]] == [first["id"]]
    chronology = read(staff.eh, f"/api/v1/children/{child_id}/chronology")["items"]
    assert {item["ref"]["id"] for item in chronology} == {first["id"]}
    assert_problem(staff.eh.get(f"/api/v1/contacts/{second['id']}"), 404)
    everything = read(staff.mash, f"/api/v1/children/{child_id}/chronology")["items"]
    assert {item["ref"]["id"] for item in everything} == {first["id"], second["id"]}



def test_a_restricted_contacts_meetings_and_the_links_made_on_it_leave_the_childs_chronology_too(
        staff, accounts):
    amelia = record_contact(staff.mash, received_at="2026-11-20T08:00:00Z",
                            consent={"status": "given", "given_by": "Mother"})
    amelia_id = amelia["children"][0]["id"]
    # The same NHS number with another date of birth: a record of its own, linked to Amelia's.
    later = created(staff.agency.post("/api/v1/contacts", json=contact_body(
        received_at="2026-11-20T09:30:00Z", source_reference="PPN-2026-0100",
        children=[child(date_of_birth="2019-04-03")])))
    created(staff.mash.post(f"/api/v1/contacts/{later['id']}/children/0/link",
                            json={"child": amelia_id, "reason": "Same child: school confirmed."}))
    decide(staff.mash, later["id"], "strategy_discussion", "2026-11-20T09:40:00Z")
    meeting = convene_at(staff.mash, later["id"], [amelia_id], utc("2026-11-20T09:45:00Z"))
    everything = read(staff.eh, f"/api/v1/children/{amelia_id}/chronology")["items"]
    assert {"child_linked", "strategy_meeting_convened"} <= {i["kind"] for i in everything}

    created(restrict(staff.mash_manager, "contact", later["id"]))

    shown = read(staff.eh, f"/api/v1/children/{amelia_id}/chronology")["items"]
    # Left: Amelia's own contact, and the merge of the record made for the entry (it names two
    # children neither of which is restricted, and no contact).
    assert {(i["kind"], i["ref"]["id"]) for i in shown if i["ref"]["type"] != "child"} == {
        ("contact_received", amelia["id"]), ("consent_recorded", amelia["id"])}
    assert [i["kind"] for i in shown if i["ref"]["type"] == "child"] == ["child_merged"]
    assert read(staff.mash, f"/api/v1/children/{amelia_id}/chronology")["items"] == everything
    assert meeting["id"] in {i["ref"]["id"] for i in everything}



def test_a_restricted_contacts_meetings_are_not_listed_for_those_it_hides_them_from(
        staff, accounts):
    contact = record_contact(staff.mash, received_at="2026-11-20T08:00:00Z")
    decide(staff.mash, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    meeting = convene_at(staff.mash, contact["id"], [contact["children"][0]["id"]],
                         utc("2026-11-20T08:45:00Z"))
    assert item_ids(staff.eh.get("/api/v1/strategy-meetings")) == [meeting["id"]]
    created(restrict(staff.mash_manager, "contact", contact["id"]))
    assert item_ids(staff.eh.get("/api/v1/strategy-meetings")) == []
    assert item_ids(staff.mash.get("/api/v1/strategy-meetings")) == [meeting["id"]]

@pytest.mark.parametrize("restricted", ["the child kept", "the duplicate"])
def test_a_merge_naming_a_restricted_child_leaves_the_other_childs_chronology(
        staff, accounts, restricted):
    kept = record_contact(staff.mash, received_at="2026-11-20T08:00:00Z")["children"][0]["id"]
    duplicate = record_contact(staff.mash, received_at="2026-11-20T08:30:00Z", children=[
        child(nhs_number=NHS_OTHER, date_of_birth="2019-04-03")])["children"][0]["id"]
    created(staff.mash.post(f"/api/v1/children/{kept}/merge",
                            json={"duplicate": duplicate, "reason": "Same child, it seemed."}))
    created(staff.mash.post(f"/api/v1/children/{duplicate}/unmerge",
                            json={"reason": "Not the same child: the GP holds two records."}))
    restricted_id, other = (kept, duplicate) if restricted == "the child kept" else (duplicate, kept)
    merges = ["child_merged", "child_unmerged"]

    def merge_items(client):
        return [i["kind"] for i in read(client, f"/api/v1/children/{other}/chronology")["items"]
                if i["kind"] in merges]

    assert merge_items(staff.eh) == merges
    created(restrict(staff.mash_manager, "child", restricted_id))
    assert merge_items(staff.eh) == []
    assert merge_items(staff.mash) == merges


def test_exports_leave_it_out_for_managers_it_does_not_name_but_not_for_auditors(
        staff, restricted_child):
    period = "from=2026-11-01&to=2026-12-01"
    shown = {row["id"] for row in read(staff.auditor, f"/api/v1/exports/decisions?{period}")["items"]}
    assert restricted_child["decision"] in shown
    other = {row["id"] for row in read(staff.sc_manager, f"/api/v1/exports/decisions?{period}")["items"]}
    assert restricted_child["decision"] not in other
    rows_for = {}
    for who in ("auditor", "sc_manager", "mash_manager"):
        for name in ("contacts", "early-help"):
            response = getattr(staff, who).get(f"/api/v1/exports/annex-a/{name}?{period}",
                                               headers={"Accept": "text/csv"})
            assert response.status_code == 200
            rows_for[who, name] = response.get_data(as_text=True).strip().splitlines()[1:]
    # Annex A: two contacts about her, and the early help decided on one of them.
    for who in ("auditor", "mash_manager"):
        assert (len(rows_for[who, "contacts"]), len(rows_for[who, "early-help"])) == (2, 1)
    assert rows_for["sc_manager", "contacts"] == rows_for["sc_manager", "early-help"] == []


@pytest.mark.parametrize("entity_type", ["contact", "child"])
def test_the_cin_census_leaves_it_out_for_managers_it_does_not_name_but_not_for_auditors(
        staff, accounts, entity_type):
    import xml.etree.ElementTree as ET

    referred = record_contact(staff.agency, received_at="2026-11-20T08:00:00Z",
                              children=[child("Amelia", new_nhs_number())],
                              consent={"status": "given", "given_by": "Mother"})
    decide(staff.mash, referred["id"], "assessment", "2026-11-20T09:00:00Z")
    child_id = referred["children"][0]["id"]
    reference = read(staff.mash, f"/api/v1/children/{child_id}")["reference"].replace("-", "")
    record = referred["id"] if entity_type == "contact" else child_id
    created(restrict(staff.mash_manager, entity_type, record))

    def listed(who):
        answer = getattr(staff, who).get("/api/v1/exports/cin-census?year=2026-27")
        assert answer.status_code == 200
        root = ET.fromstring(answer.get_data())
        return [c.findtext("ChildIdentifiers/LAchildID") for c in root.iter("Child")]

    assert (listed("auditor"), listed("mash_manager"), listed("sc_manager")) == (
        [reference], [reference], [])


@pytest.mark.parametrize("entity_type", ["contact", "child"])
def test_its_assessments_are_hidden_from_staff_it_does_not_name(staff, accounts, entity_type):
    referred = record_contact(staff.agency, children=[child("Amelia", new_nhs_number())],
                              consent={"status": "given", "given_by": "Mother"})
    decide(staff.mash, referred["id"], "assessment", "2026-11-20T09:30:00Z")
    child_id = referred["children"][0]["id"]
    assessment = created(staff.mash.post("/api/v1/assessments", json={
        "contact_id": referred["id"], "child_id": child_id, "started_at": "2026-11-20T09:45:00Z"}))
    record = referred["id"] if entity_type == "contact" else child_id
    created(restrict(staff.mash_manager, entity_type, record))

    path = f"/api/v1/assessments/{assessment['id']}"
    for who in ("mash", "auditor"):
        assert read(getattr(staff, who), path)["id"] == assessment["id"]
        assert item_ids(getattr(staff, who).get("/api/v1/assessments")) == [assessment["id"]]
    assert_problem(staff.sc.get(path), 404)
    assert item_ids(staff.sc.get("/api/v1/assessments")) == []


def test_metrics_still_count_it(staff, restricted_child):
    period = "from=2026-11-01&to=2026-12-01"
    hidden_from = read(staff.eh, f"/api/v1/metrics/timeliness?{period}")
    named = read(staff.mash, f"/api/v1/metrics/timeliness?{period}")
    assert hidden_from == named
    assert named["contacts"]["received"] == 2


# ---- breaking the glass ----------------------------------------------------------------------


def test_a_manager_breaks_the_glass_for_a_short_time_and_it_is_on_record(
        staff, restricted_child, clock, app):
    restriction = restricted_child["restriction"]
    child_path = f"/api/v1/children/{restricted_child['child']}"
    assert_problem(staff.sc_manager.get(child_path), 404)

    granted = created(staff.sc_manager.post(f"{RESTRICTIONS}/{restriction['id']}/access",
                                            json={"reason": GLASS}))
    assert [g["granted_to"] for g in granted["grants"]] == ["sara"]
    assert read(staff.sc_manager, child_path)["id"] == restricted_child["child"]
    assert_problem(staff.eh_manager.get(child_path), 404)  # the grant is sara's alone

    assert "restriction.glass_broken" in audit_actions(staff.auditor, restriction["id"])
    access = read(staff.auditor, f"/api/v1/audit/access?entity_id={restricted_child['child']}")
    glass = [e for e in access["items"] if e["endpoint"] == "restrictions.break_glass"]
    assert len(glass) == 1 and glass[0]["actor"]["sub"] == "sara"
    listed = read(staff.auditor, f"{RESTRICTIONS}?entity_id={restricted_child['child']}")
    assert listed["items"][0]["grants"][0]["reason"] == GLASS

    # The grant's last instant is the microsecond before expires_at; at expires_at it is over.
    clock.advance(minutes=app.config["RESTRICTION_GRANT_MINUTES"], microseconds=-1)
    assert read(staff.sc_manager, child_path)["id"] == restricted_child["child"]
    clock.advance(microseconds=1)
    assert_problem(staff.sc_manager.get(child_path), 404)


def test_breaking_the_glass_is_audited_in_full_and_alerted_in_the_log_without_its_reason(
        staff, restricted_child, clock, app, log_lines):
    restriction = restricted_child["restriction"]
    granted = created(staff.sc_manager.post(f"{RESTRICTIONS}/{restriction['id']}/access",
                                            json={"reason": GLASS}))
    [grant] = granted["grants"]
    expires = clock() + timedelta(minutes=app.config["RESTRICTION_GRANT_MINUTES"])
    assert audit_events(staff.auditor, restriction["id"])[-1] == ("restriction.glass_broken", {
        "grant_id": grant["id"], "entity_type": "child", "entity_id": restricted_child["child"],
        "reason": GLASS, "expires_at": as_audited(expires)})

    lines = log_lines()
    [alert] = [line for line in lines if line.get("event") == "restriction.glass_broken"]
    assert (alert["level"], alert["logger"]) == ("WARNING", "api.domain.restrictions")
    assert alert["message"] == (
        f"break-glass access by sara to restricted child {restricted_child['child']} "
        f"(restriction {restriction['id']}) until {expires.isoformat()}")
    assert GLASS not in json.dumps(lines)  # free text that may name people: not logged


@pytest.mark.parametrize("reason", [None, "", "need to see", "n/a"])
def test_breaking_the_glass_needs_a_reason(staff, restricted_child, reason):
    body = {} if reason is None else {"reason": reason}
    response = staff.sc_manager.post(
        f"{RESTRICTIONS}/{restricted_child['restriction']['id']}/access", json=body)
    assert "reason" in field_errors(response)


def test_only_a_manager_breaks_the_glass(staff, restricted_child):
    response = staff.eh.post(f"{RESTRICTIONS}/{restricted_child['restriction']['id']}/access",
                             json={"reason": GLASS})
    assert_problem(response, 403)


# ---- restricting and lifting -----------------------------------------------------------------


@pytest.mark.parametrize(("allowed", "why"), [
    ([], "nobody named"),
    (["priya", "priya"], "named twice"),
    (["nobody-here"], "no such account"),
    (["wmp-system"], "a partner's account"),
    (["gone"], "a deactivated account"),
])
def test_the_staff_named_must_be_staff_accounts(staff, accounts, allowed, why):
    contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"})
    response = restrict(staff.mash_manager, "contact", contact["id"], allowed=allowed)
    assert any(key.startswith("allowed") for key in field_errors(response)), why


@pytest.mark.parametrize("kind", ["child", "contact"])
def test_a_record_not_there_or_hidden_from_the_manager_cannot_be_restricted_alike(
        staff, restricted_child, kind, rows):
    before = rows()
    absent = field_errors(restrict(staff.mash_manager, kind, NOWHERE))
    assert list(absent) == ["entity_id"]
    # Hidden from sara (the child's restriction covers its contacts): the same answer as no
    # record, not the 409 of a record restricted already, which would tell her it exists.
    hidden = field_errors(restrict(staff.sc_manager, kind, restricted_child[kind]))
    assert hidden == absent
    assert rows() == before


def test_restricting_is_audited_with_the_record_the_reason_and_who_may_see_it(
        staff, restricted_child):
    restriction = restricted_child["restriction"]
    assert audit_events(staff.auditor, restriction["id"]) == [("restriction.set", {
        "entity_type": "child", "entity_id": restricted_child["child"], "reason": REASON,
        "allowed": ["mark", "priya"]})]


def test_one_restriction_in_force_per_record(staff, restricted_child, rows):
    before = rows()
    again = restrict(staff.mash_manager, "child", restricted_child["child"])
    problem = assert_problem(again, 409)
    # Which restriction to lift first, and the field: not only the database's unique index.
    assert restricted_child["restriction"]["id"] in problem["detail"]
    assert problem["errors"] == {"entity_id": ["Already restricted."]}
    assert rows() == before


def test_only_a_manager_restricts_and_the_reason_is_required(staff, accounts):
    contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"})
    assert_problem(restrict(staff.mash, "contact", contact["id"]), 403)
    assert "reason" in field_errors(restrict(staff.mash_manager, "contact", contact["id"],
                                             reason="tbc"))


def test_the_list_filters_by_record_and_in_force_and_pages_newest_first(staff, accounts, clock):
    def restricted(entity_type, given_name):
        contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                                 children=[child(given_name=given_name, nhs_number=new_nhs_number())])
        entity_id = contact["id"] if entity_type == "contact" else contact["children"][0]["id"]
        restriction = created(restrict(staff.mash_manager, entity_type, entity_id))
        clock.advance(minutes=1)
        return restriction

    first = restricted("child", "Amelia")
    second = restricted("contact", "Oscar")
    third = restricted("child", "Ruby")
    created(staff.mash_manager.post(f"{RESTRICTIONS}/{third['id']}/lifting", json={"reason": LIFTED}))

    def listed(**query):
        return item_ids(staff.auditor.get(RESTRICTIONS, query_string=query))

    page = read(staff.mash_manager, f"{RESTRICTIONS}?limit=2")
    assert [r["id"] for r in page["items"]] == [third["id"], second["id"]]
    rest = read(staff.mash_manager, f"{RESTRICTIONS}?limit=2&cursor={page['next_cursor']}")
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == ([first["id"]], None)
    assert listed(entity_type="contact") == [second["id"]]
    assert listed(entity_id=first["entity_id"]) == [first["id"]]
    assert listed(in_force="false") == [third["id"]]
    assert listed(in_force="true") == [second["id"], first["id"]]


def test_lifting_opens_the_record_to_staff_again_and_keeps_the_restriction_on_record(
        staff, restricted_child):
    restriction = restricted_child["restriction"]
    lifting = f"{RESTRICTIONS}/{restriction['id']}/lifting"
    body = {"reason": LIFTED}
    assert_problem(staff.sc_manager.post(lifting, json=body), 404)  # not one it names
    lifted = created(staff.mash_manager.post(lifting, json=body))
    assert lifted["in_force"] is False and lifted["lifted_by"] == "mark"
    assert read(staff.eh, f"/api/v1/children/{restricted_child['child']}")["id"]
    assert_problem(staff.mash_manager.post(lifting, json=body), 409)
    assert_problem(staff.sc_manager.post(f"{RESTRICTIONS}/{restriction['id']}/access",
                                         json={"reason": GLASS}), 409)
    assert audit_actions(staff.auditor, restriction["id"]) == [
        "restriction.set", "restriction.lifted"]
    # Lifted, the record may be restricted afresh.
    created(restrict(staff.mash_manager, "child", restricted_child["child"], allowed=["erin"]))


def test_a_lifting_keeps_why_and_when_and_a_placeholder_is_no_reason(
        staff, restricted_child, clock, rows):
    restriction = restricted_child["restriction"]
    lifting = f"{RESTRICTIONS}/{restriction['id']}/lifting"
    before = rows()
    assert "reason" in field_errors(staff.mash_manager.post(lifting, json={"reason": "n/a"}))
    assert rows() == before
    assert read(staff.auditor, f"{RESTRICTIONS}/{restriction['id']}")["in_force"] is True

    lifted = created(staff.mash_manager.post(lifting, json={"reason": LIFTED}))
    assert (lifted["lift_reason"], lifted["lifted_at"]) == (LIFTED, iso(clock()))
    assert audit_events(staff.auditor, restriction["id"])[-1] == (
        "restriction.lifted", {"reason": LIFTED})


def test_a_new_contact_about_a_restricted_child_is_hidden_at_once(staff, restricted_child):
    later = created(staff.agency.post("/api/v1/contacts", json=contact_body(
        received_at="2026-11-20T09:30:00Z", source_reference="PPN-2026-0099")))
    assert later["children"][0]["id"] == restricted_child["child"]
    assert_problem(staff.eh.get(f"/api/v1/contacts/{later['id']}"), 404)
    assert later["id"] in [i["id"] for i in read(staff.mash, "/api/v1/contacts")["items"]]


def test_another_child_on_the_same_contact_hides_the_contact_but_not_the_other_child(
        staff, accounts):
    contact = record_contact(staff.mash, consent={"status": "given", "given_by": "Mother"},
                             children=[child(), child(given_name="Oscar", nhs_number=NHS_OTHER)])
    amelia, oscar = (c["id"] for c in contact["children"])
    created(restrict(staff.mash_manager, "child", amelia))
    assert_problem(staff.eh.get(f"/api/v1/contacts/{contact['id']}"), 404)
    oscar_record = read(staff.eh, f"/api/v1/children/{oscar}")
    assert oscar_record["contacts"] == []



# ---- with a child's identity: searches, possible matches, merges ------------------------------


def test_a_search_does_not_find_a_restricted_child_for_those_it_hides_it_from(staff, restricted_child):
    query = f"/api/v1/children?nhs_number={NHS_AMELIA}"
    assert read(staff.eh, query)["items"] == []
    assert [c["id"] for c in read(staff.mash, query)["items"]] == [restricted_child["child"]]


def test_a_possible_match_never_shows_a_restricted_child_to_those_it_is_hidden_from(
        staff, restricted_child):
    # The same NHS number with another date of birth: a new record, with Amelia as its match.
    later = created(staff.agency.post("/api/v1/contacts", json=contact_body(
        received_at="2026-11-20T09:30:00Z", source_reference="PPN-2026-0100",
        children=[child(date_of_birth="2019-04-03")])))
    seen_by_named = read(staff.mash, f"/api/v1/contacts/{later['id']}")["children"][0]
    assert [m["candidate"]["id"] for m in seen_by_named["possible_matches"]] == [
        restricted_child["child"]]
    seen_by_other = read(staff.eh, f"/api/v1/contacts/{later['id']}")["children"][0]
    assert seen_by_other["possible_matches"] == []
    new_record = seen_by_other["id"]
    assert read(staff.eh, f"/api/v1/children/{new_record}")["possible_matches"] == []
    linking = staff.eh.post(f"/api/v1/contacts/{later['id']}/children/0/link",
                            json={"child": restricted_child["child"], "reason": "Same child."})
    assert "child" in field_errors(linking)


@pytest.mark.parametrize("restricted", ["contact", "child"])
def test_a_possible_match_on_a_restricted_contact_or_record_is_not_shown_on_the_childs_record(
        staff, accounts, restricted):
    amelia = record_contact(staff.agency, received_at="2026-11-20T08:00:00Z")["children"][0]["id"]
    # The same NHS number with another date of birth: a new record, with Amelia as its match.
    later = created(staff.agency.post("/api/v1/contacts", json=contact_body(
        received_at="2026-11-20T09:30:00Z", source_reference="PPN-2026-0100",
        children=[child(date_of_birth="2019-04-03")])))
    shown = read(staff.eh, f"/api/v1/children/{amelia}")["possible_matches"]
    assert [m["contact_id"] for m in shown] == [later["id"]]
    # Amelia is not restricted; only the contact is, or only the record made for its entry: the
    # match would show either.
    restricted_id = later["id"] if restricted == "contact" else later["children"][0]["id"]
    created(restrict(staff.mash_manager, restricted, restricted_id))
    assert read(staff.eh, f"/api/v1/children/{amelia}")["possible_matches"] == []
    assert read(staff.mash, f"/api/v1/children/{amelia}")["possible_matches"] == shown


def test_a_restricted_child_is_not_merged_or_merged_into(staff, restricted_child, rows):
    other = record_contact(staff.mash, received_at="2026-11-20T09:40:00Z",
                           consent={"status": "given", "given_by": "Mother"},
                           children=[child(given_name="Oscar", nhs_number=NHS_OTHER)])
    oscar = other["children"][0]["id"]
    before = rows()
    into = staff.mash.post(f"/api/v1/children/{oscar}/merge",
                           json={"duplicate": restricted_child["child"], "reason": "Same child."})
    assert_problem(into, 409, "child_id")
    away = staff.mash.post(f"/api/v1/children/{restricted_child['child']}/merge",
                           json={"duplicate": oscar, "reason": "Same child."})
    assert_problem(away, 409, "child_id")
    hidden = staff.eh.post(f"/api/v1/children/{oscar}/merge",
                           json={"duplicate": restricted_child["child"], "reason": "Same child."})
    assert "duplicate" in field_errors(hidden)
    # To staff it hides the child from, a merge into it or its disability is about no child.
    assert_problem(staff.eh.post(f"/api/v1/children/{restricted_child['child']}/merge",
                                 json={"duplicate": oscar, "reason": "Same child."}), 404)
    assert_problem(staff.eh.post(f"/api/v1/children/{restricted_child['child']}/disability",
                                 json={"disability": False}), 404)
    assert rows() == before

    # Lifted, it is merged like any other record.
    created(staff.mash_manager.post(
        f"{RESTRICTIONS}/{restricted_child['restriction']['id']}/lifting", json={"reason": LIFTED}))
    created(staff.mash.post(f"/api/v1/children/{oscar}/merge",
                            json={"duplicate": restricted_child["child"], "reason": "Same child."}))
    # And the record it was merged into, restricted since, keeps the merge until it is lifted.
    created(restrict(staff.mash_manager, "child", oscar))
    assert_problem(staff.mash.post(f"/api/v1/children/{restricted_child['child']}/unmerge",
                                   json={"reason": "Not the same child."}), 409, "child_id")
