"""How fast is GET /api/v1/metrics/timeliness on a realistic amount of data, and at what memory?

    python -m bench.metrics --contacts 100000 --engine sqlite
    python -m bench.metrics --contacts 100000 --engine postgresql \
        --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench

The data is generated first, in a process of its own (bench.dataset), so that this process's
peak RSS is the app's: building it, then answering the metrics calls. Each figure is the median
of --runs calls after one warm-up: the endpoint for twelve months, ungrouped and grouped by
month (through the Flask test client, with a real auditor token), and two baselines, each one
hand-written SQL query for PI1 alone over the same contacts: the plain join of contacts and first
decisions, and the same figure read from decisions alone by their stored copy of the contact's
receipt (the fastest PI1 query this schema allows). Figures are printed, never asserted.
"""

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from datetime import date

from sqlalchemy import bindparam, event, text

from api.auth import mint_token
from api.config import PROJECT_ROOT
from api.db import UTCDateTime
from api.timescales import start_of_london_day

from .dataset import NOW, bench_app, count_contacts, generate, is_bench_database

# The twelve complete London months before NOW.
PERIOD = (date(2025, 11, 1), date(2026, 11, 1))

PI1_BASELINE = text("""
    SELECT COUNT(*) AS decided,
           SUM(CASE WHEN d.within_24_hours THEN 1 ELSE 0 END) AS within_24_hours
    FROM contacts c
    JOIN decisions d ON d.contact_id = c.id AND d.supersedes_id IS NULL
    WHERE c.received_at >= :start AND c.received_at < :end
""").bindparams(bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime))

# The same figure as fast as this schema allows: first decisions by their stored copy of the
# contact's receipt, one range of the partial covering index ix_decisions_first_by_receipt.
PI1_INDEXED = text("""
    SELECT COUNT(*) AS decided,
           SUM(CASE WHEN d.within_24_hours THEN 1 ELSE 0 END) AS within_24_hours
    FROM decisions d
    WHERE d.supersedes_id IS NULL AND d.contact_received_at >= :start AND d.contact_received_at < :end
""").bindparams(bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime))

# The information requests' scorecard totals, hand-written: the endpoint must agree.
REQUESTS_BASELINE = text("""
    SELECT COUNT(*) AS requested,
           SUM(CASE WHEN r.status = 'answered' THEN 1 ELSE 0 END) AS answered,
           SUM(CASE WHEN r.within_deadline THEN 1 ELSE 0 END) AS in_time
    FROM information_requests r
    WHERE r.requested_at >= :start AND r.requested_at < :end
""").bindparams(bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime))


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.metrics", description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="database URL (PostgreSQL: required, and wiped; default for SQLite: "
                             "instance/bench/mash-bench-<contacts>.db)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data already there when it holds --contacts contacts")
    parser.add_argument("--profile", action="store_true",
                        help="after the timings, list the endpoint's slowest statements and their "
                             "plans (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)")
    args = parser.parse_args(argv)
    if args.engine == "sqlite" and (not args.url or not args.url.startswith("sqlite")):
        path = PROJECT_ROOT / "instance" / "bench" / f"mash-bench-{args.contacts}.db"
        args.url = f"sqlite:///{path}"
    if args.engine == "postgresql" and (not args.url or not args.url.startswith("postgresql")):
        parser.error("--engine postgresql needs --url postgresql+psycopg://... (or BENCH_DATABASE_URL)")
    if not is_bench_database(args.url):
        parser.error(f"{args.url}: the data is generated afresh there, so its name must contain "
                     "'bench' (a guard against wiping another database)")
    return args


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _median_seconds(call, runs):
    call()  # warm-up: caches, compiled statements, pages in memory
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _Endpoint:
    def __init__(self, app, token, group_by=None):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.path = (f"/api/v1/metrics/timeliness?from={PERIOD[0].isoformat()}"
                     f"&to={PERIOD[1].isoformat()}" + (f"&group_by={group_by}" if group_by else ""))
        self.body = None

    def __call__(self):
        response = self.client.get(self.path, headers=self.headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {self.path} -> {response.status_code}: "
                             f"{response.get_data(as_text=True)[:1000]}")
        self.body = response.get_json()


class _Baseline:
    def __init__(self, engine, query=PI1_BASELINE):
        self.engine, self.query = engine, query
        self.params = {"start": start_of_london_day(PERIOD[0]), "end": start_of_london_day(PERIOD[1])}
        self.row = None

    def __call__(self):
        # A reader, as the endpoint is (SQLite: no write lock at BEGIN).
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
            self.row = connection.execute(self.query, self.params).one()


def _pi1_from(body):
    """decided_within_24_hours as the endpoint reports it, wherever the contacts section puts it."""
    contacts = body.get("contacts", body) if isinstance(body, dict) else {}
    ratio = contacts.get("decided_within_24_hours") if isinstance(contacts, dict) else None
    return (ratio.get("count"), ratio.get("of")) if isinstance(ratio, dict) else None


