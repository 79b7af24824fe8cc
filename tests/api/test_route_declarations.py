"""Permissions that cannot be forgotten: every route says who may call it, and writes commit once.

The checks are plain functions over an app's URL map, so they are also run against a small app
built wrong on purpose, to show that each one fails, naming the endpoint, when it should.
"""

import pytest
from flask import Flask

from api.auth import check_roles
from api.declarations import Declaration, declaration_of, declare
from api.vocab import ROLES

PUBLIC_ENDPOINTS = {"auth.issue_token", "health.health", "health.ready",
                    # the console's static pages and files (api/console.py): no case data
                    "console.home", "console.page", "console.asset", "console.sign_in_settings",
                    # request counts and times by route (api/request_metrics.py): no case data,
                    # no record's id; nginx keeps it from the public (deploy/)
                    "request_metrics"}
# POSTs that write nothing, so are not declared `writes=True` and run as read-only transactions (whatever
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
                   if declaration_of(view) is None})


def declared(app):
    """(endpoint, methods, declaration) for every declared route."""
    for endpoint, methods, view in declared_routes(app):
        declaration = declaration_of(view)
        if declaration is not None:
            yield endpoint, methods, declaration


def public_routes(app):
    return {endpoint for endpoint, _methods, declaration in declared(app) if declaration.public}


def routes_with_unknown_roles(app):
    return sorted({f"{endpoint} ({', '.join(sorted(set(declaration.roles) - set(ROLES)))})"
                   for endpoint, _methods, declaration in declared(app)
                   if not set(declaration.roles) <= set(ROLES)})


def writes_without_one_commit(app):
    return sorted({endpoint for endpoint, methods, declaration in declared(app)
                   if methods & {"POST", "PUT", "PATCH", "DELETE"}
                   and endpoint not in NOT_IDEMPOTENT_WRITES and not declaration.writes})


# ---- the real app ---------------------------------------------------------------------------


def test_the_app_has_routes_to_check(app):
    endpoints = {endpoint for endpoint, _methods, _view in declared_routes(app)}
    assert {"auth.issue_token", "health.health", "agencies.list_agencies",
            "contacts.create_contact", "audit.verify_audit_chain"} <= endpoints


def test_every_route_declares_who_may_call_it(app):
    missing = routes_without_a_declaration(app)
    assert not missing, f"routes without roles=(...) or public=True: {', '.join(missing)}"


def test_only_the_token_endpoint_the_health_checks_the_metrics_and_the_consoles_files_are_public(
        app):
    found = public_routes(app)
    unexpected = sorted(found - PUBLIC_ENDPOINTS)
    assert not unexpected, f"routes declared public that should not be: {', '.join(unexpected)}"
    assert found == PUBLIC_ENDPOINTS, f"expected public routes missing: {PUBLIC_ENDPOINTS - found}"


@pytest.mark.parametrize("declaration", [
    {},  # neither roles nor public: nobody, or anybody?
    {"roles": ("auditor",), "public": True},
    {"public": True, "writes": True},  # a public write's Idempotency-Key would have no scope
    {"roles": ("auditor",), "writes": True, "logs_access": "contact"},
    {"roles": ("auditor",), "logs_access": "contacts"},
])
def test_a_declaration_that_makes_no_sense_is_refused(declaration):
    with pytest.raises(ValueError):
        Declaration(**declaration)


def test_every_declared_role_is_a_known_role(app):
    unknown = routes_with_unknown_roles(app)
    assert not unknown, f"routes declaring roles outside {ROLES}: {', '.join(unknown)}"


def test_every_write_except_the_token_endpoint_and_the_read_only_posts_is_one_idempotent_commit(
    app,
):
    missing = writes_without_one_commit(app)
    assert not missing, f"write routes not declared writes=True: {', '.join(missing)}"


@pytest.mark.parametrize("endpoint", sorted(READ_ONLY_POSTS))
def test_each_read_only_post_is_a_declared_post_that_runs_as_a_read(app, endpoint):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint == endpoint
               for m in rule.methods}
    assert "POST" in methods
    declaration = declaration_of(app.view_functions[endpoint])
    assert declaration.roles and not declaration.public
    assert not declaration.writes


def test_the_token_endpoint_is_a_post_that_writes_nothing(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint == "auth.issue_token"
               for m in rule.methods}
    assert "POST" in methods
    assert not declaration_of(app.view_functions["auth.issue_token"]).writes


