"""Where a served request's time goes, by layer: py-spy on the gunicorn workers under load.

    python -m bench.spy_load --engine sqlite
    python -m bench.spy_load --engine postgresql --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench_load

The app and the bare baseline are served as bench/load.py serves them (gunicorn, 2 sync workers,
8 closed-loop clients). For each of POST /contacts and GET /contacts/{id}, py-spy samples both
app workers for `--seconds` while the clients run, and each sample is put in the innermost layer
its stack is in: the route's own work, the Idempotency-Key's claim and the write's commit, the
access event, the token and account check, the rate limiter, body parsing, response building,
the rest of Flask, and gunicorn. From the share left when the route's own work is taken out, it
estimates the most the app could serve if that work cost nothing, and sets it beside the bare
endpoints' rate (measured just before and just after the app's, as the machine's speed drifts):
what the stack around a route costs before the route does anything.

py-spy is not a project dependency (pip install py-spy); it needs ptrace (root, or
kernel.yama.ptrace_scope=0). Samples are of running threads (not --idle), so time spent waiting
for a lock in a system call may or may not count, as py-spy sees it. The database is wiped first
(PostgreSQL: its name must contain bench or load).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path

from bench.load import (API, REF_PREFIX, ROOT, Gunicorn, Site, SpeedBody, _default_url, measure,
                        reset_database, summarise)

# (layer, a frame that puts a sample in it, or a (caller, callee) pair of frames). A sample goes
# to the layer of its innermost match; one with none is gunicorn's (outside the Flask app).
LAYERS = (
    ("flask: the rest (routing, hooks, request log, teardown)", "Flask.wsgi_app (flask/app.py"),
    ("rate limiter", "Limiter._check_request_limit ("),
    ("token and account check", "read_token (api/caller.py"),
    ("token and account check", "authorise (api/auth.py"),
    ("the request's transaction begun", "begin (api/transactions.py"),
    ("Idempotency-Key: fingerprint, completion", "run_write (api/transactions.py"),
    ("Idempotency-Key: the claim", "_claim (api/transactions.py"),
    ("the write's commit", ("run_write (api/transactions.py", "scoped_session.commit (sqlalchemy")),
    ("response: serialise, ETag", "ResponseMixin.response.<locals>.decorator.<locals>.wrapper"),
    ("request body: parse, validate", "Parser.parse (webargs"),
    ("the route's own work", "create_contact (api/routes/contacts.py"),
    ("the route's own work", "get_contact (api/routes/contacts.py"),
    ("access event (written and committed)", "record_access (api/access.py"),
)
SERVER = "gunicorn: accept, parse, write, close"
OWN_WORK = "the route's own work"


def _matches(marker, frames, index):
    if isinstance(marker, tuple):
        caller, callee = marker
        return (index > 0 and caller in frames[index - 1]) and callee in frames[index]
    return marker in frames[index]


def layer_of(frames):
    found, depth = SERVER, -1
    for layer, marker in LAYERS:
        for index in range(len(frames)):
            if index > depth and _matches(marker, frames, index):
                found, depth = layer, index
                break
    return found


def layers(raw_files):
    """Share of samples per layer, over py-spy's raw (collapsed-stack) output files."""
    counts = Counter()
    for path in raw_files:
        for line in Path(path).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                counts[layer_of(stack.split(";"))] += int(count)
    total = sum(counts.values()) or 1
    return {layer: n / total for layer, n in counts.most_common()}, total


def spy(py_spy, pids, seconds, out_dir, label):
    return [
        subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
             "--format", "raw", "--nonblocking", "-o", str(out_dir / f"{label}-{pid}.raw")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in pids
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="database URL (PostgreSQL: its name must contain bench or load)")
    parser.add_argument("--seconds", type=float, default=15, help="each endpoint's load")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    url = args.url or _default_url(args.engine)
    reset_database(url)
    site = Site(url, partners=0, practitioners=0, speed_clients=args.concurrency)
    own = [site.tokens[name] for name in site.names("load-speed-")]
    tokens = [own[n % len(own)] for n in range(args.concurrency)]
    run_id = uuid.uuid4().hex[:6]
    log_dir = ROOT / "instance" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    out_dir = Path(tempfile.mkdtemp(prefix="spy-load-"))
    from bench.bare import create_table

    create_table(url)
    sampled = max(1, int(args.seconds) - 4)  # the middle of the load: not its start or end
    rows = {}
    with Gunicorn("wsgi:app", site.server_env({}), 2, log_dir) as app, \
            Gunicorn("bench.bare:app", {"DATABASE_URL": url}, 2, log_dir) as bare:

        def spied(label, *measurement):
            timer = threading.Timer(2.5, lambda: spy(py_spy, app.worker_pids(), sampled,
                                                     out_dir, label))
            timer.start()
            row = summarise(label, [measure(app, *measurement)])
            timer.join()
            row["layers"], row["samples"] = layers(sorted(out_dir.glob(f"{label}-*.raw")))
            return row

        def bare_post(n):
            return measure(bare, "POST", ["/bare"], tokens,
                           lambda k: SpeedBody("bare", f"spy-{n}-{k}"), args.concurrency,
                           args.seconds)

        # The baseline before and after the app's phase: the machine's speed drifts.
        before = bare_post(0)
        rows["POST /contacts"] = spied(
            "post", "POST", [f"{API}/contacts"], tokens,
            lambda n: SpeedBody("contact", f"{REF_PREFIX}spy-{run_id}-{n}"), args.concurrency,
            args.seconds)
        baselines = [summarise("bare post", [before, bare_post(1)])]
        bare_ids = baselines[0]["ids"] or ["missing"]
        ids = rows["POST /contacts"]["ids"] or ["00000000-0000-0000-0000-000000000000"]

        def bare_get():
            return measure(bare, "GET", [f"/bare/{i}" for i in bare_ids], tokens, None,
                           args.concurrency, args.seconds)

        before = bare_get()
        rows["GET /contacts/{id}"] = spied(
            "get", "GET", [f"{API}/contacts/{i}" for i in ids], tokens, None, args.concurrency,
            args.seconds)
        baselines.append(summarise("bare get", [before, bare_get()]))
    shutil.rmtree(out_dir, ignore_errors=True)

    print(f"engine {args.engine}: layers by share of py-spy samples of the app's workers")
    for (label, row), baseline in zip(rows.items(), baselines):
        print(f"\n{label}: {row['rps']:.1f} req/s, p99 {row['p99_ms']:.0f} ms, "
              f"{row['server_cpu_ms_per_request']:.2f} ms worker CPU/request "
              f"({row['samples']} samples)")
        for layer, share in row["layers"].items():
            print(f"  {share:6.1%}  {layer}")
        # A worker's time per request scales with its samples: with the route's own work free,
        # the same workers would serve at most this many requests a second.
        free = row["rps"] / max(1e-9, 1 - row["layers"].get(OWN_WORK, 0.0))
        print(f"  with the route's own work free: at most {free:.0f} req/s, "
              f"{free / baseline['rps']:.0%} of the bare {baseline['label'].split()[1]}'s "
              f"{baseline['rps']:.1f} req/s (p99 {baseline['p99_ms']:.0f} ms, "
              f"{baseline['server_cpu_ms_per_request']:.2f} ms worker CPU/request)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
