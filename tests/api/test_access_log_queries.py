"""GET /api/v1/audit/access: auditors ask who read what, by record (a child's every record
included), by person and by period, in pages; reading the log is itself logged."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from api.db import session
from api.models import AccessEvent
from tests.helpers import ACCESS, assert_problem, iso, last_event_id, only_event_after, walk_pages


def walk(auditor, limit=500, **filters):
    """Every access event matching `filters`, newest first, following next_cursor."""
    return walk_pages(auditor, ACCESS, limit=limit, **filters)[0]


def case_reads(items):
    """The (endpoint, status) of each item, leaving out reads of the access log itself."""
    return {(item["endpoint"], item["status"]) for item in items if item["entity_type"] != "access_log"}


@pytest.fixture
def reads(staff, api_as, anonymous, family, clock):
    """Reads of the case by several people, a minute apart, in this order."""
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    done = [
        (staff.mash, f"/api/v1/contacts/{family.contact}"),
        (staff.sc, f"/api/v1/strategy-meetings/{family.meeting}"),
        (staff.sc, f"/api/v1/transitions/{family.transition}"),
        (staff.mash, f"/api/v1/children/{family.amelia}/chronology"),
        (staff.eh, f"/api/v1/children/{family.ben}"),
        (school, f"/api/v1/contacts/{family.contact}"),              # 404: not its contact
        (anonymous, f"/api/v1/contacts/{family.contact}/history"),   # 401
        (staff.mash, f"/api/v1/contacts/{family.other_contact}"),
        (staff.mash, "/api/v1/contacts"),                           # shows both contacts
    ]
    started = clock()
    for client, path in done:
        clock.advance(minutes=1)
        client.get(path)
    return SimpleNamespace(started=started, ended=clock())


def test_only_auditors_may_read_the_access_log(staff, family):
    for who in ("mash", "mash_manager", "agency", "admin"):
        assert_problem(getattr(staff, who).get(ACCESS), 403)
    assert staff.auditor.get(ACCESS).status_code == 200


def test_the_access_log_needs_a_token(anonymous):
    assert_problem(anonymous.get(ACCESS), 401)


def test_a_childs_record_shows_reads_of_every_record_about_the_child(staff, family, reads):
    items = walk(staff.auditor, entity_id=family.amelia)
    assert case_reads(items) == {
        ("contacts.get_contact", 200), ("contacts.get_contact", 404),
        ("decisions.contact_history", 401), ("strategy_meetings.get_meeting", 200),
        ("transitions.get_transition", 200), ("children.child_chronology", 200),
        ("contacts.list_contacts", 200),
    }
    assert all(family.amelia in item["child_ids"] for item in items)


def test_a_sibling_shares_only_the_records_about_both_children(staff, family, reads):
    # Ben is on the contact, not on the meeting or the step-down, which are about Amelia alone.
    assert case_reads(walk(staff.auditor, entity_id=family.ben)) == {
        ("contacts.get_contact", 200), ("contacts.get_contact", 404),
        ("decisions.contact_history", 401), ("children.get_child", 200),
        ("contacts.list_contacts", 200),
    }


def test_a_contacts_record_shows_its_reads_and_the_lists_that_showed_it(staff, family, reads):
    items = walk(staff.auditor, entity_id=family.other_contact)
    assert case_reads(items) == {("contacts.get_contact", 200), ("contacts.list_contacts", 200)}
    assert [item["actor"]["sub"] for item in items] == ["priya", "priya"]
    listed = next(item for item in items if item["endpoint"] == "contacts.list_contacts")
    assert sorted(listed["record_ids"]) == sorted([family.contact, family.other_contact])
    assert listed["child_ids"] == sorted([family.amelia, family.ben, family.zoe])


def test_an_id_is_matched_however_its_letters_are_cased(staff, family, reads):
    # (Reads of the log are about no record, so asking twice does not change the answer.)
    assert walk(staff.auditor, entity_id=family.other_contact.upper()) == walk(
        staff.auditor, entity_id=family.other_contact)


def test_what_a_given_person_read(staff, family, reads):
    items = walk(staff.auditor, actor="sam")
    assert [(item["endpoint"], item["entity_id"]) for item in items] == [
        ("transitions.get_transition", family.transition),
        ("strategy_meetings.get_meeting", family.meeting),
    ]
    assert {item["actor"]["service"] for item in items} == {"social_care"}


def test_the_person_and_the_record_filters_combine(staff, family, reads):
    items = walk(staff.auditor, actor="priya", entity_id=family.amelia)
    assert [item["endpoint"] for item in items] == [
        "contacts.list_contacts", "children.child_chronology", "contacts.get_contact"]


def test_from_and_to_bound_the_period_from_inclusive_to_exclusive(staff, family, reads):
    second, fourth = reads.started + timedelta(minutes=2), reads.started + timedelta(minutes=4)
    items = walk(staff.auditor, **{"from": iso(second), "to": iso(fourth)})
    assert [item["endpoint"] for item in items] == [
        "transitions.get_transition", "strategy_meetings.get_meeting"]
    assert all(second <= datetime.fromisoformat(item["at"]) < fourth for item in items)
    with_entity = walk(staff.auditor, entity_id=family.amelia,
                       **{"from": iso(second), "to": iso(fourth)})
    assert with_entity == items


def test_a_period_may_be_given_with_any_offset(staff, family, reads):
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


def test_pages_run_newest_first_without_gaps_or_repeats(staff, family, reads, clock):
    clock.advance(minutes=1)
    staff.auditor.get(ACCESS)  # two reads of the log at the same instant as the last case read
    staff.auditor.get(ACCESS)
    newest_first = list(session.execute(
        select(AccessEvent.id, AccessEvent.at).order_by(AccessEvent.at.desc(), AccessEvent.id.desc())))
    assert [row.at for row in newest_first] == sorted((row.at for row in newest_first), reverse=True)

    paged = walk(staff.auditor, limit=2)
    # Each page read is logged after it is answered, newer than any cursor: later pages keep still.
    assert [item["id"] for item in paged] == [row.id for row in newest_first]
    for filters in ({"entity_id": family.amelia}, {"actor": "priya"}):
        assert [i["id"] for i in walk(staff.auditor, limit=1, **filters)] == [
            i["id"] for i in walk(staff.auditor, limit=500, **filters)]


def test_events_at_the_same_instant_page_in_the_order_they_were_recorded(staff, family):
    for _ in range(3):
        staff.mash.get(f"/api/v1/children/{family.amelia}")
    items = walk(staff.auditor, limit=1, entity_id=family.amelia)
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)


def test_an_event_is_returned_with_every_field(staff, family, clock):
    staff.mash.get(f"/api/v1/contacts/{family.contact}")
    item = walk(staff.auditor, entity_id=family.contact)[0]
    assert item == {
        "id": item["id"], "at": clock().strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "actor": {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"},
        "token": "valid", "method": "GET", "endpoint": "contacts.get_contact",
        "path": f"/api/v1/contacts/{family.contact}", "query": None, "status": 200,
        "entity_type": "contact", "entity_id": family.contact, "record_ids": None,
        "child_ids": sorted([family.amelia, family.ben]),
    }


def test_reading_the_access_log_is_itself_logged(staff, family):
    before = last_event_id()
    assert staff.auditor.get(ACCESS, query_string={"entity_id": family.amelia}).status_code == 200
    event = only_event_after(before)
    assert event.actor == {"sub": "alex", "role": "auditor", "agency": None, "service": None}
    assert (event.endpoint, event.entity_type, event.entity_id, event.record_ids) == (
        "access.list_access_events", "access_log", None, None)
    assert event.query == f"entity_id={family.amelia}"

    # The next reader of the log sees that read (who looked at Amelia's accesses, and when).
    latest = staff.auditor.get(ACCESS, query_string={"actor": "alex", "limit": 1}).json["items"][0]
    assert (latest["id"], latest["query"]) == (event.id, f"entity_id={family.amelia}")


def test_a_refused_read_of_the_access_log_is_logged(staff):
    before = last_event_id()
    assert_problem(staff.mash.get(ACCESS), 403)
    event = only_event_after(before)
    assert (event.actor_sub, event.entity_type, event.status) == ("priya", "access_log", 403)
