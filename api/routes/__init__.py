"""One flask-smorest Blueprint per resource."""

import json
from functools import wraps

import flask_smorest
from flask import request
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from ..errors import PreconditionFailed


NUL_MESSAGE = "Must not contain the NUL character (U+0000)."
SURROGATE_MESSAGE = "Must be valid Unicode: a lone surrogate (\\ud800 to \\udfff) is not a character."


def _text_fault(text):
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # JSON's "\ud800" escape decodes to a string no database can store
        return SURROGATE_MESSAGE
    return None


def unstorable_text(value, name=""):
    """{"children[0].given_name": [...]} for each string (or key) in `value` that no database
    can store: a U+0000, or a lone surrogate."""
    found = {}
    if isinstance(value, str):
        fault = _text_fault(value)
        if fault:
            found[name or "body"] = [fault]
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{name}.{key}" if name else str(key)
            found.update(unstorable_text(key, path))
            found.update(unstorable_text(item, path))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found.update(unstorable_text(item, f"{name}[{index}]"))
    return found


class StrictParser(FlaskParser):
    # An unknown query parameter is most often a misspelt filter: say so rather than ignore it.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError as error:  # nested deeper than Python's parser follows
            # (webargs reads an empty `doc` as "no body", so name what was sent)
            raise json.JSONDecodeError("Nested too deeply to read.", "(deeply nested)", 0) from error

    def _load_location_data(self, *, schema, req, location):
        # PostgreSQL cannot store U+0000 in text (and SQLite would keep it as a silent
        # terminator), and neither engine can encode a lone surrogate: refuse them on every
        # engine, naming the field, before any schema runs.
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if hasattr(data, "lists"):  # query arguments: a name may repeat
            plain = {key: values[0] if len(values) == 1 else values for key, values in data.lists()}
        else:
            plain = data
        found = unstorable_text(plain)
        if found:
            raise ValidationError(found)
        return data


class Blueprint(flask_smorest.Blueprint):
    """Documents the answers a route gives without a decorator of its own saying so, since the
    OpenAPI document lists every status code an operation can answer (no catch-all `default`)."""

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule, *, parameters=None, tags=None, **options):
        register = super().route(rule, parameters=parameters, tags=tags, **options)
        responses = {"503": "SERVICE_UNAVAILABLE"}  # the database busy or unreachable: retry
        if "<" in rule:
            responses["404"] = "NOT_FOUND"  # no such record, or not one this caller may see

        def document(func):
            answers = dict(responses)
            if not getattr(func, "_rate_limit_exempt", False):  # api/limits.py
                answers["429"] = "TOO_MANY_REQUESTS"  # over the caller's rate limit: Retry-After
            return register(self.doc(responses=answers)(func))

        return document

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


def etag_of(record, schema):
    """The ETag GET returns for `record` (flask-smorest's, over the same representation)."""
    return Blueprint._generate_etag(schema().dump(record))


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
        access, accounts, agencies, audit, auth, children, contacts, decisions, exports, health,
        meetings, metrics, transitions,
    )

    for module in (
        auth, health, agencies, contacts, decisions, children, meetings, transitions, metrics, audit,
        access, exports, accounts,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
