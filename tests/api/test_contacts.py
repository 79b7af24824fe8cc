"""POST/GET /api/v1/contacts and POST /contacts/{id}/consent, over HTTP with real tokens."""

import base64
import copy
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from api.db import session
from api.models import Contact
from tests.helpers import DEFAULT_NOW, ApiClient, assert_problem, contact_body

CONTACTS = "/api/v1/contacts"

# Valid NHS numbers (modulus 11), as published for testing.
NHS_AMELIA = "9434765919"
NHS_OTHER = "4010232137"
NHS_THIRD = "4857773457"

DROP = object()


def child(**overrides):
    """A child as a partner would send it; DROP removes a field."""
    data = {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
            "sex": "female", "nhs_number": NHS_AMELIA}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not DROP}


def body_with(path, value):
    """contact_body() with the value at `path` (keys and list indexes) replaced, or dropped."""
    body = copy.deepcopy(contact_body())
    target = body
    for step in path[:-1]:
        target = target[step]
    if value is DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


def record(client, **overrides):
    response = client.post(CONTACTS, json=contact_body(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def listed_ids(client, query=""):
    response = client.get(f"{CONTACTS}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json["items"]]


def forget_loaded_records():
    # The test's app context outlives each request, and with it the session's identity map:
    # expire it so the next request reads what the database holds, as a new request would.
    session.expire_all()


# ---- recording: what comes back -----------------------------------------------------------------


def test_a_recorded_contact_comes_back_with_its_identifiers_and_status(police):
    response = police.post(CONTACTS, json=contact_body())

    assert response.status_code == 201
    contact = response.json
    uuid.UUID(contact["id"])
    assert re.fullmatch(r"C-2026-\d{6}", contact["reference"])
    assert contact["status"] == "awaiting_decision"
    assert contact["received_at"] == "2026-11-20T09:00:00Z"
    assert contact["recorded_at"] == "2026-11-20T10:00:00Z"
    assert "recorded_by" not in contact  # internal: the referring agency's view omits it
    assert contact["source_agency"] == "wmp"
    assert contact["source_reference"] == "PPN-2026-0042"
    assert contact["channel"] == "api"
    assert contact["concerns"] == {
        "categories": ["domestic_abuse"],
        "summary": "Police attended a domestic incident; the child was present.",
    }
    assert contact["consent"]["status"] == "not_sought"
    [amelia] = contact["children"]
    uuid.UUID(amelia["id"])
    assert amelia["nhs_number"] == NHS_AMELIA
    assert amelia["given_name"] == "Amelia"


def test_a_recorded_contact_has_a_location_that_reads_it_back_with_an_etag(police):
    created = police.post(CONTACTS, json=contact_body())

    location = created.headers["Location"]
    assert location.endswith(f"{CONTACTS}/{created.json['id']}")
    read = police.get(location)
    assert read.status_code == 200
    assert read.json == created.json
    assert re.fullmatch(r'(W/)?"[^"]+"', read.headers["ETag"])


def test_references_follow_the_pattern_and_count_up_within_the_year(practitioner):
    first = record(practitioner)["reference"]
    second = record(practitioner)["reference"]

    assert re.fullmatch(r"C-2026-\d{6}", first)
    assert re.fullmatch(r"C-2026-\d{6}", second)
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_a_received_at_with_an_offset_is_stored_and_returned_in_utc(practitioner):
    contact = record(practitioner, received_at="2026-11-20T10:00:00+01:00")

    assert contact["received_at"] == "2026-11-20T09:00:00Z"


def test_a_white_space_padded_summary_is_stored_trimmed(practitioner):
    contact = record(practitioner, concerns={"categories": [], "summary": "  Bruising seen.  "})

    assert contact["concerns"]["summary"] == "Bruising seen."


def test_an_unborn_child_is_recorded_with_an_expected_date_of_birth(practitioner):
    unborn = child(date_of_birth=DROP, expected_date_of_birth="2027-03-01", given_name="Unborn",
                   nhs_number=DROP, sex="unknown")

    contact = record(practitioner, children=[unborn])

    assert contact["children"][0]["expected_date_of_birth"] == "2027-03-01"
    assert contact["children"][0]["date_of_birth"] is None


def test_an_nhs_number_written_with_spaces_is_accepted_and_stored_as_digits(practitioner):
    contact = record(practitioner, children=[child(nhs_number="943 476 5919")])

    assert contact["children"][0]["nhs_number"] == "9434765919"


def test_an_nhs_number_whose_check_digit_is_zero_is_accepted(practitioner):
    contact = record(practitioner, children=[child(nhs_number="4010232110")])

    assert contact["children"][0]["nhs_number"] == "4010232110"


# ---- validation: every rule names its field -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("received_at",), "received_at"),
        (("source_agency",), "source_agency"),
        (("children",), "children"),
        (("concerns",), "concerns"),
        (("consent",), "consent"),
        (("concerns", "summary"), "concerns.summary"),
        (("consent", "status"), "consent.status"),
        (("children", 0, "given_name"), "children[0].given_name"),
        (("children", 0, "family_name"), "children[0].family_name"),
    ],
)
def test_a_contact_missing_a_required_field_is_rejected(practitioner, path, field):
    response = practitioner.post(CONTACTS, json=body_with(path, DROP))

    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("received_at",), "2026-11-20T09:00:00", "received_at"),  # naive: no offset
        (("received_at",), "yesterday", "received_at"),
        (("source_agency",), "", "source_agency"),
        (("children",), [], "children"),
        (("channel",), "fax", "channel"),
        (("children", 0, "sex"), "girl", "children[0].sex"),
        (("children", 0, "date_of_birth"), "02/04/2019", "children[0].date_of_birth"),
        (("concerns", "categories"), ["neglect", "bogus"], "concerns.categories[1]"),
        (("concerns", "summary"), "", "concerns.summary"),
        (("concerns", "summary"), "   \n\t ", "concerns.summary"),
        (("consent", "status"), "maybe", "consent.status"),
        (("consent", "reason"), "   ", "consent.reason"),
        (("referrer", "email"), "not-an-email", "referrer.email"),
    ],
)
def test_a_contact_with_a_bad_value_is_rejected(practitioner, path, value, field):
    response = practitioner.post(CONTACTS, json=body_with(path, value))

    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    "nhs_number",
    [
        "9434765918",   # wrong check digit
        "1234567890",   # check digit would be 10: never valid
        "943476591",    # nine digits
        "94347659190",  # eleven digits
        "94347659AB",   # letters
        "",
    ],
)
def test_a_child_with_an_invalid_nhs_number_is_rejected(practitioner, nhs_number):
    response = practitioner.post(CONTACTS, json=contact_body(children=[child(nhs_number=nhs_number)]))

    assert_problem(response, 422, "children[0].nhs_number")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("colour",), "colour"),
        (("children", 0, "eye_colour"), "children[0].eye_colour"),
        (("concerns", "severity"), "concerns.severity"),
        (("consent", "signed"), "consent.signed"),
    ],
)
def test_a_contact_with_an_unknown_field_is_rejected(practitioner, path, field):
    response = practitioner.post(CONTACTS, json=body_with(path, "something"))

    assert_problem(response, 422, field)


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_consent_other_than_given_without_a_reason_is_rejected(practitioner, status):
    response = practitioner.post(CONTACTS, json=contact_body(consent={"status": status}))

    assert_problem(response, 422, "consent.reason")


