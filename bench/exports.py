"""Decision export memory: peak RSS while streaming GET /exports/decisions as NDJSON.

For each N, one process fills a fresh, migrated database with N decided contacts (Core bulk
inserts, every fifth with feedback), and another streams the export through the app and reports
its peak resident set size (ru_maxrss), so the filling does not count towards it. Flat memory
means the figure barely moves from 10k to 100k rows.

    python bench/exports.py                    # SQLite files under a temporary directory
    BENCH_DATABASE_URL=postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench python bench/exports.py
    BENCH_SIZES=300000 python bench/exports.py  # other sizes (comma-separated)
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(","))
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BATCH = 5_000


def _app(url):
    from api import create_app
    from api.keys import generate_key_pair
    from api.config import Config

    private, public = generate_key_pair()
    config = type("BenchConfig", (Config,), {"DATABASE_URL": url, "JWT_PRIVATE_KEY": private,
                                             "JWT_PUBLIC_KEY": public, "LOG_LEVEL": "WARNING"})
    return create_app(config)


def fill(url, n):
    from sqlalchemy import insert, text

    from api.cli import upgrade
    from api.models import Contact, Decision, Feedback
    from seeds import load

    app = _app(url)
    if app.extensions["db"].dialect == "postgresql":
        with app.extensions["db"].engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            connection.commit()
    upgrade(app)
    with app.app_context():
        load(reference_only=True)
    engine = app.extensions["db"].engine
    for first in range(0, n, BATCH):
        contacts, decisions, feedback = [], [], []
        for i in range(first, min(first + BATCH, n)):
            received = START + timedelta(minutes=5 * i)
            contact_id = uuid.uuid4()
            contacts.append({
                "id": contact_id, "reference": f"B-{i:08d}", "received_at": received,
                "recorded_at": received, "source_agency": "wmp", "concern_categories": ["neglect"],
                "concern_summary": "A benchmark contact about a child's care at home.",
                "consent_status": "given", "status": "decided",
                "decision_due_at": received + timedelta(days=1), "recorded_by_sub": "bench",
                "recorded_by_role": "practitioner", "version": 1,
            })
            decisions.append({
                "id": uuid.uuid4(), "contact_id": contact_id, "outcome": "early_help",
                "rationale": "Needs are below the threshold for social care; early help fits. " * 3,
                "decided_at": received + timedelta(hours=2), "recorded_at": received + timedelta(hours=2),
                "decided_by_sub": "bench", "decided_by_role": "practitioner",
                "decided_by_service": "mash", "within_24_hours": True, "within_1_working_day": True,
                "seconds_from_receipt": 7200, "re_referral": None,
            })
            if i % 5 == 0:
                feedback.append({
                    "id": uuid.uuid4(), "contact_id": contact_id,
                    "given_at": received + timedelta(hours=3), "method": "email",
                    "summary": "Told the referrer the outcome.",
                    "recorded_at": received + timedelta(hours=3), "recorded_by_sub": "bench",
                })
        with engine.begin() as connection:
            connection.execute(insert(Contact), contacts)
            connection.execute(insert(Decision), decisions)
            if feedback:
                connection.execute(insert(Feedback), feedback)
    engine.dispose()


def stream(url, n):
    from api.auth import mint_token

    app = _app(url)
    with app.app_context():
        token, _ = mint_token(app, "bench-auditor", "auditor")
    last = START + timedelta(minutes=5 * n, days=2)
    before_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    began, lines, size = time.perf_counter(), 0, 0
    response = app.test_client().get(
        "/api/v1/exports/decisions",
        query_string={"from": START.date().isoformat(), "to": last.date().isoformat()},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/x-ndjson"},
        buffered=False,
    )
    assert response.status_code == 200, response.status_code
    for chunk in response.iter_encoded():
        lines += chunk.count(b"\n")
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - began
    assert lines == n + 1, (lines, n)  # the rows, then the trailer (api/streams.py)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N={n:>7,}  lines={lines:>7,}  body={size / 2**20:6.1f} MiB  peak RSS before the "
          f"request={before_mib:6.1f} MiB, after streaming={peak_mib:6.1f} MiB  ({seconds:.1f} s)",
          flush=True)


def main():
    base = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as directory:
        for n in SIZES:
            url = base or f"sqlite:///{directory}/exports-{n}.db"
            for step in ("fill", "stream"):
                subprocess.run([sys.executable, __file__, step, url, str(n)], check=True)


if __name__ == "__main__":
    if len(sys.argv) == 4:
        {"fill": fill, "stream": stream}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
    else:
        main()
