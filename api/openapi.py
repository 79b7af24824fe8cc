"""The OpenAPI document as partners consume it: flask-smorest's Api, what the document says about
the API as a whole (info, contact, servers), and the operationIds clients are generated from."""

import http

from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .errors import PROBLEM_CONTENT_TYPE
from schemas.common import ProblemSchema

DESCRIPTION = (
    "Records MASH contacts, threshold decisions, strategy meetings and "
    "step-up/step-down transitions for a children's services front door. Every error "
    "is application/problem+json (RFC 9457). Timestamps need an offset; they are "
    "stored and returned in UTC, and judged in Europe/London. Every read of case data, "
    "refused ones included, is recorded in the access log (GET /audit/access). "
    "Every response carries an `X-Request-ID` (yours, if you sent a valid one). "
    "Requests are rate limited per caller (each API client, each person; without a "
    "token, per address): over a limit the answer is 429 with `Retry-After` in "
    "seconds, and the request changed nothing (a refused read of case data is still in "
    "the access log). A request the database cannot answer in time "
    "is a 503 with `Retry-After`. No response may be cached: each carries "
    "`Cache-Control: no-store`. Repeated failed sign-ins for one name make it wait (429 with "
    "`Retry-After` from POST /auth/token). What a request may hold is in its schema: no string "
    "anywhere may hold U+0000 (each string's `pattern` says so), text may not be blank (white "
    "space only, a non-breaking space included, counts as blank: its `pattern` needs something "
    "else), dates and timestamps are in the years 1900 to 2999 (`pattern`), and a rule between "
    "two fields (`to` after `from`, one of two fields) is in their descriptions."
)

# An operation's id is its endpoint's name (flask-smorest names the endpoint after the view
# function) in camelCase: create_contact -> createContact. Here, by endpoint, the operations whose
# function name does not say what they do to a partner reading a generated client, or would not
# stay unique as the API grows. `@blp.doc(operationId=...)` on a route wins over both.
OPERATION_IDS = {
    "health.health": "getHealth",
    "health.ready": "getReadiness",
    "metrics.timeliness": "getTimelinessMetrics",
    "children.child_chronology": "getChildChronology",
    "decisions.contact_history": "getContactHistory",
    # A contact's decisions; GET /decisions (the managers' inbox) will be listDecisions.
    "decisions.list_decisions": "listContactDecisions",
    "audit.sign_audit_checkpoint": "getAuditCheckpoint",
    "accounts.rotate_secret": "rotateClientSecret",
    "auth.get_current_caller": "getCurrentCaller",
    "webhooks.list_webhook_deliveries": "listWebhookDeliveries",
    # "meeting" alone is ambiguous beside other meetings (ICPCs); "outcome" beside a contact's.
    "strategy_meetings.convene_meeting": "conveneStrategyMeeting",
    "strategy_meetings.list_meetings": "listStrategyMeetings",
    "strategy_meetings.get_meeting": "getStrategyMeeting",
    "strategy_meetings.record_outcome": "recordStrategyMeetingOutcome",
    "strategy_meetings.record_minutes": "recordStrategyMeetingMinutes",
}

PUBLIC_DESCRIPTION = "No bearer token needed."


def camel_case(name):
    """create_contact -> createContact; export_annex_a -> exportAnnexA."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class OperationIds(BasePlugin):
    """Gives each operation an operationId named for what it does, and a description.

    flask-smorest adds each endpoint to the spec with `spec.path(rule=<werkzeug Rule>,
    operations={method: operation})`, and apispec hands that `rule` on to every plugin's
    operation_helper after flask-smorest's own FlaskPlugin has turned it into the path.
    """

    def operation_helper(self, path=None, operations=None, *, rule=None, **kwargs):
        if rule is None:  # a path added by hand, not from a route: it names its own operations
            return
        base = OPERATION_IDS.get(rule.endpoint) or camel_case(rule.endpoint.rpartition(".")[2])
        # One view serving several methods (GET and HEAD, say): GET keeps the name, the others
        # are told apart by their method (getThingHead).
        primary = "get" if "get" in operations else next(iter(operations), None)
        for method, operation in operations.items():
            operation.setdefault(
                "operationId", base if method == primary else base + method.capitalize()
            )
            if not operation.get("description"):
                # Each route's permission declaration says who may call it ("Roles: ..."); an
                # open route's says nothing, so say it here, or fall back on the summary.
                operation["description"] = (
                    operation.get("summary", "") if operation.get("security") else PUBLIC_DESCRIPTION
                )


def spec_kwargs_for(config):
    """What the document says about the API as a whole; contact and server are each council's."""
    return {
        "info": {
            "description": DESCRIPTION,
            "contact": {
                "name": config["API_CONTACT_NAME"],
                "email": config["API_CONTACT_EMAIL"],
            },
        },
        # Every path begins with /api/v1, so the server is the origin alone; the default "/" is
        # the host serving the document (GET /api/v1/openapi.json).
        "servers": [{
            "url": config["API_SERVER_URL"],
            "description": "This council's MASH front door (every path begins with /api/v1)",
        }],
        "extra_plugins": [OperationIds()],
    }


class FrontDoorApi(Api):
    """flask-smorest's Api, documenting every error as problem+json. Its two replaced private
    steps are checked against the installed flask-smorest (tests/infra/test_overrides.py)."""

    ERROR_SCHEMA = ProblemSchema
    # Each operation lists the codes it can answer (api/routes, api/auth, api/transactions): a
    # catch-all `default` would let any status pass as documented.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs={**spec_kwargs_for(app.config), **(spec_kwargs or {})})
        # Every route but the open ones names it (api/auth.py, documented).
        self.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        # Lists page by cursor (`next_cursor` in the body), never by flask-smorest's page-number
        # X-Pagination header. Registering that header, even lazily, puts its schema
        # (PaginationMetadata) among the components, where no operation refers to it.
        pass

