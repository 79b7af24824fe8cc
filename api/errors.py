"""The only code that builds an error body: RFC 9457 application/problem+json."""

import logging
from http import HTTPStatus

from flask import json, make_response
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .logs import current_request_id

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are tag URIs: stable identifiers a client can switch on (RFC 9457 section 3.1.1).
PROBLEM_TYPE_BASE = "tag:mash-front-door,2026:problems/"
# Every 401 carries a challenge (RFC 9110 section 15.5.2).
BEARER_CHALLENGE = 'Bearer realm="mash"'


def problem_type(slug):
    return PROBLEM_TYPE_BASE + slug


def problem_response(status, detail=None, *, errors=None, slug=None, title=None, headers=None,
                     members=None):
    """`members`: extension members of this problem type (RFC 9457 section 3.2), e.g. a merged
    child's `merged_into`."""
    status = int(status)
    body = {
        "type": problem_type(slug) if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if errors:
        body["errors"] = errors
    for name, value in (members or {}).items():
        body.setdefault(name, value)
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id  # to quote to the operators; the same id is in the logs
    response = make_response(json.dumps(body), status)
    response.content_type = PROBLEM_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class DomainError(Exception):
    """A rule of the domain refused the request. Raised by api/domain, rendered here."""

    status = 422
    slug = "rule-violation"
    title = "A rule of the front door was not met"
    members = None

    def __init__(self, detail, errors=None, headers=None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class RuleViolation(DomainError):
    def __init__(self, field, message, detail=None):
        super().__init__(detail or f"{field}: {message}", {field: [message]})


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "The request conflicts with the record's current state"


class ConcurrentChange(Conflict):
    """A concurrent write won a race this request's own checks could not see coming. Nothing
    was written; a retry is safe."""

    slug = "concurrent-change"
    title = "Concurrent change"
    DETAIL = "The request conflicts with a concurrent change. Nothing was recorded; retry it."

    def __init__(self):
        super().__init__(self.DETAIL)


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class MergedAway(NotFound):
    """A child record merged into another: 404, naming the record it now is (`merged_into`, and
    the `Location` to read it at)."""

    def __init__(self, child_id, merged_into, location):
        super().__init__(
            f"Child {child_id} was merged into child {merged_into}: read that record instead.",
            headers={"Location": location},
        )
        self.members = {"merged_into": str(merged_into)}


class UseAJob(DomainError):
    """Work too long for a request (the server's timeout would cut it short): 422, naming the
    job endpoint that does it (`job`: its path, POSTed with `job_body`)."""

    slug = "use-a-job"
    title = "Too much for one request: start a job"

    def __init__(self, detail, job_path, job_body):
        super().__init__(detail)
        self.members = {"job": job_path, "job_body": job_body}


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Your role may not do this"


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail, errors=None, headers=None):
        super().__init__(detail, errors, {"WWW-Authenticate": BEARER_CHALLENGE, **(headers or {})})


class NotConfigured(DomainError):
    """Something this server has not been set up for (a key the operators must give): 503, for
    the operators to fix, not the client; nothing was written."""

    status = 503
    slug = "not-configured"
    title = "Not set up on this server"


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"
    title = "The record has changed since you read it"


def rate_limited(limit, retry_after):
    """429 for a caller over one of its rate limits (api/limits.py); `limit` as "300 per 1 minute"."""
    return problem_response(
        429,
        f"Too many requests: at most {limit} for this caller. The request changed nothing; "
        f"retry after {retry_after} seconds.",
        slug="rate-limited",
        title="Too many requests",
        headers={"Retry-After": str(retry_after)},
    )


def flatten_messages(messages, prefix=""):
    """webargs/marshmallow's nested messages -> {"children[0].nhs_number": ["..."]}."""
    flat = {}
    if isinstance(messages, (list, tuple)):
        flat.setdefault(prefix or "body", []).extend(str(m) for m in messages)
        return flat
    for key, value in messages.items():
        if key == "_schema":
            name = prefix or "body"
        elif isinstance(key, int):
            name = f"{prefix}[{key}]"
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            for sub_name, sub_messages in flatten_messages(value, name).items():
                flat.setdefault(sub_name, []).extend(sub_messages)
        else:
            flat.setdefault(name, []).extend(
                str(m) for m in (value if isinstance(value, (list, tuple)) else [value])
            )
    return flat


def _http_exception(error):
    if error.code == 429 and error.response is not None:
        return error.response  # built by rate_limited() above, with its Retry-After
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if error.code == 422 and messages is not None:
        errors = {}
        for location_messages in messages.values():  # {"json": {...}, "query": {...}}
            for name, msgs in flatten_messages(location_messages).items():
                errors.setdefault(name, []).extend(msgs)
        names = ", ".join(sorted(errors))
        return problem_response(
            422,
            f"The request is not valid: {names}.",
            errors=errors,
            slug="validation",
            title="The request is not valid",
            headers=data.get("headers"),
        )
    if error.code == 400 and messages is not None:
        # A body the parser could not read (api/overrides.py, StrictParser); some reasons say more.
        detail = (getattr(getattr(error, "exc", None), "problem_detail", None)
                  or "The request body is not valid JSON.")
        return problem_response(400, detail, slug="malformed-json", title="Bad Request")
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem_response(error.code or 500, error.description, headers=headers)


def _domain_error(error):
    return problem_response(
        error.status,
        error.detail,
        errors=error.errors,
        slug=error.slug,
        title=error.title,
        headers=error.headers,
        members=error.members,
    )


def _database_error_name(error):
    """What to log of a database error: its class and constraint, never its message (PostgreSQL
    quotes the offending values, e.g. `Key (nhs_number)=(...)`, and the statement's parameters
    are personal data)."""
    orig = getattr(error, "orig", None)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    name = type(orig or error).__name__
    return f"{name} on {constraint}" if constraint else name


def _integrity_error(error):
    # The checks in api/domain should have caught a client's mistake first; what reaches here
    # is a concurrent write that won a uniqueness race. Nothing was written; a retry is safe.
    log.warning("integrity error turned into 409: %s", _database_error_name(error))
    return problem_response(
        ConcurrentChange.status,
        ConcurrentChange.DETAIL,
        slug=ConcurrentChange.slug,
        title=ConcurrentChange.title,
    )


def _operational_error(error):
    if isinstance(getattr(error, "orig", None), QueryCanceled):
        return _statement_timeout(error)
    log.error("database unavailable: %s", _database_error_name(error))
    return problem_response(
        503,
        "The records database is busy or unavailable. Nothing was recorded; retry shortly.",
        headers={"Retry-After": "5"},
    )


def _statement_timeout(error):
    # PostgreSQL cancelled a statement that ran past STATEMENT_TIMEOUT_MS: the worker is free
    # again and the transaction is rolled back.
    log.error("statement timeout: %s", _database_error_name(error))
    return problem_response(
        503,
        "The request took longer than the records database allows. Nothing was recorded; retry "
        "later, or ask for less at a time (a shorter period, a smaller page).",
        slug="statement-timeout",
        title="Service Unavailable",
        headers={"Retry-After": "30"},
    )


def _unexpected(error):
    log.exception("unexpected error", exc_info=error)
    return problem_response(500, "An unexpected error occurred. It has been logged.")


def register(app):
    """Installed after flask-smorest's own handler, so ours wins for HTTPException."""
    from .db import session

    def rolled_back(handler):
        def handle(error):
            session.rollback()  # a failed request changes nothing
            return handler(error)

        return handle

    app.register_error_handler(HTTPException, rolled_back(_http_exception))
    app.register_error_handler(DomainError, rolled_back(_domain_error))
    app.register_error_handler(IntegrityError, rolled_back(_integrity_error))
    app.register_error_handler(StaleDataError, rolled_back(_integrity_error))
    app.register_error_handler(OperationalError, rolled_back(_operational_error))
    app.register_error_handler(Exception, rolled_back(_unexpected))
