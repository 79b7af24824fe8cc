"""POST /api/v1/contacts/{id}/rag: a contact's RAG rating sets how fast it must be decided.

The clock stands at Fri 20 Nov 2026 10:00Z (GMT: London = UTC) unless a test moves it; the
contact is received at 09:00Z that day. Defaults: red 4 clock hours after receipt, amber the end
of the first working day after the London date of receipt (Mon 23 Nov), green the third (Wed 25
Nov); unrated keeps the statutory first working day.
"""

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from api.db import session
from api.models import Decision, RagRating
from tests.helpers import (
    CONTACTS, assert_problem, audit_actions, created, decided, field_errors,
    forget_loaded_records, read, record_contact,
)

REASON = "Bruising seen by the school nurse today; the child says she is afraid to go home."
OTHER_REASON = "Police confirm the adult has left the home; the child is staying with her aunt."
MONDAY_END = "2026-11-23T23:59:59.999999Z"
WEDNESDAY_END = "2026-11-25T23:59:59.999999Z"


def rag_url(contact_id):
    return f"{CONTACTS}/{contact_id}/rag"


def rate(client, contact_id, rating, reason=REASON, **headers):
    return client.post(rag_url(contact_id), json={"rating": rating, "reason": reason},
                       headers=headers)


# ---- the deadline each rating sets ------------------------------------------------------------


@pytest.mark.parametrize(("rating", "due"), [
    ("red", "2026-11-20T13:00:00Z"),  # 09:00 + 4 clock hours
    ("amber", MONDAY_END),  # the statutory first working day: Mon 23 Nov
    ("green", WEDNESDAY_END),  # Mon, Tue, Wed
])
def test_each_rating_sets_the_contacts_decision_due_at(police, practitioner, rating, due):
    contact = record_contact(police)
    assert contact["decision_due_at"] == MONDAY_END  # unrated: the statutory working day

    rated = created(rate(practitioner, contact["id"], rating))

    assert rated["decision_due_at"] == due
    assert rated["rag"] == {"rating": rating, "reason": REASON, "by": "priya",
                            "at": "2026-11-20T10:00:00Z"}
    forget_loaded_records()
    assert read(practitioner, f"{CONTACTS}/{contact['id']}")["decision_due_at"] == due


def test_red_counts_clock_hours_from_receipt_even_out_of_hours(police, practitioner, clock):
    # Received at 22:30 on Saturday 21 Nov; rated on Sunday morning: due 02:30 on Sunday,
    # clock hours whatever the day, and already past when rated (so overdue at once).
    clock.set(clock().replace(day=22, hour=8, minute=0))
    contact = record_contact(police, received_at="2026-11-21T22:30:00Z")
    assert contact["decision_due_at"] == MONDAY_END  # unrated: the first working day after Sat

    rated = created(rate(practitioner, contact["id"], "red"))

    assert rated["decision_due_at"] == "2026-11-22T02:30:00Z"
    overdue = read(practitioner, f"{CONTACTS}?status=awaiting_decision&overdue=true")["items"]
    assert contact["id"] in [c["id"] for c in overdue]


def test_red_across_the_autumn_clock_change_is_four_elapsed_hours(police, practitioner, clock):
    # Clocks go back at 01:00Z on Sunday 25 Oct 2026: 23:30Z Saturday + 4 h = 03:30Z Sunday.
    clock.set(clock().replace(month=10, day=25, hour=6, minute=0))
    contact = record_contact(police, received_at="2026-10-24T23:30:00Z")

    assert created(rate(practitioner, contact["id"], "red"))["decision_due_at"] == \
        "2026-10-25T03:30:00Z"


def test_a_bank_holiday_is_not_a_working_day_for_green(police, practitioner, clock):
    # Received Thu 24 Dec 2026: Fri 25 and Mon 28 (Boxing Day's substitute) are bank holidays,
    # so the 3 working days are Tue 29, Wed 30, Thu 31 Dec.
    clock.set(clock().replace(month=12, day=24, hour=12))
    contact = record_contact(police, received_at="2026-12-24T11:00:00Z")

    assert created(rate(practitioner, contact["id"], "green"))["decision_due_at"] == \
        "2026-12-31T23:59:59.999999Z"


