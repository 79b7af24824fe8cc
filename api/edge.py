"""The HTTP edge, before any route: who the client is behind trusted proxies, and what a request
body must be (JSON, within MAX_CONTENT_LENGTH) before anything reads it; and after every route,
the headers that tell browsers and caches how to treat what we send."""

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


TOKEN_ENDPOINT = "auth.issue_token"


def _security_headers(response):
    """On every response, errors and streamed exports included.

    A few lines here rather than Flask-Talisman: Talisman's defaults are a web site's (a redirect
    to HTTPS, which the TLS-terminating proxy does, HSTS and a Content-Security-Policy for pages)
    and it sets no Cache-Control, the header that matters most for an API serving case data and
    tokens. The practitioners' console's pages bring their own Content-Security-Policy and
    caching (api/console.py); every header here is set only when the response has none of its
    own, so those stand.

    - Cache-Control: no-store: no browser, proxy or disk cache keeps a child's record, an audit
      page or a token (RFC 6749 5.1, with Pragma: no-cache on the token response as it asks).
    - X-Content-Type-Options: nosniff: a browser takes a JSON or CSV body as what it says it is,
      never as a script or a page.
    - Referrer-Policy: no-referrer: a link followed from a page of this origin does not carry
      its URL (ids, search terms) to another site.
    """
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint == TOKEN_ENDPOINT:
        headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app):
    app.before_request(_bound_chunked_body)
    app.before_request(_require_json_body)
    app.after_request(_security_headers)
    _trust_proxies(app)
