"""Who may call what: every route of the app x every kind of caller, against real records.

The expected answer of every cell comes from TABLE below, the API.md role table written out route
by route (with the issues' additions where API.md is silent: metrics for staff, exports for
managers). A route the table does not name fails its cells, as does a table row for a route the
app no longer has. Each cell is one real request with a real token:

- allowed: past the role check and finds the record (not 401/403/404, never 5xx);
- forbidden: 403 problem+json;
- hidden: another agency's contact, 404 problem+json (as if it did not exist);
- no token: 401 problem+json with a Bearer challenge.
"""

from dataclasses import dataclass

import pytest

from api import console
from tests.contract import dataset
from tests.contract.dataset import (
    ACTORS, QUERIES, bare_app, client_for, path_to, valid_body,
)
from tests.helpers import assert_problem


app = dataset.app  # this module's app: its own database, holding the records


@dataclass(frozen=True)
class Rule:
    may: tuple  # roles, or role:service, or "anyone" (no token needed)
    hidden_from: tuple = ()  # callers answered 404: the record is not theirs


def may(*who, hidden_from=()):
    return Rule(tuple(who), tuple(hidden_from))


ANYONE = may("anyone")
MANAGERS = ("manager:mash", "manager:early_help", "manager:social_care")
STAFF = ("practitioner", "manager")
CASE_READERS = ("practitioner", "manager", "auditor")

