"""Structured logs: one JSON object a line, each request's lines sharing its request id.

No personal data is ever logged: a request's line names its route template (`/contacts/<uuid:
contact_id>`), never its path or query string, and no body is logged. An exception is written as
its type and stack, never its message: messages quote values (PostgreSQL's `Key (...)=(...)`, a
careless `ValueError(f"... {name}")`). Database errors are logged by class and constraint only
(api/errors.py).
"""

import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's own id is kept when it looks like one (a UUID, a trace id); anything else (too long,
# spaces, markup, personal data pasted in) is replaced by one of ours.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# What a request's summary line carries beyond the message.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "actor_sub", "actor_role")
# What any line may carry beyond them: `event`, the name alerting matches an event's line on
# (`restriction.glass_broken`), given as `extra={"event": ...}`.
LINE_FIELDS = (*REQUEST_FIELDS, "event")

request_log = logging.getLogger("api.requests")


def current_request_id():
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        for name in LINE_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)

    def formatException(self, exc_info):
        """The stack and the type of each exception in the chain, without their messages."""
        parts = []
        error = exc_info[1]
        while error is not None and len(parts) < 5:
            kind = type(error)
            frames = "".join(traceback.format_tb(error.__traceback__))
            parts.append(f"{frames}{kind.__module__}.{kind.__qualname__} (message withheld)")
            error = error.__cause__ or error.__context__
        return "\n-- caused by --\n".join(parts)


def configure_logging(level):
    """The root logger writes JSON lines to stderr (gunicorn and containers collect it). Once per
    process, however many apps are built."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    # Their per-request lines carry the query string (werkzeug's development server) or the
    # caller's address (Flask-Limiter on a breach); ours say the same without either.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)


def _start_request():
    # Each request starts with an empty `g` (its caller, its actor, what it read), even where an
    # app context outlives one request (tests, CLI): nothing of the last request's is taken for
    # this one's.
    g.__dict__.clear()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
    g.request_started = time.perf_counter()


def _finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.request_id
    actor = g.get("actor")
    request_log.info(
        "%s %s %s",
        request.method,
        request.url_rule.rule if request.url_rule else "(no route)",
        response.status_code,
        extra={
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            "actor_sub": actor.sub if actor else None,
            "actor_role": actor.role if actor else None,
        },
    )
    return response


def init_app(app):
    """Registered before every other hook: the id exists before anything can log or refuse, and
    the summary line (after_request hooks run in reverse) is written last, with the final status."""
    configure_logging(app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