def test_consent_given_needs_no_reason(practitioner):
    contact = record(practitioner, consent={"status": "given", "given_by": "Mother"})

    assert contact["consent"] == {"status": "given", "given_by": "Mother", "reason": None}


def test_a_child_with_both_date_of_birth_and_expected_date_is_rejected(practitioner):
    both = child(expected_date_of_birth="2027-03-01")

    response = practitioner.post(CONTACTS, json=contact_body(children=[both]))

    assert_problem(response, 422, "children[0].date_of_birth")


def test_a_child_with_neither_date_of_birth_nor_expected_date_is_rejected(practitioner):
    neither = child(date_of_birth=DROP)

    response = practitioner.post(CONTACTS, json=contact_body(children=[neither]))

    assert_problem(response, 422, "children[0].date_of_birth")


def test_the_second_child_is_named_when_it_is_the_one_at_fault(practitioner):
    children = [child(), child(given_name="Ben", nhs_number=NHS_OTHER, date_of_birth=DROP)]

    response = practitioner.post(CONTACTS, json=contact_body(children=children))

    problem = assert_problem(response, 422, "children[1].date_of_birth")
    assert "children[0].date_of_birth" not in problem["errors"]


def test_received_at_before_a_childs_date_of_birth_is_rejected(practitioner):
    baby = child(date_of_birth="2026-11-20", nhs_number=DROP)

    response = practitioner.post(
        CONTACTS, json=contact_body(received_at="2026-11-19T23:00:00Z", children=[baby])
    )

    assert_problem(response, 422, "received_at")


def test_a_contact_on_the_london_day_a_child_was_born_is_accepted(practitioner):
    # 23:30 UTC on 19 Jun is already 20 Jun in London (BST).
    baby = child(date_of_birth="2026-06-20", nhs_number=DROP)

    contact = record(practitioner, received_at="2026-06-19T23:30:00Z", children=[baby])

    assert contact["children"][0]["date_of_birth"] == "2026-06-20"


def test_a_date_of_birth_in_the_future_is_rejected(practitioner):
    response = practitioner.post(
        CONTACTS, json=contact_body(children=[child(date_of_birth="2026-11-21", nhs_number=DROP)])
    )

    assert_problem(response, 422, "children[0].date_of_birth")