def _profile(app, endpoint, top=3):
    """One more call with every statement timed; the slowest, with their plans."""
    engine = app.extensions["db"].engine
    statements, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - started.pop(id(cursor)), statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        endpoint()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    total = sum(seconds for seconds, _, _ in statements)
    print(f"\n{endpoint.path}: {len(statements)} statements, {total:.3f} s in the database")
    ranked = sorted(statements, key=lambda s: s[0], reverse=True)
    for seconds, statement, _ in ranked:
        where = " ".join(statement[max(statement.find("FROM"), 0):].split())
        print(f"  {seconds:7.3f} s  {where[:150]}")
    explain = ("EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql"
               else "EXPLAIN QUERY PLAN ")
    for rank, (seconds, statement, parameters) in enumerate(ranked[:top], 1):
        print(f"\n--- #{rank}: {seconds:.3f} s\n{statement.strip()}\n--- plan")
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
            for row in connection.exec_driver_sql(explain + statement, parameters):
                print("  ", " | ".join(str(v) for v in row))


def main(argv=None):
    args = _arguments(argv)
    backend = args.url.split(":", 1)[0].split("+", 1)[0]
    print(f"bench.metrics: {args.contacts:,} contacts on {backend}, NOW {NOW.isoformat()}, "
          f"period {PERIOD[0]} to {PERIOD[1]} (to exclusive)", flush=True)

    if args.reuse and count_contacts(args.url) == args.contacts:
        print("reusing the data already in the database", flush=True)
    else:
        # In a process of its own: the generator's memory is not this process's peak RSS.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            loaded = pool.apply(generate, (args.url, args.contacts, args.seed))
        print(f"generated in {loaded['total_seconds']} s (rows written in {loaded['load_seconds']} "
              f"s, incl. migrations): " + ", ".join(f"{k} {v:,}" for k, v in loaded["rows"].items()),
              flush=True)

    app = bench_app(args.url)
    with app.app_context():
        token, _ = mint_token(app, "bench-auditor", "auditor")
    ungrouped, grouped = _Endpoint(app, token), _Endpoint(app, token, "month")
    baseline = _Baseline(app.extensions["db"].engine)
    indexed = _Baseline(app.extensions["db"].engine, PI1_INDEXED)
    rss_before = _rss_mb()
    load_before = os.getloadavg()[0]

    seconds_ungrouped = _median_seconds(ungrouped, args.runs)
    seconds_grouped = _median_seconds(grouped, args.runs)
    rss_after = _rss_mb()
    seconds_baseline = _median_seconds(baseline, args.runs)
    seconds_indexed = _median_seconds(indexed, args.runs)

    load_after = os.getloadavg()[0]
    decided, within = baseline.row
    reported = _pi1_from(ungrouped.body)
    agrees = "yes" if reported == (within, decided) == tuple(indexed.row)[::-1] else (
        f"NO (endpoint {reported}, indexed baseline {tuple(indexed.row)[::-1]})")
    print(f"\nPI1 baseline: {within:,} of {decided:,} decided within 24 hours; endpoint agrees: {agrees}")
    requests = _Baseline(app.extensions["db"].engine, REQUESTS_BASELINE)
    requests()
    scorecard = ungrouped.body.get("information_requests") or {}
    shown = (scorecard.get("requested"), scorecard.get("answered"),
             (scorecard.get("answered_in_time") or {}).get("count"))
    print(f"information requests: {requests.row[0]:,} asked in the period, {requests.row[1]:,} "
          f"answered, {requests.row[2]:,} in time, across {len(scorecard.get('by_agency', []))} "
          f"agencies; endpoint agrees: {'yes' if shown == tuple(requests.row) else f'NO ({shown})'}")
    print(f"peak RSS: {rss_before:.0f} MB with the app built, {rss_after:.0f} MB after the metrics "
          f"calls ({args.runs + 1} ungrouped, {args.runs + 1} grouped)")
    # The machine may be shared: a busy one slows every figure alike, not the ratio.
    print(f"load average (1 min): {load_before:.2f} before the timings, {load_after:.2f} after, "
          f"on {os.cpu_count()} CPUs\n")
    header = ("engine", "contacts", "ungrouped s", "grouped s", "baseline s",
              "ungrouped/baseline", "indexed baseline s", "ungrouped/indexed", "peak RSS MB")
    row = (backend, f"{args.contacts:,}", f"{seconds_ungrouped:.3f}", f"{seconds_grouped:.3f}",
           f"{seconds_baseline:.3f}", f"{seconds_ungrouped / seconds_baseline:.1f}",
           f"{seconds_indexed:.3f}", f"{seconds_ungrouped / seconds_indexed:.1f}",
           f"{rss_after:.0f}")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    print("| " + " | ".join(row) + " |", flush=True)

    if args.profile:
        _profile(app, ungrouped)
        _profile(app, grouped)
    app.extensions["db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
