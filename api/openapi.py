"""The OpenAPI document as partners consume it: flask-smorest's Api and what the document says
about the API as a whole."""

import http

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
    "is a 503 with `Retry-After`."
)


def spec_kwargs_for(config):
    """What the document says about the API as a whole."""
    return {"info": {"description": DESCRIPTION}}


class FrontDoorApi(Api):
    """flask-smorest's Api, documenting every error as problem+json."""

    ERROR_SCHEMA = ProblemSchema
    # Each operation lists the codes it can answer (api/routes, api/auth, api/idempotency): a
    # catch-all `default` would let any status pass as documented.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs={**spec_kwargs_for(app.config), **(spec_kwargs or {})})

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
