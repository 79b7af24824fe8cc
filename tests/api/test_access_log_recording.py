"""The access log records every read of case data, allowed or refused: who (as the token named
them, and how far it proved them), what, which children it was about; and nothing else."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import jwt
import pytest
from sqlalchemy import select

from api import access
from api.keys import generate_key_pair
from api.db import session
from api.models import AccessEventRecord
from tests.helpers import (
    ApiClient, assert_problem, child, convene_at, created, decide, events_after, iso,
    last_event_id, make_account, new_nhs_number, only_event_after, record_contact, token_for,
)


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
        staff, family, clock, endpoint, path, entity_type, entity, children):
    clock.advance(minutes=7)
    before = last_event_id()
    path = path.format(**vars(family))
    assert staff.sc_manager.get(path).status_code == 200

    event = only_event_after(before)
    assert event.at == clock()
    assert event.actor == {"sub": "sara", "role": "manager", "agency": None, "service": "social_care"}
    assert event.token == "valid"
    assert (event.method, event.endpoint, event.path, event.query, event.status) == (
        "GET", endpoint, path, None, 200)
    assert (event.entity_type, event.entity_id) == (entity_type, getattr(family, entity))
    assert event.record_ids is None
    assert event.child_ids == sorted(getattr(family, name) for name in children)


def test_an_agency_reading_its_own_contact_is_recorded_with_its_agency(police, family):
    before = last_event_id()
    assert police.get(f"/api/v1/contacts/{family.contact}").status_code == 200
    event = only_event_after(before)
    assert event.actor == {"sub": "wmp-case-system", "role": "agency", "agency": "wmp", "service": None}
    assert (event.status, event.entity_id) == (200, family.contact)


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
        staff, family, endpoint, path, query, entity_type, shown, children):
    before = last_event_id()
    response = staff.mash.get(path, query_string=query)
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["items"]] == [getattr(family, shown)]

    event = only_event_after(before)
    assert (event.endpoint, event.path, event.query, event.status) == (
        endpoint, path, urlencode(query), 200)
    assert (event.entity_type, event.entity_id) == (entity_type, None)
    assert event.record_ids == [getattr(family, shown)]
    assert event.child_ids == sorted(getattr(family, name) for name in children)


def test_a_list_that_showed_nothing_records_an_empty_list(staff, family):
    before = last_event_id()
    assert staff.mash.get("/api/v1/transitions", query_string={"direction": "step_up"}).json[
        "items"] == []
    event = only_event_after(before)
    assert (event.record_ids, event.child_ids) == ([], [])


# ---- refused reads are recorded too -------------------------------------------------------------


def test_a_role_that_may_not_read_a_contact_is_refused_and_the_attempt_recorded(staff, family):
    before = last_event_id()
    assert_problem(staff.admin.get(f"/api/v1/contacts/{family.contact}"), 403)
    event = only_event_after(before)
    assert event.actor == {"sub": "ada", "role": "admin", "agency": None, "service": None}
    assert (event.token, event.status, event.endpoint) == ("valid", 403, "contacts.get_contact")
    assert (event.entity_type, event.entity_id) == ("contact", family.contact)
    assert event.child_ids == sorted([family.amelia, family.ben])


def test_an_agency_asking_for_another_agencys_contact_gets_404_and_is_recorded(api_as, family):
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    before = last_event_id()
    assert_problem(school.get(f"/api/v1/contacts/{family.contact}"), 404)
    event = only_event_after(before)
    assert event.actor == {"sub": "oakfield-system", "role": "agency", "agency": "oakfield-primary",
                           "service": None}
    assert (event.status, event.entity_id) == (404, family.contact)
    # The attempt is on the children's records as well: the interesting case.
    assert event.child_ids == sorted([family.amelia, family.ben])


def test_a_read_without_a_token_is_recorded_with_no_actor(anonymous, family):
    before = last_event_id()
    assert_problem(anonymous.get(f"/api/v1/children/{family.amelia}/chronology"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": None, "role": None, "agency": None, "service": None}
    assert (event.token, event.status, event.entity_id) == ("missing", 401, family.amelia)
    assert event.endpoint == "children.child_chronology"


def test_an_expired_token_is_recorded_with_the_actor_it_names_and_marked_expired(app, family):
    expired = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash", minutes=-5))
    before = last_event_id()
    assert_problem(expired.get(f"/api/v1/contacts/{family.contact}"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"}
    assert (event.token, event.status) == ("expired", 401)


@pytest.mark.parametrize("wrong", ["issuer", "audience", "key"])
def test_an_expired_token_wrong_in_another_way_too_is_marked_invalid_not_expired(app, family,
                                                                                 wrong):
    """Only a token that is ours in every other way is `expired`: one from another issuer, for
    another audience or signed by another key proves nothing, however out of date it is."""
    now = datetime.now(UTC)
    claims = {"sub": "priya", "role": "practitioner", "service": "mash", "jti": "j-1",
              "iss": app.config["JWT_ISSUER"], "aud": app.config["JWT_AUDIENCE"], "type": "access",
              "iat": now - timedelta(hours=2), "nbf": now - timedelta(hours=2),
              "exp": now - timedelta(hours=1)}
    key = app.config["JWT_PRIVATE_KEY"]
    if wrong == "key":
        key, _ = generate_key_pair()
    else:
        claims["iss" if wrong == "issuer" else "aud"] = "someone-else"
    before = last_event_id()
    response = ApiClient(app, jwt.encode(claims, key, algorithm="ES256")).get(
        f"/api/v1/contacts/{family.contact}")
    assert_problem(response, 401)
    event = only_event_after(before)
    assert (event.actor_sub, event.token, event.status) == ("priya", "invalid", 401)


def test_a_forged_token_is_recorded_with_what_it_claims_marked_invalid(app, family):
    forger_key, _ = generate_key_pair()
    claims = {"sub": "priya", "role": "auditor", "iss": app.config["JWT_ISSUER"],
              "exp": datetime.now(UTC) + timedelta(minutes=5), "type": "access"}
    forged = ApiClient(app, jwt.encode(claims, forger_key, algorithm="ES256"))
    before = last_event_id()
    assert_problem(forged.get(f"/api/v1/contacts/{family.contact}"), 401)
    event = only_event_after(before)
    # Kept as claimed, but never mistaken for something priya did.
    assert (event.actor_sub, event.actor_role, event.token) == ("priya", "auditor", "invalid")


def test_a_disabled_accounts_token_is_recorded_with_the_actor_it_names_and_marked_revoked(
        app, family):
    make_account("priya", "person", "practitioner", service="mash", active=False)
    revoked = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash"))
    before = last_event_id()
    assert_problem(revoked.get(f"/api/v1/contacts/{family.contact}"), 401)
    event = only_event_after(before)
    assert event.actor == {"sub": "priya", "role": "practitioner", "agency": None, "service": "mash"}
    assert (event.token, event.status) == ("revoked", 401)


def test_a_token_held_before_its_account_was_disabled_and_enabled_is_recorded_revoked(
        app, family):
    from api.caller import system_actor
    from api.domain.accounts import set_account_active

    account = make_account("priya", "person", "practitioner", service="mash")
    held = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash"))
    for active in (False, True):
        set_account_active(system_actor("test"), account.id, {"reason": "test"}, active=active)
        session.commit()
    before = last_event_id()
    assert_problem(held.get(f"/api/v1/contacts/{family.contact}"), 401)
    event = only_event_after(before)
    assert event.actor_sub == "priya"
    assert (event.token, event.status) == ("revoked", 401)


def test_a_token_we_signed_without_an_expiry_is_recorded_as_invalid(app, family):
    from tests.helpers import PRIVATE_KEY

    claims = {"sub": "priya", "role": "auditor", "iss": app.config["JWT_ISSUER"],
              "aud": app.config["JWT_AUDIENCE"], "type": "access", "iat": 1, "nbf": 1, "jti": "j"}
    endless = ApiClient(app, jwt.encode(claims, PRIVATE_KEY, algorithm="ES256"))
    before = last_event_id()
    assert_problem(endless.get(f"/api/v1/contacts/{family.contact}"), 401)
    assert only_event_after(before).token == "invalid"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer ", "Basic cHJpeWE6cGFzcw=="])
def test_a_token_that_cannot_be_read_is_recorded_with_no_actor(app, family, header):
    before = last_event_id()
    response = app.test_client().get(f"/api/v1/contacts/{family.contact}",
                                     headers={"Authorization": header})
    assert_problem(response, 401)
    event = only_event_after(before)
    assert event.actor == {"sub": None, "role": None, "agency": None, "service": None}
    assert (event.token, event.status) == ("invalid", 401)


def test_a_claim_longer_than_its_column_is_cut_to_fit_rather_than_losing_the_event(app, family):
    long_sub = "x" * 300
    client = ApiClient(app, token_for(app, "admin", sub=long_sub))
    before = last_event_id()
    assert_problem(client.get(f"/api/v1/contacts/{family.contact}"), 403)
    assert only_event_after(before).actor_sub == long_sub[:100]


def test_a_read_of_a_record_that_does_not_exist_is_recorded_with_the_id_asked_for(staff):
    missing = "00000000-0000-4000-8000-000000000000"
    before = last_event_id()
    assert_problem(staff.auditor.get(f"/api/v1/strategy-meetings/{missing}"), 404)
    event = only_event_after(before)
    assert (event.status, event.entity_id, event.child_ids) == (404, missing, [])


def test_a_rejected_list_filter_is_recorded_with_the_filter_sent(staff, family):
    before = last_event_id()
    assert_problem(staff.mash.get("/api/v1/contacts", query_string={"status": "lost"}), 422)
    event = only_event_after(before)
    assert (event.status, event.query, event.record_ids) == (422, "status=lost", None)


# ---- what is not a read of case data ---------------------------------------------------------


def test_writes_do_not_add_access_events(staff, police, clock):
    before = last_event_id()
    contact = record_contact(police, received_at=iso(clock() - timedelta(hours=1)),
                             children=[child("Amelia", new_nhs_number())])
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    decide(staff.mash, contact["id"], "strategy_discussion")
    convene_at(staff.mash, contact["id"], [contact["children"][0]["id"]], clock())
    assert events_after(before) == []


def test_reads_that_are_not_case_data_add_no_access_events(staff, anonymous):
    before = last_event_id()
    assert staff.mash.get("/api/v1/agencies").status_code == 200
    assert anonymous.get("/api/v1/health").status_code == 200
    assert staff.auditor.get("/api/v1/metrics/timeliness",
                             query_string={"from": "2026-11-01", "to": "2026-12-01"}).status_code == 200
    assert events_after(before) == []


def test_a_head_request_runs_the_read_and_is_recorded_as_one(staff, family):
    before = last_event_id()
    assert staff.mash.open(f"/api/v1/transitions/{family.transition}", "HEAD").status_code == 200
    event = only_event_after(before)
    assert (event.method, event.endpoint, event.child_ids) == (
        "HEAD", "transitions.get_transition", [family.amelia])


def test_an_options_request_reads_nothing_and_is_not_recorded(app, family):
    before = last_event_id()
    assert app.test_client().options(f"/api/v1/contacts/{family.contact}").status_code == 200
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
        staff, police, family, lookups, method):
    as_looked_up = access.children_of(session, "contact", [family.contact])
    lookups.clear()
    for reader in (staff.mash, police):
        before = last_event_id()
        assert reader.open(f"/api/v1/contacts/{family.contact}", method).status_code == 200
        event = only_event_after(before)
        assert event.child_ids == sorted([family.amelia, family.ben]) == as_looked_up
        records = session.scalars(select(AccessEventRecord.record_id).where(
            AccessEventRecord.event_id == event.id).order_by(AccessEventRecord.record_id)).all()
        assert records == sorted([family.contact, family.amelia, family.ben])
    assert lookups == []


def test_a_refused_read_of_a_contact_still_looks_up_its_children(
        staff, api_as, anonymous, family, lookups):
    school = api_as("agency", sub="oakfield-system", agency="oakfield-primary")
    for reader, status in ((school, 404), (staff.admin, 403), (anonymous, 401)):
        before = last_event_id()
        assert reader.get(f"/api/v1/contacts/{family.contact}").status_code == status
        event = only_event_after(before)
        assert (event.status, event.child_ids) == (status, sorted([family.amelia, family.ben]))
    assert lookups == [("contact", [family.contact])] * 3


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


def test_reading_the_audit_events_is_recorded_because_they_hold_case_snapshots(api_as):
    before = last_event_id()
    response = api_as("auditor", sub="alex").get("/api/v1/audit/events?limit=1")
    assert response.status_code == 200
    event = only_event_after(before)
    assert (event.actor_sub, event.entity_type, event.status) == ("alex", "audit_log", 200)
