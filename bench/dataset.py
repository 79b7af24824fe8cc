"""A realistic synthetic front door, written straight into the database (not through HTTP).

Five years of contacts ending the day before NOW, in the order they arrived, each about one
child (some children return, so re-referrals exist), with decisions, approvals, feedback,
strategy meetings and step-up/step-down requests, RAG ratings (about half the contacts) and
information requests to partner agencies (one to four per contact, answered in time or late,
after the decision, withdrawn by it, or still open), and every stored timeliness fact worked out
as the domain code works it out when it writes a record (api.timescales with the default
timescales). Audit events are not written: the audit
trail is not what the metrics read.

Rows are written in batches of BATCH contacts (with everything that belongs to them), parents
first, by a writer thread while the next batch is generated: executemany on SQLite's own
connection (values as SQLAlchemy's column types store them), COPY on PostgreSQL. Foreign keys
stay checked on both.
"""

import json
import math
import os
import queue
import random
import threading
import time as clock
from bisect import bisect
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from operator import itemgetter
from pathlib import Path

from sqlalchemy import JSON, Date, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api import create_app
from api.keys import generate_key_pair
from api.cli import upgrade
from api.config import Config
from api.db import UTCDateTime
from api.models import (
    Agency,
    Attendance,
    Child,
    ConsentRecord,
    Contact,
    ContactChild,
    Decision,
    Feedback,
    IcpcChild,
    InformationRequest,
    InformationRequestChild,
    Invitation,
    MeetingChild,
    RagRating,
    ReferenceCounter,
    StrategyMeeting,
    Transition,
)
from api.timescales import (
    LONDON,
    deadline_after,
    is_working_day,
    london_date,
    twelve_months_before,
    working_hours_after,
    working_days_after,
    working_days_between,
)
from api.vocab import REFERRAL_OUTCOMES, nhs_number_with_check_digit
from seeds.data import DEMO_CONCERNS, DEMO_NAMES

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday; the app's clock in the benchmark
YEARS = 5
BATCH = 10_000

# Parents before children, so every batch satisfies the foreign keys as it lands.
TABLES = [t.__table__ for t in (
    Child, Contact, ConsentRecord, ContactChild, RagRating, Decision, Feedback,
    StrategyMeeting, MeetingChild, Invitation, Attendance, IcpcChild, Transition,
    InformationRequest, InformationRequestChild,
)]

# Children's CIN ethnicity codes, some not recorded.
ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "APKN", "AIND", "BAFR", "BCRB",
               "CHNE", "OOTH", None, None)

# Share of contacts by referring agency (police, schools and health send most).
AGENCY_SHARES = {
    "wmp": 30, "btp": 3, "oakfield-primary": 6, "sandwell-academy": 6, "education-services": 3,
    "hilltop-gp": 5, "health-visiting": 5, "city-hospital-ed": 6, "maternity": 2, "camhs": 2,
    "housing": 3, "early-help": 4, "childrens-social-care": 2, "adult-social-care": 2,
    "youth-justice": 2, "probation": 2, "nspcc": 2, "family-member": 6, "acquaintance": 3,
    "self": 1, "individual-other": 1, "anonymous": 3, "other": 1,
}
OUTCOME_SHARES = {
    "nfa": 17, "information_advice": 20, "universal_services": 8, "early_help": 22,
    "existing_case": 6, "assessment": 18, "strategy_discussion": 9,
}
CONSENT_SHARES = {"given": 45, "not_sought": 25, "refused": 15, "overridden": 15}
CONSENT_NEEDED = {"early_help": ("given",), "assessment": ("given", "overridden")}
MEETING_OUTCOMES = {"s47_enquiry": 50, "assessment": 25, "early_help": 15, "no_further_action": 10}
MONTH_FACTOR = {1: 1.0, 2: 1.05, 3: 1.1, 4: 0.9, 5: 1.05, 6: 1.05, 7: 0.95, 8: 0.75, 9: 1.1,
                10: 1.15, 11: 1.15, 12: 0.85}
# RAG ratings (the rest unrated) and the default timescales (api/config.py): a rated contact's
# decision is due red 4 clock hours after receipt, amber 1 working day, green 3; a request is due
# red 2 clock hours after it is asked, amber (and unrated) 4 working hours, green 1 working day.
RAG_SHARES = {"red": 10, "amber": 25, "green": 15, None: 50}
RAG_DECISION = {"red": 4, "amber": 1, "green": 3, None: 1}  # red: hours; the rest working days
INFORMATION_RED_HOURS, INFORMATION_AMBER_WORKING_HOURS, INFORMATION_GREEN_WORKING_DAYS = 2, 4, 1
# Agencies the MASH asks (the codes of seeds/data.py), and how many a contact's asks go to.
ASKED_AGENCIES = ("wmp", "hilltop-gp", "health-visiting", "oakfield-primary", "sandwell-academy",
                  "housing", "probation", "camhs", "education-services", "city-hospital-ed")
