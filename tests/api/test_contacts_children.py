"""The children on contacts: each entry kept as given, linked to a council record only on a valid
NHS number with the same date of birth (a concurrent contact included), any weaker evidence a
possible match for staff, and no contact ever changing or being refused for a record it names."""

import re

import pytest

from api.db import session
from tests.helpers import (
    CONTACTS, DROP, NHS_AMELIA, NHS_OTHER, NHS_THIRD, assert_problem, child, contact_body,
    forget_loaded_records, listed_contact_ids, read, record_contact,
)


def _evidence(entry):
    return {match["candidate"]["id"]: match["evidence"] for match in entry["possible_matches"]}


# ---- one contact: each child once ---------------------------------------------------------------


def test_the_same_child_twice_in_one_contact_is_rejected(practitioner):
    twice = [child(), child(given_name="Amy", nhs_number="943 476 5919")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].nhs_number")


def test_the_same_local_child_id_twice_in_one_contact_is_rejected(practitioner):
    twice = [child(nhs_number=DROP, local_child_id="LC-1"),
             child(nhs_number=DROP, local_child_id="LC-1", given_name="Amy")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].local_child_id")


def test_a_known_child_given_twice_under_different_identifiers_is_recorded_with_a_possible_match(
    practitioner
):
    """Changed rule: once a 422 naming the known child; now the contact is kept and the second
    entry, which only the local id ties to the record, is a possible match for staff."""
    known = record_contact(practitioner, children=[child(local_child_id="LC-7")])["children"][0]
    twice = [child(local_child_id=DROP), child(nhs_number=DROP, local_child_id="LC-7")]

    contact = record_contact(practitioner, children=twice)

    first, second = contact["children"]
    assert first["id"] == known["id"]
    assert second["id"] != known["id"]
    assert _evidence(second) == {known["id"]: ["local_child_id", "name_and_date_of_birth"]}
    assert len(listed_contact_ids(practitioner)) == 2


def test_a_child_recorded_by_a_concurrent_contact_after_the_lookup_is_linked_not_doubled(
    practitioner, monkeypatch
):
    """The race the INSERT ... ON CONFLICT DO NOTHING covers: another contact records the same
    child between this contact's lookup and its insert. Simulated by a lookup that misses once."""
    from api.domain import children as children_module
    from api.models import AuditEvent, Child

    first = record_contact(practitioner)
    real_candidates, misses = children_module._candidates, []

    def candidates_missing_once(data):
        if not misses:
            misses.append(data["nhs_number"])
            return None, {}, []
        return real_candidates(data)

    monkeypatch.setattr(children_module, "_candidates", candidates_missing_once)
    second = record_contact(practitioner, source_reference="PPN-RACE-2")

    assert misses == [NHS_AMELIA]
    assert second["children"][0]["id"] == first["children"][0]["id"]
    assert session.query(Child).count() == 1
    recorded = session.query(AuditEvent).filter_by(action="child.recorded").count()
    assert recorded == 1


def test_an_insert_conflict_with_no_child_to_link_is_a_409_that_records_nothing(
    practitioner, monkeypatch
):
    """The child's INSERT met a row its lookup cannot find again: a concurrent change, not a 500."""
    from api.domain import children as children_module

    record_contact(practitioner)
    before = listed_contact_ids(practitioner)
    monkeypatch.setattr(children_module, "_candidates", lambda data: (None, {}, []))

    response = practitioner.post(CONTACTS, json=contact_body(source_reference="PPN-GONE"))

    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["type"].endswith("/concurrent-change")
    assert listed_contact_ids(practitioner) == before


# ---- later contacts: linked on strong evidence only ----------------------------------------------


def test_each_child_is_recorded_as_its_own_record(practitioner):
    siblings = [child(), child(given_name="Ben", nhs_number=NHS_OTHER, sex="male")]

    contact = record_contact(practitioner, children=siblings)

    amelia, ben = contact["children"]
    assert amelia["id"] != ben["id"]
    assert (amelia["given_name"], ben["given_name"]) == ("Amelia", "Ben")
    assert re.fullmatch(r"CH-2026-\d{6}", amelia["reference"])
    assert amelia["reference"] != ben["reference"]


def test_a_later_contact_with_the_same_nhs_number_and_date_of_birth_links_to_the_same_child(
    api_as, police, practitioner
):
    first = record_contact(police)
    school = api_as("agency", agency="oakfield-primary")

    later = record_contact(school, source_agency="oakfield-primary",
                           children=[child(given_name="Millie", nhs_number="943 476 5919")])

    assert later["children"][0]["id"] == first["children"][0]["id"]
    staff_view = read(practitioner, f"{CONTACTS}/{later['id']}")["children"][0]
    assert staff_view["given_name"] == "Amelia"  # the record's name
    assert staff_view["as_given"]["given_name"] == "Millie"  # the school's, kept on its contact
    assert staff_view["possible_matches"] == []