def test_the_timescales_are_configurable(app, police, practitioner):
    contact = record_contact(police)
    app.config.update(RAG_RED_HOURS=2, RAG_GREEN_WORKING_DAYS=5)
    try:
        assert created(rate(practitioner, contact["id"], "red"))["decision_due_at"] == \
            "2026-11-20T11:00:00Z"
        assert created(rate(practitioner, contact["id"], "green", OTHER_REASON))[
            "decision_due_at"] == "2026-11-27T23:59:59.999999Z"
    finally:
        app.config.update(RAG_RED_HOURS=4, RAG_GREEN_WORKING_DAYS=3)


# ---- the history, and what each reader sees ---------------------------------------------------


def test_every_rating_is_kept_in_order_and_the_latest_is_current(api_as, police, clock):
    contact = record_contact(police)
    created(rate(api_as("practitioner", sub="priya"), contact["id"], "amber"))
    clock.advance(hours=1)
    created(rate(api_as("manager", sub="mark"), contact["id"], "red", OTHER_REASON))
    # Two ratings at the same instant keep the order they were given in.
    last = created(rate(api_as("practitioner", sub="priya"), contact["id"], "green",
                        "Manager review: the aunt is caring for her and police are involved."))

    assert [(r["rating"], r["by"], r["at"]) for r in last["rag_history"]] == [
        ("amber", "priya", "2026-11-20T10:00:00Z"),
        ("red", "mark", "2026-11-20T11:00:00Z"),
        ("green", "priya", "2026-11-20T11:00:00Z"),
    ]
    assert last["rag"]["rating"] == "green" and last["decision_due_at"] == WEDNESDAY_END
    forget_loaded_records()
    seen = read(api_as("auditor"), f"{CONTACTS}/{contact['id']}")
    assert seen["rag"] == last["rag"] and seen["rag_history"] == last["rag_history"]
    listed = read(api_as("manager"), f"{CONTACTS}?status=awaiting_decision")["items"]
    assert next(c for c in listed if c["id"] == contact["id"])["rag"]["rating"] == "green"


def test_an_unrated_contact_has_no_rating_and_an_empty_history(police, practitioner):
    contact = record_contact(police)
    seen = read(practitioner, f"{CONTACTS}/{contact['id']}")
    assert seen["rag"] is None and seen["rag_history"] == []


def test_the_referring_agency_never_sees_the_rating(police, practitioner):
    contact = record_contact(police)
    created(rate(practitioner, contact["id"], "red"))
    forget_loaded_records()

    for seen in (read(police, f"{CONTACTS}/{contact['id']}"),
                 next(c for c in read(police, CONTACTS)["items"] if c["id"] == contact["id"])):
        assert "rag" not in seen and "rag_history" not in seen


# ---- who may rate, and when -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agency", "auditor", "admin"])
def test_only_staff_may_rate(api_as, police, practitioner, role):
    contact = record_contact(police)

    assert_problem(rate(api_as(role, agency="wmp") if role == "agency" else api_as(role),
                        contact["id"], "red"), 403)
    forget_loaded_records()
    assert read(practitioner, f"{CONTACTS}/{contact['id']}")["rag_history"] == []


def test_rating_without_a_token_is_unauthorised(anonymous, police):
    assert_problem(rate(anonymous, record_contact(police)["id"], "red"), 401)


def test_another_contact_that_does_not_exist_is_not_found(practitioner):
    assert_problem(rate(practitioner, "00000000-0000-4000-8000-000000000000", "red"), 404)


def test_a_decided_contact_cannot_be_rated(police, practitioner, auditor):
    contact = record_contact(police)
    created(rate(practitioner, contact["id"], "amber"))
    decided(practitioner, contact["id"])
    events = audit_actions(auditor, contact["id"])

    errors = field_errors(rate(practitioner, contact["id"], "red", OTHER_REASON), 409)

    assert "rating" in errors
    forget_loaded_records()
    seen = read(practitioner, f"{CONTACTS}/{contact['id']}")
    assert [r["rating"] for r in seen["rag_history"]] == ["amber"]
    assert seen["decision_due_at"] == MONDAY_END
    assert audit_actions(auditor, contact["id"]) == events


@pytest.mark.parametrize(("body", "field"), [
    ({"rating": "red"}, "reason"),
    ({"rating": "red", "reason": "   "}, "reason"),
    ({"rating": "red", "reason": "Urgent."}, "reason"),  # under 20 characters
    ({"rating": "red", "reason": "See case notes, as discussed. N/A"}, "reason"),  # a placeholder
    ({"reason": REASON}, "rating"),
    ({"rating": "purple", "reason": REASON}, "rating"),
    ({"rating": "RED", "reason": REASON}, "rating"),
])
def test_a_rating_needs_a_known_rating_and_a_real_reason(police, practitioner, body, field):
    contact = record_contact(police)

    assert field in field_errors(practitioner.post(rag_url(contact["id"]), json=body))
    forget_loaded_records()
    seen = read(practitioner, f"{CONTACTS}/{contact['id']}")
    assert seen["rag_history"] == [] and seen["decision_due_at"] == MONDAY_END


