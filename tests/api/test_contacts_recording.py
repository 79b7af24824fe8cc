"""POST /api/v1/contacts: what a recorded contact comes back with, the rules a body must meet
(each refusal naming its field), and when its decision is due."""

import copy
import re
import uuid
from datetime import datetime, timedelta

import pytest

from tests.helpers import (
    CONTACTS, DEFAULT_NOW, DROP, NHS_AMELIA, NHS_OTHER, assert_problem, child, contact_body,
    listed_contact_ids, record_contact,
)


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
    first = record_contact(practitioner)["reference"]
    second = record_contact(practitioner)["reference"]

    assert re.fullmatch(r"C-2026-\d{6}", first)
    assert re.fullmatch(r"C-2026-\d{6}", second)
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_a_received_at_with_an_offset_is_stored_and_returned_in_utc(practitioner):
    contact = record_contact(practitioner, received_at="2026-11-20T10:00:00+01:00")

    assert contact["received_at"] == "2026-11-20T09:00:00Z"


def test_a_white_space_padded_summary_is_stored_trimmed(practitioner):
    contact = record_contact(practitioner, concerns={"categories": [], "summary": "  Bruising seen.  "})

    assert contact["concerns"]["summary"] == "Bruising seen."


def test_an_unborn_child_is_recorded_with_an_expected_date_of_birth(practitioner):
    unborn = child(date_of_birth=DROP, expected_date_of_birth="2027-03-01", given_name="Unborn",
                   nhs_number=DROP, sex="unknown")

    contact = record_contact(practitioner, children=[unborn])

    assert contact["children"][0]["expected_date_of_birth"] == "2027-03-01"
    assert contact["children"][0]["date_of_birth"] is None


def test_an_nhs_number_written_with_spaces_is_accepted_and_stored_as_digits(practitioner):
    contact = record_contact(practitioner, children=[child(nhs_number="943 476 5919")])

    assert contact["children"][0]["nhs_number"] == "9434765919"


def test_an_nhs_number_whose_check_digit_is_zero_is_accepted(practitioner):
    contact = record_contact(practitioner, children=[child(nhs_number="4010232110")])

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
    contact = record_contact(practitioner, consent={"status": "given", "given_by": "Mother"})

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

    contact = record_contact(practitioner, received_at="2026-06-19T23:30:00Z", children=[baby])

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


@pytest.mark.parametrize("expected", ["2026-11-20", "2027-09-16"])
def test_an_expected_date_of_birth_on_the_day_of_receipt_or_300_days_after_is_accepted(
    practitioner, expected,
):
    # Received 20 November 2026: both ends of the window are inside it.
    unborn = child(date_of_birth=DROP, expected_date_of_birth=expected, nhs_number=DROP)

    response = practitioner.post(CONTACTS, json=contact_body(children=[unborn]))

    assert response.status_code == 201, response.json
    assert response.json["children"][0]["expected_date_of_birth"] == expected


def test_received_at_in_the_future_beyond_the_allowed_clock_skew_is_rejected(app, practitioner):
    assert app.config["CLOCK_SKEW_SECONDS"] == 120
    beyond = (DEFAULT_NOW + timedelta(seconds=121)).isoformat()

    response = practitioner.post(CONTACTS, json=contact_body(received_at=beyond))

    assert_problem(response, 422, "received_at")


def test_received_at_slightly_ahead_within_the_clock_skew_is_accepted(practitioner):
    within = (DEFAULT_NOW + timedelta(seconds=120)).isoformat()

    contact = record_contact(practitioner, received_at=within)

    assert contact["received_at"] == "2026-11-20T10:02:00Z"


def test_an_unknown_source_agency_is_rejected(practitioner):
    response = practitioner.post(CONTACTS, json=contact_body(source_agency="no-such-agency"))

    assert_problem(response, 422, "source_agency")


def test_a_rejected_contact_records_nothing(practitioner):
    response = practitioner.post(CONTACTS, json=contact_body(source_agency="no-such-agency"))

    assert response.status_code == 422
    assert listed_contact_ids(practitioner) == []


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

    contact = record_contact(practitioner, received_at=received_at)

    assert contact["decision_due_at"] == due_at


def test_the_decision_deadline_follows_the_configured_working_days(app, monkeypatch, practitioner):
    monkeypatch.setitem(app.config, "DECISION_WORKING_DAYS", 3)

    contact = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")  # a Friday

    assert contact["decision_due_at"] == "2026-11-25T23:59:59.999999Z"
