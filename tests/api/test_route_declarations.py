"""Permissions that cannot be forgotten: every route says who may call it, and writes commit once.

The checks are plain functions over an app's URL map, so they are also run against a small app
built wrong on purpose, to show that each one fails, naming the endpoint, when it should.
"""

import pytest
from flask import Flask

from api.auth import public, requires
from api.idempotency import idempotent
from api.vocab import ROLES

PUBLIC_ENDPOINTS = {"auth.issue_token", "health.health"}
# POSTs that write nothing, so are not @idempotent and run as read-only transactions (whatever
# they might write is never committed). Each is here for a reason, and a test below shows it:
# - audit.verify_audit_chain_against_checkpoints: signed checkpoints go in a body, not a URL;
#   tests/api/test_checkpoints.py shows it appends no audit event.
READ_ONLY_POSTS = {"audit.verify_audit_chain_against_checkpoints"}
NOT_IDEMPOTENT_WRITES = {"auth.issue_token"} | READ_ONLY_POSTS


def declared_routes(app):
    """(endpoint, methods, view) for every route the checks apply to."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs."):
            continue
        yield rule.endpoint, set(rule.methods), app.view_functions[rule.endpoint]


def routes_without_a_declaration(app):
    return sorted({endpoint for endpoint, _methods, view in declared_routes(app)
                   if not hasattr(view, "_roles")})


def public_routes(app):
    return {endpoint for endpoint, _methods, view in declared_routes(app)
            if getattr(view, "_public", False)}


def routes_open_by_an_empty_declaration(app):
    """A route whose roles are empty without being declared public lets nobody, or anybody, in."""
    return sorted({endpoint for endpoint, _methods, view in declared_routes(app)
                   if hasattr(view, "_roles") and not view._roles
                   and not getattr(view, "_public", False)})


def routes_with_unknown_roles(app):
    return sorted({f"{endpoint} ({', '.join(sorted(set(view._roles) - set(ROLES)))})"
                   for endpoint, _methods, view in declared_routes(app)
                   if not set(getattr(view, "_roles", ())) <= set(ROLES)})


def writes_without_one_commit(app):
    return sorted({endpoint for endpoint, methods, view in declared_routes(app)
                   if methods & {"POST", "PUT", "PATCH", "DELETE"}
                   and endpoint not in NOT_IDEMPOTENT_WRITES
                   and not getattr(view, "_idempotent", False)})


# ---- the real app ---------------------------------------------------------------------------


def test_the_app_has_routes_to_check(app):
    endpoints = {endpoint for endpoint, _methods, _view in declared_routes(app)}
    assert {"auth.issue_token", "health.health", "agencies.list_agencies",
            "contacts.create_contact", "audit.verify_audit_chain"} <= endpoints


def test_every_route_declares_who_may_call_it(app):
    missing = routes_without_a_declaration(app)
    assert not missing, f"routes without @requires(...) or @public: {', '.join(missing)}"


def test_only_the_token_endpoint_and_the_health_check_are_public(app):
    found = public_routes(app)
    unexpected = sorted(found - PUBLIC_ENDPOINTS)
    assert not unexpected, f"routes declared @public that should not be: {', '.join(unexpected)}"
    assert found == PUBLIC_ENDPOINTS, f"expected public routes missing: {PUBLIC_ENDPOINTS - found}"


def test_no_route_has_an_empty_list_of_roles_without_being_public(app):
    empty = routes_open_by_an_empty_declaration(app)
    assert not empty, f"routes with no roles that are not @public: {', '.join(empty)}"


def test_every_declared_role_is_a_known_role(app):
    unknown = routes_with_unknown_roles(app)
    assert not unknown, f"routes declaring roles outside {ROLES}: {', '.join(unknown)}"


def test_every_write_except_the_token_endpoint_and_the_read_only_posts_is_one_idempotent_commit(
    app,
):
    missing = writes_without_one_commit(app)
    assert not missing, f"write routes without @idempotent: {', '.join(missing)}"


@pytest.mark.parametrize("endpoint", sorted(READ_ONLY_POSTS))
def test_each_read_only_post_is_a_declared_post_that_runs_as_a_read(app, endpoint):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint == endpoint
               for m in rule.methods}
    assert "POST" in methods
    view = app.view_functions[endpoint]
    assert view._roles and not getattr(view, "_public", False)
    assert not getattr(view, "_idempotent", False)


def test_the_token_endpoint_is_a_post_that_writes_nothing(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint == "auth.issue_token"
               for m in rule.methods}
    assert "POST" in methods
    assert not getattr(app.view_functions["auth.issue_token"], "_idempotent", False)


def test_every_protected_operation_is_documented_as_needing_a_bearer_token(anonymous):
    spec = anonymous.get("/api/v1/openapi.json").json
    undocumented, open_but_secured = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            name = f"{method.upper()} {path}"
            is_public = path in ("/api/v1/auth/token", "/api/v1/health")
            if is_public and operation.get("security"):
                open_but_secured.append(name)
            if not is_public and (
                operation.get("security") != [{"bearerAuth": []}]
                or not {"401", "403"} <= set(operation["responses"])
            ):
                undocumented.append(name)
    assert not undocumented, f"operations missing bearer security or 401/403: {undocumented}"
    assert not open_but_secured, f"open operations documented as secured: {open_but_secured}"


# ---- the checks themselves fail when they should --------------------------------------------


@pytest.fixture
def app_built_wrong():
    wrong = Flask("built_wrong")

    @wrong.route("/forgotten")
    def forgotten():
        return "no declaration"

    @wrong.route("/open-by-mistake")
    @public
    def open_by_mistake():
        return "public, but should not be"

    @wrong.route("/write-without-commit", methods=["POST"])
    @requires("practitioner")
    def write_without_commit():
        return "no @idempotent"

    @wrong.route("/write-with-commit", methods=["POST"])
    @requires("practitioner")
    @idempotent
    def write_with_commit():
        return "fine"

    def superuser_only():
        return "an unknown role"

    superuser_only._roles = ("superuser",)
    wrong.add_url_rule("/superuser", view_func=superuser_only)

    def nobody():
        return "empty roles"

    nobody._roles = ()
    wrong.add_url_rule("/nobody", view_func=nobody)
    return wrong


def test_a_route_without_a_declaration_is_named(app_built_wrong):
    assert routes_without_a_declaration(app_built_wrong) == ["forgotten"]


def test_an_unexpected_public_route_is_named(app_built_wrong):
    assert public_routes(app_built_wrong) - PUBLIC_ENDPOINTS == {"open_by_mistake"}


def test_a_route_with_an_unknown_role_is_named(app_built_wrong):
    assert routes_with_unknown_roles(app_built_wrong) == ["superuser_only (superuser)"]


def test_a_route_with_empty_roles_that_is_not_public_is_named(app_built_wrong):
    assert routes_open_by_an_empty_declaration(app_built_wrong) == ["nobody"]


def test_a_write_without_idempotent_is_named(app_built_wrong):
    assert writes_without_one_commit(app_built_wrong) == ["write_without_commit"]


@pytest.mark.parametrize("roles", [(), ("superuser",), ("auditor", "root")])
def test_requires_refuses_to_declare_no_roles_or_unknown_ones(roles):
    with pytest.raises(ValueError):
        requires(*roles)


# ---- every read of case data is logged (tests/api/test_access_log.py shows what is kept) ------

from api.access import access_declaration, logs_access  # noqa: E402

CASE_DATA_PATHS = (
    "/api/v1/contacts", "/api/v1/children", "/api/v1/strategy-meetings", "/api/v1/transitions",
    "/api/v1/decisions", "/api/v1/exports", "/api/v1/audit/access",
)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def case_data_reads_not_logged(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.rule.startswith(CASE_DATA_PATHS)
                   and access_declaration(app.view_functions[rule.endpoint]) is None})


def writes_declared_as_logged_reads(app):
    """The access log records GETs only: a write carrying the declaration would claim a log it
    does not get (writes are in the audit trail instead)."""
    return sorted({endpoint for endpoint, methods, view in declared_routes(app)
                   if methods & WRITE_METHODS and access_declaration(view) is not None})


def test_the_app_has_case_data_reads_to_check(app):
    logged = {endpoint for endpoint, _methods, view in declared_routes(app)
              if access_declaration(view) is not None}
    assert {"contacts.get_contact", "contacts.list_contacts", "decisions.list_decisions",
            "decisions.contact_history", "children.get_child", "children.child_chronology",
            "strategy_meetings.get_meeting", "strategy_meetings.list_meetings",
            "transitions.get_transition", "transitions.list_transitions",
            "access.list_access_events"} <= logged


def test_every_read_of_case_data_declares_that_it_logs_access(app):
    missing = case_data_reads_not_logged(app)
    assert not missing, f"case data reads without @logs_access(...): {', '.join(missing)}"


def test_no_write_declares_that_it_logs_access(app):
    declared = writes_declared_as_logged_reads(app)
    assert not declared, f"writes declaring @logs_access(...): {', '.join(declared)}"


@pytest.fixture
def app_logging_wrong():
    wrong = Flask("logging_wrong")

    @wrong.route("/api/v1/children/<uuid:child_id>/forgotten")
    @requires("auditor")
    def forgotten_read(child_id):
        return "not logged"

    @wrong.route("/api/v1/contacts/<uuid:contact_id>")
    @requires("auditor")
    @logs_access("contact")
    def logged_read(contact_id):
        return "logged"

    @wrong.route("/api/v1/contacts/<uuid:contact_id>/notes", methods=["POST"])
    @requires("practitioner")
    @idempotent
    @logs_access("contact")
    def write_claiming_a_log(contact_id):
        return "a write"

    return wrong


def test_a_case_data_read_without_the_declaration_is_named(app_logging_wrong):
    assert case_data_reads_not_logged(app_logging_wrong) == ["forgotten_read"]


def test_a_write_with_the_declaration_is_named(app_logging_wrong):
    assert writes_declared_as_logged_reads(app_logging_wrong) == ["write_claiming_a_log"]


@pytest.mark.parametrize("entity_type", ["", "contacts", "decision"])
def test_logs_access_refuses_an_unknown_kind_of_record(entity_type):
    with pytest.raises(ValueError):
        logs_access(entity_type)
