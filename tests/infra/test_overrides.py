"""api/overrides.py: each place where the API relies on something a library does not promise,
checked against the installed library, so an upgrade that moves it fails here, by name."""

import http
import inspect
import threading

import flask_smorest
from flask import Flask
from flask_smorest import Api
from limits.storage import MemoryStorage
from webargs.flaskparser import FlaskParser

from api.overrides import StrictParser, SweptMemoryStorage, smorest_etag, storage_uri
from tests.helpers import ApiClient, token_for

AGENCIES = "/api/v1/agencies"


# ---- webargs ----------------------------------------------------------------------------------


def test_webargs_still_has_the_two_methods_the_strict_parser_extends():
    load_json = inspect.signature(FlaskParser._raw_load_json)
    load_location = inspect.signature(FlaskParser._load_location_data)

    assert list(load_json.parameters) == ["self", "req"]
    assert [(name, parameter.kind) for name, parameter in load_location.parameters.items()] == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("schema", inspect.Parameter.KEYWORD_ONLY),
        ("req", inspect.Parameter.KEYWORD_ONLY),
        ("location", inspect.Parameter.KEYWORD_ONLY),
    ]
    assert StrictParser._raw_load_json is not FlaskParser._raw_load_json
    assert StrictParser._load_location_data is not FlaskParser._load_location_data


def test_the_strict_parser_is_the_one_every_route_parses_with(app):
    from api.routes import Blueprint

    assert isinstance(Blueprint.ARGUMENTS_PARSER, StrictParser)


# ---- flask-smorest ----------------------------------------------------------------------------


def test_smorest_etag_is_the_etag_flask_smorest_sends_for_the_same_representation():
    tiny = Flask("etag")
    tiny.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(tiny)
    blp = flask_smorest.Blueprint("things", __name__)
    representation = {"id": "a1", "children": [{"given_name": "Amelia"}], "n": 2}

    @blp.route("/thing")
    @blp.etag
    @blp.response(200)
    def thing():
        return representation

    api.register_blueprint(blp)
    response = tiny.test_client().get("/thing")

    assert response.headers["ETag"] == f'"{smorest_etag(representation)}"'
    assert smorest_etag(representation) != smorest_etag({**representation, "n": 3})


def test_flask_smorest_still_registers_responses_and_the_pagination_header_where_we_replace_them():
    """api/openapi.py's FrontDoorApi replaces two of flask-smorest's private steps: the error
    responses (as problem+json) and the page-number pagination header (not used: lists page by
    cursor). If flask-smorest renames them, ours would silently stop being called."""
    from api.openapi import FrontDoorApi

    for name in ("_register_responses", "_register_pagination_header"):
        assert callable(getattr(Api, name, None)), f"flask-smorest no longer has Api.{name}"
        assert getattr(FrontDoorApi, name) is not getattr(Api, name)


def test_every_error_response_in_the_document_is_problem_json(anonymous):
    components = anonymous.get("/api/v1/openapi.json").json["components"]["responses"]
    statuses = {status.name: status for status in http.HTTPStatus}
    errors = [name for name in components
              if name == "DEFAULT_ERROR" or (name in statuses and statuses[name] >= 400)]

    assert "NOT_FOUND" in errors and "UNPROCESSABLE_ENTITY" in errors
    for name in errors:
        assert list(components[name]["content"]) == ["application/problem+json"], name


# ---- limits -----------------------------------------------------------------------------------


def test_limits_memory_storage_still_has_what_the_swept_storage_replaces():
    assert callable(getattr(MemoryStorage, "_MemoryStorage__schedule_expiry", None))
    assert callable(getattr(MemoryStorage, "_MemoryStorage__expire_events", None))
    storage = MemoryStorage()
    try:
        assert isinstance(storage.timer, threading.Timer)
        assert {"storage", "expirations"} <= set(vars(storage))
    finally:
        storage.timer.cancel()


def test_in_memory_counts_are_kept_without_a_thread_per_request(app, monkeypatch):
    """memory:// is kept by SweptMemoryStorage: counting starts no thread (limits' own storage
    starts a timer thread whenever its last one has ended, nearly every request under load)."""
    import limits.storage.memory

    (limiter,) = app.extensions["limiter"]
    storage = limiter.storage
    assert isinstance(storage, SweptMemoryStorage)
    storage.timer.join(5)  # the one limits starts on creation, cancelled

    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    # (Counted, not refused: the limiter swallows its storage's errors, RATELIMIT_SWALLOW_ERRORS.)
    monkeypatch.setattr(limits.storage.memory.threading, "Timer", CountedTimer)
    api_client = ApiClient(app, token_for(app, "agency", sub="no-thread-client"))
    assert [api_client.get(AGENCIES).status_code for _ in range(5)] == [200] * 5
    assert started == []


def test_in_memory_counts_past_their_window_are_swept_by_later_requests():
    storage = SweptMemoryStorage()
    storage.timer.join(5)
    storage.incr("gone-quiet", expiry=60)
    storage.incr("still-here", expiry=60)
    storage.expirations["gone-quiet"] = 0  # its window has ended
    storage._next_sweep = float("inf")  # no sweep due yet
    storage.incr("another", expiry=60)
    assert "gone-quiet" in storage.storage
    storage._next_sweep = 0  # a sweep is due
    storage.incr("another", expiry=60)
    assert "gone-quiet" not in storage.storage
    assert storage.get("still-here") == 1 and storage.get("another") == 2


def test_only_memory_storage_is_replaced():
    assert storage_uri("memory://") == "memory-swept://"
    assert storage_uri("redis://cache:6379/0") == "redis://cache:6379/0"
    assert storage_uri("memcached://cache:11211") == "memcached://cache:11211"