@pytest.mark.parametrize("expected", ["2026-11-19", "2027-09-17"])
def test_an_expected_date_of_birth_outside_a_pregnancy_from_receipt_is_rejected(practitioner, expected):
    unborn = child(date_of_birth=DROP, expected_date_of_birth=expected, nhs_number=DROP)

    response = practitioner.post(CONTACTS, json=contact_body(children=[unborn]))

    assert_problem(response, 422, "children[0].expected_date_of_birth")


def test_received_at_in_the_future_beyond_the_allowed_clock_skew_is_rejected(app, practitioner):
    assert app.config["CLOCK_SKEW_SECONDS"] == 120
    beyond = (DEFAULT_NOW + timedelta(seconds=121)).isoformat()

    response = practitioner.post(CONTACTS, json=contact_body(received_at=beyond))

    assert_problem(response, 422, "received_at")


def test_received_at_slightly_ahead_within_the_clock_skew_is_accepted(practitioner):
    within = (DEFAULT_NOW + timedelta(seconds=120)).isoformat()

    contact = record(practitioner, received_at=within)

    assert contact["received_at"] == "2026-11-20T10:02:00Z"


def test_an_unknown_source_agency_is_rejected(practitioner):
    response = practitioner.post(CONTACTS, json=contact_body(source_agency="no-such-agency"))

    assert_problem(response, 422, "source_agency")


def test_the_same_child_twice_in_one_contact_is_rejected(practitioner):
    twice = [child(), child(given_name="Amy", nhs_number="943 476 5919")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].nhs_number")


def test_the_same_local_child_id_twice_in_one_contact_is_rejected(practitioner):
    twice = [child(nhs_number=DROP, local_child_id="LC-1"),
             child(nhs_number=DROP, local_child_id="LC-1", given_name="Amy")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].local_child_id")


def test_a_known_child_given_twice_under_different_identifiers_is_rejected(practitioner):
    record(practitioner, children=[child(local_child_id="LC-7")])
    twice = [child(local_child_id=DROP), child(nhs_number=DROP, local_child_id="LC-7")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].local_child_id")
    assert len(listed_ids(practitioner)) == 1


def test_a_child_recorded_by_a_concurrent_contact_after_the_lookup_is_linked_not_doubled(
    practitioner, monkeypatch
):
    """The race the INSERT ... ON CONFLICT DO NOTHING covers: another contact records the same
    child between this contact's lookup and its insert. Simulated by a lookup that misses once."""
    from api.domain import children as children_module
    from api.models import AuditEvent, Child

    first = record(practitioner, children=[child(local_child_id="LC-RACE")])
    real_find, misses = children_module._find, []

    def find_missing_once(nhs_number, local_child_id):
        if not misses:
            misses.append((nhs_number, local_child_id))
            return None, None
        return real_find(nhs_number, local_child_id)

    monkeypatch.setattr(children_module, "_find", find_missing_once)
    second = record(practitioner, children=[child(local_child_id="LC-RACE")],
                    source_reference="PPN-RACE-2")

    assert misses == [(NHS_AMELIA, "LC-RACE")]
    assert second["children"][0]["id"] == first["children"][0]["id"]
    assert session.query(Child).count() == 1
    recorded = session.query(AuditEvent).filter_by(action="child.recorded").count()
    assert recorded == 1


def test_an_insert_conflict_with_no_child_to_link_is_a_409_that_records_nothing(
    practitioner, monkeypatch
):
    """The child's INSERT met a row its lookup cannot find again: a concurrent change, not a 500."""
    from api.domain import children as children_module

    record(practitioner, children=[child(local_child_id="LC-GONE")])
    before = listed_ids(practitioner)
    monkeypatch.setattr(children_module, "_find", lambda nhs_number, local_child_id: (None, None))

    response = practitioner.post(CONTACTS, json=contact_body(
        children=[child(local_child_id="LC-GONE")], source_reference="PPN-GONE"))

    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["type"].endswith("/concurrent-change")
    assert listed_ids(practitioner) == before


def test_a_rejected_contact_records_nothing(practitioner):
    response = practitioner.post(CONTACTS, json=contact_body(source_agency="no-such-agency"))

    assert response.status_code == 422
    assert listed_ids(practitioner) == []


# ---- list arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?colour=red", "colour"),
        ("?satus=awaiting_decision", "satus"),
        ("?limit=501", "limit"),
        ("?limit=0", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=many", "limit"),
        ("?status=lost", "status"),
        ("?overdue=perhaps", "overdue"),
        ("?received_from=2026-11-20T09:00:00", "received_from"),
        ("?received_to=last-week", "received_to"),
    ],
)
def test_a_bad_list_query_is_rejected(practitioner, query, field):
    assert_problem(practitioner.get(f"{CONTACTS}{query}"), 422, field)