def test_a_reason_too_short_is_told_it_must_explain_the_rating_not_a_decision(police,
                                                                             practitioner):
    contact = record_contact(police)

    errors = field_errors(practitioner.post(rag_url(contact["id"]),
                                            json={"rating": "red", "reason": "Urgent."}))

    assert errors["reason"] == ["A rationale must explain the rating: at least 20 characters."]


# ---- audit, chronology, idempotency -----------------------------------------------------------


def test_each_rating_is_audited_with_the_deadline_it_moved(police, practitioner, auditor):
    contact = record_contact(police)
    created(rate(practitioner, contact["id"], "red"))

    events = read(auditor, f"/api/v1/audit/events?entity_id={contact['id']}")["items"]
    rated = [e for e in events if e["action"] == "contact.rag_rated"]
    assert len(rated) == 1
    assert (rated[0]["actor"]["sub"], rated[0]["actor"]["role"]) == ("priya", "practitioner")
    rating_id = session.scalar(
        select(RagRating.id).where(RagRating.contact_id == uuid.UUID(contact["id"])))
    # The whole event: which rating, what it was and why, and the deadline it moved (the audit
    # trail writes instants with their microseconds).
    assert rated[0]["data"] == {
        "rag_rating_id": str(rating_id), "rating": "red", "reason": REASON,
        "decision_due_at": {"from": MONDAY_END, "to": "2026-11-20T13:00:00.000000Z"}}
    assert read(auditor, "/api/v1/audit/verify")["valid"] is True
    report = read(auditor, "/api/v1/audit/state")
    assert [f for f in report["findings"] if f["entity_id"] == contact["id"]] == []


def test_a_rating_is_in_the_contacts_history_and_the_childs_chronology(police, practitioner):
    contact = record_contact(police)
    created(rate(practitioner, contact["id"], "red"))
    child_id = contact["children"][0]["id"]

    for items in (read(practitioner, f"{CONTACTS}/{contact['id']}/history")["items"],
                  read(practitioner, f"/api/v1/children/{child_id}/chronology")["items"]):
        rated = [i for i in items if i["kind"] == "rag_rated"]
        assert [(i["at"], i["summary"], i["by"], i["contact_id"]) for i in rated] == [
            ("2026-11-20T10:00:00Z", f"RAG rated red: {REASON}", "priya", contact["id"])]


def test_a_retry_with_the_same_idempotency_key_rates_once(police, practitioner):
    contact = record_contact(police)

    first = rate(practitioner, contact["id"], "red", **{"Idempotency-Key": "rag-1"})
    again = rate(practitioner, contact["id"], "red", **{"Idempotency-Key": "rag-1"})

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    forget_loaded_records()
    assert session.scalar(select(func.count()).select_from(RagRating)
                          .where(RagRating.contact_id == uuid.UUID(contact["id"]))) == 1


def test_if_match_with_a_stale_etag_is_refused(police, practitioner):
    contact = record_contact(police)
    etag = practitioner.get(f"{CONTACTS}/{contact['id']}").headers["ETag"]
    created(rate(practitioner, contact["id"], "amber"))

    response = practitioner.post(rag_url(contact["id"]), json={"rating": "red", "reason": REASON},
                                 headers={"If-Match": etag})

    assert_problem(response, 412)


# ---- the queue, the decision and the figures --------------------------------------------------


def test_the_queue_orders_by_the_rated_deadline(police, practitioner, clock):
    first = record_contact(police, received_at="2026-11-20T08:00:00Z")
    second = record_contact(police, received_at="2026-11-20T08:30:00Z")
    third = record_contact(police, received_at="2026-11-20T09:00:00Z")
    created(rate(practitioner, first["id"], "green"))
    created(rate(practitioner, third["id"], "red"))

    queue = read(practitioner, f"{CONTACTS}?status=awaiting_decision&order=due")["items"]

    ids = [c["id"] for c in queue if c["id"] in {first["id"], second["id"], third["id"]}]
    assert ids == [third["id"], second["id"], first["id"]]