ASKED_COUNTS = {1: 25, 2: 35, 3: 25, 4: 15}
QUESTION = "Is the child or family known to you, and is there anything we should know today?"
DECIDED_WITHOUT_IT = "decided without it"  # api/domain/information_requests.py
PRACTITIONERS = [f"mash-practitioner-{i:02d}" for i in range(1, 25)]
MANAGERS = [f"mash-manager-{i}" for i in range(1, 6)]
HOUR = 3600


def bench_app(url, **settings):
    """The app on `url`, its clock fixed at NOW, signing its own tokens (as tests.conftest does).
    `settings` override the configuration (JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: a key pair that
    several processes share, so a checkpoint one signs verifies in another)."""
    private_key, public_key = generate_key_pair()
    config = type("BenchConfig", (Config,), {
        "DATABASE_URL": url,
        "JWT_PRIVATE_KEY": private_key,
        "JWT_PUBLIC_KEY": public_key,
        "JWT_GENERATE_KEYS": False,
        "CLOCK": staticmethod(lambda: NOW),
        "LOG_LEVEL": "WARNING",
        **settings,
    })
    return create_app(config)


def is_bench_database(url):
    return "bench" in Path(make_url(url).database or "").name


def reset_database(url):
    """An empty database at `url`: the SQLite file removed, or PostgreSQL's public schema dropped."""
    parsed = make_url(url)
    if not is_bench_database(url):
        raise ValueError(f"refusing to wipe {parsed.database!r}: a bench database's name contains "
                         "'bench'")
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _one_of(rng, options):
    """rng.choice, without its cost (it matters at a million contacts)."""
    return options[int(rng.random() * len(options))]


def _between(rng, low, high):
    """rng.randint, likewise."""
    return low + int(rng.random() * (high - low + 1))


def _lognormal_seconds(rng, median_hours, sigma):
    return rng.lognormvariate(math.log(median_hours * HOUR), sigma)


class _Weighted:
    """A random pick by fixed weights, the cumulative weights worked out once."""

    def __init__(self, shares):
        self.keys = list(shares)
        self.total, self.cumulative = 0, []
        for key in self.keys:
            self.total += shares[key]
            self.cumulative.append(self.total)

    def pick(self, rng):
        return self.keys[bisect(self.cumulative, rng.random() * self.total)]


class _Calendar:
    """Deadlines depend only on a London date: worked out once per date with api.timescales."""

    def __init__(self):
        self._deadlines, self._working_days = {}, {}

    def deadline(self, day, working_days):
        key = (day, working_days)
        if key not in self._deadlines:
            noon = datetime.combine(day, time(12), tzinfo=LONDON)
            self._deadlines[key] = deadline_after(noon, working_days)
        return self._deadlines[key]

    def working_day_after(self, day, working_days):
        key = (day, working_days)
        if key not in self._working_days:
            self._working_days[key] = working_days_after(day, working_days)
        return self._working_days[key]


def _sqlite_value(column):
    """How SQLAlchemy stores a column's Python values on SQLite (its own bind processors, inlined
    for speed: they cost more than SQLite's own work here)."""
    if isinstance(column.type, UTCDateTime):
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (the offset sliced off)
        return lambda v: None if v is None else (
            v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ", "microseconds")[:26]
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, JSON):
        return lambda v: None if v is None else json.dumps(v)
    return None  # ids are already 32 hex digits (SQLAlchemy's Uuid on SQLite); bools and text as is


