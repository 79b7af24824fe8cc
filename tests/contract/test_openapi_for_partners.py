"""What partners' tooling needs of openapi.yaml beyond its paths and schemas: each operation named
for what it does (the function a generated client gives it), described, who to ask, where the API
is served, and nothing declared that nothing uses. Spectral checks the rest (`make lint-openapi`)."""

import json
import re
from collections import Counter
from pathlib import Path

from flask import Flask
from flask_smorest import Api, Blueprint

from api import create_app
from api.openapi import PUBLIC_DESCRIPTION, OperationIds, camel_case
from tests.helpers import FakeClock, app_config, operations, refs


CAMEL_CASE = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")


def is_camel_case(name):
    return CAMEL_CASE.fullmatch(name) is not None


# The operationIds partners' generated code calls: published, so never renamed (API.md: add,
# never rename). An operation added later needs no entry here to pass.
PUBLISHED = {
    ("get", "/api/v1/accounts"): "listAccounts",
    ("get", "/api/v1/accounts/{account_id}"): "getAccount",
    ("post", "/api/v1/accounts/{account_id}/disable"): "disableAccount",
    ("post", "/api/v1/accounts/{account_id}/enable"): "enableAccount",
    ("get", "/api/v1/agencies"): "listAgencies",
    ("get", "/api/v1/audit/access"): "listAccessEvents",
    ("get", "/api/v1/audit/checkpoint"): "getAuditCheckpoint",
    ("get", "/api/v1/audit/events"): "listAuditEvents",
    ("get", "/api/v1/audit/verify"): "verifyAuditChain",
    ("post", "/api/v1/audit/verify"): "verifyAuditChainAgainstCheckpoints",
    ("post", "/api/v1/auth/token"): "issueToken",
    ("get", "/api/v1/children/{child_id}"): "getChild",
    ("get", "/api/v1/children/{child_id}/chronology"): "getChildChronology",
    ("get", "/api/v1/contacts"): "listContacts",
    ("post", "/api/v1/contacts"): "createContact",
    ("get", "/api/v1/contacts/{contact_id}"): "getContact",
    ("post", "/api/v1/contacts/{contact_id}/consent"): "recordConsent",
    ("get", "/api/v1/contacts/{contact_id}/decisions"): "listContactDecisions",
    ("post", "/api/v1/contacts/{contact_id}/decisions"): "recordDecision",
    ("post", "/api/v1/contacts/{contact_id}/feedback"): "recordFeedback",
    ("get", "/api/v1/contacts/{contact_id}/history"): "getContactHistory",
    ("post", "/api/v1/decisions/{decision_id}/approval"): "approveDecision",
    ("get", "/api/v1/exports/annex-a/{list}"): "exportAnnexA",
    ("get", "/api/v1/exports/decisions"): "exportDecisions",
    ("get", "/api/v1/health"): "getHealth",
    ("get", "/api/v1/metrics/timeliness"): "getTimelinessMetrics",
    ("get", "/api/v1/strategy-meetings"): "listStrategyMeetings",
    ("post", "/api/v1/strategy-meetings"): "conveneStrategyMeeting",
    ("get", "/api/v1/strategy-meetings/{meeting_id}"): "getStrategyMeeting",
    ("post", "/api/v1/strategy-meetings/{meeting_id}/icpc"): "recordIcpc",
    ("post", "/api/v1/strategy-meetings/{meeting_id}/minutes"): "recordStrategyMeetingMinutes",
    ("post", "/api/v1/strategy-meetings/{meeting_id}/outcome"): "recordStrategyMeetingOutcome",
    ("get", "/api/v1/transitions"): "listTransitions",
    ("post", "/api/v1/transitions"): "requestTransition",
    ("get", "/api/v1/transitions/{transition_id}"): "getTransition",
    ("post", "/api/v1/transitions/{transition_id}/response"): "respondToTransition",
    ("post", "/api/v1/transitions/{transition_id}/withdrawal"): "withdrawTransition",
}


def test_every_operation_has_an_operation_id_of_its_own_in_camel_case(spec):
    ids = {(method, path): operation.get("operationId") for method, path, operation in operations(spec)}
    assert not [key for key, value in ids.items() if not value], "operations without an operationId"
    shared = sorted(name for name, count in Counter(ids.values()).items() if count > 1)
    assert not shared, f"operationIds given to more than one operation: {shared}"
    assert not sorted(name for name in ids.values() if not is_camel_case(name))


def test_published_operation_ids_are_never_renamed(spec):
    ids = {(method, path): operation.get("operationId") for method, path, operation in operations(spec)}
    assert {key: ids.get(key) for key in PUBLISHED} == PUBLISHED


