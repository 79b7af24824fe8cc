"""Information requests: the MASH asks a partner agency what it knows, by a deadline the contact's
RAG rating sets; the agency sees only what is addressed to it and answers once.

The clock stands at Fri 20 Nov 2026 10:00Z (GMT: London = UTC) unless a test moves it; the
contact is received at 09:00Z that day. Defaults: red 2 clock hours after the request, amber 4
working hours (09:00-17:00 London), green the end of the first working day after (Mon 23 Nov),
unrated as amber.
"""

import uuid

import pytest

from tests.helpers import (
    CONTACTS, assert_problem, audit_actions, created, decide, make_account, read,
    record_contact,
)

REQUESTS = "/api/v1/information-requests"
QUESTION = "Is the family known to you? Any incidents at the address in the last year?"
REASON = "Bruising seen by the school nurse today; the child says she is afraid to go home."
RESTRICTION_REASON = "The child's aunt works in the MASH; only the named worker may see it."


@pytest.fixture
def school(api_as):
    return api_as("agency", agency="oakfield-primary", sub="oakfield-system")


@pytest.fixture
def gp(api_as):
    return api_as("agency", agency="hilltop-gp", sub="hilltop-system")


def ask(client, contact, agency="oakfield-primary", question=QUESTION, child_ids=None):
    if child_ids is None:
        child_ids = [c["id"] for c in contact["children"]]
    return client.post(f"{CONTACTS}/{contact['id']}/information-requests",
                       json={"agency": agency, "question": question, "child_ids": child_ids})


def asked_until_its_id_is_less(client, contact, agency, than, clock, minutes):
    """Ask `agency` again (withdrawing each request) until a request's id is less than `than`'s,
    `minutes` apart, so that an order by id cannot pass for the order asked. The open request,
    and the ids of those withdrawn."""
    withdrawn = []
    while True:
        clock.advance(minutes=minutes)
        asked = created(ask(client, contact, agency=agency))
        if uuid.UUID(asked["id"]) < uuid.UUID(than["id"]):
            return asked, withdrawn
        created(client.post(f"{REQUESTS}/{asked['id']}/withdrawal",
                            json={"reason": "Asked again, more precisely."}))
        withdrawn.append(asked["id"])


def answer(client, request_id, **body):
    return client.post(f"{REQUESTS}/{request_id}/response", json=body)


def rate(client, contact, rating):
    created(client.post(f"{CONTACTS}/{contact['id']}/rag",
                        json={"rating": rating, "reason": REASON}))


def listed(client, query=""):
    return [r["id"] for r in read(client, f"{REQUESTS}{query}")["items"]]


# ---- asking, and when it is due ---------------------------------------------------------------


@pytest.mark.parametrize(("rating", "due"), [
    (None, "2026-11-20T14:00:00Z"),  # unrated as amber: 4 working hours from 10:00
    ("amber", "2026-11-20T14:00:00Z"),
    ("red", "2026-11-20T12:00:00Z"),  # 2 clock hours
    ("green", "2026-11-23T23:59:59.999999Z"),  # the end of the first working day after: Monday
])
def test_the_contacts_rating_sets_when_the_answer_is_due(police, practitioner, rating, due):
    contact = record_contact(police)
    if rating:
        rate(practitioner, contact, rating)

    asked = created(ask(practitioner, contact))

    assert asked["due_at"] == due
    assert asked["status"] == "open" and asked["response"] is None
    assert asked["rag_rating"] == rating and asked["requested_by"] == "priya"
    assert asked["contact_id"] == contact["id"] and asked["agency"] == "oakfield-primary"
    assert read(practitioner, f"{REQUESTS}/{asked['id']}")["due_at"] == due


def test_working_hours_carry_over_the_weekend(police, practitioner, clock):
    # Asked at 15:00 on Friday: 2 working hours on Friday, 2 more from 09:00 on Monday.
    clock.set(clock().replace(hour=15))
    contact = record_contact(police)
    assert created(ask(practitioner, contact))["due_at"] == "2026-11-23T11:00:00Z"