class _Writer:
    """Collects rows per table; each complete batch is written, parents first, by a thread of its
    own while the next batch is generated (the database's work runs outside the GIL)."""

    def __init__(self, engine):
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"
        self.rows = {table.name: [] for table in TABLES}
        self.written = Counter()
        self.columns = {table.name: [column.name for column in table.columns] for table in TABLES}
        if self.postgresql:
            self.convert = {table.name: [
                (lambda v: None if v is None else json.dumps(v)) if isinstance(c.type, JSON) else None
                for c in table.columns] for table in TABLES}
        else:
            self.convert = {table.name: [_sqlite_value(c) for c in table.columns] for table in TABLES}
        self.batches = queue.Queue(maxsize=2)  # at most two batches waiting: memory stays flat
        self.error = None
        # A daemon: a batch that fails to build must not leave it waiting, keeping the process up.
        self.thread = threading.Thread(target=self._drain, name="bench-writer", daemon=True)
        self.thread.start()

    def add(self, table, row):
        self.rows[table].append(row)

    def _tuples(self, table):
        values = itemgetter(*self.columns[table])
        converts = [(i, f) for i, f in enumerate(self.convert[table]) if f is not None]
        if not converts:
            return [values(row) for row in self.rows[table]]
        tuples = []
        for row in self.rows[table]:
            row = list(values(row))
            for i, convert in converts:
                row[i] = convert(row[i])
            tuples.append(row)
        return tuples

    def flush(self):
        if self.error is not None:
            raise RuntimeError("writing a batch failed") from self.error
        batch = [(table.name, self._tuples(table.name)) for table in TABLES if self.rows[table.name]]
        for table in TABLES:
            self.written[table.name] += len(self.rows[table.name])
            self.rows[table.name] = []
        self.batches.put(batch)

    def close(self):
        self.flush()
        self.batches.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError("writing a batch failed") from self.error

    def _drain(self):
        raw = self.engine.raw_connection()
        try:
            while (batch := self.batches.get()) is not None:
                if self.error is None:  # after a failure, keep taking batches: never block
                    try:
                        (self._copy if self.postgresql else self._insert)(raw.driver_connection, batch)
                    except BaseException as error:  # noqa: BLE001 - handed to the generating thread
                        self.error = error
        finally:
            raw.close()

    def _insert(self, connection, batch):
        # The app's SQLite connections leave transactions to us (isolation_level None).
        connection.execute("PRAGMA cache_size=-262144")  # for the load only
        connection.execute("BEGIN IMMEDIATE")
        for table, tuples in batch:
            names = self.columns[table]
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                tuples,
            )
        connection.execute("COMMIT")

    def _copy(self, connection, batch):
        with connection.cursor() as cursor:
            for table, tuples in batch:
                with cursor.copy(f"COPY {table} ({', '.join(self.columns[table])}) FROM STDIN") as copy:
                    for row in tuples:
                        copy.write_row(row)
        connection.commit()

    def link_supersessions(self, pairs):
        """Each superseded decision names its successor (written last: each names the other)."""
        raw = self.engine.raw_connection()
        try:
            connection = raw.driver_connection
            if self.postgresql:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        "UPDATE decisions SET superseded_by_id = %s WHERE id = %s",
                        [(second, first) for first, second in pairs])
                connection.commit()
            else:
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany("UPDATE decisions SET superseded_by_id = ? WHERE id = ?",
                                       [(second, first) for first, second in pairs])
                connection.execute("COMMIT")
        finally:
            raw.close()