def test_the_same_nhs_number_with_another_date_of_birth_is_only_a_possible_match(practitioner):
    known = record_contact(practitioner)["children"][0]

    later = record_contact(practitioner, children=[child(date_of_birth="2019-04-03")])

    entry = later["children"][0]
    assert entry["id"] != known["id"]
    assert entry["nhs_number"] is None  # the number is another record's: kept on the contact
    assert entry["as_given"]["nhs_number"] == NHS_AMELIA
    assert _evidence(entry) == {known["id"]: ["nhs_number"]}
    assert entry["possible_matches"][0]["status"] == "open"


def test_a_later_contact_with_the_same_local_child_id_is_only_a_possible_match(practitioner):
    first = record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-100")])

    later = record_contact(practitioner, children=[
        child(given_name="Amy", date_of_birth="2018-01-01", nhs_number=DROP,
              local_child_id="LC-100")])

    entry = later["children"][0]
    assert entry["id"] != first["children"][0]["id"]
    assert entry["local_child_id"] is None
    assert _evidence(entry) == {first["children"][0]["id"]: ["local_child_id"]}


def test_the_same_names_and_date_of_birth_are_only_a_possible_match(practitioner):
    first = record_contact(practitioner, children=[child(nhs_number=DROP)])

    later = record_contact(practitioner, children=[
        child(given_name=" amelia ", family_name="HUGHES", nhs_number=NHS_OTHER)])

    entry = later["children"][0]
    assert entry["id"] != first["children"][0]["id"]
    assert entry["nhs_number"] == NHS_OTHER  # nobody else holds it: the new record has it
    assert _evidence(entry) == {first["children"][0]["id"]: ["name_and_date_of_birth"]}


def test_children_without_shared_identifiers_are_different_children(practitioner):
    first = record_contact(practitioner)

    later = record_contact(practitioner, children=[child(nhs_number=NHS_OTHER,
                                                         date_of_birth="2019-05-02")])

    assert later["children"][0]["id"] != first["children"][0]["id"]
    assert later["children"][0]["possible_matches"] == []


def test_a_later_contact_never_adds_an_identifier_to_a_known_child(practitioner):
    """Changed rule: a later contact's NHS number or local id used to be written into the record."""
    first = record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-200")])
    known = first["children"][0]
    linked = record_contact(practitioner, children=[child(nhs_number=NHS_THIRD, local_child_id="LC-200")])
    record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-200",
                                                 ethnicity="WBRI")])

    forget_loaded_records()
    record = read(practitioner, f"/api/v1/children/{known['id']}")
    assert (record["nhs_number"], record["local_child_id"], record["ethnicity"]) == (
        None, "LC-200", None)
    # The NHS number went to the new record made for the second contact's child.
    assert linked["children"][0]["nhs_number"] == NHS_THIRD
    assert _evidence(linked["children"][0]) == {
        known["id"]: ["local_child_id", "name_and_date_of_birth"]}


def test_a_local_id_of_one_child_with_the_nhs_number_of_another_is_linked_by_the_nhs_number(
    practitioner
):
    """Changed rule: once a 422 naming both records."""
    amelia = record_contact(practitioner, children=[child(nhs_number=NHS_AMELIA)])["children"][0]
    ben = record_contact(practitioner, children=[
        child(given_name="Ben", date_of_birth="2017-02-02", nhs_number=DROP,
              local_child_id="LC-300")])["children"][0]

    contact = record_contact(practitioner, children=[child(nhs_number=NHS_AMELIA,
                                                           local_child_id="LC-300")])

    entry = contact["children"][0]
    assert entry["id"] == amelia["id"]
    assert _evidence(entry) == {ben["id"]: ["local_child_id"]}


@pytest.mark.parametrize("known, sent", [
    pytest.param(("LC-400", NHS_AMELIA), ("LC-400", NHS_OTHER),
                 id="a different NHS number for a child known by local id"),
    pytest.param(("LC-500", NHS_AMELIA), ("LC-501", NHS_AMELIA),
                 id="a different local id for a child known by NHS number"),
])
def test_a_known_child_sent_with_one_of_its_identifiers_changed_is_accepted_and_unchanged(
    practitioner, known, sent
):
    """Changed rule: once a 422 naming the field; now kept on the contact, the record unchanged."""
    local_child_id, nhs_number = known
    recorded = record_contact(practitioner, children=[
        child(nhs_number=nhs_number, local_child_id=local_child_id)])["children"][0]
    local_child_id, nhs_number = sent

    response = practitioner.post(CONTACTS, json=contact_body(
        children=[child(nhs_number=nhs_number, local_child_id=local_child_id)]))

    assert response.status_code == 201, response.json
    assert response.json["children"][0]["as_given"]["local_child_id"] == local_child_id
    forget_loaded_records()
    record = read(practitioner, f"/api/v1/children/{recorded['id']}")
    assert (record["local_child_id"], record["nhs_number"]) == known
