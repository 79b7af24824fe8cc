"""gunicorn's configuration for one app server behind nginx (deploy/nginx.conf.template).

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Settings from the environment: MASH_BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (workers,
default 2 per core plus one), GUNICORN_TIMEOUT (default 30 s).
"""

import multiprocessing
import os

bind = os.environ.get("MASH_BIND", "127.0.0.1:8000")
# Sync workers: nginx buffers whole requests and answers, so a worker is only ever busy with the
# app's own work, never with a slow client.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A request taking longer than this is killed and its worker replaced (its transaction rolls
# back: nothing half written). The database's own STATEMENT_TIMEOUT_MS (5 s) ends it well before.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy, a restart): stop accepting, finish the requests in hand, then exit.
graceful_timeout = 30
keepalive = 5  # nginx keeps connections open to the app servers (upstream keepalive)
# Each worker is replaced after this many requests (jittered so they do not all restart at once).
max_requests = 10_000
max_requests_jitter = 1_000
# Limits of the request line and headers (nginx's are stricter; these hold if it is bypassed).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# nginx on this host is the only client trusted for X-Forwarded-*; the app believes one hop
# (TRUSTED_PROXY_HOPS=1, ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log without personal data: no query string (a search may carry a name), no
# Referer, no user agent; the request id ties a line to the app's own log and to nginx's.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# No preload: each worker builds its own app (its own database pool and access-log sealer).
preload_app = False


# Request metrics (api/request_metrics.py): with PROMETHEUS_MULTIPROC_DIR set, each worker writes
# its figures there and GET /metrics sums them; a new server starts from an empty directory, and
# a worker that exits is marked dead so its gauges leave the sum.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.unlink(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
