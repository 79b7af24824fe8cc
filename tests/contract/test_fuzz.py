"""schemathesis against the app's own OpenAPI document, in-process, over every operation.

Each request carries a real token for a role the operation admits; schemathesis also replays it
without a token (and with a forged one) to prove the operation refuses those. Checks: no 5xx,
documented status codes and content types, bodies that match the documented schemas, invalid data
rejected, auth enforced. The database is the test's rolled-back transaction (conftest's `db`),
seeded with one real case so that path ids sometimes name real records.

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
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance, ignored_auth, negative_data_rejection, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from api import create_app
from tests.helpers import FakeClock, app_config, token_for
from tests.contract.case_seed import seed_case

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

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]

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
    return seed_case(app)


@schema.parametrize()
@schema.given(data=st.data())
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_holds_its_contract(case, data, app, seeded):
    headers = {}
    roles = roles_of(case.operation)
    if roles:
        role = data.draw(st.sampled_from(roles), label="role")
        claims = data.draw(st.sampled_from(IDENTITIES[role]), label="claims")
        headers["Authorization"] = f"Bearer {token_for(app, role, **claims)}"
    # Half the time a well-formed id names a real record, so the rules behind the 404 are reached.
    for name, value in list((case.path_parameters or {}).items()):
        if name in seeded and _is_uuid(value) and data.draw(st.booleans(), label=f"real {name}"):
            case.path_parameters[name] = seeded[name]
    # Requests go to the test run's app in-process (WSGI); schemathesis' own probes (the same
    # request without a token, or with a forged one) follow the schema's app.
    case.operation.app = case.operation.schema.app = app
    if case.meta and case.meta.is_negative_at(ParameterLocation.HEADER) and not (
            "Authorization" in (case.headers or {})):
        # Generated to go without its Authorization header: send it so (a 401 is then due).
        headers = {}
    case.call_and_validate(headers=headers, checks=CHECKS)


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
