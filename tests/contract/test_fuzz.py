"""schemathesis against the app's own OpenAPI document, in-process, over every operation.

Each generated request is sent once for every role the operation admits, with a real token
(an agency's answers differ from a manager's, and each must match the document); schemathesis
also replays it without a token (and with a forged one) to prove the operation refuses those.
Every check schemathesis has runs (its registry, so an upgrade's new checks run too): no 5xx,
documented status codes, headers and content types, bodies that match the documented schemas,
invalid data rejected, valid data accepted, auth enforced. The database is the test's rolled-back
transaction (conftest's `db`), seeded with one real case, a meeting of it held, so that path ids
sometimes name real records.

"Valid data accepted" asks that a request the document calls valid is never refused for its
shape: what the API refuses, the schema says (patterns, formats, bounds). A 422 is still right
for a valid-looking request when the rule needs what no schema holds: the records, the clock or
the caller (a `rule-violation` problem: "No such child", "Must not be in the future"; an
`idempotency-key-reused` one: the key's earlier use), or a relation between two fields (or two
items of a list: one agency twice), which OpenAPI 3.0's JSON Schema cannot state and the
fields' descriptions do (RULES_BETWEEN_FIELDS; tests/contract/test_schema_says_what_is_refused.py
checks each description says it).

Bounded in `make test` (a few examples an operation, derandomized, no example database);
`make fuzz` sets FUZZ_MAX_EXAMPLES for a longer run with the coverage phase on, seeded by
FUZZ_SEED (a failure names the seed and prints the request as a curl command).
"""

import json
import os
import re
import uuid

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app
from api.errors import problem_type
from api.vocab import nhs_number_with_check_digit
from tests.helpers import ApiClient, FakeClock, app_config, token_for
from tests.contract.case_seed import seed_case
from tests.contract.test_schema_says_what_is_refused import RULES_BETWEEN_FIELDS

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
LONG_RUN = "FUZZ_MAX_EXAMPLES" in os.environ

CONFIG = schemathesis.Config.from_dict({
    "seed": int(os.environ.get("FUZZ_SEED", "20261120")),
    "generation": {
        "mode": "all",  # valid requests and invalid ones
        "max-examples": MAX_EXAMPLES,
        # Same requests every run in `make test`; `make fuzz` explores from FUZZ_SEED instead.
        "deterministic": not LONG_RUN,
        "database": "none",  # nothing written under the worktree
    },
    "phases": {
        "examples": {"enabled": True},
        "fuzzing": {"enabled": True},
        # The coverage phase sends every boundary value of every field: minutes, not seconds.
        "coverage": {"enabled": LONG_RUN},
        "stateful": {"enabled": False},
    },
})

def _refused_by_a_rule_no_schema_states(response, case):
    if response.status_code != 422:
        return False
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    if problem.get("type") in (problem_type("rule-violation"),
                               problem_type("idempotency-key-reused")):
        return True  # the records, the clock or the caller; the key's earlier use
    between = RULES_BETWEEN_FIELDS.get(f"{case.method.upper()} {case.operation.path}", set())
    named = {re.sub(r"\[\d+\]", "[*]", field) for field in problem.get("errors", {})}
    return problem.get("type") == problem_type("validation") and bool(named) and named <= between


def valid_data_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance, but for a rule no schema can state (above)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _refused_by_a_rule_no_schema_states(response, case):
            return None
        raise


CHECKS = [valid_data_accepted if check is positive_data_acceptance else check
          for check in REGISTERED_CHECKS.get_all()]

# An NHS number's check digit is in its format (`nhs-number`), which schemathesis learns here.
schemathesis.openapi.format("nhs-number", st.integers(0, 999_999_999).map(
    lambda n: nhs_number_with_check_digit(f"{n:09d}")))

# Who may be sent, per role the spec names: the services and agencies the seed case involves.
IDENTITIES = {
    "agency": [{"agency": "wmp"}, {"agency": "hilltop-gp"}],
    "practitioner": [{"service": "mash"}, {"service": "social_care"}],
    "manager": [{"service": "mash"}, {"service": "early_help"}, {"service": "social_care"}],
    "auditor": [{}],
    "admin": [{}],
}
ROLES_IN_DESCRIPTION = re.compile(r"Roles: ((?:`\w+`(?:, )?)+)\.")


def roles_of(operation):
    """The roles the documented operation admits ("Roles: `a`, `b`." in its description)."""
    found = ROLES_IN_DESCRIPTION.search(operation.definition.raw.get("description", ""))
    return re.findall(r"`(\w+)`", found.group(1)) if found else []


def generated_spec():
    """The document flask-smorest generates from the code (served at /api/v1/openapi.json; the
    committed openapi.yaml is checked equal to it by test_openapi.py)."""
    app = create_app(app_config("sqlite://", FakeClock()))  # the engine is never connected
    return json.loads(json.dumps(app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()))


schema = schemathesis.openapi.from_dict(generated_spec(), config=CONFIG)


@pytest.fixture
def seeded(app):
    """seed_case's records, and a second meeting of its contact, held, whose attendance names
    nobody (served as null)."""
    found = seed_case(app)
    practitioner = ApiClient(app, token_for(app, "practitioner", sub="seed-priya", service="mash"))
    now = app.test_clock().isoformat().replace("+00:00", "Z")
    meeting = practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": found["contact_id"], "children": [found["child_id"]], "convened_at": now,
        "scheduled_for": now, "chair": "Mark Evans",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
    })
    assert meeting.status_code == 201, meeting.json
    held = practitioner.post(f"/api/v1/strategy-meetings/{meeting.json['id']}/outcome", json={
        "held_at": now, "outcome": "s47_enquiry",
        "rationale": "Disclosure of physical harm corroborated by the school nurse.",
        "medical_examination": {"decision": "required"},
        "attendance": [{"agency": "wmp", "attended": True}, {"agency": "hilltop-gp",
                                                              "attended": False}]})
    assert held.status_code == 201, held.json
    return {**found, "meeting_id": [found["meeting_id"], meeting.json["id"]]}


@schema.parametrize()
@schema.given(data=st.data())
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_holds_its_contract(case, data, app, seeded):
    # Half the time a well-formed id names a real record, so the rules behind the 404 are reached.
    for name, value in list((case.path_parameters or {}).items()):
        if name in seeded and _is_uuid(value) and data.draw(st.booleans(), label=f"real {name}"):
            real = seeded[name]
            case.path_parameters[name] = (data.draw(st.sampled_from(real), label=name)
                                          if isinstance(real, list) else real)
    # Requests go to the test run's app in-process (WSGI); schemathesis' own probes (the same
    # request without a token, or with a forged one) follow the schema's app.
    case.operation.app = case.operation.schema.app = app
    # Generated to go without its Authorization header: send it so (a 401 is then due).
    unauthenticated = bool(case.meta and case.meta.is_negative_at(ParameterLocation.HEADER)
                           and "Authorization" not in (case.headers or {}))
    for role in (roles_of(case.operation) or [None]):
        headers = {}
        if role is not None and not unauthenticated:
            claims = data.draw(st.sampled_from(IDENTITIES[role]), label=f"{role} claims")
            headers["Authorization"] = f"Bearer {token_for(app, role, **claims)}"
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_every_check_schemathesis_has_runs():
    names = {check.__name__ for check in CHECKS}
    assert "valid_data_accepted" in names and "positive_data_acceptance" not in names
    assert len(CHECKS) == len(REGISTERED_CHECKS.get_all()) >= 14
    assert {"response_schema_conformance", "negative_data_rejection", "ignored_auth",
            "missing_required_header", "unsupported_method"} <= names


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