def encoded(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        encoded({"received_at": "2026-11-20T09:00:00+00:00"}),      # not a list
        encoded(["2026-11-20T09:00:00+00:00"]),                     # too short
        encoded(["not a date", str(uuid.uuid4())]),
        encoded(["2026-11-20T09:00:00+00:00", "not a uuid"]),
        encoded(["2026-11-20T09:00:00", str(uuid.uuid4())]),        # naive timestamp
        encoded([12, str(uuid.uuid4())]),
    ],
)
def test_a_cursor_the_list_did_not_give_out_is_rejected(practitioner, cursor):
    assert_problem(practitioner.get(f"{CONTACTS}?cursor={cursor}"), 422, "cursor")


def test_the_largest_page_allowed_is_accepted(practitioner):
    record(practitioner)

    response = practitioner.get(f"{CONTACTS}?limit=500")

    assert response.status_code == 200
    assert len(response.json["items"]) == 1


# ---- roles: who may record ----------------------------------------------------------------------


def test_an_agency_client_records_a_contact_for_its_own_agency(api_as):
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-mis")

    contact = record(school, source_agency="oakfield-primary", channel="secure_portal")

    assert contact["source_agency"] == "oakfield-primary"
    staff_view = api_as("practitioner").get(f"{CONTACTS}/{contact['id']}").json
    assert staff_view["recorded_by"] == "oakfield-mis"


def test_an_agency_client_may_not_record_a_contact_for_another_agency(police, practitioner):
    response = police.post(CONTACTS, json=contact_body(source_agency="btp"))

    assert_problem(response, 403, "source_agency")
    assert listed_ids(practitioner) == []


@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_staff_may_record_a_contact_from_any_agency(api_as, role):
    staff = api_as(role, service="mash")

    contact = record(staff, source_agency="hilltop-gp", channel="phone")

    assert contact["source_agency"] == "hilltop-gp"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_readers_and_operators_may_not_record_contacts(api_as, practitioner, role):
    response = api_as(role).post(CONTACTS, json=contact_body())

    assert_problem(response, 403)
    assert listed_ids(practitioner) == []


def test_recording_a_contact_without_a_token_is_unauthorised(anonymous, practitioner):
    response = anonymous.post(CONTACTS, json=contact_body())

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert listed_ids(practitioner) == []


