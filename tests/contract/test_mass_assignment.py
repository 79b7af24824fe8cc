"""Mass assignment: a field the server sets, or one no schema knows, is refused in any POST body.

For every POST route, the fields are read from the app's own OpenAPI document (what the success
response carries and the request does not), plus the fields every record's server sets, a field
nobody knows, and server-set fields inside nested objects. Each is added to a body the route
otherwise accepts, sent by a caller the role table allows: 422 problem+json naming exactly that
field, and nothing recorded.
"""

import uuid

import pytest
from sqlalchemy import func, select

from api.db import session
from api.models import AuditEvent
from tests.contract import dataset
from tests.contract.dataset import (
    ACTORS, PARAMETER, bare_app, client_for, path_to, valid_body,
)
from tests.contract.test_access_matrix import ROUTES, TABLE, expected
from tests.helpers import assert_problem


app = dataset.app  # this module's app: its own database, holding the records

# What the server sets on one record or another; never a client's to send.
SERVER_SET = (
    "id", "reference", "status", "decided_by", "hash", "prev_hash", "seq", "recorded_at",
    "recorded_by", "within_24_hours", "within_1_working_day", "approval", "superseded_by",
    "response_due_at", "decision_due_at", "created_at", "active", "role", "agency", "service",
    "sub",
)
UNKNOWN = "favourite_colour"

# Server-set fields inside the objects a body nests: (path to the object, field).
NESTED = {
    "/api/v1/contacts": [(("children", 0), "id"), (("children", 0), "reference"),
                         (("consent",), "recorded_at"), (("referrer",), "id"),
                         (("concerns",), "recorded_by")],
    "/api/v1/strategy-meetings": [(("invited", 0), "id")],
    "/api/v1/strategy-meetings/<uuid:meeting_id>/outcome": [
        (("attendance", 0), "id"), (("medical_examination",), "recorded_at"),
        (("actions", 0), "id")],
    "/api/v1/strategy-meetings/<uuid:meeting_id>/icpc": [(("child_protection_plan", 0), "id")],
}


def _schema(spec, reference):
    return spec["components"]["schemas"][reference["$ref"].rsplit("/", 1)[-1]]


def _openapi_path(rule):
    return PARAMETER.sub(lambda match: "{" + match.group(1) + "}", rule)


def fields_to_refuse(spec, rule):
    """The top-level fields the route's response has and its request does not, and the rest."""
    operation = spec["paths"][_openapi_path(rule)]["post"]
    request = _schema(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    success = next(r for status, r in operation["responses"].items() if status.startswith("2"))
    response = _schema(spec, success["content"]["application/json"]["schema"])
    accepted = set(request.get("properties", {}))
    return sorted((set(response.get("properties", {})) | set(SERVER_SET)) - accepted) + [UNKNOWN]


def _cells():
    spec = bare_app().test_client().get("/api/v1/openapi.json").get_json()
    cells = []
    for method, rule in ROUTES:
        if method != "POST":
            continue
        cells += [(rule, (), field) for field in fields_to_refuse(spec, rule)]
        cells += [(rule, path, field) for path, field in NESTED.get(rule, [])]
    return cells


CELLS = _cells()


def field_name(path, field):
    """As problems name it: `children[0].id`."""
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else step)
    return f"{name}.{field}" if name else field


def caller_for(rule):
    """The first caller the role table lets make this POST."""
    return next(actor for actor in ACTORS if expected(TABLE[("POST", rule)], actor) == "allowed")


def value_for(field):
    if field in ("approval",):
        return {"approved_by": "me", "approved_at": "2026-11-20T09:00:00Z"}
    if field.startswith(("within_", "active")):
        return True
    if field.endswith(("_at",)):
        return "2026-11-20T09:00:00Z"
    if field in ("seq",):
        return 1
    return str(uuid.uuid4()) if field.endswith("id") or field.endswith("_by") else "server-set"


def audit_length():
    return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize(
    ("rule", "path", "field"), CELLS, ids=[f"{r} {field_name(p, f)}" for r, p, f in CELLS]
)
def test_a_server_set_or_unknown_field_in_a_post_body_is_422_naming_it(app, rule, path, field):
    actor = caller_for(rule)
    body = valid_body("POST", rule, actor, app.records)
    target = body
    for step in path:
        target = target[step]
    target[field] = value_for(field)
    events_before = audit_length()

    response = client_for(app, actor).post(path_to(rule, app.records), json=body)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert_problem(response, 422)
    problem = response.get_json(force=True)
    assert set(problem["errors"]) == {field_name(path, field)}, problem
    assert field_name(path, field) in problem["detail"]
    session.rollback()  # see what the database holds now, not the test session's last snapshot
    assert audit_length() == events_before


def test_every_post_route_is_checked(app):
    posts = {rule for method, rule in ROUTES if method == "POST"}
    checked = {rule for rule, _path, _field in CELLS}
    assert posts == checked
    # The fields the issue names are among those refused wherever the response carries them.
    assert {("/api/v1/contacts/<uuid:contact_id>/decisions", (), f) for f in (
        "id", "decided_by", "within_24_hours", "approval", "superseded_by", "recorded_at")} <= set(CELLS)
    assert ("/api/v1/transitions", (), "response_due_at") in CELLS
    assert ("/api/v1/contacts", (), "reference") in CELLS


@pytest.mark.parametrize("rule", sorted({rule for rule, _p, _f in CELLS}))
def test_the_body_each_check_starts_from_is_accepted_without_the_extra_field(app, rule):
    # The control: each refusal above is down to the one field added.
    actor = caller_for(rule)
    body = valid_body("POST", rule, actor, app.records)

    response = client_for(app, actor).post(path_to(rule, app.records), json=body)

    assert response.status_code != 422, response.get_data(as_text=True)
    assert response.status_code < 500