class FrontDoor:
    """Generates the records of `contacts` contacts, in the order they arrived."""

    def __init__(self, contacts, seed, agency_codes):
        self.n = contacts
        self.rng = random.Random(seed)
        self.calendar = _Calendar()
        self.agencies = _Weighted({c: s for c, s in AGENCY_SHARES.items() if c in agency_codes})
        self.agency_kinds = agency_codes
        self.outcomes = _Weighted(OUTCOME_SHARES)
        self.consents = _Weighted(CONSENT_SHARES)
        self.rags = _Weighted(RAG_SHARES)
        self.ask_counts = _Weighted(ASKED_COUNTS)
        self.asked_agencies = [code for code in ASKED_AGENCIES if code in agency_codes]
        self.meeting_outcomes = _Weighted(MEETING_OUTCOMES)
        self.references = Counter()
        self.children = []           # child index -> id
        self.last_referral = {}      # child index -> when its latest referral was decided
        self.open_transition = set()  # child indexes with a request awaiting an answer
        self.supersessions = []      # (first decision id, the decision that superseded it)
        self.next_nhs_base = 400_000_000
        # Children come back after about nine months of new children, on average.
        self.return_gap = contacts / YEARS * 0.6

    def _id(self):
        """A version 4 UUID as 32 hex digits (how SQLAlchemy stores one on SQLite; PostgreSQL
        reads it too), from the seeded generator, so a run is repeatable."""
        bits = self.rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)
        return f"{bits | (0x4000 << 64) | (0x8000 << 48):032x}"

    def _reference(self, prefix, year):
        self.references[(prefix, year)] += 1
        return f"{prefix}-{year}-{self.references[(prefix, year)]:06d}"

    def _days(self):
        """(London date, number of contacts received that day), oldest first."""
        last = london_date(NOW) - timedelta(days=1)
        first = last.replace(year=last.year - YEARS) + timedelta(days=1)
        days, cumulative, total, day = [], [], 0.0, first
        while day <= last:
            weight = 1.0 if is_working_day(day) else (0.3 if day.weekday() == 6 else 0.35)
            total += weight * MONTH_FACTOR[day.month]
            days.append(day)
            cumulative.append(total)
            day += timedelta(days=1)
        counts = Counter(self.rng.choices(days, cum_weights=cumulative, k=self.n))
        return [(day, counts[day]) for day in days if counts[day]]

    def _second_of_day(self):
        if self.rng.random() < 0.85:  # office hours, busiest late morning
            return int(self.rng.triangular(8 * HOUR, 18.5 * HOUR, 11 * HOUR))
        return int(self.rng.random() * 24 * HOUR)

    def generate(self, writer):
        for day, count in self._days():
            for second in sorted(self._second_of_day() for _ in range(count)):
                hour, rest = divmod(second, HOUR)
                received_at = datetime(day.year, day.month, day.day, hour, rest // 60, rest % 60,
                                       tzinfo=LONDON).astimezone(UTC)
                self._contact(writer, day, received_at)
                if len(writer.rows["contacts"]) >= BATCH:
                    writer.flush()
                    if writer.written["contacts"] % (10 * BATCH) == 0:
                        print(f"  {writer.written['contacts']:,} contacts generated", flush=True)

    # ---- one contact and everything that follows from it --------------------------------

    def _child(self, writer, day, recorded_at):
        """A returning child (about a fifth of contacts, mostly recent) or a new one."""
        rng = self.rng
        if self.children and rng.random() < 0.22:
            back = int(rng.expovariate(1 / self.return_gap))
            if back < len(self.children):
                index = len(self.children) - 1 - back
                # As this referrer described the child (names only, say).
                return index, self.children[index], {
                    "given_name": _one_of(rng, DEMO_NAMES)[0],
                    "family_name": _one_of(rng, DEMO_NAMES)[1]}
        child_id = self._id()
        index = len(self.children)
        self.children.append(child_id)
        given = _one_of(rng, DEMO_NAMES)[0]
        family = _one_of(rng, DEMO_NAMES)[1]
        born = expected = nhs = local_id = None
        if rng.random() < 0.02:
            expected = day + timedelta(days=_between(rng, 30, 250))
        else:
            born = day - timedelta(days=_between(rng, 0, 17 * 365))
        if rng.random() < 0.85:
            nhs = nhs_number_with_check_digit(f"{self.next_nhs_base:09d}")
            self.next_nhs_base = int(nhs[:9]) + 1
        if rng.random() < 0.3:
            local_id = f"LCS-{index:08d}"
        sex = _one_of(rng, ("female", "male", "male", "female", "unknown"))
        writer.add("children", {
            "id": child_id, "reference": self._reference("CH", day.year), "given_name": given,
            "family_name": family, "date_of_birth": born, "expected_date_of_birth": expected,
            "sex": sex, "nhs_number": nhs, "local_child_id": local_id, "created_at": recorded_at,
            "merged_into_id": None,
            # From the id, not the generator, so adding the column left the rest of the data as it was.
            "ethnicity": ETHNICITIES[int(child_id, 16) % len(ETHNICITIES)],
            "disability": None, "disabilities": None,
        })
        details = {"given_name": given, "family_name": family, "sex": sex}
        if born:
            details["date_of_birth"] = born.isoformat()
        if expected:
            details["expected_date_of_birth"] = expected.isoformat()
        if nhs:
            details["nhs_number"] = nhs
        return index, child_id, details

    def _contact(self, writer, day, received_at):
        rng = self.rng
        agency = self.agencies.pick(rng)
        kind = self.agency_kinds[agency]
        recorded_at = min(received_at + timedelta(seconds=_between(rng, 30, 2 * HOUR)), NOW)
        contact_id = self._id()
        child_index, child_id, details = self._child(writer, day, recorded_at)
        channel = "api" if kind == "police" and rng.random() < 0.7 else _one_of(rng,
            ("phone", "email", "secure_portal", "letter", "in_person", "phone"))
        by_agency = channel in ("api", "secure_portal") and kind not in ("individual", "anonymous")
        categories, summary = _one_of(rng, DEMO_CONCERNS)
        consent = initial_consent = self.consents.pick(rng)
        due = self.calendar.deadline(day, 1)
        rating = self.rags.pick(rng)
        rag_due = received_at + timedelta(hours=RAG_DECISION["red"]) if rating == "red" \
            else self.calendar.deadline(day, RAG_DECISION[rating])
        outcome = self.outcomes.pick(rng)
        delay = _lognormal_seconds(rng, 6, 1.1)
        decided_at = received_at + timedelta(seconds=int(delay))
        decided = rng.random() >= 0.03 and decided_at <= NOW - timedelta(minutes=5)
        consent_records = [(initial_consent, recorded_at)]
        if decided and outcome in CONSENT_NEEDED and consent not in CONSENT_NEEDED[outcome]:
            # Consent was sought (or overridden) before a decision that needs it.
            consent = CONSENT_NEEDED[outcome][-1] if rng.random() < 0.4 else "given"
            consent_records.append((consent, min(received_at + timedelta(seconds=delay / 2), NOW)))
        version = len(consent_records)
        contact = {
            "id": contact_id, "reference": self._reference("C", day.year),
            "received_at": received_at, "recorded_at": recorded_at, "source_agency": agency,
            "source_reference": f"{agency.upper()}-{int(rng.random() * 10**7):07d}", "channel": channel,
            "referrer": {"name": f"Referrer {int(rng.random() * 5000)}", "role": kind.replace("_", " ")},
            "concern_categories": categories, "concern_summary": summary,
            "consent_status": consent,
            "consent_given_by": "Mother" if consent == "given" else None,
            "consent_reason": None if consent == "given" else "Recorded with the contact.",
            "status": "decided" if decided else "awaiting_decision", "decision_due_at": rag_due,
            "rag_rating": rating,
            "recorded_by_sub": f"{agency}-client" if by_agency else _one_of(rng, PRACTITIONERS),
            "recorded_by_role": "agency" if by_agency else "practitioner",
            "version": version + (1 if decided else 0), "feedback_given_at": None,
            # After the front door (0021): none allocated, assessed or closed here.
            "allocated_team": None, "allocated_worker": None, "allocated_at": None,
            "primary_need": None, "closed_on": None, "closure_reason": None,
            "closure_rationale": None, "closure_recorded_at": None, "closed_by_sub": None,
        }
        writer.add("contacts", contact)
        for status, at in consent_records:
            writer.add("consent_records", {
                "id": self._id(), "contact_id": contact_id, "status": status,
                "given_by": "Mother" if status == "given" else None,
                "reason": None if status == "given" else "Recorded with the contact.",
                "recorded_at": at, "recorded_by_sub": _one_of(rng, PRACTITIONERS),
                "recorded_by_role": "practitioner",
            })
        writer.add("contact_children", {
            "contact_id": contact_id, "child_id": child_id, "first_child_id": child_id,
            "position": 0, "details": details,
        })
        if rating is not None:
            contact["version"] += 1
            writer.add("rag_ratings", {
                "id": self._id(), "contact_id": contact_id, "position": 0, "rating": rating,
                "reason": "Rated on the information the referrer gave.",
                "rated_at": min(recorded_at + timedelta(seconds=_between(rng, 60, 1200)), NOW),
                "rated_by_sub": _one_of(rng, PRACTITIONERS), "rated_by_role": "practitioner",
            })
        self._requests(writer, contact_id, child_id, rating, recorded_at,
                       decided_at if decided else None)
        if not decided:
            return
        decision = self._decisions(writer, contact_id, received_at, (due, rag_due), outcome,
                                   decided_at, child_index)
        if rng.random() < 0.5:
            given_at = decision["decided_at"] + timedelta(seconds=_lognormal_seconds(rng, 4, 1))
            if given_at <= NOW:
                contact["feedback_given_at"] = given_at
                contact["version"] += 1
                writer.add("feedback", {
                    "id": self._id(), "contact_id": contact_id, "given_at": given_at,
                    "method": _one_of(rng, ("phone", "email", "letter", "secure_portal")),
                    "summary": f"Told the referrer the outcome: {decision['outcome']}.",
                    "recorded_at": min(given_at + timedelta(minutes=_between(rng, 1, 60)), NOW),
                    "recorded_by_sub": decision["decided_by_sub"],
                })
        if decision["outcome"] == "strategy_discussion" and rng.random() < 0.9:
            self._meeting(writer, contact_id, agency, kind, child_id, decision)
        if decision["outcome"] in ("early_help", "assessment") and rng.random() < 0.13:
            self._transition(writer, child_index, child_id, decision)

    def _requests(self, writer, contact_id, child_id, rating, recorded_at, decided_at):
        """One to four agencies asked soon after the contact was recorded (before its decision):
        answered in time or late, after the decision (kept open by the decider), withdrawn by the
        decision ("decided without it"), or still open."""
        rng = self.rng
        count = self.ask_counts.pick(rng)
        for agency in rng.sample(self.asked_agencies, count):
            asked_at = recorded_at + timedelta(seconds=_between(rng, 120, 90 * 60))
            if asked_at > NOW or (decided_at is not None and asked_at >= decided_at):
                continue
            if rating == "red":
                due_at = asked_at + timedelta(hours=INFORMATION_RED_HOURS)
            elif rating == "green":
                due_at = self.calendar.deadline(london_date(asked_at), INFORMATION_GREEN_WORKING_DAYS)
            else:
                due_at = working_hours_after(asked_at, INFORMATION_AMBER_WORKING_HOURS)
            seconds = int(_lognormal_seconds(rng, 3, 1.2))
            responded_at = asked_at + timedelta(seconds=seconds)
            row = {
                "id": self._id(), "contact_id": contact_id, "agency": agency, "question": QUESTION,
                "rag_rating": rating, "requested_at": asked_at,
                "requested_by_sub": _one_of(rng, PRACTITIONERS), "requested_by_role": "practitioner",
                "due_at": due_at, "status": "open", "known": None, "information": None,
                "responded_at": None, "response_recorded_at": None, "responded_by_sub": None,
                "within_deadline": None, "seconds_to_response": None, "after_decision": None,
                "withdrawn_at": None, "withdrawn_by_sub": None, "withdrawal_reason": None,
            }
            answered = responded_at <= NOW and (
                decided_at is None or responded_at <= decided_at or rng.random() < 0.2)
            if answered:
                known = rng.random() < 0.6
                row.update(
                    status="answered", known=known,
                    information="Known to us: seen in the last year; details attached." if known else None,
                    responded_at=responded_at,
                    response_recorded_at=min(responded_at + timedelta(seconds=_between(rng, 0, 600)), NOW),
                    responded_by_sub=f"{agency}-client", within_deadline=responded_at <= due_at,
                    seconds_to_response=seconds,
                    after_decision=decided_at is not None and responded_at > decided_at)
            elif decided_at is not None:
                row.update(status="withdrawn", withdrawn_at=decided_at,
                           withdrawn_by_sub=_one_of(rng, PRACTITIONERS),
                           withdrawal_reason=DECIDED_WITHOUT_IT)
            writer.add("information_requests", row)
            writer.add("information_request_children",
                       {"request_id": row["id"], "position": 0, "child_id": child_id})

    def _decision_row(self, contact_id, received_at, due, outcome, decided_at, re_referral):
        """`due`: (the statutory deadline, the RAG one)."""
        rng = self.rng
        due, rag_due = due
        return {
            "id": self._id(), "contact_id": contact_id, "contact_received_at": received_at,
            "outcome": outcome, "rationale": f"Threshold applied: {outcome.replace('_', ' ')}.",
            "decided_at": decided_at,
            "recorded_at": min(decided_at + timedelta(minutes=_between(rng, 0, 30)), NOW),
            "decided_by_sub": _one_of(rng, PRACTITIONERS), "decided_by_role": "practitioner",
            "decided_by_service": "mash",
            "within_24_hours": decided_at - received_at <= timedelta(hours=24),
            "within_1_working_day": decided_at <= due,
            "within_rag_deadline": decided_at <= rag_due,
            "seconds_from_receipt": int((decided_at - received_at).total_seconds()),
            "re_referral": re_referral, "supersedes_id": None, "supersede_reason": None,
            "superseded_by_id": None, "approved_by_sub": None, "approved_at": None,
            "approval_note": None,
            # As api/domain/decisions.py: a referral is to be allocated by the end of the 5th
            # working day after its London date.
            "allocation_due_at": self.calendar.deadline(london_date(decided_at), 5)
            if outcome in REFERRAL_OUTCOMES else None,
        }

    def _decisions(self, writer, contact_id, received_at, due, outcome, decided_at, child_index):
        """The first decision, and (for about 3%) the later one that superseded it."""
        rng = self.rng
        first_outcome, final_at, superseded = outcome, decided_at, False
        if rng.random() < 0.03:
            later = decided_at + timedelta(seconds=_lognormal_seconds(rng, 20, 1))
            if later <= NOW:
                first_outcome = _one_of(rng, ("nfa", "information_advice", "universal_services"))
                final_at, superseded = later, True
        first = self._decision_row(contact_id, received_at, due, first_outcome, decided_at,
                                   self._re_referral(child_index, first_outcome, decided_at))
        writer.add("decisions", first)
        current = first
        if superseded:
            current = self._decision_row(contact_id, received_at, due, outcome, final_at,
                                         self._re_referral(child_index, outcome, final_at))
            current["supersedes_id"] = first["id"]
            current["supersede_reason"] = "Further information changed the level of concern."
            writer.add("decisions", current)
            # Written after the load: each of the pair names the other.
            self.supersessions.append((first["id"], current["id"]))
        if rng.random() < 0.4:
            approved_at = current["decided_at"] + timedelta(seconds=_lognormal_seconds(rng, 18, 0.9))
            if approved_at <= NOW:
                current["approved_by_sub"] = _one_of(rng, MANAGERS)
                current["approved_at"] = approved_at
        if outcome in ("assessment", "strategy_discussion"):
            self.last_referral[child_index] = max(final_at, self.last_referral.get(child_index, final_at))
        return current

    def _re_referral(self, child_index, outcome, decided_at):
        if outcome not in ("assessment", "strategy_discussion"):
            return None
        earlier = self.last_referral.get(child_index)
        return earlier is not None and twelve_months_before(decided_at) <= earlier < decided_at

    def _meeting(self, writer, contact_id, agency, kind, child_id, decision):
        rng = self.rng
        convened_at = decision["decided_at"] + timedelta(seconds=_between(rng, 300, 3 * HOUR))
        if convened_at > NOW:
            return
        meeting_id = self._id()
        scheduled_for = convened_at + timedelta(seconds=_lognormal_seconds(rng, 5, 0.8))
        exempt = agency == "childrens-social-care" or kind in ("individual", "anonymous")
        required = {"police", "health"} | (set() if exempt else {agency})
        invited = ["wmp" if kind != "police" else agency,
                   "hilltop-gp" if kind != "health" else agency]
        invited.append("early-help" if exempt or agency in invited else agency)
        reasons = {}
        if kind != "health" and rng.random() < 0.05:  # health left out, with a reason
            invited[1] = "housing" if "housing" not in invited else "education-services"
            reasons = {"health": "No health involvement with the family in the last two years."}
        meeting = {
            "id": meeting_id, "reference": self._reference("SM", london_date(convened_at).year),
            "contact_id": contact_id, "decision_id": decision["id"], "status": "convened",
            "convened_at": convened_at, "scheduled_for": scheduled_for, "chair": "MASH team manager",
            "not_invited_reasons": reasons, "recorded_at": convened_at,
            "recorded_by_sub": decision["decided_by_sub"], "held_at": None, "outcome": None,
            "rationale": None, "medical_examination_decision": None,
            "medical_examination_reason": None, "outcome_recorded_at": None,
            "outcome_recorded_by_sub": None, "minutes_recorded_at": None,
            "minutes_recorded_by_sub": None, "icpc_due_date": None, "held_same_day": None,
            "minutes_within_1_working_day": None, "required_invitees": sorted(required),
            "required_left_out": len(reasons), "icpc_held_on": None, "icpc_not_required": None,
            "icpc_not_required_reason": None, "icpc_within_timescale": None,
            "icpc_recorded_at": None, "icpc_recorded_by_sub": None,
            "agencies_invited": None, "agencies_attended": None,
        }
        writer.add("strategy_meetings", meeting)
        writer.add("strategy_meeting_children", {"meeting_id": meeting_id, "child_id": child_id,
                                                 "position": 0})
        for position, code in enumerate(invited):
            writer.add("strategy_meeting_invitations", {
                "meeting_id": meeting_id, "agency": code, "invited_at": convened_at,
                "position": position})
        held_at = scheduled_for + timedelta(seconds=_between(rng, 0, 1800))
        if rng.random() >= 0.75 or held_at > NOW - timedelta(hours=1):
            return
        outcome = self.meeting_outcomes.pick(rng)
        held_on = london_date(held_at)
        meeting.update({
            "status": "held", "held_at": held_at, "outcome": outcome,
            "rationale": "Agencies shared what they know and agreed the next steps.",
            "medical_examination_decision": "not_required",
            "medical_examination_reason": "No physical injury alleged.",
            "outcome_recorded_at": held_at + timedelta(minutes=_between(rng, 10, 50)),
            "outcome_recorded_by_sub": decision["decided_by_sub"],
            "held_same_day": held_on == london_date(convened_at),
            "icpc_due_date": (self.calendar.working_day_after(held_on, 15)
                              if outcome == "s47_enquiry" else None),
        })
        minutes_at = held_at + timedelta(seconds=_lognormal_seconds(rng, 14, 1))
        if rng.random() < 0.88 and minutes_at <= NOW:
            meeting["minutes_recorded_at"] = minutes_at
            meeting["minutes_recorded_by_sub"] = decision["decided_by_sub"]
            meeting["minutes_within_1_working_day"] = minutes_at <= self.calendar.deadline(held_on, 1)
        if outcome == "s47_enquiry":
            self._icpc(writer, meeting, child_id, held_on, decision)
        meeting["agencies_invited"], meeting["agencies_attended"] = len(invited), 0
        for position, code in enumerate(invited):
            attended = rng.random() < 0.85
            meeting["agencies_attended"] += attended
            writer.add("strategy_meeting_attendance", {
                "meeting_id": meeting_id, "agency": code, "attended": attended,
                "name": f"Officer {int(rng.random() * 900)}" if attended else None,
                "role": "Safeguarding lead" if attended else None, "position": position})

    def _icpc(self, writer, meeting, child_id, held_on, decision):
        """Most s47 enquiries lead to an ICPC, 80% of them within 15 working days; some are
        recorded as not required; those not yet due are still to come."""
        rng = self.rng
        choice = rng.random()
        if choice < 0.1:
            recorded_at = meeting["held_at"] + timedelta(days=_between(rng, 2, 10))
            if recorded_at > NOW:
                return
            meeting.update(icpc_not_required=True, icpc_recorded_at=recorded_at,
                           icpc_not_required_reason="The enquiry found no continuing risk of significant harm.",
                           icpc_recorded_by_sub=decision["decided_by_sub"])
            return
        days = _between(rng, 8, 15) if choice < 0.82 else _between(rng, 16, 25)
        conference = self.calendar.working_day_after(held_on, days)
        recorded_at = datetime.combine(conference, time(17), tzinfo=LONDON).astimezone(UTC)
        if recorded_at > NOW:
            return
        meeting.update(icpc_held_on=conference, icpc_not_required=False,
                       icpc_within_timescale=conference <= meeting["icpc_due_date"],
                       icpc_recorded_at=recorded_at, icpc_recorded_by_sub=decision["decided_by_sub"])
        plan = rng.random() < 0.7
        writer.add("strategy_meeting_icpc_children", {
            "meeting_id": meeting["id"], "child_id": child_id, "child_protection_plan": plan,
            # From the meeting's id, not the generator: the rest of the data stays as it was.
            "category_of_abuse": ("NEG", "PHY", "EMO", "SAB")[int(meeting["id"], 16) % 4]
            if plan else None})

    def _transition(self, writer, child_index, child_id, decision):
        rng = self.rng
        if child_index in self.open_transition:
            return  # one open request per child
        requested_at = decision["decided_at"] + timedelta(seconds=_lognormal_seconds(rng, 12 * 24, 0.8))
        if requested_at > NOW:
            return
        step_up = decision["outcome"] == "early_help"
        direction, (from_service, to_service) = (
            ("step_up", ("early_help", "social_care")) if step_up
            else ("step_down", ("social_care", "early_help")))
        row = {
            "id": self._id(),
            "reference": self._reference("T", london_date(requested_at).year),
            "child_id": child_id, "direction": direction, "from_service": from_service,
            "to_service": to_service,
            "rationale": "Needs have changed; the other service is better placed to meet them.",
            "plan": None if step_up else {"summary": "Family support worker for 12 weeks",
                                          "expected_outcomes": ["School attendance above 95%"]},
            "requested_at": requested_at, "requested_by_sub": _one_of(rng, PRACTITIONERS),
            "requested_by_role": "practitioner", "requested_by_service": from_service,
            "recorded_at": requested_at, "status": "requested",
            "response_due_at": self.calendar.deadline(london_date(requested_at), 5),
            "response_by_sub": None, "response_at": None, "response_decision": None,
            "response_rationale": None, "working_days_to_response": None,
            "withdrawn_by_sub": None, "withdrawn_at": None, "withdrawal_reason": None,
        }
        answered_at = requested_at + timedelta(seconds=_lognormal_seconds(rng, 60, 0.9))
        roll = rng.random()
        if roll < 0.02 or answered_at > NOW:
            self.open_transition.add(child_index)  # still awaiting an answer (some overdue)
        elif roll < 0.12:
            row.update(status="withdrawn", withdrawn_by_sub=row["requested_by_sub"],
                       withdrawn_at=answered_at, withdrawal_reason="Family moved out of the area.")
        else:
            answer = "accepted" if roll < 0.8 else "refused"
            row.update(
                status=answer, response_by_sub=_one_of(rng, MANAGERS), response_at=answered_at,
                response_decision=answer,
                response_rationale="Threshold not met." if answer == "refused" else None,
                working_days_to_response=working_days_between(
                    london_date(requested_at), london_date(answered_at)),
            )
        writer.add("transitions", row)

    def finish(self, writer):
        """Link each superseded decision to its successor, and record the reference counters."""
        writer.link_supersessions(self.supersessions)
        with writer.engine.begin() as connection:
            connection.execute(insert(ReferenceCounter.__table__), [
                {"prefix": prefix, "year": year, "last": last}
                for (prefix, year), last in sorted(self.references.items())
            ])


