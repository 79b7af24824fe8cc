"""The access log: every read of case data, allowed or refused, is kept; auditors ask who read what."""

import threading
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import urlencode

import jwt
import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from api import access, create_app, transactions
from api.keys import generate_key_pair
from api.cli import alembic_config, upgrade
from api.db import session
from api.models import AccessEvent, AccessEventRecord
from tests.api.test_chronology import child, convene, decide, ok, post_contact
from tests.helpers import (
    ApiClient, FakeClock, app_config, assert_problem, build_app, contact_body, iso, new_nhs_number,
    step_down, token_for,
)

ACCESS = "/api/v1/audit/access"


@pytest.fixture
def case(staff, police, clock):
    """A police contact about Amelia and Ben, a strategy meeting and a step-down about Amelia
    alone, and a contact about Zoe, who has nothing to do with them."""
    contact = post_contact(police, clock() - timedelta(hours=1),
                           [child("Amelia", new_nhs_number()), child("Ben", new_nhs_number())])
    amelia, ben = (c["id"] for c in contact["children"])
    decide(staff.mash, contact["id"], "strategy_discussion")
    meeting = convene(staff.mash, contact["id"], [amelia], clock())
    transition = ok(step_down(staff.sc, amelia))
    other = post_contact(staff.mash, clock() - timedelta(hours=2), [child("Zoe", new_nhs_number())],
                         source_agency="oakfield-primary")
    return SimpleNamespace(
        contact=contact["id"], amelia=amelia, ben=ben, meeting=meeting["id"],
        transition=transition["id"], other_contact=other["id"], zoe=other["children"][0]["id"],
    )


def last_event_id():
    return session.scalar(select(func.max(AccessEvent.id))) or 0


def events_after(event_id):
    return session.scalars(
        select(AccessEvent).where(AccessEvent.id > event_id).order_by(AccessEvent.id)).all()


def only_event_after(event_id):
    events = events_after(event_id)
    assert len(events) == 1, [(e.endpoint, e.status) for e in events]
    return events[0]


def walk(auditor, limit=500, **filters):
    """Every access event matching `filters`, newest first, following next_cursor."""
    items, cursor = [], None
    while True:
        query = {"limit": limit, **filters, **({"cursor": cursor} if cursor else {})}
        response = auditor.get(ACCESS, query_string=query)
        assert response.status_code == 200, response.json
        items.extend(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def case_reads(items):
    """The (endpoint, status) of each item, leaving out reads of the access log itself."""
    return {(item["endpoint"], item["status"]) for item in items if item["entity_type"] != "access_log"}


# ---- every read is recorded -------------------------------------------------------------------

SINGLE_READS = [
    ("contacts.get_contact", "/api/v1/contacts/{contact}", "contact", "contact", ("amelia", "ben")),
    ("decisions.list_decisions", "/api/v1/contacts/{contact}/decisions", "contact", "contact",
     ("amelia", "ben")),
    ("decisions.contact_history", "/api/v1/contacts/{contact}/history", "contact", "contact",
     ("amelia", "ben")),
    ("children.get_child", "/api/v1/children/{amelia}", "child", "amelia", ("amelia",)),
    ("children.child_chronology", "/api/v1/children/{amelia}/chronology", "child", "amelia",
     ("amelia",)),
    ("strategy_meetings.get_meeting", "/api/v1/strategy-meetings/{meeting}", "strategy_meeting",
     "meeting", ("amelia",)),
    ("transitions.get_transition", "/api/v1/transitions/{transition}", "transition", "transition",
     ("amelia",)),
]


@pytest.mark.parametrize("endpoint, path, entity_type, entity, children", SINGLE_READS,
                         ids=[read[0] for read in SINGLE_READS])
def test_each_read_of_a_record_appends_one_event_naming_who_what_and_which_children(
        staff, case, clock, endpoint, path, entity_type, entity, children):
    clock.advance(minutes=7)
    before = last_event_id()
    path = path.format(**vars(case))
    assert staff.sc_manager.get(path).status_code == 200

    event = only_event_after(before)
    assert event.at == clock()
    assert event.actor == {"sub": "sara", "role": "manager", "agency": None, "service": "social_care"}
    assert event.token == "valid"
    assert (event.method, event.endpoint, event.path, event.query, event.status) == (
        "GET", endpoint, path, None, 200)
    assert (event.entity_type, event.entity_id) == (entity_type, getattr(case, entity))
    assert event.record_ids is None
    assert event.child_ids == sorted(getattr(case, name) for name in children)


def test_an_agency_reading_its_own_contact_is_recorded_with_its_agency(police, case):
    before = last_event_id()
    assert police.get(f"/api/v1/contacts/{case.contact}").status_code == 200
    event = only_event_after(before)
    assert event.actor == {"sub": "wmp-case-system", "role": "agency", "agency": "wmp", "service": None}
    assert (event.status, event.entity_id) == (200, case.contact)


LIST_READS = [
    ("contacts.list_contacts", "/api/v1/contacts", {"source_agency": "wmp", "limit": 10}, "contact",
     "contact", ("amelia", "ben")),
    ("strategy_meetings.list_meetings", "/api/v1/strategy-meetings", {"status": "convened"},
     "strategy_meeting", "meeting", ("amelia",)),
    ("transitions.list_transitions", "/api/v1/transitions", {"direction": "step_down"},
     "transition", "transition", ("amelia",)),
]


@pytest.mark.parametrize("endpoint, path, query, entity_type, shown, children", LIST_READS,
                         ids=[read[0] for read in LIST_READS])
def test_a_list_read_records_its_filters_the_records_it_showed_and_their_children(
        staff, case, endpoint, path, query, entity_type, shown, children):
    before = last_event_id()
    response = staff.mash.get(path, query_string=query)
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["items"]] == [getattr(case, shown)]

    event = only_event_after(before)
    assert (event.endpoint, event.path, event.query, event.status) == (
        endpoint, path, urlencode(query), 200)
    assert (event.entity_type, event.entity_id) == (entity_type, None)
    assert event.record_ids == [getattr(case, shown)]
    assert event.child_ids == sorted(getattr(case, name) for name in children)