def test_a_decision_is_judged_by_both_deadlines(police, practitioner, clock):
    contact = record_contact(police)
    created(rate(practitioner, contact["id"], "red"))
    clock.advance(hours=5)  # 15:00: past red's 13:00, inside the statutory working day

    decision = decided(practitioner, contact["id"])

    assert (decision["within_1_working_day"], decision["within_rag_deadline"]) == (True, False)
    forget_loaded_records()
    assert session.get(Decision, uuid.UUID(decision["id"])).within_rag_deadline is False


def test_the_metrics_count_decisions_within_their_rag_deadline_and_ratings(
    police, practitioner, manager, clock,
):
    # Received Fri 20 Nov. Red, decided at 12:00 exactly (in time for both). Red, undecided
    # (overdue from 12:00). Green, decided Tue 24 Nov (in time for green's Wed 25, late for the
    # statutory Mon 23). Unrated, decided Tue (late: it keeps the statutory Mon 23). Amber,
    # undecided (overdue after Mon 23).
    red_in_time, red_late, green, unrated, amber = (
        record_contact(police, received_at=f"2026-11-20T0{hour}:00:00Z")
        for hour in (8, 8, 9, 9, 9))
    created(rate(practitioner, red_in_time["id"], "red"))
    created(rate(practitioner, red_late["id"], "red"))
    created(rate(practitioner, green["id"], "green"))
    created(rate(practitioner, amber["id"], "amber"))
    clock.advance(hours=2)
    decided(practitioner, red_in_time["id"])
    clock.set(clock().replace(day=24))
    decided(practitioner, green["id"])
    decided(practitioner, unrated["id"])

    figures = read(manager, "/api/v1/metrics/timeliness?from=2026-11-20&to=2026-11-21")
    contacts = figures["contacts"]
    assert contacts["decided_within_rag"] == {"count": 2, "of": 3, "percent": 66.7}
    assert contacts["decided_within_1_working_day"] == {"count": 1, "of": 3, "percent": 33.3}
    assert contacts["rag"] == {"red": 2, "amber": 1, "green": 1, "unrated": 1}
    assert contacts["overdue"] == 2

    by_month = read(manager, "/api/v1/metrics/timeliness?from=2026-11-01&to=2027-01-01"
                             "&group_by=month")["groups"]
    november = next(g for g in by_month if g["key"] == "2026-11")["contacts"]
    december = next(g for g in by_month if g["key"] == "2026-12")["contacts"]
    assert november["decided_within_rag"] == {"count": 2, "of": 3, "percent": 66.7}
    assert november["rag"] == {"red": 2, "amber": 1, "green": 1, "unrated": 1}
    assert december["rag"] == {"red": 0, "amber": 0, "green": 0, "unrated": 0}
    assert december["decided_within_rag"] == {"count": 0, "of": 0, "percent": None}
    by_agency = read(manager, "/api/v1/metrics/timeliness?from=2026-11-20&to=2026-11-21"
                              "&group_by=source_agency")["groups"]
    assert [(g["key"], g["contacts"]["decided_within_rag"], g["contacts"]["rag"])
            for g in by_agency] == [("wmp", {"count": 2, "of": 3, "percent": 66.7},
                                     {"red": 2, "amber": 1, "green": 1, "unrated": 1})]


# ---- a newly announced bank holiday (`flask timescales recompute`) ----------------------------


def test_recompute_keeps_each_contacts_rating_and_moves_only_working_day_deadlines(
    police, practitioner, clock, recompute, announce_holiday,
):
    red = record_contact(police)
    green = record_contact(police)
    created(rate(practitioner, red["id"], "red"))
    created(rate(practitioner, green["id"], "green"))
    clock.set(clock().replace(day=26))  # Thu 26 Nov, 10:00: late for green's Wed 25
    decision = decided(practitioner, green["id"])
    forget_loaded_records()
    assert session.get(Decision, uuid.UUID(decision["id"])).within_rag_deadline is False

    announce_holiday(date(2026, 11, 23))  # Monday: green's third working day becomes Thu 26
    recompute()

    forget_loaded_records()
    assert read(practitioner, f"{CONTACTS}/{red['id']}")["decision_due_at"] == \
        "2026-11-20T13:00:00Z"
    assert read(practitioner, f"{CONTACTS}/{green['id']}")["decision_due_at"] == \
        "2026-11-26T23:59:59.999999Z"
    stored = session.get(Decision, uuid.UUID(decision["id"]))
    assert (stored.within_rag_deadline, stored.within_1_working_day) == (True, False)