def test_the_deadlines_are_configurable(app, police, practitioner):
    contact = record_contact(police)
    app.config.update(INFORMATION_AMBER_WORKING_HOURS=2)
    try:
        assert created(ask(practitioner, contact))["due_at"] == "2026-11-20T12:00:00Z"
    finally:
        app.config.update(INFORMATION_AMBER_WORKING_HOURS=4)


def test_several_agencies_at_once_but_not_the_same_one_twice_while_open(police, practitioner):
    contact = record_contact(police)
    first = created(ask(practitioner, contact))
    created(ask(practitioner, contact, agency="hilltop-gp"))

    again = ask(practitioner, contact)
    assert_problem(again, 409, "agency")
    # Once withdrawn, the agency may be asked again.
    created(practitioner.post(f"{REQUESTS}/{first['id']}/withdrawal", json={"reason": "Asked wrongly."}))
    created(ask(practitioner, contact))


def test_the_children_must_be_the_contacts_own(police, practitioner):
    contact = record_contact(police)
    other = record_contact(police, children=[{
        "given_name": "Noah", "family_name": "Okafor", "date_of_birth": "2016-01-09"}])
    assert_problem(ask(practitioner, contact, child_ids=[other["children"][0]["id"]]), 422,
                   "child_ids")
    assert_problem(ask(practitioner, contact, child_ids=[]), 422, "child_ids")
    twice = [contact["children"][0]["id"]] * 2
    assert_problem(ask(practitioner, contact, child_ids=twice), 422, "child_ids[1]", "twice")


def test_an_unknown_agency_or_a_blank_question_is_refused(police, practitioner):
    contact = record_contact(police)
    assert_problem(ask(practitioner, contact, agency="nobody"), 422, "agency")
    assert_problem(ask(practitioner, contact, question="   "), 422, "question")


def test_only_staff_may_ask_and_not_about_a_contact_they_cannot_see(police, auditor, staff):
    contact = record_contact(police)
    assert_problem(ask(police, contact), 403)
    assert_problem(ask(auditor, contact), 403)
    make_account("priya", "person", "practitioner", service="mash")
    created(staff.mash_manager.post("/api/v1/restrictions", json={
        "entity_type": "contact", "entity_id": contact["id"], "allowed": ["priya"],
        "reason": RESTRICTION_REASON}))
    assert_problem(ask(staff.eh, contact), 404)
    created(ask(staff.mash, contact))


# ---- what an agency sees ----------------------------------------------------------------------


def test_an_agency_sees_only_its_own_requests_and_only_what_it_needs(police, practitioner,
                                                                      school, gp):
    contact = record_contact(police)
    to_school = created(ask(practitioner, contact))
    to_gp = created(ask(practitioner, contact, agency="hilltop-gp"))

    assert listed(school) == [to_school["id"]]
    assert listed(gp, "?status=open") == [to_gp["id"]]
    shown = read(school, f"{REQUESTS}/{to_school['id']}")
    assert set(shown) == {"id", "agency", "question", "children", "requested_at", "due_at",
                          "status", "overdue", "response", "withdrawn_at"}
    child = contact["children"][0]
    assert shown["children"] == [{
        "id": child["id"], "given_name": child["given_name"], "family_name": child["family_name"],
        "date_of_birth": child["date_of_birth"], "nhs_number": child["nhs_number"]}]
    assert shown["question"] == QUESTION and shown["due_at"] == "2026-11-20T14:00:00Z"
    # Another agency's request does not exist for it, to read or to answer.
    assert_problem(school.get(f"{REQUESTS}/{to_gp['id']}"), 404)
    assert_problem(answer(school, to_gp["id"], known=False), 404)
    assert read(gp, f"{REQUESTS}/{to_gp['id']}")["status"] == "open"
    # The referring police see none of them (not addressed to them).
    assert listed(police) == []