def test_a_list_that_showed_nothing_records_an_empty_list(staff, case):
    before = last_event_id()
    assert staff.mash.get("/api/v1/transitions", query_string={"direction": "step_up"}).json[
        "items"] == []
    event = only_event_after(before)
    assert (event.record_ids, event.child_ids) == ([], [])


# ---- refused reads are recorded too -------------------------------------------------------------


def test_a_role_that_may_not_read_a_contact_is_refused_and_the_attempt_recorded(staff, case):
    before = last_event_id()
    assert_problem(staff.admin.get(f"/api/v1/contacts/{case.contact}"), 403)
    event = only_event_after(before)
    assert event.actor == {"sub": "ada", "role": "admin", "agency": None, "service": None}
    assert (event.token, event.status, event.endpoint) == ("valid", 403, "contacts.get_contact")
    assert (event.entity_type, event.entity_id) == ("contact", case.contact)
    assert event.child_ids == sorted([case.amelia, case.ben])


def test_an_agency_asking_for_another_agencys_contact_gets_404_and_is_recorded(api_as, case):
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    before = last_event_id()
    assert_problem(school.get(f"/api/v1/contacts/{case.contact}"), 404)
    event = only_event_after(before)
    assert event.actor == {"sub": "oakfield-system", "role": "agency", "agency": "oakfield-primary",
                           "service": None}
    assert (event.status, event.entity_id) == (404, case.contact)
    # The attempt is on the children's records as well: the interesting case.
    assert event.child_ids == sorted([case.amelia, case.ben])