def test_every_protected_operation_is_documented_as_needing_a_bearer_token(anonymous):
    spec = anonymous.get("/api/v1/openapi.json").json
    undocumented, open_but_secured = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            name = f"{method.upper()} {path}"
            is_public = path in ("/api/v1/auth/token", "/api/v1/health", "/api/v1/health/ready")
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

    def open_by_mistake():
        return "public, but should not be"

    declare(open_by_mistake, Declaration(public=True))
    wrong.add_url_rule("/open-by-mistake", view_func=open_by_mistake)

    def write_without_commit():
        return "not declared writes=True"

    declare(write_without_commit, Declaration(roles=("practitioner",)))
    wrong.add_url_rule("/write-without-commit", view_func=write_without_commit, methods=["POST"])

    def write_with_commit():
        return "fine"

    declare(write_with_commit, Declaration(roles=("practitioner",), writes=True))
    wrong.add_url_rule("/write-with-commit", view_func=write_with_commit, methods=["POST"])

    def superuser_only():
        return "an unknown role"

    declare(superuser_only, Declaration(roles=("superuser",)))  # Blueprint.route would refuse it
    wrong.add_url_rule("/superuser", view_func=superuser_only)
    return wrong


def test_a_route_without_a_declaration_is_named(app_built_wrong):
    assert routes_without_a_declaration(app_built_wrong) == ["forgotten"]


def test_an_unexpected_public_route_is_named(app_built_wrong):
    assert public_routes(app_built_wrong) - PUBLIC_ENDPOINTS == {"open_by_mistake"}


def test_a_route_with_an_unknown_role_is_named(app_built_wrong):
    assert routes_with_unknown_roles(app_built_wrong) == ["superuser_only (superuser)"]


def test_a_write_not_declared_as_one_is_named(app_built_wrong):
    assert writes_without_one_commit(app_built_wrong) == ["write_without_commit"]


@pytest.mark.parametrize("roles", [(), ("superuser",), ("auditor", "root"), "auditor"])
def test_a_route_may_not_declare_no_roles_unknown_ones_or_a_bare_string(roles):
    with pytest.raises(ValueError):
        check_roles(roles)


# ---- every read of case data is logged (tests/api/test_access_log_*.py show what is kept) -----


CASE_DATA_PATHS = (
    "/api/v1/contacts", "/api/v1/children", "/api/v1/strategy-meetings", "/api/v1/transitions",
    "/api/v1/decisions", "/api/v1/exports", "/api/v1/audit/access",
)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _logs_access(view):
    declaration = declaration_of(view)
    return declaration is not None and declaration.logs_access is not None


def case_data_reads_not_logged(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.rule.startswith(CASE_DATA_PATHS)
                   and not _logs_access(app.view_functions[rule.endpoint])})


def writes_declared_as_logged_reads(app):
    """The access log records GETs only: a write carrying the declaration would claim a log it
    does not get (writes are in the audit trail instead)."""
    return sorted({endpoint for endpoint, methods, view in declared_routes(app)
                   if methods & WRITE_METHODS and _logs_access(view)})


def test_the_app_has_case_data_reads_to_check(app):
    logged = {endpoint for endpoint, _methods, view in declared_routes(app) if _logs_access(view)}
    assert {"contacts.get_contact", "contacts.list_contacts", "decisions.list_decisions",
            "decisions.contact_history", "children.get_child", "children.child_chronology",
            "strategy_meetings.get_meeting", "strategy_meetings.list_meetings",
            "transitions.get_transition", "transitions.list_transitions",
            "access.list_access_events"} <= logged


def test_every_read_of_case_data_declares_that_it_logs_access(app):
    missing = case_data_reads_not_logged(app)
    assert not missing, f"case data reads without logs_access=...: {', '.join(missing)}"


def test_no_write_declares_that_it_logs_access(app):
    declared = writes_declared_as_logged_reads(app)
    assert not declared, f"writes declaring logs_access=...: {', '.join(declared)}"


@pytest.fixture
def app_logging_wrong():
    wrong = Flask("logging_wrong")

    def forgotten_read(child_id):
        return "not logged"

    declare(forgotten_read, Declaration(roles=("auditor",)))
    wrong.add_url_rule("/api/v1/children/<uuid:child_id>/forgotten", view_func=forgotten_read)

    def logged_read(contact_id):
        return "logged"

    declare(logged_read, Declaration(roles=("auditor",), logs_access="contact"))
    wrong.add_url_rule("/api/v1/contacts/<uuid:contact_id>", view_func=logged_read)

    def write_claiming_a_log(contact_id):
        return "a POST that runs as a read"

    declare(write_claiming_a_log, Declaration(roles=("practitioner",), logs_access="contact"))
    wrong.add_url_rule("/api/v1/contacts/<uuid:contact_id>/notes",
                       view_func=write_claiming_a_log, methods=["POST"])
    return wrong


def test_a_case_data_read_without_the_declaration_is_named(app_logging_wrong):
    assert case_data_reads_not_logged(app_logging_wrong) == ["forgotten_read"]


def test_a_write_with_the_declaration_is_named(app_logging_wrong):
    assert writes_declared_as_logged_reads(app_logging_wrong) == ["write_claiming_a_log"]