def test_a_view_function_name_becomes_a_camel_case_operation_id():
    assert camel_case("create_contact") == "createContact"
    assert camel_case("export_annex_a") == "exportAnnexA"
    assert camel_case("health") == "health"


def _spec_of(register_routes):
    """The document flask-smorest makes with the plugin, for routes made by `register_routes(blp)`."""
    app = Flask("operation_ids")
    app.config.update(API_TITLE="Things", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    api = Api(app, spec_kwargs={"extra_plugins": [OperationIds()]})
    blp = Blueprint("things", __name__)
    register_routes(blp)
    api.register_blueprint(blp)
    return json.loads(json.dumps(api.spec.to_dict()))


def test_an_operation_id_declared_on_the_route_wins_over_the_function_name():
    def routes(blp):
        @blp.route("/things", methods=["POST"])
        @blp.doc(operationId="makeThing")
        def create_thing():
            """Make a thing."""

    [(_, _, operation)] = operations(_spec_of(routes))
    assert operation["operationId"] == "makeThing"


def test_a_view_serving_two_methods_or_two_paths_gets_an_operation_id_for_each():
    def routes(blp):
        @blp.route("/things/<int:thing_id>", methods=["GET", "HEAD"])
        def read_thing(thing_id):
            """Read a thing."""

        @blp.route("/things/<int:thing_id>/summary")
        @blp.route("/things/<int:thing_id>/brief")
        def summarise_thing(thing_id):
            """Summarise a thing."""

    ids = {(method, path): op["operationId"] for method, path, op in operations(_spec_of(routes))}
    assert ids[("get", "/things/{thing_id}")] == "readThing"
    assert ids[("head", "/things/{thing_id}")] == "readThingHead"
    summaries = [ids[("get", "/things/{thing_id}/summary")], ids[("get", "/things/{thing_id}/brief")]]
    assert len(set(summaries)) == 2 and all(name.startswith("summariseThing") for name in summaries)
    assert all(is_camel_case(name) for name in ids.values())


def test_every_operation_is_described_and_an_open_one_says_no_token_is_needed(spec):
    for method, path, operation in operations(spec):
        assert operation.get("description"), (method, path)
        assert operation.get("summary"), (method, path)
        if not operation.get("security"):
            assert operation["description"] == PUBLIC_DESCRIPTION, (method, path)


def test_the_document_names_who_to_ask_and_the_origin_as_its_server(spec):
    contact = spec["info"]["contact"]
    assert contact["name"] and "@" in contact["email"]
    # Every path already begins with /api/v1: a server naming it too would double it.
    assert spec["servers"] == [{"url": "/", "description": spec["servers"][0]["description"]}]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])


def test_a_council_names_its_own_contact_and_server(database_url):
    app = create_app(app_config(
        database_url, FakeClock(), API_CONTACT_NAME="Sandwell MASH digital team",
        API_CONTACT_EMAIL="mash-api@sandwell.example", API_SERVER_URL="https://mash.sandwell.example",
    ))
    try:
        document = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    finally:
        app.extensions["db"].engine.dispose()
    assert document["info"]["contact"] == {
        "name": "Sandwell MASH digital team", "email": "mash-api@sandwell.example",
    }
    assert document["servers"][0]["url"] == "https://mash.sandwell.example"


def test_every_component_is_used(spec):
    """flask-smorest declares its page-number pagination header's schema even when no route uses
    it (api/openapi.py stops it); this fails if a library update brings such a component back."""
    used = set()
    pending = list(refs({key: value for key, value in spec.items() if key != "components"}))
    while pending:
        ref = pending.pop()
        if ref in used:
            continue
        used.add(ref)
        kind, name = ref.removeprefix("#/components/").split("/", 1)
        pending.extend(refs(spec["components"][kind][name]))
    declared = {
        f"#/components/{kind}/{name}"
        for kind, entries in spec["components"].items()
        if kind != "securitySchemes"  # used by name in `security`, not by $ref
        for name in entries
    }
    assert sorted(declared - used) == []


def test_every_problem_type_the_api_answers_is_named_in_the_document_and_the_readme(spec):
    """A partner switches on a problem's `type`: each the code can answer is listed where they
    look, the Problem schema's description (openapi.yaml) and the README's error section."""
    root = Path(__file__).resolve().parents[2]
    answered = {slug for path in (root / "api").rglob("*.py")
                for slug in re.findall(r'\bslug\s*=\s*"([a-z-]+)"', path.read_text())}
    assert {"validation", "not-found", "use-a-job", "not-configured"} <= answered  # the scan works
    documented = spec["components"]["schemas"]["Problem"]["properties"]["type"]["description"]
    readme = (root / "README.md").read_text()
    assert {slug for slug in answered if not re.search(rf"\b{slug}\b", documented)} == set()
    assert {slug for slug in answered if f"`{slug}`" not in readme} == set()