def generate(url, contacts, seed=2026):
    """Migrate and seed a fresh database at `url`, fill it, and return what was written."""
    started = clock.perf_counter()
    reset_database(url)
    # No sealer thread (ACCESS_SEAL_SECONDS): it would go on sealing, into the audit chain, in
    # whatever process called this, after the load.
    app = bench_app(url, ACCESS_SEAL_SECONDS=0)
    upgrade(app)
    with app.app_context():
        from seeds import load

        load(reference_only=True)
    engine = app.extensions["db"].engine
    with engine.connect() as connection:
        kinds = dict(connection.execute(select(Agency.code, Agency.kind)).all())
    front_door = FrontDoor(contacts, seed, kinds)
    writer = _Writer(engine)
    try:
        front_door.generate(writer)
    finally:
        writer.close()
    front_door.finish(writer)
    loaded = clock.perf_counter() - started
    if engine.dialect.name == "postgresql":
        # What autovacuum would do soon after a load of this size: planner statistics and the
        # visibility map (index-only scans).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # The app's statement timeout would cancel it at a million contacts.
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        raw = engine.raw_connection()  # outside a transaction (the app's connections BEGIN)
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    engine.dispose()
    return {
        "rows": dict(writer.written),
        "load_seconds": round(loaded, 1),
        "total_seconds": round(clock.perf_counter() - started, 1),
        "pid": os.getpid(),
    }


def count_contacts(url):
    """How many contacts the database at `url` holds (None when it has no schema yet)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Contact.__table__))
    except DBAPIError:  # no database or no tables: it needs generating
        return None
    finally:
        engine.dispose()