TABLE = {
    # open
    ("POST", "/api/v1/auth/token"): ANYONE,
    ("GET", "/api/v1/health"): ANYONE,
    ("GET", "/api/v1/health/ready"): ANYONE,
    ("GET", "/api/v1/me"): may("agency", "practitioner", "manager", "auditor", "admin"),
    ("GET", "/metrics"): ANYONE,
    ("GET", "/console/sign-in.json"): ANYONE,
    ("GET", "/api/v1/openapi.json"): ANYONE,
    # the practitioners' console: static pages and files, no case data (that is the API's)
    ("GET", "/"): ANYONE,
    **{("GET", f"/console/{name}"): ANYONE for name in console.PAGES},
    ("GET", console.ASSET_RULE): ANYONE,
    # reference data: everyone with a token
    ("GET", "/api/v1/agencies"): may("agency", *CASE_READERS, "admin"),
    # contacts: agencies post their own and read only what they posted
    ("POST", "/api/v1/contacts"): may("agency", *STAFF),
    ("GET", "/api/v1/contacts"): may("agency", *CASE_READERS),
    ("GET", "/api/v1/contacts/<uuid:contact_id>"): may(
        "agency", *CASE_READERS, hidden_from=("other agency",)),
    ("POST", "/api/v1/contacts/<uuid:contact_id>/consent"): may(*STAFF),
    ("POST", "/api/v1/contacts/<uuid:contact_id>/rag"): may(*STAFF),
    ("POST", "/api/v1/contacts/<uuid:contact_id>/decisions"): may(*STAFF),
    ("GET", "/api/v1/contacts/<uuid:contact_id>/decisions"): may(*CASE_READERS),
    # the managers' sign-off inbox: a read of case records, as the contact's own decisions are
    ("GET", "/api/v1/decisions"): may(*CASE_READERS),
    ("POST", "/api/v1/decisions/<uuid:decision_id>/approval"): may("manager"),
    ("POST", "/api/v1/contacts/<uuid:contact_id>/feedback"): may(*STAFF),
    ("GET", "/api/v1/contacts/<uuid:contact_id>/history"): may(*CASE_READERS),
    # a child's identity (third wave): staff confirm or reject possible matches, search, merge
    ("POST", "/api/v1/contacts/<uuid:contact_id>/children/<int:n>/link"): may(*STAFF),
    # children
    ("GET", "/api/v1/children"): may(*STAFF),
    ("GET", "/api/v1/children/<uuid:child_id>"): may(*CASE_READERS),
    ("GET", "/api/v1/children/<uuid:child_id>/chronology"): may(*CASE_READERS),
    ("POST", "/api/v1/children/<uuid:child_id>/merge"): may(*STAFF),
    ("POST", "/api/v1/children/<uuid:child_id>/unmerge"): may(*STAFF),
    # strategy meetings
    ("POST", "/api/v1/strategy-meetings"): may(*STAFF),
    ("GET", "/api/v1/strategy-meetings"): may(*CASE_READERS),
    ("GET", "/api/v1/strategy-meetings/<uuid:meeting_id>"): may(*CASE_READERS),
    ("GET", "/api/v1/contacts/<uuid:contact_id>/strategy-meeting-invitees"): may(*STAFF),
    ("POST", "/api/v1/strategy-meetings/<uuid:meeting_id>/outcome"): may(*STAFF),
    ("POST", "/api/v1/strategy-meetings/<uuid:meeting_id>/minutes"): may(*STAFF),
    ("POST", "/api/v1/strategy-meetings/<uuid:meeting_id>/icpc"): may(*STAFF),
    # transitions: the record's step-up runs from early help to social care
    ("POST", "/api/v1/transitions"): may(*STAFF),
    ("GET", "/api/v1/transitions"): may(*CASE_READERS),
    ("GET", "/api/v1/transitions/<uuid:transition_id>"): may(*CASE_READERS),
    # accept/refuse: a manager of the receiving service
    ("POST", "/api/v1/transitions/<uuid:transition_id>/response"): may("manager:social_care"),
    # withdraw: the requester (an early help practitioner here), or a sending-service manager
    ("POST", "/api/v1/transitions/<uuid:transition_id>/withdrawal"): may(
        "practitioner:early_help", "manager:early_help"),
    # information requests (issue 16): staff ask a partner agency; the agency asked reads and
    # answers its own, and another agency's request does not exist for it
    ("POST", "/api/v1/contacts/<uuid:contact_id>/information-requests"): may(*STAFF),
    ("GET", "/api/v1/information-requests"): may("agency", *CASE_READERS),
    ("GET", "/api/v1/information-requests/<uuid:request_id>"): may(
        "agency", *CASE_READERS, hidden_from=("other agency",)),
    ("POST", "/api/v1/information-requests/<uuid:request_id>/response"): may(
        "agency", hidden_from=("other agency",)),
    ("POST", "/api/v1/information-requests/<uuid:request_id>/withdrawal"): may(*STAFF),
    # after the front door (issue 18): staff allocate, assess and close; a manager authorises an
    # assessment; auditors read; a partner agency never sees any of it
    ("POST", "/api/v1/contacts/<uuid:contact_id>/allocation"): may(*STAFF),
    ("POST", "/api/v1/assessments"): may(*STAFF),
    ("GET", "/api/v1/assessments"): may(*CASE_READERS),
    ("GET", "/api/v1/assessments/<uuid:assessment_id>"): may(*CASE_READERS),
    ("POST", "/api/v1/assessments/<uuid:assessment_id>/allocation"): may(*STAFF),
    ("POST", "/api/v1/assessments/<uuid:assessment_id>/completion"): may("manager"),
    ("POST", "/api/v1/referrals/<uuid:contact_id>/closure"): may(*STAFF),
    ("POST", "/api/v1/children/<uuid:child_id>/disability"): may(*STAFF),
    # performance figures (issue 4: practitioners, managers, auditors)
    ("GET", "/api/v1/metrics/timeliness"): may(*CASE_READERS),
    # audit and inspection: auditors; the decision export also managers (issue 5)
    ("GET", "/api/v1/audit/events"): may("auditor"),
    ("GET", "/api/v1/audit/verify"): may("auditor"),
    ("POST", "/api/v1/audit/verify"): may("auditor"),
    ("GET", "/api/v1/audit/checkpoint"): may("auditor"),
    ("GET", "/api/v1/audit/state"): may("auditor"),
    ("GET", "/api/v1/audit/access"): may("auditor"),
    # background jobs (issue 17): verifying is the auditors', exporting the overseers'; a job is
    # read only by who queued it (the dataset's is the auditor's), anyone else is told of none
    ("POST", "/api/v1/jobs/audit-verifications"): may("auditor"),
    ("POST", "/api/v1/jobs/state-checks"): may("auditor"),
    ("POST", "/api/v1/jobs/decision-exports"): may("auditor", "manager"),
    ("POST", "/api/v1/jobs/annex-a-exports"): may("auditor", "manager"),
    ("GET", "/api/v1/jobs"): may("auditor", "manager"),
    ("GET", "/api/v1/jobs/<uuid:job_id>"): may("auditor", "manager", hidden_from=MANAGERS),
    ("GET", "/api/v1/jobs/<uuid:job_id>/result"): may("auditor", "manager", hidden_from=MANAGERS),
    ("GET", "/api/v1/exports/decisions"): may("auditor", "manager"),
    ("GET", "/api/v1/exports/cin-census"): may("auditor", "manager"),  # issue 18
    ("GET", '/api/v1/exports/annex-a/<any(contacts, "early-help", referrals, assessments, "section-47"):list>'):
        may("auditor", "manager"),
    # operators: clients and users, no case data
    ("GET", "/api/v1/accounts"): may("admin"),
    ("GET", "/api/v1/accounts/<uuid:account_id>"): may("admin"),
    ("POST", "/api/v1/accounts/<uuid:account_id>/disable"): may("admin"),
    ("POST", "/api/v1/accounts/<uuid:account_id>/enable"): may("admin"),
    ("POST", "/api/v1/accounts/<uuid:account_id>/secret"): may("admin"),
    ("POST", "/api/v1/accounts/external"): may("admin"),
    ("POST", "/api/v1/webhooks"): may("agency"),
    ("GET", "/api/v1/webhooks"): may("agency", "admin"),
    ("GET", "/api/v1/webhooks/deliveries"): may("agency", "admin"),
    ("GET", "/api/v1/webhooks/<uuid:subscription_id>"): may(
        "agency", "admin", hidden_from=("other agency",)),
    ("POST", "/api/v1/webhooks/<uuid:subscription_id>/disable"): may(
        "agency", "admin", hidden_from=("other agency",)),
    ("POST", "/api/v1/webhooks/<uuid:subscription_id>/secret"): may(
        "agency", hidden_from=("other agency",)),
    # restricted records: managers restrict and break the glass; auditors review
    ("POST", "/api/v1/restrictions"): may("manager"),
    ("GET", "/api/v1/restrictions"): may("manager", "auditor"),
    ("GET", "/api/v1/restrictions/<uuid:restriction_id>"): may("manager", "auditor"),
    ("POST", "/api/v1/restrictions/<uuid:restriction_id>/access"): may("manager"),
    # lifted by a manager the restriction allows (the MASH manager set it)
    ("POST", "/api/v1/restrictions/<uuid:restriction_id>/lifting"): may(
        "manager:mash", hidden_from=("manager:early_help", "manager:social_care")),
}


