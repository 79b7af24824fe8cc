"""Request metrics in the Prometheus format (prometheus-flask-exporter): every request counted and
timed by route (the rule, never the path: no record's id in a label), method and status, at
`GET /metrics` on each app server.

Under gunicorn, each worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (an empty
directory the server owns; deploy/gunicorn.conf.py clears it at start and marks dead workers), the
figures are the server's, summed over its workers (prometheus_client's multiprocess mode).
Without it (one process: development, tests), they are the process's own.

nginx does not pass /metrics on (deploy/nginx.conf.template): the scraper asks each app server
directly, on the network the servers share.
"""

import os

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics

from .declarations import Declaration, declare

EXTENSION = "request_metrics"


def _registry():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    return registry


def init_app(app):
    registry = _registry()
    # group_by url_rule: /api/v1/contacts/<uuid:contact_id>, never a contact's id.
    metrics = PrometheusMetrics(app, path=None, registry=registry, group_by="url_rule",
                                defaults_prefix="mash", default_labels={})
    app.extensions[EXTENSION] = metrics

    def request_metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    # Public (a scraper holds no token) and outside the rate limits; not in the OpenAPI document
    # (an operator's, not a partner's).
    app.add_url_rule("/metrics", "request_metrics",
                     declare(request_metrics, Declaration(public=True, rate_limited=False)))
    return metrics
