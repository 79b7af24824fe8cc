"""Where one request's CPU goes: POST /api/v1/contacts and GET /api/v1/contacts/{id}, in-process.

    python -m bench.profile_requests --engine sqlite [--requests 300] [--statements]
        [--profile post|get|health|agencies] [--profiler cprofile|pyinstrument]
    python -m bench.profile_requests --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench_load
    PROFILE_SORT=cumulative PROFILE_LINES=80 python -m bench.profile_requests --profile post

The app is built as gunicorn builds it (wsgi's create_app, the same configuration as
bench/load.py's servers) on a fresh database from the migrations and `seed --reference-only`,
and the requests go through Flask's test client: no network, no load generator, one process.
Prints, per route, the CPU milliseconds per request (time.process_time), the SQL statements and
commits per request; then GET /health and GET /agencies (with a token) for scale. With
--profile, a cProfile report of that route (own time, and summed by package) or, with
--profiler pyinstrument, a call tree (pyinstrument is not a project dependency: pip install it).
The database is wiped first (PostgreSQL: its name must contain bench or load).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import uuid

from bench.load import API, SPEED_AGENCY, Site, app_config, contact_body, reset_database, _default_url


def _counting(engine):
    from sqlalchemy import event

    counts = {"statements": 0, "commits": 0, "log": None}

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, *_args):
        counts["statements"] += 1
        if counts["log"] is not None:
            counts["log"].append(" ".join(statement.split())[:150])

    @event.listens_for(engine, "commit")
    def _commit(*_args):
        counts["commits"] += 1

    return counts


def _by_package(stats):
    """Own time (tottime) summed by top-level package, as shares of the whole."""
    totals = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        path = filename.replace("\\", "/")
        if "site-packages/" in path:
            package = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/work/" in path or path.startswith(("api/", "schemas/")):
            package = "project: " + "/".join(path.split("/")[-2:])
        elif path.startswith("~") or "<" in path:
            package = "builtins"
        else:
            package = "stdlib: " + path.rsplit("/", 1)[-1]
        totals[package] = totals.get(package, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    rows = sorted(totals.items(), key=lambda item: -item[1])[:30]
    return "\n".join(f"  {share / whole:6.1%}  {name}" for name, share in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", choices=("post", "get", "health", "agencies"))
    parser.add_argument("--statements", action="store_true",
                        help="print the statements of one request of each route")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    args = parser.parse_args(argv)
    url = args.url or _default_url(args.engine)
    reset_database(url)
    site = Site(url, partners=0, practitioners=0, speed_clients=1)
    token = site.tokens[site.names("load-speed-")[0]]

    from api import create_app

    config = app_config(url, site.private_key, site.public_key)
    # As bench/load.py's servers: the limiter on (its cost is part of every request), far above.
    config.RATELIMIT_DEFAULT = config.RATELIMIT_WRITE = "1000000 per minute"
    app = create_app(config)
    counts = _counting(app.extensions["db"].engine)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    run = uuid.uuid4().hex[:6]

    def post(n):
        response = client.post(f"{API}/contacts", json=contact_body(SPEED_AGENCY, f"P-{run}-{n}"),
                               headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["id"]

    def get(contact_id):
        response = client.get(f"{API}/contacts/{contact_id}", headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)

    for n in range(20):  # warm up: imports, caches, connections
        get(post(-n - 1))

    if args.statements:
        for label, call in (("POST", lambda: post(0)), ("GET", lambda: get(post(1)))):
            counts["log"] = []
            call()
            print(f"{label}:", *counts["log"], sep="\n  ")
            counts["log"] = None

    def timed(label, call, arguments):
        counts.update(statements=0, commits=0)
        profiler = None
        if args.profile == label.split()[0].lower().rstrip(":"):
            if args.profiler == "pyinstrument":
                from pyinstrument import Profiler
                profiler = Profiler(interval=0.0005)
            else:
                profiler = cProfile.Profile()
            profiler.start() if args.profiler == "pyinstrument" else profiler.enable()
        started = time.process_time()
        wall = time.perf_counter()
        results = [call(argument) for argument in arguments]
        cpu = time.process_time() - started
        wall = time.perf_counter() - wall
        if profiler is not None:
            if args.profiler == "pyinstrument":
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False, timeline=False))
            else:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(int(os.environ.get("PROFILE_LINES", "40")))
                print(out.getvalue())
                print(_by_package(stats))
        n = len(arguments)
        print(f"{label:28} {1000 * cpu / n:7.2f} ms CPU/request  {1000 * wall / n:7.2f} ms wall  "
              f"{counts['statements'] / n:5.1f} statements  {counts['commits'] / n:4.1f} commits")
        return results

    ids = timed("POST /contacts", post, range(args.requests))
    timed("GET /contacts/{id}", get, ids)

    def plain(path, headers):
        def call(_n):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
        return call

    # For scale: what the stack costs with little or no work behind it.
    timed("HEALTH: GET /health (no token)", plain(f"{API}/health", {}), range(args.requests))
    timed("AGENCIES: GET /agencies (token)", plain(f"{API}/agencies", auth), range(args.requests))
    app.extensions["db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