# Allowed calls answered otherwise than 2xx: `/` sends the browser to the console; the console's
# pages are 503 (saying so) where its packages are not installed, an API-only deployment.
OTHER_ANSWERS = {
    ("GET", "/"): 302,
    **{("GET", f"/console/{name}"): 200 if console.installed() else 503 for name in console.PAGES},
}


# Allowed calls the records' state refuses (each body is otherwise accepted: see the dataset).
STATE_CONFLICTS = {
    ("POST", "/api/v1/strategy-meetings/<uuid:meeting_id>/outcome"): "the outcome is recorded",
    ("POST", "/api/v1/accounts/<uuid:account_id>/enable"): "the account is enabled",
    ("POST", "/api/v1/webhooks/<uuid:subscription_id>/disable"): "the subscription is disabled",
    ("POST", "/api/v1/webhooks/<uuid:subscription_id>/secret"): "the subscription is disabled",
    ("POST", "/api/v1/children/<uuid:child_id>/unmerge"): "the child is not merged",
    ("POST", "/api/v1/contacts/<uuid:contact_id>/rag"): "the contact is decided",
    ("GET", "/api/v1/jobs/<uuid:job_id>/result"): "a verification's result is its report",
    ("POST", "/api/v1/assessments"): "the child is assessed on the referral already",
    ("POST", "/api/v1/referrals/<uuid:contact_id>/closure"): "the referral's assessment is open",
}


def expected(rule, actor):
    if "anyone" in rule.may:
        return "allowed"
    if ACTORS[actor] is None:
        return "no token"
    if actor in rule.hidden_from or ACTORS[actor][:2] in [
            tuple(who.split(":")) for who in rule.hidden_from if ":" in who]:
        return "hidden"
    role, service, _agency = ACTORS[actor]
    if role in rule.may or f"{role}:{service}" in rule.may:
        return "allowed"
    return "forbidden"


