"""Who may record and read contacts: staff any, an agency only its own systems' contacts, no
one without a valid token; and a contact reads whole, as the list shows it, whatever happened."""

import uuid

import pytest

from tests.helpers import (
    CONTACTS, DROP, NHS_AMELIA, NHS_OTHER, NHS_THIRD, ApiClient, StatementCounter, assert_problem,
    child, consent_url, contact_body, decide, listed_contact_ids, record_contact,
)


# ---- roles: who may record ----------------------------------------------------------------------


def test_an_agency_client_records_a_contact_for_its_own_agency(api_as):
    school = api_as("agency", agency="oakfield-primary", sub="oakfield-mis")

    contact = record_contact(school, source_agency="oakfield-primary", channel="secure_portal")

    assert contact["source_agency"] == "oakfield-primary"
    staff_view = api_as("practitioner").get(f"{CONTACTS}/{contact['id']}").json
    assert staff_view["recorded_by"] == "oakfield-mis"


def test_an_agency_client_may_not_record_a_contact_for_another_agency(police, practitioner):
    response = police.post(CONTACTS, json=contact_body(source_agency="btp"))

    assert_problem(response, 403, "source_agency")
    assert listed_contact_ids(practitioner) == []


@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_staff_may_record_a_contact_from_any_agency(api_as, role):
    staff = api_as(role, service="mash")

    contact = record_contact(staff, source_agency="hilltop-gp", channel="phone")

    assert contact["source_agency"] == "hilltop-gp"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_readers_and_operators_may_not_record_contacts(api_as, practitioner, role):
    response = api_as(role).post(CONTACTS, json=contact_body())

    assert_problem(response, 403)
    assert listed_contact_ids(practitioner) == []


def test_recording_a_contact_without_a_token_is_unauthorised(anonymous, practitioner):
    response = anonymous.post(CONTACTS, json=contact_body())

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert listed_contact_ids(practitioner) == []


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
        "wmp": record_contact(police)["id"],
        "btp": record_contact(transport, source_agency="btp")["id"],
        "by_staff_for_wmp": record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"],
    }


@pytest.mark.parametrize("role", ["practitioner", "manager", "auditor"])
def test_staff_and_auditors_read_every_contact(api_as, three_contacts, role):
    reader = api_as(role)

    assert sorted(listed_contact_ids(reader)) == sorted(three_contacts.values())
    for contact_id in three_contacts.values():
        assert reader.get(f"{CONTACTS}/{contact_id}").status_code == 200


def test_an_agency_client_lists_only_the_contacts_its_systems_posted(police, three_contacts):
    assert listed_contact_ids(police) == [three_contacts["wmp"]]


def test_another_client_of_the_same_agency_sees_what_that_agency_posted(api_as, three_contacts):
    second_wmp_system = api_as("agency", agency="wmp", sub="wmp-custody-system")

    assert listed_contact_ids(second_wmp_system) == [three_contacts["wmp"]]
    assert second_wmp_system.get(f"{CONTACTS}/{three_contacts['wmp']}").status_code == 200


def test_an_agency_client_cannot_widen_its_view_with_a_filter(police, three_contacts):
    assert listed_contact_ids(police, "?source_agency=btp") == []


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

def give_feedback(client, contact_id, given_at, summary):
    response = client.post(f"{CONTACTS}/{contact_id}/feedback",
                           json={"given_at": given_at, "method": "phone", "summary": summary})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.fixture
def contacts_in_every_state(clock, police, practitioner):
    """wmp's contacts: untouched (two children), decided, fed back before any decision, and one
    about two children whose consent changed twice, whose decision was superseded and whose
    referrer was told twice."""
    untouched = record_contact(
        police, children=[child(), child(given_name="Ben", nhs_number=NHS_OTHER)])["id"]
    decided = record_contact(police, children=[child(nhs_number=NHS_THIRD)])["id"]
    decide(practitioner, decided, "nfa")
    fed_back = record_contact(police, children=[child(nhs_number=DROP, local_child_id="LC-FED-BACK")])["id"]
    give_feedback(practitioner, fed_back, "2026-11-20T09:30:00Z", "Passed to early help.")
    everything = record_contact(police, children=[
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


@pytest.mark.parametrize("role", ["agency", "practitioner"])
def test_a_contact_without_decisions_or_feedback_is_read_without_asking_for_them(
    app, api_as, contacts_in_every_state, role
):
    """A contact's first decision makes it decided, and its first feedback sets
    feedback_given_at, in the same transaction: an undecided contact never told anything has
    neither, and GET does not ask the database for them."""
    reader = api_as(role, agency="wmp") if role == "agency" else api_as(role)
    engine = app.extensions["db"].engine

    def tables_read(name):
        with StatementCounter(engine) as seen:
            response = reader.get(f"{CONTACTS}/{contacts_in_every_state[name]}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {table for table in ("decisions", "feedback") if seen.reading(table)}

    assert tables_read("untouched") == set()
    assert tables_read("everything") == {"decisions", "feedback"}  # such a query is seen


def test_what_is_restricted_is_asked_again_only_for_a_contact_with_possible_matches(
    app, police, practitioner
):
    """A read asks once what is restricted from the reader (may it see the contact?); only a
    possible match, which names another record, needs it asked again to show it."""
    engine = app.extensions["db"].engine
    plain = record_contact(practitioner)
    # Amelia's NHS number with another date of birth: a record of its own, a possible match.
    weak = record_contact(police, children=[child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])

    def restriction_queries(path):
        with StatementCounter(engine) as seen:
            response = practitioner.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)
        return seen.reading("restrictions")

    assert restriction_queries(f"{CONTACTS}/{plain['id']}") == 1
    assert restriction_queries(f"{CONTACTS}/{weak['id']}") == 2  # such a query is seen


def test_the_etag_of_a_read_is_the_one_if_match_accepts(contacts_in_every_state, practitioner):
    for contact_id in contacts_in_every_state.values():
        etag = practitioner.get(f"{CONTACTS}/{contact_id}").headers["ETag"]
        response = practitioner.post(consent_url(contact_id), headers={"If-Match": etag},
                                     json={"status": "given", "given_by": "Mother"})
        assert response.status_code == 201, response.get_data(as_text=True)