def test_recording_a_contact_with_a_forged_token_is_unauthorised(app, practitioner):
    forged = ApiClient(app, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6Im1hbmFnZXIifQ.")

    assert_problem(forged.post(CONTACTS, json=contact_body()), 401)


def test_reading_contacts_with_an_expired_token_is_unauthorised(api_as):
    expired = api_as("practitioner", minutes=-1)

    assert_problem(expired.get(CONTACTS), 401)


# ---- roles: who may read what -------------------------------------------------------------------


@pytest.fixture
def three_contacts(api_as, police, practitioner):
    """wmp's own system posts one, btp's another, and a practitioner records one from wmp."""
    transport = api_as("agency", agency="btp", sub="btp-case-system")
    return {
        "wmp": record(police)["id"],
        "btp": record(transport, source_agency="btp")["id"],
        "by_staff_for_wmp": record(practitioner, received_at="2026-11-20T08:00:00Z")["id"],
    }


@pytest.mark.parametrize("role", ["practitioner", "manager", "auditor"])
def test_staff_and_auditors_read_every_contact(api_as, three_contacts, role):
    reader = api_as(role)

    assert sorted(listed_ids(reader)) == sorted(three_contacts.values())
    for contact_id in three_contacts.values():
        assert reader.get(f"{CONTACTS}/{contact_id}").status_code == 200


def test_an_agency_client_lists_only_the_contacts_its_systems_posted(police, three_contacts):
    assert listed_ids(police) == [three_contacts["wmp"]]


def test_another_client_of_the_same_agency_sees_what_that_agency_posted(api_as, three_contacts):
    second_wmp_system = api_as("agency", agency="wmp", sub="wmp-custody-system")

    assert listed_ids(second_wmp_system) == [three_contacts["wmp"]]
    assert second_wmp_system.get(f"{CONTACTS}/{three_contacts['wmp']}").status_code == 200


def test_an_agency_client_cannot_widen_its_view_with_a_filter(police, three_contacts):
    assert listed_ids(police, "?source_agency=btp") == []


def test_another_agencys_contact_is_not_found_for_an_agency_client(police, three_contacts):
    assert_problem(police.get(f"{CONTACTS}/{three_contacts['btp']}"), 404)


def test_a_contact_staff_recorded_for_an_agency_is_not_found_for_that_agencys_client(
    police, three_contacts
):
    assert_problem(police.get(f"{CONTACTS}/{three_contacts['by_staff_for_wmp']}"), 404)


def test_an_admin_may_not_read_contacts(api_as, three_contacts):
    admin = api_as("admin")

    assert_problem(admin.get(CONTACTS), 403)
    assert_problem(admin.get(f"{CONTACTS}/{three_contacts['wmp']}"), 403)


def test_reading_contacts_without_a_token_is_unauthorised(anonymous, three_contacts):
    assert_problem(anonymous.get(CONTACTS), 401)
    assert_problem(anonymous.get(f"{CONTACTS}/{three_contacts['wmp']}"), 401)


def test_an_unknown_contact_is_not_found(practitioner):
    assert_problem(practitioner.get(f"{CONTACTS}/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize("contact_id", ["not-a-uuid", "123", "C-2026-000001"])
def test_a_malformed_contact_id_is_not_found(practitioner, contact_id):
    assert_problem(practitioner.get(f"{CONTACTS}/{contact_id}"), 404)


# ---- reading one contact: all of it, whatever has happened to it --------------------------------

RATIONALE = "Police report repeated incidents at home; the school confirms the child is withdrawn."


def decide(client, contact_id, outcome, **extra):
    response = client.post(f"{CONTACTS}/{contact_id}/decisions",
                           json={"outcome": outcome, "rationale": RATIONALE, **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def give_feedback(client, contact_id, given_at, summary):
    response = client.post(f"{CONTACTS}/{contact_id}/feedback",
                           json={"given_at": given_at, "method": "phone", "summary": summary})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.fixture
def contacts_in_every_state(clock, police, practitioner):
    """wmp's contacts: untouched (two children), decided, fed back before any decision, and one
    about two children whose consent changed twice, whose decision was superseded and whose
    referrer was told twice."""
    untouched = record(
        police, children=[child(), child(given_name="Ben", nhs_number=NHS_OTHER)])["id"]
    decided = record(police, children=[child(nhs_number=NHS_THIRD)])["id"]
    decide(practitioner, decided, "nfa")
    fed_back = record(police, children=[child(nhs_number=DROP, local_child_id="LC-FED-BACK")])["id"]
    give_feedback(practitioner, fed_back, "2026-11-20T09:30:00Z", "Passed to early help.")
    everything = record(police, children=[
        child(nhs_number=DROP, local_child_id="LC-EVERYTHING"),
        child(given_name="Cara", nhs_number=DROP, local_child_id="LC-EVERYTHING-2"),
    ])["id"]
    for status in ("refused", "given"):
        clock.advance(minutes=5)
        response = practitioner.post(consent_url(everything),
                                     json={"status": status, "reason": "Asked."})
        assert response.status_code == 201, response.get_data(as_text=True)
    first = decide(practitioner, everything, "information_advice")
    clock.advance(minutes=5)
    decide(practitioner, everything, "early_help", supersedes=first["id"],
           supersede_reason="The family asked for support.")
    # Told twice, recorded in the other order: shown in the order given.
    give_feedback(practitioner, everything, "2026-11-20T10:14:00Z", "Early help will call.")
    give_feedback(practitioner, everything, "2026-11-20T10:12:00Z", "A decision has been made.")
    return {"untouched": untouched, "decided": decided, "fed_back": fed_back,
            "everything": everything}


@pytest.mark.parametrize("role", ["agency", "practitioner", "manager", "auditor"])
def test_a_contact_reads_as_the_list_shows_it_whatever_has_happened_to_it(
    api_as, contacts_in_every_state, role
):
    # The list loads each contact through the model's own relationships; GET loads it its own way.
    reader = api_as(role, agency="wmp") if role == "agency" else api_as(role)
    listed = reader.get(CONTACTS, query_string={"limit": 10})
    assert listed.status_code == 200, listed.get_data(as_text=True)
    as_listed = {item["id"]: item for item in listed.json["items"]}
    read = {}
    for name, contact_id in contacts_in_every_state.items():
        response = reader.get(f"{CONTACTS}/{contact_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json == as_listed[contact_id]
        read[name] = response.json

    assert [c["given_name"] for c in read["untouched"]["children"]] == ["Amelia", "Ben"]
    assert (read["untouched"]["current_outcome"], read["untouched"]["feedback"]) == (None, [])
    assert read["decided"]["current_outcome"]["outcome"] == "nfa"
    assert read["decided"]["feedback"] == []
    assert read["fed_back"]["current_outcome"] is None
    assert [f["summary"] for f in read["fed_back"]["feedback"]] == ["Passed to early help."]
    assert read["everything"]["current_outcome"]["outcome"] == "early_help"
    assert [f["summary"] for f in read["everything"]["feedback"]] == [
        "A decision has been made.", "Early help will call."]
    # Two children and three consent records: each shown once, in order.
    assert [c["given_name"] for c in read["everything"]["children"]] == ["Amelia", "Cara"]
    if role != "agency":
        assert [c["status"] for c in read["everything"]["consent_history"]] == [
            "not_sought", "refused", "given"]


def test_the_etag_of_a_read_is_the_one_if_match_accepts(contacts_in_every_state, practitioner):
    for contact_id in contacts_in_every_state.values():
        etag = practitioner.get(f"{CONTACTS}/{contact_id}").headers["ETag"]
        response = practitioner.post(consent_url(contact_id), headers={"If-Match": etag},
                                     json={"status": "given", "given_by": "Mother"})
        assert response.status_code == 201, response.get_data(as_text=True)


# ---- consent ------------------------------------------------------------------------------------


def consent_url(contact_id):
    return f"{CONTACTS}/{contact_id}/consent"


@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_staff_may_record_a_consent_change(api_as, police, role):
    contact_id = record(police)["id"]

    response = api_as(role).post(consent_url(contact_id), json={"status": "given", "given_by": "Mother"})

    assert response.status_code == 201, response.json
    assert response.json["consent"]["status"] == "given"
    assert response.headers["Location"].endswith(f"{CONTACTS}/{contact_id}")


@pytest.mark.parametrize("role", ["agency", "auditor", "admin"])
def test_others_may_not_record_a_consent_change(api_as, police, practitioner, role):
    contact_id = record(police)["id"]

    response = api_as(role).post(consent_url(contact_id), json={"status": "given"})

    assert_problem(response, 403)
    forget_loaded_records()
    assert len(practitioner.get(f"{CONTACTS}/{contact_id}").json["consent_history"]) == 1


def test_recording_consent_without_a_token_is_unauthorised(anonymous, police):
    contact_id = record(police)["id"]

    assert_problem(anonymous.post(consent_url(contact_id), json={"status": "given"}), 401)


def test_every_consent_change_is_kept_with_who_and_when(api_as, clock, police):
    contact_id = record(police)["id"]
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


def test_a_consent_change_is_written_to_the_audit_trail(api_as, police, practitioner):
    contact_id = record(police)["id"]
    practitioner.post(consent_url(contact_id), json={"status": "given", "given_by": "Mother"})

    events = api_as("auditor").get(f"/api/v1/audit/events?entity_type=contact&entity_id={contact_id}")

    assert [e["action"] for e in events.json["items"]] == ["contact.recorded", "contact.consent_recorded"]
    assert events.json["items"][1]["actor"]["sub"] == "priya"
    assert events.json["items"][1]["data"]["status"] == "given"


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_a_consent_change_other_than_given_without_a_reason_is_rejected(police, practitioner, status):
    contact_id = record(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": status, "given_by": "Mother"})

    assert_problem(response, 422, "reason")
    forget_loaded_records()
    assert len(practitioner.get(f"{CONTACTS}/{contact_id}").json["consent_history"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "status"), ({"status": "yes"}, "status"), ({"status": "given", "mood": "calm"}, "mood")],
)
def test_a_malformed_consent_change_is_rejected(police, practitioner, body, field):
    contact_id = record(police)["id"]

    assert_problem(practitioner.post(consent_url(contact_id), json=body), 422, field)


def test_a_consent_change_for_an_unknown_contact_is_not_found(practitioner):
    assert_problem(practitioner.post(consent_url(uuid.uuid4()), json={"status": "given"}), 404)


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_consent_never_blocks_recording_a_contact(practitioner, status):
    reason = f"Consent {status}: recorded under DPA 2018 sch. 1 para 18."

    contact = record(practitioner, consent={"status": status, "reason": reason})

    assert contact["status"] == "awaiting_decision"
    assert contact["consent"]["status"] == status
    assert contact["consent"]["reason"] == reason
    assert listed_ids(practitioner) == [contact["id"]]


def test_a_consent_change_with_the_current_etag_is_recorded(police, practitioner):
    contact_id = record(police)["id"]
    etag = practitioner.get(f"{CONTACTS}/{contact_id}").headers["ETag"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"},
                                 headers={"If-Match": etag})

    assert response.status_code == 201, response.json
    assert response.json["consent"]["status"] == "given"


def test_a_consent_change_with_a_stale_etag_is_refused(clock, police, practitioner):
    contact_id = record(police)["id"]
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
    contact_id = record(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"},
                                 headers={"If-Match": '"not-an-etag-we-gave-out"'})

    assert_problem(response, 412)


def test_a_consent_change_without_if_match_is_recorded(police, practitioner):
    contact_id = record(police)["id"]

    response = practitioner.post(consent_url(contact_id), json={"status": "given"})

    assert response.status_code == 201
    assert [c["status"] for c in response.json["consent_history"]] == ["not_sought", "given"]


# ---- children -----------------------------------------------------------------------------------


def test_each_child_is_recorded_as_its_own_record(practitioner):
    siblings = [child(), child(given_name="Ben", nhs_number=NHS_OTHER, sex="male")]

    contact = record(practitioner, children=siblings)

    amelia, ben = contact["children"]
    assert amelia["id"] != ben["id"]
    assert (amelia["given_name"], ben["given_name"]) == ("Amelia", "Ben")
    assert re.fullmatch(r"CH-2026-\d{6}", amelia["reference"])
    assert amelia["reference"] != ben["reference"]


def test_a_later_contact_with_the_same_nhs_number_links_to_the_same_child(api_as, police):
    first = record(police)
    school = api_as("agency", agency="oakfield-primary")

    later = record(school, source_agency="oakfield-primary",
                   children=[child(given_name="Millie", nhs_number="943 476 5919")])

    assert later["children"][0]["id"] == first["children"][0]["id"]


def test_a_later_contact_with_the_same_local_child_id_links_to_the_same_child(practitioner):
    first = record(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-100")])

    later = record(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-100")])

    assert later["children"][0]["id"] == first["children"][0]["id"]


def test_children_without_shared_identifiers_are_different_children(practitioner):
    first = record(practitioner)

    later = record(practitioner, children=[child(nhs_number=NHS_OTHER)])

    assert later["children"][0]["id"] != first["children"][0]["id"]


def test_a_later_nhs_number_for_a_child_known_by_local_id_is_filled_in(practitioner):
    first = record(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-200")])
    assert first["children"][0]["nhs_number"] is None

    later = record(practitioner, children=[child(nhs_number=NHS_THIRD, local_child_id="LC-200")])

    assert later["children"][0]["id"] == first["children"][0]["id"]
    assert later["children"][0]["nhs_number"] == NHS_THIRD
    forget_loaded_records()
    reread = practitioner.get(f"{CONTACTS}/{first['id']}").json
    assert reread["children"][0]["nhs_number"] == NHS_THIRD
    # ... and from now on the NHS number alone finds the child.
    by_nhs = record(practitioner, children=[child(nhs_number=NHS_THIRD)])
    assert by_nhs["children"][0]["id"] == first["children"][0]["id"]


def test_a_local_id_of_one_child_with_the_nhs_number_of_another_is_rejected(practitioner):
    record(practitioner, children=[child(nhs_number=NHS_AMELIA)])
    record(practitioner, children=[child(given_name="Ben", nhs_number=DROP, local_child_id="LC-300")])

    response = practitioner.post(
        CONTACTS, json=contact_body(children=[child(nhs_number=NHS_AMELIA, local_child_id="LC-300")])
    )

    assert_problem(response, 422, "children[0].local_child_id")


def test_a_different_nhs_number_for_a_child_known_by_local_id_is_rejected(practitioner):
    record(practitioner, children=[child(nhs_number=NHS_AMELIA, local_child_id="LC-400")])

    response = practitioner.post(
        CONTACTS, json=contact_body(children=[child(nhs_number=NHS_OTHER, local_child_id="LC-400")])
    )

    assert_problem(response, 422, "children[0].nhs_number")


def test_a_different_local_id_for_a_child_known_by_nhs_number_is_rejected(practitioner):
    record(practitioner, children=[child(nhs_number=NHS_AMELIA, local_child_id="LC-500")])

    response = practitioner.post(
        CONTACTS, json=contact_body(children=[child(nhs_number=NHS_AMELIA, local_child_id="LC-501")])
    )

    assert_problem(response, 422, "children[0].local_child_id")


# ---- decision_due_at ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "due_at"),
    [
        # Thu 24 Dec: Christmas Fri, weekend, Boxing Day substitute Mon 28; due Tue 29 (GMT).
        ("2026-12-24T16:00:00Z", "2026-12-29T23:59:59.999999Z"),
        # 23:30 UTC Sun 14 Jun is 00:30 Mon 15 Jun in London (BST): due end of Tue 16 Jun London.
        ("2026-06-14T23:30:00Z", "2026-06-16T22:59:59.999999Z"),
        # Friday: due the following Monday.
        ("2026-11-20T09:00:00Z", "2026-11-23T23:59:59.999999Z"),
        # Saturday: due Monday.
        ("2026-11-21T11:00:00Z", "2026-11-23T23:59:59.999999Z"),
        # Sunday evening: due Monday too (the next working day after Sunday).
        ("2026-11-22T20:00:00Z", "2026-11-23T23:59:59.999999Z"),
        # Monday: due Tuesday.
        ("2026-11-23T08:00:00Z", "2026-11-24T23:59:59.999999Z"),
    ],
)
def test_a_decision_is_due_by_the_end_of_the_next_working_day_in_london(
    clock, practitioner, received_at, due_at
):
    received = datetime.fromisoformat(received_at)
    clock.set(received + timedelta(hours=1))

    contact = record(practitioner, received_at=received_at)

    assert contact["decision_due_at"] == due_at


def test_the_decision_deadline_follows_the_configured_working_days(app, monkeypatch, practitioner):
    monkeypatch.setitem(app.config, "DECISION_WORKING_DAYS", 3)

    contact = record(practitioner, received_at="2026-11-20T09:00:00Z")  # a Friday

    assert contact["decision_due_at"] == "2026-11-25T23:59:59.999999Z"


# ---- list filters, order and pages --------------------------------------------------------------


def mark_decided(contact_id):
    session.execute(update(Contact).where(Contact.id == uuid.UUID(contact_id)).values(status="decided"))
    session.commit()
    forget_loaded_records()


def test_contacts_are_listed_newest_received_first(practitioner):
    nine = record(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    eight = record(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    half_nine = record(practitioner, received_at="2026-11-20T09:30:00Z")["id"]
    yesterday = record(practitioner, received_at="2026-11-19T17:00:00Z")["id"]

    assert listed_ids(practitioner) == [half_nine, nine, eight, yesterday]


def test_contacts_are_filtered_by_status(practitioner):
    awaiting = record(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    decided = record(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    mark_decided(decided)

    assert listed_ids(practitioner, "?status=awaiting_decision") == [awaiting]
    assert listed_ids(practitioner, "?status=decided") == [decided]


def test_contacts_are_filtered_by_source_agency(police, practitioner):
    from_police = record(police)["id"]
    from_gp = record(practitioner, source_agency="hilltop-gp")["id"]

    assert listed_ids(practitioner, "?source_agency=wmp") == [from_police]
    assert listed_ids(practitioner, "?source_agency=hilltop-gp") == [from_gp]
    assert listed_ids(practitioner, "?source_agency=housing") == []


def test_received_from_is_inclusive_and_received_to_is_exclusive(practitioner):
    eight = record(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    nine = record(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    ten = record(practitioner, received_at="2026-11-20T10:00:00Z")["id"]

    assert listed_ids(practitioner, "?received_from=2026-11-20T09:00:00Z") == [ten, nine]
    assert listed_ids(practitioner, "?received_to=2026-11-20T09:00:00Z") == [eight]
    assert listed_ids(
        practitioner, "?received_from=2026-11-20T08:00:00Z&received_to=2026-11-20T10:00:00Z"
    ) == [nine, eight]


def test_a_received_from_with_an_offset_means_that_instant(practitioner):
    record(practitioner, received_at="2026-11-20T08:00:00Z")
    nine = record(practitioner, received_at="2026-11-20T09:00:00Z")["id"]

    response = practitioner.get(CONTACTS, query_string={"received_from": "2026-11-20T10:00:00+01:00"})

    assert [item["id"] for item in response.json["items"]] == [nine]


def test_overdue_lists_contacts_awaiting_a_decision_past_their_deadline(clock, practitioner):
    friday = record(practitioner, received_at="2026-11-20T09:00:00Z")["id"]  # due end of Mon 23
    decided = record(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    mark_decided(decided)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    monday = record(practitioner, received_at="2026-11-23T09:00:00Z")["id"]  # due end of Tue 24

    assert listed_ids(practitioner, "?overdue=true") == []
    assert listed_ids(practitioner, "?overdue=false") == [monday, friday, decided]

    clock.set(datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC))
    assert listed_ids(practitioner, "?overdue=true") == []

    clock.set(datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    assert listed_ids(practitioner, "?overdue=true") == [friday]
    assert listed_ids(practitioner, "?overdue=false") == [monday, decided]

    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert listed_ids(practitioner, "?overdue=true") == [monday, friday]
    assert listed_ids(practitioner, "?overdue=false") == [decided]


def test_pages_of_two_walk_every_contact_exactly_once_in_order(practitioner):
    received = ["2026-11-20T09:00:00Z", "2026-11-20T08:00:00Z", "2026-11-20T08:00:00Z",
                "2026-11-19T12:00:00Z", "2026-11-20T08:00:00Z"]
    for at in received:
        record(practitioner, received_at=at)
    everything = listed_ids(practitioner)
    assert len(everything) == 5

    walked, pages, cursor = [], [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = practitioner.get(CONTACTS, query_string=query).json
        pages.append(len(page["items"]))
        walked += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"

    assert pages == [2, 2, 1]
    assert walked == everything


def test_the_last_page_has_no_next_cursor(practitioner):
    record(practitioner, received_at="2026-11-20T09:00:00Z")
    record(practitioner, received_at="2026-11-20T08:00:00Z")

    exact = practitioner.get(f"{CONTACTS}?limit=2").json
    short = practitioner.get(f"{CONTACTS}?limit=1").json

    assert len(exact["items"]) == 2
    assert exact["next_cursor"] is None
    assert len(short["items"]) == 1
    assert short["next_cursor"] is not None


def test_an_empty_list_has_no_items_and_no_next_cursor(practitioner):
    assert practitioner.get(CONTACTS).json == {"items": [], "next_cursor": None}


def test_filters_hold_across_pages(practitioner):
    for hour in (6, 7, 8, 9):
        record(practitioner, received_at=f"2026-11-20T0{hour}:00:00Z", source_agency="wmp")
        record(practitioner, received_at=f"2026-11-20T0{hour}:30:00Z", source_agency="housing")

    first = practitioner.get(CONTACTS, query_string={"source_agency": "housing", "limit": 3}).json
    second = practitioner.get(
        CONTACTS, query_string={"source_agency": "housing", "limit": 3, "cursor": first["next_cursor"]}
    ).json

    items = first["items"] + second["items"]
    assert [c["received_at"] for c in items] == [
        "2026-11-20T09:30:00Z", "2026-11-20T08:30:00Z", "2026-11-20T07:30:00Z", "2026-11-20T06:30:00Z"
    ]
    assert {c["source_agency"] for c in items} == {"housing"}
    assert second["next_cursor"] is None
