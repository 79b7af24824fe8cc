"""The children on contacts: each its own record, found again by NHS number or local id on a
later contact, never doubled (a concurrent contact included) and never merged with another."""

import re

import pytest

from api.db import session
from tests.helpers import (
    CONTACTS, DROP, NHS_AMELIA, NHS_OTHER, NHS_THIRD, assert_problem, child, contact_body,
    forget_loaded_records, listed_contact_ids, record_contact,
)


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


def test_a_known_child_given_twice_under_different_identifiers_is_rejected(practitioner):
    record_contact(practitioner, children=[child(local_child_id="LC-7")])
    twice = [child(local_child_id=DROP), child(nhs_number=DROP, local_child_id="LC-7")]

    response = practitioner.post(CONTACTS, json=contact_body(children=twice))

    assert_problem(response, 422, "children[1].local_child_id")
    assert len(listed_contact_ids(practitioner)) == 1


def test_a_child_recorded_by_a_concurrent_contact_after_the_lookup_is_linked_not_doubled(
    practitioner, monkeypatch
):
    """The race the INSERT ... ON CONFLICT DO NOTHING covers: another contact records the same
    child between this contact's lookup and its insert. Simulated by a lookup that misses once."""
    from api.domain import children as children_module
    from api.models import AuditEvent, Child

    first = record_contact(practitioner, children=[child(local_child_id="LC-RACE")])
    real_find, misses = children_module._find, []

    def find_missing_once(nhs_number, local_child_id):
        if not misses:
            misses.append((nhs_number, local_child_id))
            return None, None
        return real_find(nhs_number, local_child_id)

    monkeypatch.setattr(children_module, "_find", find_missing_once)
    second = record_contact(practitioner, children=[child(local_child_id="LC-RACE")],
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

    record_contact(practitioner, children=[child(local_child_id="LC-GONE")])
    before = listed_contact_ids(practitioner)
    monkeypatch.setattr(children_module, "_find", lambda nhs_number, local_child_id: (None, None))

    response = practitioner.post(CONTACTS, json=contact_body(
        children=[child(local_child_id="LC-GONE")], source_reference="PPN-GONE"))

    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["type"].endswith("/concurrent-change")
    assert listed_contact_ids(practitioner) == before


# ---- later contacts: the same child found again, another never merged ---------------------------


def test_each_child_is_recorded_as_its_own_record(practitioner):
    siblings = [child(), child(given_name="Ben", nhs_number=NHS_OTHER, sex="male")]

    contact = record_contact(practitioner, children=siblings)

    amelia, ben = contact["children"]
    assert amelia["id"] != ben["id"]
    assert (amelia["given_name"], ben["given_name"]) == ("Amelia", "Ben")
    assert re.fullmatch(r"CH-2026-\d{6}", amelia["reference"])
    assert amelia["reference"] != ben["reference"]


def test_a_later_contact_with_the_same_nhs_number_links_to_the_same_child(api_as, police):
    first = record_contact(police)
    school = api_as("agency", agency="oakfield-primary")

    later = record_contact(school, source_agency="oakfield-primary",
                           children=[child(given_name="Millie", nhs_number="943 476 5919")])

    assert later["children"][0]["id"] == first["children"][0]["id"]


def test_a_later_contact_with_the_same_local_child_id_links_to_the_same_child(practitioner):
    first = record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-100")])

    later = record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-100")])

    assert later["children"][0]["id"] == first["children"][0]["id"]


def test_children_without_shared_identifiers_are_different_children(practitioner):
    first = record_contact(practitioner)

    later = record_contact(practitioner, children=[child(nhs_number=NHS_OTHER)])

    assert later["children"][0]["id"] != first["children"][0]["id"]


def test_a_later_nhs_number_for_a_child_known_by_local_id_is_filled_in(practitioner):
    first = record_contact(practitioner, children=[child(nhs_number=DROP, local_child_id="LC-200")])
    assert first["children"][0]["nhs_number"] is None

    later = record_contact(practitioner, children=[child(nhs_number=NHS_THIRD, local_child_id="LC-200")])

    assert later["children"][0]["id"] == first["children"][0]["id"]
    assert later["children"][0]["nhs_number"] == NHS_THIRD
    forget_loaded_records()
    reread = practitioner.get(f"{CONTACTS}/{first['id']}").json
    assert reread["children"][0]["nhs_number"] == NHS_THIRD
    # ... and from now on the NHS number alone finds the child.
    by_nhs = record_contact(practitioner, children=[child(nhs_number=NHS_THIRD)])
    assert by_nhs["children"][0]["id"] == first["children"][0]["id"]


def test_a_local_id_of_one_child_with_the_nhs_number_of_another_is_rejected(practitioner):
    record_contact(practitioner, children=[child(nhs_number=NHS_AMELIA)])
    record_contact(practitioner, children=[child(given_name="Ben", nhs_number=DROP, local_child_id="LC-300")])

    response = practitioner.post(
        CONTACTS, json=contact_body(children=[child(nhs_number=NHS_AMELIA, local_child_id="LC-300")])
    )

    assert_problem(response, 422, "children[0].local_child_id")


@pytest.mark.parametrize("known, sent, field", [
    pytest.param(("LC-400", NHS_AMELIA), ("LC-400", NHS_OTHER), "children[0].nhs_number",
                 id="a different NHS number for a child known by local id is rejected"),
    pytest.param(("LC-500", NHS_AMELIA), ("LC-501", NHS_AMELIA), "children[0].local_child_id",
                 id="a different local id for a child known by NHS number is rejected"),
])
def test_a_known_child_sent_with_one_of_its_identifiers_changed_is_rejected(
    practitioner, known, sent, field
):
    local_child_id, nhs_number = known
    record_contact(practitioner, children=[child(nhs_number=nhs_number, local_child_id=local_child_id)])
    local_child_id, nhs_number = sent

    response = practitioner.post(CONTACTS, json=contact_body(
        children=[child(nhs_number=nhs_number, local_child_id=local_child_id)]))

    assert_problem(response, 422, field)