def app_routes():
    """(method, rule) for every route of the app, read from its URL map."""
    url_map = bare_app().url_map
    return sorted({(method, rule.rule) for rule in url_map.iter_rules()
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


ROUTES = app_routes()
CELLS = [(method, rule, actor) for method, rule in ROUTES for actor in ACTORS]


@pytest.mark.parametrize(
    ("method", "rule", "actor"), CELLS, ids=[f"{m} {r} as {a}" for m, r, a in CELLS]
)
def test_each_route_answers_each_caller_as_the_role_table_says(app, method, rule, actor):
    assert (method, rule) in TABLE, f"{method} {rule} is missing from the role table"
    records = app.records
    response = client_for(app, actor).open(
        path_to(rule, records), method,
        json=valid_body(method, rule, actor, records),
        query_string=QUERIES.get(rule),
    )

    outcome = expected(TABLE[(method, rule)], actor)
    status = response.status_code
    if outcome == "allowed":
        wanted = 409 if (method, rule) in STATE_CONFLICTS else OTHER_ANSWERS.get((method, rule))
        assert status not in (401, 403, 404) and (status < 500 or status == wanted), (
            f"{actor} should be allowed: {status} {response.get_data(as_text=True)}")
        assert (status == wanted) if wanted else (200 <= status < 300), (
            f"{actor}: {status} {response.get_data(as_text=True)}")
    elif outcome == "forbidden":
        assert_problem(response, 403)
        assert response.get_json(force=True)["type"].endswith("forbidden")
    elif outcome == "hidden":
        assert_problem(response, 404)
    else:
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_role_table_names_no_route_the_app_does_not_have():
    stale = sorted(set(TABLE) - set(ROUTES))
    assert not stale, f"role table rows for routes the app does not have: {stale}"


def test_every_caller_of_the_matrix_is_a_real_role_with_its_companions():
    from api.vocab import ROLES, SERVICES

    roles = {spec[0] for spec in ACTORS.values() if spec}
    assert roles == set(ROLES)
    staff_services = {(role, service) for role, service, _ in filter(None, ACTORS.values())
                      if role in STAFF}
    assert staff_services == {(role, s) for role in STAFF for s in SERVICES}


# ---- own and other agency -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "record", "status"),
    [
        ("agency", "contact_id", 200),
        ("agency", "school_contact_id", 404),
        ("agency", "phoned_in_contact_id", 404),
        ("other agency", "school_contact_id", 200),
        ("other agency", "contact_id", 404),
        ("other agency", "phoned_in_contact_id", 404),
    ],
    ids=["police reads what it posted", "police reads the school's", "police reads one phoned in "
         "for it", "school reads what it posted", "school reads the police's", "school reads one "
         "phoned in for the police"],
)
def test_an_agency_reads_only_the_contacts_its_systems_posted(app, actor, record, status):
    response = client_for(app, actor).get(f"/api/v1/contacts/{app.records[record]}")

    assert response.status_code == status, response.get_data(as_text=True)
    if status == 404:
        assert_problem(response, 404)


@pytest.mark.parametrize(("actor", "own"), [("agency", "contact_id"),
                                            ("other agency", "school_contact_id")])
def test_an_agencys_list_holds_only_the_contacts_its_systems_posted(app, actor, own):
    response = client_for(app, actor).get("/api/v1/contacts")

    assert response.status_code == 200, response.get_json()
    assert [item["id"] for item in response.json["items"]] == [app.records[own]]


def test_another_agencys_contact_reads_exactly_like_one_that_does_not_exist(app):
    school = client_for(app, "other agency")
    hidden = school.get(f"/api/v1/contacts/{app.records['contact_id']}").get_json()
    absent = school.get("/api/v1/contacts/00000000-0000-4000-8000-000000000000").get_json()

    assert hidden["status"] == absent["status"] == 404
    assert hidden["type"] == absent["type"] and hidden["title"] == absent["title"]
    assert set(hidden) == set(absent)


# ---- a restricted record ---------------------------------------------------------------------

# The dataset's restricted child (Ruby) and the contact about her: restricted by the MASH manager
# to the MASH practitioner. Each read of either, by every caller that may read case records.
RESTRICTED_READS = [
    "/api/v1/children/{restricted_child_id}",
    "/api/v1/children/{restricted_child_id}/chronology",
    "/api/v1/contacts/{restricted_contact_id}",
    "/api/v1/contacts/{restricted_contact_id}/decisions",
    "/api/v1/contacts/{restricted_contact_id}/history",
]
SEES_RESTRICTED = ("practitioner:mash", "manager:mash", "auditor")
RESTRICTED_CELLS = [(path, actor) for path in RESTRICTED_READS for actor in ACTORS
                    if ACTORS[actor] and ACTORS[actor][0] in ("practitioner", "manager", "auditor")]


@pytest.mark.parametrize(("path", "actor"), RESTRICTED_CELLS,
                         ids=[f"{p} as {a}" for p, a in RESTRICTED_CELLS])
def test_a_restricted_record_is_read_only_by_those_it_names_and_auditors(app, path, actor):
    response = client_for(app, actor).get(path.format(**app.records))

    if actor in SEES_RESTRICTED:
        assert response.status_code == 200, response.get_data(as_text=True)
    else:
        assert_problem(response, 404)


@pytest.mark.parametrize("actor", [a for a in ACTORS if a.startswith(("practitioner", "manager"))])
def test_a_restricted_record_is_listed_only_for_those_it_names(app, actor):
    listed = [item["id"] for item in client_for(app, actor).get("/api/v1/contacts").json["items"]]

    assert (app.records["restricted_contact_id"] in listed) == (actor in SEES_RESTRICTED)
