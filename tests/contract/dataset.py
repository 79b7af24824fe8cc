"""One small set of real records, built once per test module through the API with real tokens,
for tests that send every route a request as every kind of caller.

Import the `app` fixture into a test module: it replaces the session's app for that module with
one on a database of its own holding the records (committed), so each test's rolled-back
transaction (the `db` fixture) starts from the same records without rebuilding them.
"""

import re

import pytest

from api import create_app
from api.caller import system_actor
from api.config import TestConfig
from api.db import session
from api.domain.accounts import create_account
from api.vocab import nhs_number_with_check_digit
from tests.helpers import (
    DECISION_RATIONALE, PRIVATE_KEY, PUBLIC_KEY, ApiClient, Case, build_app, contact_body, convene,
    created, decide, meeting_body, outcome_body, own_database, record_contact, record_outcome,
    token_for,
)

ACCOUNT_SECRET = "matrix secret, long enough"
RESTRICTION_REASON = "The child's aunt works in the MASH; only the named worker may see it."
RATIONALE = "The child is known to early help and the worries have escalated since the review."

# Every kind of caller: (role, service, agency); the sub is the actor's name.
ACTORS = {
    "agency": ("agency", None, "wmp"),
    "other agency": ("agency", None, "oakfield-primary"),
    "practitioner:mash": ("practitioner", "mash", None),
    "practitioner:early_help": ("practitioner", "early_help", None),
    "practitioner:social_care": ("practitioner", "social_care", None),
    "manager:mash": ("manager", "mash", None),
    "manager:early_help": ("manager", "early_help", None),
    "manager:social_care": ("manager", "social_care", None),
    "auditor": ("auditor", None, None),
    "admin": ("admin", None, None),
    "no token": None,
}


def sub_of(actor):
    return "matrix-" + actor.replace(":", "-").replace(" ", "-")


def client_for(app, actor):
    if ACTORS[actor] is None:
        return ApiClient(app)
    role, service, agency = ACTORS[actor]
    return ApiClient(app, token_for(app, role, sub=sub_of(actor), service=service, agency=agency))


