"""GET /api/v1/contacts: newest first, filtered by status, agency, period and overdue, in pages
walked by an opaque cursor; the arguments it refuses."""

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from api.db import session
from api.models import Contact
from tests.helpers import (
    CONTACTS, assert_problem, forget_loaded_records, listed_contact_ids, record_contact,
)


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
        ("?order=oldest", "order"),
        ("?order=due", "order"),  # the queue: only with status=awaiting_decision
        ("?order=due&status=decided", "order"),
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
    record_contact(practitioner)

    response = practitioner.get(f"{CONTACTS}?limit=500")

    assert response.status_code == 200
    assert len(response.json["items"]) == 1


# ---- list filters, order and pages --------------------------------------------------------------


def mark_decided(contact_id):
    session.execute(update(Contact).where(Contact.id == uuid.UUID(contact_id)).values(status="decided"))
    session.commit()
    forget_loaded_records()


def test_contacts_are_listed_newest_received_first(practitioner):
    nine = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    eight = record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    half_nine = record_contact(practitioner, received_at="2026-11-20T09:30:00Z")["id"]
    yesterday = record_contact(practitioner, received_at="2026-11-19T17:00:00Z")["id"]

    assert listed_contact_ids(practitioner) == [half_nine, nine, eight, yesterday]


def test_contacts_are_filtered_by_status(practitioner):
    awaiting = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    decided = record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    mark_decided(decided)

    assert listed_contact_ids(practitioner, "?status=awaiting_decision") == [awaiting]
    assert listed_contact_ids(practitioner, "?status=decided") == [decided]


def test_contacts_are_filtered_by_source_agency(police, practitioner):
    from_police = record_contact(police)["id"]
    from_gp = record_contact(practitioner, source_agency="hilltop-gp")["id"]

    assert listed_contact_ids(practitioner, "?source_agency=wmp") == [from_police]
    assert listed_contact_ids(practitioner, "?source_agency=hilltop-gp") == [from_gp]
    assert listed_contact_ids(practitioner, "?source_agency=housing") == []


def test_received_from_is_inclusive_and_received_to_is_exclusive(practitioner):
    eight = record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    nine = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]
    ten = record_contact(practitioner, received_at="2026-11-20T10:00:00Z")["id"]

    assert listed_contact_ids(practitioner, "?received_from=2026-11-20T09:00:00Z") == [ten, nine]
    assert listed_contact_ids(practitioner, "?received_to=2026-11-20T09:00:00Z") == [eight]
    assert listed_contact_ids(
        practitioner, "?received_from=2026-11-20T08:00:00Z&received_to=2026-11-20T10:00:00Z"
    ) == [nine, eight]


def test_a_received_from_with_an_offset_means_that_instant(practitioner):
    record_contact(practitioner, received_at="2026-11-20T08:00:00Z")
    nine = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]

    response = practitioner.get(CONTACTS, query_string={"received_from": "2026-11-20T10:00:00+01:00"})

    assert [item["id"] for item in response.json["items"]] == [nine]


def test_overdue_lists_contacts_awaiting_a_decision_past_their_deadline(clock, practitioner):
    friday = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]  # due end of Mon 23
    decided = record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    mark_decided(decided)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    monday = record_contact(practitioner, received_at="2026-11-23T09:00:00Z")["id"]  # due end of Tue 24

    assert listed_contact_ids(practitioner, "?overdue=true") == []
    assert listed_contact_ids(practitioner, "?overdue=false") == [monday, friday, decided]

    clock.set(datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC))
    assert listed_contact_ids(practitioner, "?overdue=true") == []

    clock.set(datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    assert listed_contact_ids(practitioner, "?overdue=true") == [friday]
    assert listed_contact_ids(practitioner, "?overdue=false") == [monday, decided]

    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert listed_contact_ids(practitioner, "?overdue=true") == [monday, friday]
    assert listed_contact_ids(practitioner, "?overdue=false") == [decided]


def test_pages_of_two_walk_every_contact_exactly_once_in_order(practitioner):
    received = ["2026-11-20T09:00:00Z", "2026-11-20T08:00:00Z", "2026-11-20T08:00:00Z",
                "2026-11-19T12:00:00Z", "2026-11-20T08:00:00Z"]
    for at in received:
        record_contact(practitioner, received_at=at)
    everything = listed_contact_ids(practitioner)
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
    record_contact(practitioner, received_at="2026-11-20T09:00:00Z")
    record_contact(practitioner, received_at="2026-11-20T08:00:00Z")

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
        record_contact(practitioner, received_at=f"2026-11-20T0{hour}:00:00Z", source_agency="wmp")
        record_contact(practitioner, received_at=f"2026-11-20T0{hour}:30:00Z", source_agency="housing")

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


# ---- the front door's queue: order=due -----------------------------------------------------------

QUEUE = f"{CONTACTS}?status=awaiting_decision&order=due"


def test_the_queue_lists_contacts_awaiting_a_decision_soonest_due_first(clock, practitioner):
    # Friday's contacts are due at the end of Monday 23, Monday's at the end of Tuesday 24.
    friday_late = record_contact(practitioner, received_at="2026-11-20T09:30:00Z")["id"]
    friday_early = record_contact(practitioner, received_at="2026-11-20T08:00:00Z")["id"]
    thursday = record_contact(practitioner, received_at="2026-11-19T17:00:00Z")["id"]  # due Fri 20
    decided = record_contact(practitioner, received_at="2026-11-18T09:00:00Z")["id"]
    mark_decided(decided)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    monday = record_contact(practitioner, received_at="2026-11-23T09:00:00Z")["id"]

    items = practitioner.get(QUEUE).json["items"]

    assert [item["id"] for item in items][0] == thursday  # overdue: at the top
    assert set(item["id"] for item in items[1:3]) == {friday_late, friday_early}  # same deadline
    assert [item["id"] for item in items][3:] == [monday]
    assert [item["decision_due_at"] for item in items] == sorted(
        item["decision_due_at"] for item in items)


def test_queue_pages_walk_every_contact_once_in_due_order(practitioner):
    for at in ("2026-11-20T09:00:00Z", "2026-11-19T08:00:00Z", "2026-11-20T08:00:00Z",
               "2026-11-18T12:00:00Z", "2026-11-19T09:00:00Z"):
        record_contact(practitioner, received_at=at)
    everything = [item["id"] for item in practitioner.get(QUEUE).json["items"]]

    walked, cursor = [], None
    for _ in range(10):
        page = practitioner.get(CONTACTS, query_string={
            "status": "awaiting_decision", "order": "due", "limit": 2,
            **({"cursor": cursor} if cursor else {})}).json
        walked += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(everything) == 5
    assert walked == everything


def test_the_queue_takes_the_agency_and_overdue_filters(clock, practitioner):
    overdue_police = record_contact(practitioner, received_at="2026-11-18T09:00:00Z")["id"]
    record_contact(practitioner, received_at="2026-11-18T10:00:00Z", source_agency="housing")
    due_police = record_contact(practitioner, received_at="2026-11-20T09:00:00Z")["id"]

    assert listed_contact_ids(practitioner, "?status=awaiting_decision&order=due"
                                            "&source_agency=wmp") == [overdue_police, due_police]
    assert listed_contact_ids(practitioner, "?status=awaiting_decision&order=due"
                                            "&source_agency=wmp&overdue=true") == [overdue_police]