def test_staff_see_every_request(police, practitioner, auditor, manager):
    contact = record_contact(police)
    ids = [created(ask(practitioner, contact, agency=a))["id"] for a in ("oakfield-primary", "hilltop-gp")]
    for who in (practitioner, auditor, manager):
        assert sorted(listed(who)) == sorted(ids)
        assert sorted(listed(who, f"?contact_id={contact['id']}")) == sorted(ids)
    assert listed(practitioner, "?agency=hilltop-gp") == [ids[1]]


@pytest.mark.parametrize("entity_type", ["child", "contact"])
def test_an_agency_no_longer_sees_a_request_once_the_contact_is_restricted(
        police, practitioner, school, staff, auditor, entity_type):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    make_account("priya", "person", "practitioner", service="mash")
    restricted = contact["children"][0]["id"] if entity_type == "child" else contact["id"]
    created(staff.mash_manager.post("/api/v1/restrictions", json={
        "entity_type": entity_type, "entity_id": restricted, "allowed": ["priya"],
        "reason": RESTRICTION_REASON}))

    assert listed(school) == []
    assert_problem(school.get(f"{REQUESTS}/{asked['id']}"), 404)
    assert_problem(answer(school, asked["id"], known=False), 404)
    assert listed(staff.eh) == []
    assert_problem(staff.eh.get(f"{REQUESTS}/{asked['id']}"), 404)
    assert_problem(staff.eh.post(f"{REQUESTS}/{asked['id']}/withdrawal", json={"reason": "No."}),
                   404)
    assert listed(staff.mash) == [asked["id"]]
    assert listed(auditor) == [asked["id"]]


def test_overdue_is_a_filter_for_staff_and_agency(police, practitioner, school, clock):
    contact = record_contact(police)
    rate(practitioner, contact, "red")
    late = created(ask(practitioner, contact))
    other = record_contact(police)
    in_time = created(ask(practitioner, other))  # amber: due 14:00
    clock.advance(hours=3)  # 13:00: the red one (due 12:00) is overdue

    for who in (practitioner, school):
        assert listed(who, "?overdue=true") == [late["id"]]
        assert listed(who, "?overdue=false") == [in_time["id"]]
    assert read(school, f"{REQUESTS}/{late['id']}")["overdue"] is True
    created(answer(school, late["id"], known=False))
    assert listed(school, "?overdue=true") == []


def test_overdue_starts_after_the_deadline_not_at_it(police, practitioner, clock):
    contact = record_contact(police)
    rate(practitioner, contact, "red")
    asked = created(ask(practitioner, contact))  # due 12:00
    clock.advance(hours=2)  # 12:00 exactly: still in time
    assert listed(practitioner, "?overdue=true") == []
    assert read(practitioner, f"{REQUESTS}/{asked['id']}")["overdue"] is False
    clock.advance(microseconds=1)
    assert listed(practitioner, "?overdue=true") == [asked["id"]]


