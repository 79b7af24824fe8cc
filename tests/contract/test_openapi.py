"""openapi.yaml is the contract partners build against: it must be exactly what the code says."""

import re

import pytest
import yaml

from api.config import PROJECT_ROOT
from tests.helpers import operations, refs


OPEN_OPERATIONS = {("post", "/api/v1/auth/token"), ("get", "/api/v1/health"),
                   ("get", "/api/v1/health/ready")}


@pytest.fixture
def committed():
    return yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())


def test_the_committed_openapi_yaml_matches_the_spec_generated_from_the_code(spec, committed):
    if committed != spec:
        stale = sorted(
            f"{method.upper()} {path}"
            for method, path, operation in operations(spec)
            if committed.get("paths", {}).get(path, {}).get(method) != operation
        )
        stale += sorted(
            f"{method.upper()} {path} (gone from the code)"
            for method, path, _ in operations(committed)
            if method not in spec["paths"].get(path, {})
        )
        pytest.fail(
            "openapi.yaml is out of date with the code; run `make openapi` and commit the result. "
            f"Operations that differ: {', '.join(stale) or 'none (components or info differ)'}."
        )


def test_the_spec_served_by_the_api_is_the_generated_one(anonymous, spec):
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == spec


def test_the_spec_documents_every_route_of_the_app(app, spec):
    documented = {(method, path) for method, path, _ in operations(spec)}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method.lower(), path))
    assert served == documented


def test_every_operation_but_the_token_endpoint_and_the_health_checks_needs_a_bearer_token(spec):
    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"} == (
        spec["components"]["securitySchemes"]["bearerAuth"]
    )
    for method, path, operation in operations(spec):
        if (method, path) in OPEN_OPERATIONS:
            assert "security" not in operation or operation["security"] == [], (method, path)
            continue
        assert operation.get("security") == [{"bearerAuth": []}], (method, path)
        assert "401" in operation["responses"], (method, path)


def test_the_open_operations_are_exactly_the_token_endpoint_and_the_health_checks(spec):
    open_ones = {(m, p) for m, p, op in operations(spec) if not op.get("security")}
    assert open_ones == OPEN_OPERATIONS


def test_every_error_response_is_documented_as_problem_json(spec):
    for name, response in spec["components"]["responses"].items():
        content = response.get("content")
        if content:
            assert list(content) == ["application/problem+json"], name
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }


def _resolve(spec, ref):
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


@pytest.mark.parametrize("which", ["generated", "committed"])
def test_every_ref_in_the_spec_resolves(which, spec, committed):
    document = spec if which == "generated" else committed
    found = set(refs(document))
    assert found, "a spec without a single $ref is not the one this API generates"
    for ref in found:
        assert _resolve(document, ref) is not None