def _build_records(app):
    """The records every route can be pointed at; returns their ids by URL parameter name."""
    police = client_for(app, "agency")
    school = client_for(app, "other agency")
    mash = client_for(app, "practitioner:mash")
    early_help = client_for(app, "practitioner:early_help")

    # A contact the police system posted, decided strategy discussion, with a meeting held (s47).
    contact = record_contact(police, received_at="2026-11-20T08:00:00Z")
    decision = decide(mash, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    meeting = convene(mash, Case(contact["id"], [c["id"] for c in contact["children"]], None))
    record_outcome(mash, meeting["id"])

    # The school's own contact (another agency's), and one a practitioner took by phone for the
    # police (same source agency, but not posted by the police system).
    school_contact = record_contact(
        school, source_agency="oakfield-primary", received_at="2026-11-20T08:10:00Z",
        children=[{"given_name": "Noah", "family_name": "Okafor", "date_of_birth": "2016-01-09",
                   "nhs_number": nhs_number_with_check_digit("401023213")}])
    phoned_in = record_contact(
        mash, received_at="2026-11-20T08:20:00Z", consent={"status": "given", "given_by": "Mother"},
        children=[{"given_name": "Isla", "family_name": "Reid", "date_of_birth": "2018-05-05",
                   "nhs_number": nhs_number_with_check_digit("401023227")}])
    # The phoned-in child goes to early help, and early help asks social care to step up.
    decide(mash, phoned_in["id"], "early_help", "2026-11-20T08:40:00Z")
    transition = created(early_help.post("/api/v1/transitions", json={
        "child_id": phoned_in["children"][0]["id"], "direction": "step_up",
        "rationale": RATIONALE}))
    # Another early help child, with no request yet: any member of staff may ask to step it up.
    sibling = record_contact(
        mash, received_at="2026-11-20T08:25:00Z", consent={"status": "given", "given_by": "Father"},
        children=[{"given_name": "Finn", "family_name": "Reid", "date_of_birth": "2020-02-02",
                   "nhs_number": nhs_number_with_check_digit("401023235")}])
    decide(mash, sibling["id"], "early_help", "2026-11-20T08:45:00Z")
    # Another record that may be the police contact's child (a day apart in age): staff may link
    # that contact's child to it, or merge it into the police contact's child.
    possible = record_contact(
        mash, received_at="2026-11-20T08:50:00Z", consent={"status": "given", "given_by": "Mother"},
        children=[{"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-03",
                   "nhs_number": nhs_number_with_check_digit("401023243")}])
    # A child restricted to the MASH practitioner (and the MASH manager who restricted it), on a
    # contact a practitioner took by phone: for other staff it is as if neither existed.
    restricted = record_contact(
        mash, received_at="2026-11-20T08:50:00Z", consent={"status": "given", "given_by": "Mother"},
        children=[{"given_name": "Ruby", "family_name": "Vale", "date_of_birth": "2015-03-03",
                   "nhs_number": nhs_number_with_check_digit("401023251")}])
    # The police are asked what they know about the police contact's child (still open).
    information_request = created(mash.post(
        f"/api/v1/contacts/{contact['id']}/information-requests", json={
            "agency": "wmp", "question": "Any call-outs to the address this year?",
            "child_ids": [contact["children"][0]["id"]]}))
    # The police contact's child is assessed (issue 18): started, not yet authorised.
    assessment = created(mash.post("/api/v1/assessments", json={
        "contact_id": contact["id"], "child_id": contact["children"][0]["id"],
        "started_at": "2026-11-20T08:40:00Z"}))
    with app.app_context():
        create_account(system_actor("matrix"), name=sub_of("practitioner:mash"), kind="person",
                       secret=ACCOUNT_SECRET, role="practitioner", service="mash",
                       display_name="Matrix MASH practitioner")
        session.commit()
    restriction = created(client_for(app, "manager:mash").post("/api/v1/restrictions", json={
        "entity_type": "child", "entity_id": restricted["children"][0]["id"],
        "allowed": [sub_of("practitioner:mash")], "reason": RESTRICTION_REASON}))
    checkpoint = client_for(app, "auditor").get("/api/v1/audit/checkpoint")
    assert checkpoint.status_code == 200, checkpoint.get_json()
    job = client_for(app, "auditor").post("/api/v1/jobs/audit-verifications", json={})
    assert job.status_code == 202, job.get_json()

    with app.app_context():
        account = create_account(
            system_actor("matrix"), name="matrix-police-system", kind="client",
            secret=ACCOUNT_SECRET, role="agency", display_name="Matrix police system",
            agency="wmp",
        )
        session.commit()
        account_id = str(account.id)

    # The police system's webhook subscription (issue 20), disabled: its reads answer, and its
    # disable and secret rotation meet the state (409) for every caller allowed them.
    police = client_for(app, "agency")
    subscription = created(police.post("/api/v1/webhooks", json={
        "url": PUBLIC_WEBHOOK_URL, "events": ["contact.decided"],
        "contact_email": "it-support@wmp.example"}))
    disabled = police.post(f"/api/v1/webhooks/{subscription['id']}/disable",
                           json={"reason": "Moving to a new case system."})
    assert disabled.status_code == 200, disabled.get_json()

    return {
        "subscription_id": subscription["id"],
        "contact_id": contact["id"],
        "child_id": contact["children"][0]["id"],
        "decision_id": decision["id"],
        "meeting_id": meeting["id"],
        "transition_id": transition["id"],
        "request_id": information_request["id"],
        "assessment_id": assessment["id"],
        "job_id": job.get_json()["id"],
        "account_id": account_id,
        "school_contact_id": school_contact["id"],
        "phoned_in_contact_id": phoned_in["id"],
        "early_help_child_id": sibling["children"][0]["id"],
        "checkpoint": checkpoint.get_json()["checkpoint"],
        "list": "section-47",  # an Annex A list
        "folder": "js", "file": "api.js",  # a file of the console's own (always there)
        "possible_child_id": possible["children"][0]["id"],
        "n": 0,  # a contact's first child
        "restriction_id": restriction["id"],
        "restricted_child_id": restricted["children"][0]["id"],
        "restricted_contact_id": restricted["id"],
    }


@pytest.fixture(scope="module")
def app(database_url, tmp_path_factory):
    with own_database(database_url, tmp_path_factory.mktemp("records"), "records") as url:
        # An external issuer, so that its subjects can be registered (never asked for its keys:
        # no token of the matrix is its).
        app = build_app(url, OIDC_ISSUER="http://127.0.0.1:9/council",
                        OIDC_AUDIENCE="mash-front-door-api")
        app.records = _build_records(app)
        yield app
        app.extensions["db"].engine.dispose()


def bare_app():
    """The app without a database, for what is known before any request: its URL map, its
    OpenAPI document (read at collection time, to generate one test per route)."""
    config = type("BareConfig", (TestConfig,), {
        "DATABASE_URL": "sqlite://", "JWT_PRIVATE_KEY": PRIVATE_KEY, "JWT_PUBLIC_KEY": PUBLIC_KEY})
    return create_app(config)


# A public address (an IP literal: resolving it needs no network), which webhooks may be sent to.
PUBLIC_WEBHOOK_URL = "https://93.184.216.34/mash/events"

PARAMETER = re.compile(r"<(?:[^:>]+:)?(\w+)>")  # <name>, <uuid:name>, <any(a, b):name>


def path_to(rule, records):
    """A rule's path with each URL parameter replaced by the id of the record of that name."""
    return PARAMETER.sub(lambda match: str(records[match.group(1)]), rule)


# Query parameters a GET needs (the rest have none that are required).
QUERIES = {
    "/api/v1/metrics/timeliness": {"from": "2026-11-01", "to": "2026-12-01"},
    "/api/v1/exports/decisions": {"from": "2026-11-01", "to": "2026-12-01"},
    '/api/v1/exports/annex-a/<any(contacts, "early-help", referrals, assessments, "section-47"):list>': {
        "from": "2026-11-01", "to": "2026-12-01"},
    "/api/v1/exports/cin-census": {"year": "2026-27"},
    "/api/v1/children": {"family_name": "Hughes", "given_name": "Amelia",
                         "date_of_birth": "2019-04-02"},
}


def valid_body(method, rule, actor, records):
    """A body the route accepts (schema-valid; the rules may still say 409 for a state)."""
    if method != "POST":
        return None
    agency = ACTORS[actor][2] if ACTORS.get(actor) else None
    bodies = {
        "/api/v1/auth/token": lambda: {"client_id": "matrix-police-system",
                                       "client_secret": ACCOUNT_SECRET},
        "/api/v1/contacts": lambda: contact_body(source_agency=agency or "wmp"),
        "/api/v1/contacts/<uuid:contact_id>/consent": lambda: {
            "status": "given", "given_by": "Mother"},
        "/api/v1/contacts/<uuid:contact_id>/rag": lambda: {
            "rating": "red", "reason": "Bruising seen today; the child is afraid to go home."},
        "/api/v1/contacts/<uuid:contact_id>/information-requests": lambda: {
            "agency": "hilltop-gp", "question": "Is the family registered with you?",
            "child_ids": [records["child_id"]]},
        "/api/v1/information-requests/<uuid:request_id>/response": lambda: {
            "known": True, "information": "Two call-outs in October (domestic abuse)."},
        "/api/v1/information-requests/<uuid:request_id>/withdrawal": lambda: {
            "reason": "The police attended the strategy meeting."},
        "/api/v1/contacts/<uuid:contact_id>/decisions": lambda: {
            "outcome": "nfa", "rationale": DECISION_RATIONALE,
            "decided_at": "2026-11-20T09:45:00Z", "supersedes": records["decision_id"],
            "supersede_reason": "The police withdrew the allegation after the meeting."},
        "/api/v1/decisions/<uuid:decision_id>/approval": lambda: {"note": "Agreed."},
        "/api/v1/contacts/<uuid:contact_id>/feedback": lambda: {
            "given_at": "2026-11-20T09:50:00Z", "method": "phone",
            "summary": "Told the officer a strategy meeting was held."},
        "/api/v1/strategy-meetings": lambda: meeting_body(type("Case", (), {
            "contact_id": records["contact_id"], "child_ids": [records["child_id"]]})),
        "/api/v1/strategy-meetings/<uuid:meeting_id>/outcome": outcome_body,
        "/api/v1/strategy-meetings/<uuid:meeting_id>/minutes": lambda: {
            "minutes_recorded_at": "2026-11-20T09:55:00Z"},
        "/api/v1/strategy-meetings/<uuid:meeting_id>/icpc": lambda: {
            "held_on": "2026-11-20",
            "child_protection_plan": [{"child_id": records["child_id"], "plan": True}]},
        "/api/v1/transitions": lambda: {
            "child_id": records["early_help_child_id"], "direction": "step_up",
            "rationale": RATIONALE},
        "/api/v1/transitions/<uuid:transition_id>/response": lambda: {"decision": "accepted"},
        "/api/v1/transitions/<uuid:transition_id>/withdrawal": lambda: {
            "reason": "Raised for the wrong child."},
        "/api/v1/contacts/<uuid:contact_id>/allocation": lambda: {
            "team": "Assessment team 1", "worker": "sam"},
        "/api/v1/assessments": lambda: {
            "contact_id": records["contact_id"], "child_id": records["child_id"],
            "started_at": "2026-11-20T09:00:00Z"},
        "/api/v1/assessments/<uuid:assessment_id>/allocation": lambda: {
            "team": "Assessment team 1", "worker": "sam"},
        "/api/v1/assessments/<uuid:assessment_id>/completion": lambda: {
            "child_seen_at": "2026-11-20T09:10:00Z", "authorised_at": "2026-11-20T09:20:00Z",
            "factors": ["3A"], "outcome": "child_in_need_plan", "primary_need": "N1",
            "rationale": "Domestic abuse at home; a child in need plan agreed with the family."},
        "/api/v1/referrals/<uuid:contact_id>/closure": lambda: {
            "closed_on": "2026-11-20", "reason": "RC7", "primary_need": "N1",
            "rationale": "The family moved away; the new council has taken the case on."},
        "/api/v1/children/<uuid:child_id>/disability": lambda: {
            "disability": True, "disabilities": ["LD"]},
        "/api/v1/audit/verify": lambda: {"checkpoints": [records["checkpoint"]]},
        "/api/v1/jobs/audit-verifications": lambda: {},
        "/api/v1/jobs/state-checks": lambda: {"limit": 10},
        "/api/v1/jobs/decision-exports": lambda: {"from": "2026-11-01", "to": "2026-12-01"},
        "/api/v1/jobs/annex-a-exports": lambda: {
            "from": "2026-11-01", "to": "2026-12-01", "list": "contacts"},
        "/api/v1/contacts/<uuid:contact_id>/children/<int:n>/link": lambda: {
            "child": records["possible_child_id"], "reason": "Same child: the GP confirmed it."},
        "/api/v1/children/<uuid:child_id>/merge": lambda: {
            "duplicate": records["possible_child_id"], "reason": "Same child: the GP confirmed it."},
        "/api/v1/children/<uuid:child_id>/unmerge": lambda: {"reason": "Not the same child."},
        "/api/v1/accounts/<uuid:account_id>/disable": lambda: {"reason": "Secret exposed."},
        "/api/v1/accounts/<uuid:account_id>/enable": lambda: {"reason": "Secret rotated."},
        "/api/v1/accounts/<uuid:account_id>/secret": lambda: {"reason": "Annual rotation."},
        "/api/v1/webhooks": lambda: {"url": PUBLIC_WEBHOOK_URL, "events": ["contact.decided"],
                                     "contact_email": "it-support@wmp.example"},
        "/api/v1/webhooks/<uuid:subscription_id>/disable": lambda: {"reason": "Retired."},
        "/api/v1/webhooks/<uuid:subscription_id>/secret": lambda: {"reason": "Rotation."},
        "/api/v1/accounts/external": lambda: {
            "issuer": "oidc", "subject": f"subject-{actor.replace(' ', '-')}", "kind": "person",
            "display_name": "A council social worker", "role": "practitioner",
            "service": "mash", "reason": "To manage her access here."},
        "/api/v1/restrictions": lambda: {
            "entity_type": "contact", "entity_id": records["school_contact_id"],
            "allowed": [sub_of("practitioner:mash")], "reason": RESTRICTION_REASON},
        "/api/v1/restrictions/<uuid:restriction_id>/access": lambda: {
            "reason": "The child has been admitted to hospital tonight; I am the duty manager."},
        "/api/v1/restrictions/<uuid:restriction_id>/lifting": lambda: {
            "reason": "The worker has left the MASH; the record is open to staff again."},
    }
    return bodies[rule]()