def test_a_read_without_a_token_is_recorded_with_no_actor(anonymous, case):
    before = last_event_id()
    assert_problem(anonymous.get(f"/api/v1/children/{case.amelia}/chronology"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": None, "role": None, "agency": None, "service": None}
    assert (event.token, event.status, event.entity_id) == ("missing", 401, case.amelia)
    assert event.endpoint == "children.child_chronology"


def test_an_expired_token_is_recorded_with_the_actor_it_names_and_marked_expired(app, case):
    expired = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash", minutes=-5))
    before = last_event_id()
    assert_problem(expired.get(f"/api/v1/contacts/{case.contact}"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"}
    assert (event.token, event.status) == ("expired", 401)


def test_a_forged_token_is_recorded_with_what_it_claims_marked_invalid(app, case):
    forger_key, _ = generate_key_pair()
    claims = {"sub": "priya", "role": "auditor", "iss": app.config["JWT_ISSUER"],
              "exp": datetime.now(UTC) + timedelta(minutes=5), "type": "access"}
    forged = ApiClient(app, jwt.encode(claims, forger_key, algorithm="ES256"))
    before = last_event_id()
    assert_problem(forged.get(f"/api/v1/contacts/{case.contact}"), 401)
    event = only_event_after(before)
    # Kept as claimed, but never mistaken for something priya did.
    assert (event.actor_sub, event.actor_role, event.token) == ("priya", "auditor", "invalid")


def test_a_disabled_accounts_token_is_recorded_with_the_actor_it_names_and_marked_revoked(app, case):
    from api.caller import system_actor
    from api.domain.accounts import create_account

    account = create_account(system_actor("test"), name="priya", kind="person", secret="s3cret!",
                             role="practitioner", service="mash", display_name="Priya")
    account.active = False
    session.commit()
    revoked = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash"))
    before = last_event_id()
    assert_problem(revoked.get(f"/api/v1/contacts/{case.contact}"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"}
    assert (event.token, event.status) == ("revoked", 401)


def test_a_token_held_before_its_account_was_disabled_and_enabled_is_recorded_revoked(
        app, case):
    from api.caller import system_actor
    from api.domain.accounts import create_account, set_account_active

    account = create_account(system_actor("test"), name="priya", kind="person", secret="s3cret!",
                             role="practitioner", service="mash", display_name="Priya")
    session.commit()
    held = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash"))
    for active in (False, True):
        set_account_active(system_actor("test"), account.id, {"reason": "test"}, active=active)
        session.commit()
    before = last_event_id()
    assert_problem(held.get(f"/api/v1/contacts/{case.contact}"), 401)
    event = only_event_after(before)
    assert event.actor_sub == "priya"
    assert (event.token, event.status) == ("revoked", 401)


def test_a_token_we_signed_without_an_expiry_is_recorded_as_invalid(app, case):
    from tests.helpers import PRIVATE_KEY

    claims = {"sub": "priya", "role": "auditor", "iss": app.config["JWT_ISSUER"],
              "aud": app.config["JWT_AUDIENCE"], "type": "access", "iat": 1, "nbf": 1, "jti": "j"}
    endless = ApiClient(app, jwt.encode(claims, PRIVATE_KEY, algorithm="ES256"))
    before = last_event_id()
    assert_problem(endless.get(f"/api/v1/contacts/{case.contact}"), 401)
    assert only_event_after(before).token == "invalid"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer ", "Basic cHJpeWE6cGFzcw=="])
def test_a_token_that_cannot_be_read_is_recorded_with_no_actor(app, case, header):
    before = last_event_id()
    response = app.test_client().get(f"/api/v1/contacts/{case.contact}",
                                     headers={"Authorization": header})
    assert_problem(response, 401)
    event = only_event_after(before)
    assert event.actor == {"sub": None, "role": None, "agency": None, "service": None}
    assert (event.token, event.status) == ("invalid", 401)


def test_a_claim_longer_than_its_column_is_cut_to_fit_rather_than_losing_the_event(app, case):
    long_sub = "x" * 300
    client = ApiClient(app, token_for(app, "admin", sub=long_sub))
    before = last_event_id()
    assert_problem(client.get(f"/api/v1/contacts/{case.contact}"), 403)
    assert only_event_after(before).actor_sub == long_sub[:100]


def test_a_read_of_a_record_that_does_not_exist_is_recorded_with_the_id_asked_for(staff):
    missing = "00000000-0000-4000-8000-000000000000"
    before = last_event_id()
    assert_problem(staff.auditor.get(f"/api/v1/strategy-meetings/{missing}"), 404)
    event = only_event_after(before)
    assert (event.status, event.entity_id, event.child_ids) == (404, missing, [])


def test_a_rejected_list_filter_is_recorded_with_the_filter_sent(staff, case):
    before = last_event_id()
    assert_problem(staff.mash.get("/api/v1/contacts", query_string={"status": "lost"}), 422)
    event = only_event_after(before)
    assert (event.status, event.query, event.record_ids) == (422, "status=lost", None)


# ---- what is not a read of case data ---------------------------------------------------------


def test_writes_do_not_add_access_events(staff, police, clock):
    before = last_event_id()
    contact = post_contact(police, clock() - timedelta(hours=1), [child("Amelia", new_nhs_number())])
    ok(staff.mash.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    decide(staff.mash, contact["id"], "strategy_discussion")
    convene(staff.mash, contact["id"], [contact["children"][0]["id"]], clock())
    assert events_after(before) == []


def test_reads_that_are_not_case_data_add_no_access_events(staff, anonymous):
    before = last_event_id()
    assert staff.mash.get("/api/v1/agencies").status_code == 200
    assert anonymous.get("/api/v1/health").status_code == 200
    assert staff.auditor.get("/api/v1/metrics/timeliness",
                             query_string={"from": "2026-11-01", "to": "2026-12-01"}).status_code == 200
    assert events_after(before) == []


def test_a_head_request_runs_the_read_and_is_recorded_as_one(staff, case):
    before = last_event_id()
    assert staff.mash.open(f"/api/v1/transitions/{case.transition}", "HEAD").status_code == 200
    event = only_event_after(before)
    assert (event.method, event.endpoint, event.child_ids) == (
        "HEAD", "transitions.get_transition", [case.amelia])


def test_an_options_request_reads_nothing_and_is_not_recorded(app, case):
    before = last_event_id()
    assert app.test_client().options(f"/api/v1/contacts/{case.contact}").status_code == 200
    assert events_after(before) == []


# ---- the children of a contact read: handed over by the route, looked up otherwise ---------------


@pytest.fixture
def lookups(monkeypatch):
    """The records whose children the access log looked up itself (api.access.children_of)."""
    looked_up = []
    real = access.children_of

    def spy(log_session, entity_type, ids):
        looked_up.append((entity_type, list(ids)))
        return real(log_session, entity_type, ids)

    monkeypatch.setattr(access, "children_of", spy)
    return looked_up


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_contact_read_hands_its_children_to_the_access_log_which_looks_nothing_up(
        staff, police, case, lookups, method):
    as_looked_up = access.children_of(session, "contact", [case.contact])
    lookups.clear()
    for reader in (staff.mash, police):
        before = last_event_id()
        assert reader.open(f"/api/v1/contacts/{case.contact}", method).status_code == 200
        event = only_event_after(before)
        assert event.child_ids == sorted([case.amelia, case.ben]) == as_looked_up
        records = session.scalars(select(AccessEventRecord.record_id).where(
            AccessEventRecord.event_id == event.id).order_by(AccessEventRecord.record_id)).all()
        assert records == sorted([case.contact, case.amelia, case.ben])
    assert lookups == []


def test_a_refused_read_of_a_contact_still_looks_up_its_children(
        staff, api_as, anonymous, case, lookups):
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    for reader, status in ((school, 404), (staff.admin, 403), (anonymous, 401)):
        before = last_event_id()
        assert reader.get(f"/api/v1/contacts/{case.contact}").status_code == status
        event = only_event_after(before)
        assert (event.status, event.child_ids) == (status, sorted([case.amelia, case.ben]))
    assert lookups == [("contact", [case.contact])] * 3


def test_children_handed_over_for_another_record_are_not_taken(app):
    # Each request starts afresh (its before_request hooks run), even inside the test's app
    # context, which outlives requests.
    with app.test_request_context():
        app.preprocess_request()
        access.children_read("contact", "c-1", ["b", "a", "b"])
        assert access._children_handed_over("contact", "c-1") == ["a", "b"]
        assert access._children_handed_over("contact", "c-2") is None
        assert access._children_handed_over("strategy_meeting", "c-1") is None
        assert access._children_handed_over("contact", None) is None
    with app.test_request_context():
        app.preprocess_request()
        assert access._children_handed_over("contact", "c-1") is None


# ---- GET /audit/access ----------------------------------------------------------------------


@pytest.fixture
def reads(staff, api_as, anonymous, case, clock):
    """Reads of the case by several people, a minute apart, in this order."""
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    done = [
        (staff.mash, f"/api/v1/contacts/{case.contact}"),
        (staff.sc, f"/api/v1/strategy-meetings/{case.meeting}"),
        (staff.sc, f"/api/v1/transitions/{case.transition}"),
        (staff.mash, f"/api/v1/children/{case.amelia}/chronology"),
        (staff.eh, f"/api/v1/children/{case.ben}"),
        (school, f"/api/v1/contacts/{case.contact}"),              # 404: not its contact
        (anonymous, f"/api/v1/contacts/{case.contact}/history"),   # 401
        (staff.mash, f"/api/v1/contacts/{case.other_contact}"),
        (staff.mash, "/api/v1/contacts"),                           # shows both contacts
    ]
    started = clock()
    for client, path in done:
        clock.advance(minutes=1)
        client.get(path)
    return SimpleNamespace(started=started, ended=clock())


def test_only_auditors_may_read_the_access_log(staff, case):
    for who in ("mash", "mash_manager", "agency", "admin"):
        assert_problem(getattr(staff, who).get(ACCESS), 403)
    assert staff.auditor.get(ACCESS).status_code == 200


def test_the_access_log_needs_a_token(anonymous):
    assert_problem(anonymous.get(ACCESS), 401)


def test_a_childs_record_shows_reads_of_every_record_about_the_child(staff, case, reads):
    items = walk(staff.auditor, entity_id=case.amelia)
    assert case_reads(items) == {
        ("contacts.get_contact", 200), ("contacts.get_contact", 404),
        ("decisions.contact_history", 401), ("strategy_meetings.get_meeting", 200),
        ("transitions.get_transition", 200), ("children.child_chronology", 200),
        ("contacts.list_contacts", 200),
    }
    assert all(case.amelia in item["child_ids"] for item in items)


def test_a_sibling_shares_only_the_records_about_both_children(staff, case, reads):
    # Ben is on the contact, not on the meeting or the step-down, which are about Amelia alone.
    assert case_reads(walk(staff.auditor, entity_id=case.ben)) == {
        ("contacts.get_contact", 200), ("contacts.get_contact", 404),
        ("decisions.contact_history", 401), ("children.get_child", 200),
        ("contacts.list_contacts", 200),
    }


def test_a_contacts_record_shows_its_reads_and_the_lists_that_showed_it(staff, case, reads):
    items = walk(staff.auditor, entity_id=case.other_contact)
    assert case_reads(items) == {("contacts.get_contact", 200), ("contacts.list_contacts", 200)}
    assert [item["actor"]["sub"] for item in items] == ["priya", "priya"]
    listed = next(item for item in items if item["endpoint"] == "contacts.list_contacts")
    assert sorted(listed["record_ids"]) == sorted([case.contact, case.other_contact])
    assert listed["child_ids"] == sorted([case.amelia, case.ben, case.zoe])


def test_an_id_is_matched_however_its_letters_are_cased(staff, case, reads):
    # (Reads of the log are about no record, so asking twice does not change the answer.)
    assert walk(staff.auditor, entity_id=case.other_contact.upper()) == walk(
        staff.auditor, entity_id=case.other_contact)


def test_what_a_given_person_read(staff, case, reads):
    items = walk(staff.auditor, actor="sam")
    assert [(item["endpoint"], item["entity_id"]) for item in items] == [
        ("transitions.get_transition", case.transition),
        ("strategy_meetings.get_meeting", case.meeting),
    ]
    assert {item["actor"]["service"] for item in items} == {"social_care"}


def test_the_person_and_the_record_filters_combine(staff, case, reads):
    items = walk(staff.auditor, actor="priya", entity_id=case.amelia)
    assert [item["endpoint"] for item in items] == [
        "contacts.list_contacts", "children.child_chronology", "contacts.get_contact"]


def test_from_and_to_bound_the_period_from_inclusive_to_exclusive(staff, case, reads):
    second, fourth = reads.started + timedelta(minutes=2), reads.started + timedelta(minutes=4)
    items = walk(staff.auditor, **{"from": iso(second), "to": iso(fourth)})
    assert [item["endpoint"] for item in items] == [
        "transitions.get_transition", "strategy_meetings.get_meeting"]
    assert all(second <= datetime.fromisoformat(item["at"]) < fourth for item in items)
    with_entity = walk(staff.auditor, entity_id=case.amelia, **{"from": iso(second), "to": iso(fourth)})
    assert with_entity == items


def test_a_period_may_be_given_with_any_offset(staff, case, reads):
    second = reads.started + timedelta(minutes=2)
    in_utc = walk(staff.auditor, **{"from": iso(second)})
    in_paris = walk(staff.auditor, **{"from": second.astimezone(timezone(timedelta(hours=1))).isoformat()})
    # Less the read of the log just made, the same events.
    assert [item["id"] for item in in_paris][1:] == [item["id"] for item in in_utc]


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-11-20T10:00:00"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"limit": 0}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"entity": "x"}, "entity"),
])
def test_a_bad_filter_is_rejected_naming_it(staff, query, field):
    assert_problem(staff.auditor.get(ACCESS, query_string=query), 422, field)


def test_pages_run_newest_first_without_gaps_or_repeats(staff, case, reads, clock):
    clock.advance(minutes=1)
    staff.auditor.get(ACCESS)  # two reads of the log at the same instant as the last case read
    staff.auditor.get(ACCESS)
    newest_first = list(session.execute(
        select(AccessEvent.id, AccessEvent.at).order_by(AccessEvent.at.desc(), AccessEvent.id.desc())))
    assert [row.at for row in newest_first] == sorted((row.at for row in newest_first), reverse=True)

    paged = walk(staff.auditor, limit=2)
    # Each page read is logged after it is answered, newer than any cursor: later pages keep still.
    assert [item["id"] for item in paged] == [row.id for row in newest_first]
    for filters in ({"entity_id": case.amelia}, {"actor": "priya"}):
        assert [i["id"] for i in walk(staff.auditor, limit=1, **filters)] == [
            i["id"] for i in walk(staff.auditor, limit=500, **filters)]


def test_events_at_the_same_instant_page_in_the_order_they_were_recorded(staff, case):
    for _ in range(3):
        staff.mash.get(f"/api/v1/children/{case.amelia}")
    items = walk(staff.auditor, limit=1, entity_id=case.amelia)
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)


def test_an_event_is_returned_with_every_field(staff, case, clock):
    staff.mash.get(f"/api/v1/contacts/{case.contact}")
    item = walk(staff.auditor, entity_id=case.contact)[0]
    assert item == {
        "id": item["id"], "at": clock().strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "actor": {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"},
        "token": "valid", "method": "GET", "endpoint": "contacts.get_contact",
        "path": f"/api/v1/contacts/{case.contact}", "query": None, "status": 200,
        "entity_type": "contact", "entity_id": case.contact, "record_ids": None,
        "child_ids": sorted([case.amelia, case.ben]),
    }


def test_reading_the_access_log_is_itself_logged(staff, case):
    before = last_event_id()
    assert staff.auditor.get(ACCESS, query_string={"entity_id": case.amelia}).status_code == 200
    event = only_event_after(before)
    assert event.actor == {"sub": "alex", "role": "auditor", "agency": None, "service": None}
    assert (event.endpoint, event.entity_type, event.entity_id, event.record_ids) == (
        "access.list_access_events", "access_log", None, None)
    assert event.query == f"entity_id={case.amelia}"

    # The next reader of the log sees that read (who looked at Amelia's accesses, and when).
    latest = staff.auditor.get(ACCESS, query_string={"actor": "alex", "limit": 1}).json["items"][0]
    assert (latest["id"], latest["query"]) == (event.id, f"entity_id={case.amelia}")


def test_a_refused_read_of_the_access_log_is_logged(staff):
    before = last_event_id()
    assert_problem(staff.mash.get(ACCESS), 403)
    event = only_event_after(before)
    assert (event.actor_sub, event.entity_type, event.status) == ("priya", "access_log", 403)


# ---- kept, whatever happens -------------------------------------------------------------------


def test_a_read_that_cannot_be_logged_is_not_served(db, staff, case):
    """Fail closed: if the event cannot be stored, the caller gets 503, not the record."""
    if db.dialect.name == "postgresql":
        db.execute(text("CREATE FUNCTION refuse_access_events() RETURNS trigger LANGUAGE plpgsql "
                        "AS $$ BEGIN RAISE EXCEPTION 'access log unavailable'; END; $$"))
        db.execute(text("CREATE TRIGGER refuse_access_events BEFORE INSERT ON access_events "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_access_events()"))
    else:
        db.execute(text("CREATE TRIGGER refuse_access_events BEFORE INSERT ON access_events "
                        "BEGIN SELECT RAISE(ABORT, 'access log unavailable'); END"))
    before = last_event_id()
    response = staff.mash.get(f"/api/v1/contacts/{case.contact}")
    assert_problem(response, 503)
    assert case.amelia not in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert events_after(before) == []


def test_the_database_refuses_to_change_or_remove_access_events(db, staff, case):
    staff.mash.get(f"/api/v1/contacts/{case.contact}")
    statements = [
        "UPDATE access_events SET actor_sub = 'nobody'",
        "DELETE FROM access_events",
        "UPDATE access_event_records SET record_id = 'elsewhere'",
        "DELETE FROM access_event_records",
    ]
    if db.dialect.name == "postgresql":
        statements += ["TRUNCATE access_event_records", "TRUNCATE access_events CASCADE"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(statement))
    assert session.scalar(select(func.count()).select_from(AccessEvent)) >= 1
    assert session.scalar(select(func.count()).where(AccessEvent.actor_sub == "nobody")) == 0
    assert session.scalar(select(func.count()).select_from(AccessEventRecord)) >= 1


ACCESS_LOG_TRIGGERS = {
    "sqlite": {"access_events_no_update", "access_events_no_delete",
               "access_event_records_no_update", "access_event_records_no_delete"},
    "postgresql": {"access_events_no_update_delete", "access_events_no_truncate",
                   "access_event_records_no_update_delete", "access_event_records_no_truncate"},
}


def access_log_triggers(connection):
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
            "(to_regclass('access_events'), to_regclass('access_event_records'))"))
    else:
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('access_events', 'access_event_records')"))
    return {row[0] for row in rows}


def test_the_append_only_triggers_are_built_by_the_migrations(db):
    assert access_log_triggers(db) == ACCESS_LOG_TRIGGERS[db.dialect.name]


def test_the_lookups_by_record_person_and_time_are_served_by_indexes(db):
    indexes = {tuple(index["column_names"]) for table in ("access_events", "access_event_records")
               for index in inspect(db).get_indexes(table)}
    assert {("at", "id"), ("actor_sub", "at", "id"), ("record_id", "at", "event_id")} <= indexes


def test_the_access_log_migration_goes_down_and_up_again_cleanly(fresh_database_url):
    fresh = create_app(app_config(fresh_database_url, FakeClock()))
    engine = fresh.extensions["db"].engine
    try:
        upgrade(fresh)
        command.downgrade(alembic_config(fresh), "0003")
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert not {"access_events", "access_event_records"} & tables
            if connection.dialect.name == "postgresql":
                assert connection.scalar(text(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'access_log_append_only'")) == 0
        upgrade(fresh)
        with engine.connect() as connection:
            assert {"access_events", "access_event_records"} <= set(inspect(connection).get_table_names())
            assert access_log_triggers(connection) == ACCESS_LOG_TRIGGERS[connection.dialect.name]
    finally:
        engine.dispose()


def test_on_a_real_database_concurrent_reads_each_commit_their_event_refused_ones_too(
        fresh_database_url):
    """No outer test transaction here: each event is a commit of its own, beside the read's."""
    app = build_app(fresh_database_url)
    try:
        created = ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp")).post(
            "/api/v1/contacts", json=contact_body())
        assert created.status_code == 201, created.json
        path = f"/api/v1/contacts/{created.json['id']}"
        readers = [ApiClient(app, token_for(app, "practitioner", sub=f"reader-{i}")) for i in range(6)]
        readers.append(ApiClient(app, token_for(app, "admin", sub="ada")))  # refused: 403
        barrier = threading.Barrier(len(readers))
        statuses = []

        def read(client):
            barrier.wait()
            statuses.extend(client.get(path).status_code for _ in range(5))

        threads = [threading.Thread(target=read, args=(client,)) for client in readers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert sorted(statuses) == [200] * 30 + [403] * 5

        with app.extensions["db"].engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT status, count(*) FROM access_events WHERE entity_id = :id GROUP BY status"),
                {"id": created.json["id"]}).all()
        assert dict(kept) == {200: 30, 403: 5}
    finally:
        app.extensions["db"].engine.dispose()


def test_on_a_real_database_a_read_and_its_event_take_one_transaction_on_postgresql(
        fresh_database_url):
    """PostgreSQL: the event is written and committed in the read's own transaction (one
    transaction, one pooled connection). SQLite: the read's transaction cannot take a write, so
    the event has a write transaction of its own. Either way the event is kept, a refused
    read's too."""
    from sqlalchemy import event as sqlalchemy_event

    app = build_app(fresh_database_url)
    engine = app.extensions["db"].engine
    try:
        created = ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp")).post(
            "/api/v1/contacts", json=contact_body())
        assert created.status_code == 201, created.json
        path = f"/api/v1/contacts/{created.json['id']}"
        begun, committed = [], []
        on_begin, on_commit = begun.append, committed.append  # one bound method each, to remove
        sqlalchemy_event.listen(engine, "begin", on_begin)
        sqlalchemy_event.listen(engine, "commit", on_commit)
        try:
            assert ApiClient(app, token_for(app, "practitioner", sub="pat")).get(path).status_code == 200
            read = (len(begun), len(committed))
            begun.clear(), committed.clear()
            assert ApiClient(app, token_for(app, "admin", sub="ada")).get(path).status_code == 403
            refused = (len(begun), len(committed))
        finally:
            sqlalchemy_event.remove(engine, "begin", on_begin)
            sqlalchemy_event.remove(engine, "commit", on_commit)
        # A refused read's transaction was rolled back (a failed request changes nothing), so
        # its event has a transaction of its own on either engine.
        assert read == ((1, 1) if engine.dialect.name == "postgresql" else (2, 1))
        assert refused == (2, 1)
        with engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT actor_sub, status FROM access_events WHERE entity_id = :id ORDER BY id"),
                {"id": created.json["id"]}).all()
        assert [tuple(row) for row in kept] == [("pat", 200), ("ada", 403)]
    finally:
        engine.dispose()


def test_the_event_never_commits_what_a_read_changed_by_mistake(app):
    """The read's own transaction takes the event only if the read changed nothing; a change
    made by mistake (a read is not meant to make any) is discarded with the read's session."""
    from api.models import Agency

    postgresql = app.extensions["db"].dialect == "postgresql"
    with app.test_request_context("/api/v1/contacts/x"):
        clean = session()
        session.connection()
        with transactions.appending_after_read() as chosen:
            assert (chosen is clean) == postgresql
        session.remove()

        careless = session()
        session.connection()
        session.add(Agency(code="made-by-a-read", name="Not meant", kind="other",
                           referral_source="9"))
        with transactions.appending_after_read() as chosen:
            assert chosen is not careless
        assert not careless.new  # discarded, never to be committed
        session.remove()
        assert session.get(Agency, "made-by-a-read") is None


def test_reading_the_audit_events_is_recorded_because_they_hold_case_snapshots(api_as):
    before = last_event_id()
    response = api_as("auditor", sub="alex").get("/api/v1/audit/events?limit=1")
    assert response.status_code == 200
    event = only_event_after(before)
    assert (event.actor_sub, event.entity_type, event.status) == ("alex", "audit_log", 200)
