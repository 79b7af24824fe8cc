"""The HTTP edge, before any route: who the client is behind trusted proxies, and what a request
body must be (JSON, within MAX_CONTENT_LENGTH) before anything reads it."""

import io

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import problem_response

JSON_TYPES = ("application/json",)


def _is_chunked():
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _bound_chunked_body():
    """413 for a chunked body (no Content-Length) over MAX_CONTENT_LENGTH.

    Werkzeug stops reading such a body at the limit and hands on what it read as if the body
    ended there, so an over-long contact would arrive as truncated JSON (a 400). Read one byte
    past the limit here instead; the body read (at most the limit) is handed on as the stream.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    environ = request.environ
    if limit is None or not _is_chunked() or not environ.get("wsgi.input_terminated"):
        return
    body = bytearray()
    while len(body) <= limit:
        piece = environ["wsgi.input"].read(limit + 1 - len(body))
        if not piece:
            break
        body.extend(piece)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(body))


def _require_json_body():
    """415 for a body that is not JSON (an empty body is allowed: some POSTs take none)."""
    # A chunked body has no Content-Length, and is a body all the same.
    if request.method in ("POST", "PUT", "PATCH") and (request.content_length or _is_chunked()):
        mimetype = request.mimetype or ""
        if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
            return problem_response(
                415, "Send the body as application/json.", title="Unsupported Media Type"
            )
    return None


def _trust_proxies(app):
    """Behind TRUSTED_PROXY_HOPS reverse proxies, the client's address (and scheme, host) is the
    one the nearest proxies appended to X-Forwarded-*; entries further left, which the client
    could have written itself, are not believed."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops < 0:
        raise ValueError(f"TRUSTED_PROXY_HOPS must be 0 or more, not {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_app(app):
    app.before_request(_bound_chunked_body)
    app.before_request(_require_json_body)
    _trust_proxies(app)
