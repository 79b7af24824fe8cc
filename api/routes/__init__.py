"""One flask-smorest Blueprint per resource."""

from functools import wraps

import flask_smorest
from flask import request, url_for

from .. import transactions
from ..auth import authorise, check_roles, documented
from ..db import session
from ..declarations import Declaration, declare
from ..errors import PreconditionFailed
from ..overrides import StrictParser, smorest_etag


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, whose `route` takes the route's declaration (api/declarations.py)
    and runs every request of it the same way: its transaction begun, its caller proven and
    their role checked, then the route, then (a write) its one commit. It also documents the
    answers a route gives without a decorator of its own saying so, since the OpenAPI document
    lists every status code an operation can answer (no catch-all `default`)."""

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule, *, roles=(), public=False, writes=False, logs_access=None,
              rate_limited=True, shown_once=(), parameters=None, tags=None, **options):
        """`roles`: who may call it (or `public=True`); `writes`: a write, committed once, with
        Idempotency-Key replay; `logs_access`: the kind of case record it reads, for the access
        log; `rate_limited=False`: outside the rate limits (the health check); `shown_once`: the
        fields of a write's answer never kept for its replay (a new secret)."""
        declaration = Declaration(roles=check_roles(roles) if roles else (), public=public,
                                  writes=writes, logs_access=logs_access,
                                  rate_limited=rate_limited, shown_once=tuple(shown_once))
        register = super().route(rule, parameters=parameters, tags=tags, **options)
        answers = {"503": "SERVICE_UNAVAILABLE"}  # the database busy or unreachable: retry
        if "<" in rule:
            answers["404"] = "NOT_FOUND"  # no such record, or not one this caller may see
        if rate_limited:
            answers["429"] = "TOO_MANY_REQUESTS"  # over the caller's rate limit: Retry-After
        documentation = {"responses": answers}
        for more in ((documented(declaration.roles) if not public else {}),
                     (transactions.KEY_DOCUMENTATION if writes else {})):
            for name, value in more.items():
                documentation[name] = ({**documentation[name], **value}
                                       if name == "responses" else value)

        def decorate(func):
            @wraps(func)
            def view(*args, **kwargs):
                transactions.begin(declaration.writes)
                if not declaration.public:
                    authorise(declaration.roles, session)
                if declaration.writes:
                    return transactions.run_write(func, *args, **kwargs)
                return func(*args, **kwargs)

            return register(declare(self.doc(**documentation)(view), declaration))

        return decorate

    def arguments(self, schema, *, location="json", **kwargs):
        # One schema instance per route, made here, rather than one per request (webargs makes a
        # new one for each request when given a class: the commonest cost of parsing a body).
        # Loading keeps no state on the instance.
        if isinstance(schema, type):
            schema = schema()
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse
        # A body that is not JSON at all (415), not well-formed JSON (400), or larger than
        # MAX_CONTENT_LENGTH (413), before any field is read.
        responses = {"400": "BAD_REQUEST", "413": "REQUEST_ENTITY_TOO_LARGE",
                     "415": "UNSUPPORTED_MEDIA_TYPE"}
        return lambda func: self.doc(responses=responses)(parse(func))


def located(record, endpoint, **values):
    """The answer of a write that created or changed `record`: the record, and a Location header
    naming where to read it (`endpoint`, a GET, with `values`)."""
    return record, {"Location": url_for(endpoint, **values)}


def locator(endpoint, id_argument):
    """located() for the records one GET route reads by id: `locator(...)(record)`."""
    return lambda record: located(record, endpoint, **{id_argument: record.id})


def etag_of(record, schema):
    """The ETag GET returns for `record` (flask-smorest's, over the same representation)."""
    return smorest_etag(schema().dump(record))


def honours_if_match(load, schema, name):
    """A state-changing call on a record honours If-Match: 412 unless the ETag sent is current.

    `load(**view_args)` reads the record as its GET does; without If-Match the call proceeds.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            if request.if_match and not request.if_match.contains(etag_of(load(**kwargs), schema)):
                raise PreconditionFailed(f"The {name} has changed since you read it; read it again.")
            return func(*args, **kwargs)

        return Blueprint.doc(
            parameters=[{
                "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
                "description": f"The {name}'s ETag as last read (GET); 412 if it has changed since.",
            }],
            responses={"412": "PRECONDITION_FAILED"},
        )(wrapper)

    return decorator


def register(api):
    from . import (
        access, accounts, agencies, assessments, audit, auth, children, contacts, decisions,
        exports, health, information_requests, jobs, meetings, metrics, restrictions, transitions,
        webhooks,
    )

    for module in (
        auth, health, agencies, contacts, decisions, children, meetings, transitions, metrics, audit,
        access, exports, accounts, restrictions, information_requests, jobs, assessments, webhooks,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