def test_the_list_filters_by_status_and_contact_and_pages_newest_first(
        police, practitioner, school, clock):
    first, second = record_contact(police), record_contact(police)
    asked = []
    for contact in (first, second, first):
        clock.advance(minutes=1)
        agency = "oakfield-primary" if not asked or contact is second else "hilltop-gp"
        asked.append(created(ask(practitioner, contact, agency=agency)))
    created(answer(school, asked[0]["id"], known=False))
    newest_first = [r["id"] for r in reversed(asked)]

    assert listed(practitioner, "?status=answered") == [asked[0]["id"]]
    assert listed(practitioner, "?status=open") == newest_first[:2]
    assert listed(practitioner, f"?contact_id={first['id']}") == [asked[2]["id"], asked[0]["id"]]
    # A page at a time, by the cursor, newest first, each item shaped for its reader.
    seen, cursor = [], None
    for _ in range(len(asked) + 1):  # bounded: a cursor not passed on would page forever
        page = read(practitioner, f"{REQUESTS}?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["items"]) <= 1
        seen += [r["id"] for r in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == newest_first and not cursor
    # An agency's list shows its requests as an agency sees them: nothing staff-only.
    for item in read(school, REQUESTS)["items"]:
        assert "contact_id" not in item and "requested_by" not in item


# ---- answering --------------------------------------------------------------------------------


def test_the_agency_answers_once(police, practitioner, school, clock):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    clock.advance(hours=1)

    answered = created(answer(school, asked["id"], known=True,
                              information="Attendance 82%; two welfare concerns logged in October."))

    assert answered["status"] == "answered"
    assert answered["response"] == {
        "known": True, "information": "Attendance 82%; two welfare concerns logged in October.",
        "responded_at": "2026-11-20T11:00:00Z", "at": "2026-11-20T11:00:00Z", "recorded_at": "2026-11-20T11:00:00Z",
        "by": "oakfield-system", "within_deadline": True}
    assert read(practitioner, f"{REQUESTS}/{asked['id']}")["response"]["after_decision"] is False
    again = assert_problem(answer(school, asked["id"], known=False), 409)
    assert again["detail"] == "The request has already been answered."
    assert read(practitioner, f"{REQUESTS}/{asked['id']}")["response"]["known"] is True
    assert listed(school, "?status=answered") == [asked["id"]]


def test_known_needs_the_information_and_not_known_does_not(police, practitioner, school):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    assert_problem(answer(school, asked["id"], known=True), 422, "information")
    assert_problem(answer(school, asked["id"], known=True, information="  "), 422, "information")
    assert_problem(answer(school, asked["id"], information="x"), 422, "known")
    answered = created(answer(school, asked["id"], known=False))
    assert answered["response"]["known"] is False and answered["response"]["information"] is None


@pytest.mark.parametrize(("hours", "within"), [(4, True), (6, False)])  # due at 14:00
def test_a_late_answer_is_kept_and_marked_and_one_at_the_deadline_is_within_it(
        police, practitioner, school, clock, hours, within):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    clock.advance(hours=hours)
    answered = created(answer(school, asked["id"], known=False))
    assert answered["response"]["within_deadline"] is within


def test_responded_at_is_the_agencys_time_not_in_the_future_nor_before_the_request(
        police, practitioner, school, clock):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    clock.advance(hours=5)
    assert_problem(answer(school, asked["id"], known=False, responded_at="2026-11-21T10:00:00Z"),
                   422, "responded_at")
    assert_problem(answer(school, asked["id"], known=False, responded_at="2026-11-20T09:00:00Z"),
                   422, "responded_at")
    # Answered at 13:00 by its own system, sent at 15:00: within the deadline (14:00).
    sent = created(answer(school, asked["id"], known=False, responded_at="2026-11-20T13:00:00Z"))
    assert sent["response"]["within_deadline"] is True
    assert sent["response"]["recorded_at"] == "2026-11-20T15:00:00Z"
    # The contract's `at` (API.md) is the agency's time, as responded_at.
    assert sent["response"]["responded_at"] == sent["response"]["at"] == "2026-11-20T13:00:00Z"


def test_staff_cannot_answer_for_an_agency(police, practitioner):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    assert_problem(answer(practitioner, asked["id"], known=False), 403)


# ---- withdrawing ------------------------------------------------------------------------------


def test_staff_withdraw_with_a_reason_and_the_agency_sees_it_withdrawn(police, practitioner,
                                                                        school):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    withdrawal = f"{REQUESTS}/{asked['id']}/withdrawal"
    assert_problem(practitioner.post(withdrawal, json={}), 422, "reason")
    assert_problem(school.post(withdrawal, json={"reason": "Not needed."}), 403)

    withdrawn = created(practitioner.post(withdrawal, json={"reason": "The police answered it."}))

    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == "The police answered it."
    assert withdrawn["withdrawn_by"] == "priya"
    seen = read(school, f"{REQUESTS}/{asked['id']}")
    assert seen["status"] == "withdrawn" and "withdrawal_reason" not in seen
    assert "already been withdrawn" in assert_problem(
        practitioner.post(withdrawal, json={"reason": "Again."}), 409)["detail"]
    assert_problem(answer(school, asked["id"], known=False), 409)
    answered = created(ask(practitioner, contact))
    created(answer(school, answered["id"], known=False))
    assert "already been answered" in assert_problem(practitioner.post(
        f"{REQUESTS}/{answered['id']}/withdrawal", json={"reason": "Not needed."}), 409)["detail"]


# ---- the record: audit, access log, chronology, idempotency ------------------------------------


def test_every_write_is_audited(police, practitioner, school, auditor):
    contact = record_contact(police)
    first = created(ask(practitioner, contact))
    created(answer(school, first["id"], known=False))
    second = created(ask(practitioner, contact))
    created(practitioner.post(f"{REQUESTS}/{second['id']}/withdrawal", json={"reason": "Not needed."}))
    assert audit_actions(auditor, first["id"]) == [
        "information_request.requested", "information_request.answered"]
    assert audit_actions(auditor, second["id"]) == [
        "information_request.requested", "information_request.withdrawn"]
    withdrawal = auditor.get(f"/api/v1/audit/events?entity_id={second['id']}").json["items"][-1]
    assert withdrawal["data"] == {"reason": "Not needed.", "at": "2026-11-20T10:00:00.000000Z"}
    requested, answered = auditor.get(f"/api/v1/audit/events?entity_id={first['id']}").json["items"]
    assert (requested["data"]["id"], requested["data"]["question"],
            requested["data"]["child_ids"]) == (
        first["id"], QUESTION, [contact["children"][0]["id"]])
    assert answered["data"] == {"known": False, "information": None,
                                "responded_at": "2026-11-20T10:00:00.000000Z",
                                "within_deadline": True, "after_decision": False}


def test_reads_are_in_the_access_log_with_the_children(police, practitioner, school, auditor):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    read(school, f"{REQUESTS}/{asked['id']}")
    read(school, REQUESTS)
    events = read(auditor, f"/api/v1/audit/access?entity_id={asked['id']}")["items"]
    endpoints = sorted(e["endpoint"] for e in events)
    assert endpoints == ["information_requests.get_information_request",
                         "information_requests.list_information_requests"]
    assert all(e["entity_type"] == "information_request" for e in events)
    child_id = contact["children"][0]["id"]
    by_child = read(auditor, f"/api/v1/audit/access?entity_id={child_id}")["items"]
    assert any(e["endpoint"] == "information_requests.get_information_request" for e in by_child)


def test_requests_and_answers_are_in_the_contacts_history_and_the_childs_chronology(
        police, practitioner, school, clock):
    contact = record_contact(police)
    asked = created(ask(practitioner, contact))
    clock.advance(hours=5)
    created(answer(school, asked["id"], known=True, information="Known to the school nurse."))

    for path in (f"{CONTACTS}/{contact['id']}/history",
                 f"/api/v1/children/{contact['children'][0]['id']}/chronology"):
        items = [(i["kind"], i["summary"], i["at"]) for i in read(practitioner, path)["items"]
                 if i["kind"].startswith("information")]
        assert items == [
            ("information_requested",
             f"Information requested from Oakfield Primary School: {QUESTION}",
             "2026-11-20T10:00:00Z"),
            ("information_answered",
             "Oakfield Primary School answered (late): Known to the school nurse.",
             "2026-11-20T15:00:00Z"),
        ]


def test_a_keyed_request_is_made_once(police, practitioner):
    contact = record_contact(police)
    body = {"agency": "oakfield-primary", "question": QUESTION,
            "child_ids": [contact["children"][0]["id"]]}
    url = f"{CONTACTS}/{contact['id']}/information-requests"
    first = practitioner.post(url, json=body, headers={"Idempotency-Key": "ask-school-1"})
    again = practitioner.post(url, json=body, headers={"Idempotency-Key": "ask-school-1"})
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert len(listed(practitioner)) == 1


# ---- on the contact -----------------------------------------------------------------------------


def test_staff_see_the_contacts_requests_in_order_and_the_agency_never_does(
        police, practitioner, auditor, school, clock):
    contact = record_contact(police)
    first = created(ask(practitioner, contact))
    created(answer(school, first["id"], known=False))
    second, withdrawn = asked_until_its_id_is_less(practitioner, contact, "hilltop-gp", first,
                                                   clock, minutes=5)
    in_order = ([(first["id"], "oakfield-primary", "answered")]
                + [(i, "hilltop-gp", "withdrawn") for i in withdrawn]
                + [(second["id"], "hilltop-gp", "open")])

    for who in (practitioner, auditor):
        shown = read(who, f"{CONTACTS}/{contact['id']}")["information_requests"]
        assert [(r["id"], r["agency"], r["status"]) for r in shown] == in_order
        assert shown[0]["response"]["known"] is False
    assert "information_requests" not in read(police, f"{CONTACTS}/{contact['id']}")
    # The list shows the same.
    listed_contact = read(practitioner, CONTACTS)["items"][0]
    assert [r["id"] for r in listed_contact["information_requests"]] == [i for i, _, _ in in_order]
    assert "information_requests" not in read(police, CONTACTS)["items"][0]


# ---- a decision made while requests are open ---------------------------------------------------


def test_a_decision_withdraws_the_open_requests_and_lists_them(police, practitioner, school, gp,
                                                               auditor, clock):
    elsewhere = created(ask(practitioner, record_contact(police), agency="hilltop-gp"))
    contact = record_contact(police)
    answered = created(ask(practitioner, contact))
    created(answer(school, answered["id"], known=False))
    still_open = created(ask(practitioner, contact, agency="hilltop-gp"))
    # The police are asked too: listed in the order asked, not by id.
    police_asked, _ = asked_until_its_id_is_less(practitioner, contact, "wmp", still_open, clock,
                                                 minutes=1)

    decision = decide(practitioner, contact["id"], "nfa")

    assert [(r["id"], r["status"], r["withdrawal_reason"])
            for r in decision["open_information_requests"]] == [
        (still_open["id"], "withdrawn", "decided without it"),
        (police_asked["id"], "withdrawn", "decided without it")]
    assert read(gp, f"{REQUESTS}/{still_open['id']}")["status"] == "withdrawn"
    assert_problem(answer(gp, still_open["id"], known=False), 409)
    assert read(school, f"{REQUESTS}/{answered['id']}")["status"] == "answered"
    assert read(gp, f"{REQUESTS}/{elsewhere['id']}")["status"] == "open"  # another contact's
    assert audit_actions(auditor, still_open["id"])[-1] == "information_request.withdrawn"
    # Listed decisions do not carry the list (it belongs to the answer of the write).
    listed_decision = read(practitioner, f"{CONTACTS}/{contact['id']}/decisions")["items"][0]
    assert "open_information_requests" not in listed_decision


def test_the_decider_may_keep_them_open(police, practitioner, gp, school, clock):
    contact = record_contact(police)
    other = record_contact(police)
    created(ask(practitioner, other, agency="hilltop-gp"))  # another contact's: not listed
    answered = created(ask(practitioner, contact))
    created(answer(school, answered["id"], known=False))  # answered: not listed as open
    asked = []
    for agency in ("hilltop-gp", "wmp", "health-visiting", "housing"):
        clock.advance(minutes=1)
        asked.append(created(ask(practitioner, contact, agency=agency)))

    decision = decide(practitioner, contact["id"], "nfa", keep_information_requests_open=True)

    # This contact's open requests, in the order asked (as every list of them is).
    assert [(r["id"], r["status"]) for r in decision["open_information_requests"]] == [
        (request["id"], "open") for request in asked]
    asked = asked[0]
    late = created(answer(gp, asked["id"], known=True, information="Registered; no concerns."))
    assert "after_decision" not in late["response"]
    # The answer came after the decision: flagged on the contact for the decider.
    shown = {r["id"]: r for r in read(practitioner, f"{CONTACTS}/{contact['id']}")["information_requests"]}
    assert shown[asked["id"]]["response"]["after_decision"] is True
    assert shown[answered["id"]]["response"]["after_decision"] is False


def test_a_decision_with_nothing_open_lists_none(police, practitioner):
    contact = record_contact(police)
    assert decide(practitioner, contact["id"], "nfa")["open_information_requests"] == []
