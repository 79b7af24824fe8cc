"""The database holds every stored vocabulary (api/vocab.py): a row written behind the API's back
with a value outside its list is refused, on either engine, by the CHECK constraints that
migration 0009 adds and the models declare."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, delete, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from api import create_app
from api.caller import system_actor
from api.cli import alembic_config, upgrade
from api.db import Base
from api.vocab import (
    ACCOUNT_KINDS, ACTOR_ROLES, AGENCY_KINDS, ASSESSMENT_FACTORS, ASSESSMENT_OUTCOMES,
    ASSESSMENT_STATUSES, ABUSE_CATEGORIES, CHANNELS, CLOSURE_REASONS, DISABILITIES, PRIMARY_NEEDS, CONCERN_CATEGORIES, CONSENT_STATUSES,
    CONTACT_STATUSES, DIRECTIONS, ETHNICITIES, FEEDBACK_METHODS, MEDICAL_DECISIONS,
    MATCH_STATUSES, MEETING_OUTCOMES, MEETING_STATUSES, OUTCOMES, REFERRAL_SOURCES,
    INFORMATION_REQUEST_STATUSES, JOB_KINDS, JOB_STATUSES, RAG_RATINGS, RESTRICTED_RECORDS, ROLES, SERVICES, SEXES,
    SYSTEM_ROLE, TOKEN_STATES, TRANSITION_RESPONSES, TRANSITION_STATUSES, WEBHOOK_EVENTS,
    WEBHOOK_MESSAGE_STATUSES,
)
from tests.helpers import FakeClock, app_config, audit_triggers, differences, only_on


AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
UNKNOWN = "nope"  # short enough for every column (referral_source holds 4)

# table, column, the values it may hold (each constraint is ck_<table>_<column>)
COLUMNS = [
    ("agencies", "kind", AGENCY_KINDS),
    ("agencies", "referral_source", tuple(REFERRAL_SOURCES)),
    ("accounts", "kind", ACCOUNT_KINDS),
    ("accounts", "role", ROLES),
    ("accounts", "service", SERVICES),
    ("children", "sex", SEXES),
    ("children", "ethnicity", tuple(ETHNICITIES)),
    ("contacts", "channel", CHANNELS),
    ("contacts", "consent_status", CONSENT_STATUSES),
    ("contacts", "status", CONTACT_STATUSES),
    ("contacts", "recorded_by_role", ACTOR_ROLES),
    ("consent_records", "status", CONSENT_STATUSES),
    ("consent_records", "recorded_by_role", ACTOR_ROLES),
    ("decisions", "outcome", OUTCOMES),
    ("decisions", "decided_by_role", ACTOR_ROLES),
    ("decisions", "decided_by_service", SERVICES),
    ("feedback", "method", FEEDBACK_METHODS),
    ("strategy_meetings", "status", MEETING_STATUSES),
    ("strategy_meetings", "outcome", MEETING_OUTCOMES),
    ("strategy_meetings", "medical_examination_decision", MEDICAL_DECISIONS),
    ("transitions", "requested_by_role", ACTOR_ROLES),
    ("transitions", "requested_by_service", SERVICES),
    ("transitions", "status", TRANSITION_STATUSES),
    ("transitions", "response_decision", TRANSITION_RESPONSES),
    ("audit_events", "actor_role", ACTOR_ROLES),
    ("audit_events", "actor_service", SERVICES),
    ("access_events", "token", TOKEN_STATES),
    ("possible_matches", "status", MATCH_STATUSES),  # migration 0012
    ("restrictions", "entity_type", RESTRICTED_RECORDS),
    ("contacts", "rag_rating", RAG_RATINGS),  # migration 0015
    ("rag_ratings", "rating", RAG_RATINGS),
    ("rag_ratings", "rated_by_role", ACTOR_ROLES),
    ("information_requests", "status", INFORMATION_REQUEST_STATUSES),  # migration 0016
    ("information_requests", "rag_rating", RAG_RATINGS),
    ("information_requests", "requested_by_role", ACTOR_ROLES),
    ("jobs", "kind", JOB_KINDS),  # migration 0018
    ("jobs", "status", JOB_STATUSES),
    ("jobs", "requested_by_role", ACTOR_ROLES),
    ("contacts", "primary_need", tuple(PRIMARY_NEEDS)),  # migration 0021
    ("contacts", "closure_reason", tuple(CLOSURE_REASONS)),
    ("assessments", "status", ASSESSMENT_STATUSES),
    ("assessments", "outcome", ASSESSMENT_OUTCOMES),
    ("assessments", "primary_need", tuple(PRIMARY_NEEDS)),
    ("assessments", "started_by_role", ACTOR_ROLES),
    ("assessment_factors", "code", tuple(ASSESSMENT_FACTORS)),
    ("allocations", "recorded_by_role", ACTOR_ROLES),
    ("strategy_meeting_icpc_children", "category_of_abuse", tuple(ABUSE_CATEGORIES)),
    ("webhook_messages", "event", WEBHOOK_EVENTS),  # migration 0023
    ("webhook_messages", "status", WEBHOOK_MESSAGE_STATUSES),
]
# Constraints over a list or several columns, tested on their own below.
OTHER_CONSTRAINTS = {("contacts", "ck_contacts_concern_categories"),
                     ("transitions", "ck_transitions_direction"),
                     ("children", "ck_children_disabilities"),
                     ("allocations", "ck_allocations_one_record"),
                     ("accounts", "ck_accounts_local_or_external"),
                     ("webhook_subscriptions", "ck_webhook_subscriptions_events")}
NULLABLE = [(table, column) for table, column, _ in COLUMNS
            if Base.metadata.tables[table].c[column].nullable]


def _id():
    return uuid.uuid4()


def valid_row(table, parents):
    """A row of `table` that the database accepts, every value its own (fresh keys)."""
    unique = uuid.uuid4().hex[:12]
    rows = {
        "agencies": lambda: {"code": f"a-{unique}", "name": "Test agency", "kind": "other",
                             "referral_source": "8"},
        "accounts": lambda: {"id": _id(), "name": f"u-{unique}", "kind": "person",
                             "display_name": "Test", "secret_hash": "x", "role": "practitioner",
                             "service": "mash", "active": True, "token_generation": 0,
                             "created_at": AT},
        "children": lambda: {"id": _id(), "reference": f"K-{unique}", "given_name": "Amelia",
                             "family_name": "Hughes", "sex": "female", "ethnicity": "WBRI",
                             "created_at": AT},
        "contacts": lambda: {"id": _id(), "reference": f"C-{unique}", "received_at": AT,
                             "recorded_at": AT, "source_agency": "wmp", "channel": "api",
                             "concern_categories": ["neglect"], "concern_summary": "A worry.",
                             "consent_status": "given", "status": "awaiting_decision",
                             "decision_due_at": AT, "recorded_by_sub": "test",
                             "recorded_by_role": "agency", "version": 1},
        "consent_records": lambda: {"id": _id(), "contact_id": parents["contact"],
                                    "status": "given", "recorded_at": AT,
                                    "recorded_by_sub": "test", "recorded_by_role": "practitioner"},
        "decisions": lambda: {"id": _id(), "contact_id": parents["contact"],
                              "contact_received_at": AT, "outcome": "nfa", "rationale": "Reasons.",
                              "decided_at": AT, "recorded_at": AT, "decided_by_sub": "test",
                              "decided_by_role": "practitioner", "decided_by_service": "mash",
                              "within_24_hours": True, "within_1_working_day": True,
                              "within_rag_deadline": True, "seconds_from_receipt": 0},
        "feedback": lambda: {"id": _id(), "contact_id": parents["contact"], "given_at": AT,
                             "method": "phone", "summary": "Told.", "recorded_at": AT,
                             "recorded_by_sub": "test"},
        "strategy_meetings": lambda: {
            "id": _id(), "reference": f"S-{unique}", "contact_id": parents["contact"],
            "decision_id": parents["decision"], "status": "held", "convened_at": AT,
            "scheduled_for": AT, "chair": "Chair", "not_invited_reasons": {}, "recorded_at": AT,
            "recorded_by_sub": "test", "held_at": AT, "outcome": "s47_enquiry",
            "medical_examination_decision": "required", "required_invitees": [],
            "required_left_out": 0},
        "transitions": lambda: {
            "id": _id(), "reference": f"T-{unique}", "child_id": parents["child"],
            "direction": "step_up", "from_service": "early_help", "to_service": "social_care",
            "rationale": "Reasons.", "requested_at": AT, "requested_by_sub": "test",
            "requested_by_role": "practitioner", "requested_by_service": "early_help",
            "recorded_at": AT, "status": "accepted", "response_due_at": AT,
            "response_decision": "accepted", "response_at": AT, "response_by_sub": "test"},
        "audit_events": lambda: {
            "seq": 10**12 + uuid.uuid4().int % 10**9, "at": AT, "actor_sub": "test",
            "actor_role": "practitioner", "actor_service": "mash", "action": "test.written",
            "entity_type": "test", "entity_id": unique, "data": "{}", "prev_hash": "0" * 64,
            "hash": uuid.uuid4().hex * 2},
        "possible_matches": lambda: {
            "id": _id(), "contact_id": parents["contact"], "position": 0,
            "candidate_id": parents["child"], "by_nhs_number": True, "by_local_child_id": False,
            "by_name_and_date_of_birth": False, "status": "open", "found_at": AT},
        "access_events": lambda: {
            "at": AT, "token": "valid", "method": "GET", "endpoint": "contacts.get_contact",
            "path": "/api/v1/contacts/x", "status": 200, "entity_type": "contact",
            "child_ids": []},
        "rag_ratings": lambda: {
            "id": _id(), "contact_id": parents["contact"], "position": 0, "rating": "red",
            "reason": "Reasons.", "rated_at": AT, "rated_by_sub": "test",
            "rated_by_role": "practitioner"},
        "information_requests": lambda: {
            "id": _id(), "contact_id": parents["contact"], "agency": "wmp",
            "question": "Known?", "rag_rating": "amber", "requested_at": AT,
            "requested_by_sub": "test", "requested_by_role": "practitioner", "due_at": AT,
            "status": "open"},
        "restrictions": lambda: {
            "id": _id(), "entity_type": "child", "entity_id": _id(), "reason": "Reasons.",
            "restricted_at": AT, "restricted_by_sub": "test"},
        "assessments": lambda: {
            "id": _id(), "reference": f"A-{unique}", "contact_id": parents["contact"],
            "child_id": _own_child(parents), "referred_at": AT, "started_at": AT,
            "started_by_sub": "test", "started_by_role": "practitioner", "due_at": AT,
            "status": "completed", "outcome": "early_help", "primary_need": "N1"},
        "assessment_factors": lambda: {
            "assessment_id": parents["assessment"], "position": uuid.uuid4().int % 10**6,
            "code": "1A" if "code" not in parents else parents["code"]},
        "strategy_meeting_icpc_children": lambda: {
            "meeting_id": parents["meeting"], "child_id": _own_child(parents),
            "child_protection_plan": True, "category_of_abuse": "NEG"},
        "allocations": lambda: {
            "id": _id(), "contact_id": parents["contact"], "position": uuid.uuid4().int % 10**6,
            "team": "Assessment team 1", "worker": "sam", "allocated_at": AT, "recorded_at": AT,
            "recorded_by_sub": "test", "recorded_by_role": "manager"},
        "jobs": lambda: {
            "id": _id(), "kind": "audit.verify", "params": {}, "status": "queued",
            "requested_by_sub": "test", "requested_by_role": "auditor", "created_at": AT,
            "attempts": 0, "done": 0},
        "webhook_subscriptions": lambda: {
            "id": _id(), "agency_code": "wmp", "url": "https://partner.example/hook",
            "events": ["contact.decided"], "contact_email": "it@partner.example",
            "secret_ciphertext": "x", "active": True, "created_at": AT, "created_by_sub": "test"},
        "webhook_messages": lambda: {
            "id": f"msg_{unique}", "subscription_id": parents["subscription"],
            "event": "contact.decided", "payload": "{}", "created_at": AT, "status": "pending",
            "attempts": 0, "next_attempt_at": AT},
    }
    return rows[table]()


def _own_child(parents):
    """A child of its own for each assessment row (one assessment per contact and child)."""
    return parents["fresh_child"]()


def write(connection, table, row):
    """INSERT with plain SQL (no API, no ORM), undone afterwards."""
    savepoint = connection.begin_nested()
    try:
        connection.execute(insert(Base.metadata.tables[table]).values(row))
    finally:
        savepoint.rollback()


def assert_refused(connection, table, row, constraint):
    with pytest.raises(IntegrityError) as refused:
        write(connection, table, row)
    # By the CHECK itself, not by some other rule of the row (a key, a NOT NULL).
    assert constraint in str(refused.value)


@pytest.fixture
def parents(db):
    """A contact with a decision, and a child (its first), for the rows that refer to them."""
    made = {}
    for table, key in (("contacts", "contact"), ("decisions", "decision"), ("children", "child")):
        row = valid_row(table, made)
        db.execute(insert(Base.metadata.tables[table]), row)
        made[key] = row["id"]
    db.execute(insert(Base.metadata.tables["contact_children"]), {
        "contact_id": made["contact"], "position": 0, "child_id": made["child"],
        "first_child_id": made["child"], "details": {"given_name": "Amelia"}})

    def fresh_child():
        row = valid_row("children", made)
        db.execute(insert(Base.metadata.tables["children"]), row)
        return row["id"]

    made["fresh_child"] = fresh_child
    meeting = valid_row("strategy_meetings", made)
    db.execute(insert(Base.metadata.tables["strategy_meetings"]), meeting)
    made["meeting"] = meeting["id"]
    assessment = valid_row("assessments", made)
    db.execute(insert(Base.metadata.tables["assessments"]), assessment)
    made["assessment"] = assessment["id"]
    subscription = valid_row("webhook_subscriptions", made)
    db.execute(insert(Base.metadata.tables["webhook_subscriptions"]), subscription)
    made["subscription"] = subscription["id"]
    return made


def _ids(cases):
    return [f"{table}.{column}" for table, column, *_ in cases]


@pytest.mark.parametrize("table, column, values", COLUMNS, ids=_ids(COLUMNS))
def test_a_value_outside_its_vocabulary_is_refused_by_the_database(db, parents, table, column, values):
    write(db, table, valid_row(table, parents))  # the row itself is fine
    assert_refused(db, table, valid_row(table, parents) | {column: UNKNOWN}, f"ck_{table}_{column}")


@pytest.mark.parametrize("table, column, values", COLUMNS, ids=_ids(COLUMNS))
def test_every_value_of_the_vocabulary_is_accepted_by_the_database(db, parents, table, column, values):
    for value in values:
        write(db, table, valid_row(table, parents) | {column: value})


@pytest.mark.parametrize("table, column", NULLABLE, ids=_ids(NULLABLE))
def test_a_nullable_vocabulary_column_may_stay_empty(db, parents, table, column):
    write(db, table, valid_row(table, parents) | {column: None})


@pytest.mark.parametrize("categories", [
    [], list(CONCERN_CATEGORIES), ["other", "neglect", "missing"],
], ids=["none", "all", "some"])
def test_concern_categories_from_the_list_are_accepted_by_the_database(db, parents, categories):
    write(db, "contacts", valid_row("contacts", parents) | {"concern_categories": categories})


@pytest.mark.parametrize("categories", [
    [UNKNOWN], ["neglect", UNKNOWN], ["Neglect"], [""], ["neglect", None], ["neglect", 1],
    "neglect", {"neglect": True}, [["neglect"]], None,
], ids=["unknown", "one-unknown", "case", "empty-string", "null", "number", "not-a-list",
        "object", "nested", "json-null"])
def test_concern_categories_outside_the_list_are_refused_by_the_database(db, parents, categories):
    row = valid_row("contacts", parents) | {"concern_categories": categories}
    if categories is None:
        # Python None is SQL NULL for a JSON column, which NOT NULL refuses: send JSON's null.
        row["concern_categories"] = text("'null'")
    assert_refused(db, "contacts", row, "ck_contacts_concern_categories")


@only_on("sqlite", "PostgreSQL refuses text that is not JSON before the CHECK")
def test_a_text_whose_fragments_would_join_into_a_category_is_refused_by_sqlite(db, parents):
    """PostgreSQL's json type refuses such a text before any CHECK; SQLite stores text, so its
    CHECK must not be fooled: blanking "neglect" out of it must not leave "other"."""
    row = valid_row("contacts", parents) | {"concern_categories": text("""'["oth"neglect"er"]'""")}
    assert_refused(db, "contacts", row, "ck_contacts_concern_categories")


@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_each_direction_between_its_services_is_accepted_by_the_database(db, parents, direction):
    source, target = DIRECTIONS[direction]
    write(db, "transitions", valid_row("transitions", parents)
          | {"direction": direction, "from_service": source, "to_service": target})


@pytest.mark.parametrize("change", [
    {"direction": UNKNOWN},
    {"from_service": UNKNOWN},
    {"to_service": UNKNOWN},
    {"from_service": "mash"},
    {"direction": "step_down"},  # still from early help to social care
    {"from_service": "social_care", "to_service": "early_help"},  # a step up the wrong way
], ids=["direction", "from", "to", "from-mash", "step-down-upwards", "step-up-downwards"])
def test_a_transition_outside_its_direction_is_refused_by_the_database(db, parents, change):
    assert_refused(db, "transitions", valid_row("transitions", parents) | change,
                   "ck_transitions_direction")


@pytest.mark.parametrize("disabilities", [[], list(DISABILITIES), ["LD", "AUT"]],
                         ids=["none", "all", "some"])
def test_disabilities_from_the_list_are_accepted_by_the_database(db, parents, disabilities):
    write(db, "children", valid_row("children", parents) | {"disability": bool(disabilities),
                                                             "disabilities": disabilities})


@pytest.mark.parametrize("disabilities", [["NONE"], ["LD", UNKNOWN], ["ld"], "LD"],
                         ids=["none-code", "one-unknown", "case", "not-a-list"])
def test_disabilities_outside_the_list_are_refused_by_the_database(db, parents, disabilities):
    assert_refused(db, "children", valid_row("children", parents) | {"disabilities": disabilities},
                   "ck_children_disabilities")


@pytest.mark.parametrize("change", [{"contact_id": None}, {"assessment_id": "assessment"}],
                         ids=["neither", "both"])
def test_an_allocation_belongs_to_a_contact_or_an_assessment_not_both_nor_neither(
        db, parents, change):
    row = valid_row("allocations", parents)
    if "assessment_id" in change:
        change = {"assessment_id": parents["assessment"]}
    assert_refused(db, "allocations", row | change, "ck_allocations_one_record")
    write(db, "allocations", row | {"contact_id": None, "assessment_id": parents["assessment"]})


EXTERNAL = {"issuer": "https://login.example/tenant/v2.0", "subject": "0f1e2d3c",
            "secret_hash": None}


@pytest.mark.parametrize("change", [
    {"secret_hash": None},  # a local account without a secret
    {"issuer": "https://login.example/tenant/v2.0"},  # an issuer without a subject
    {"subject": "0f1e2d3c"},  # a subject without an issuer
    EXTERNAL | {"secret_hash": "x"},  # an external subject with a secret here
    EXTERNAL | {"previous_secret_hash": "x"},  # ... or a previous one
], ids=["local-no-secret", "issuer-only", "subject-only", "external-with-secret",
        "external-with-previous-secret"])
def test_an_account_is_local_with_a_secret_or_external_without_one(db, parents, change):
    row = valid_row("accounts", parents)
    assert_refused(db, "accounts", row | change, "ck_accounts_local_or_external")
    write(db, "accounts", row | EXTERNAL)


@pytest.mark.parametrize("events", [list(WEBHOOK_EVENTS), ["contact.decided"]],
                         ids=["all", "one"])
def test_webhook_events_from_the_list_are_accepted_by_the_database(db, parents, events):
    write(db, "webhook_subscriptions", valid_row("webhook_subscriptions", parents) | {
        "events": events})


@pytest.mark.parametrize("events", [["contact.recorded"], ["contact.decided", UNKNOWN],
                                    "contact.decided"], ids=["unknown", "one-unknown", "not-a-list"])
def test_webhook_events_outside_the_list_are_refused_by_the_database(db, parents, events):
    assert_refused(db, "webhook_subscriptions", valid_row("webhook_subscriptions", parents) | {
        "events": events}, "ck_webhook_subscriptions_events")


def _model_checks():
    return {(table.name, constraint.name): str(constraint.sqltext)
            for table in Base.metadata.tables.values()
            for constraint in table.constraints if isinstance(constraint, CheckConstraint)}


def _database_checks(connection):
    inspector = inspect(connection)
    return {(table, check["name"]): check["sqltext"]
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)}


def test_every_vocabulary_column_is_tested_here():
    tested = {(table, f"ck_{table}_{column}") for table, column, _ in COLUMNS} | OTHER_CONSTRAINTS
    assert set(_model_checks()) == tested


def test_the_migrations_build_the_models_check_constraints(db):
    built = _database_checks(db)
    assert set(built) == set(_model_checks())
    if db.dialect.name == "sqlite":
        # SQLite keeps the text as written; PostgreSQL rewrites it (the tests above compare what
        # it does instead).
        assert built == _model_checks()


def test_the_system_actor_of_the_cli_and_seeds_has_the_system_role():
    assert system_actor("seed").role == SYSTEM_ROLE


def test_the_vocabulary_checks_go_down_and_up_again_and_a_stray_row_stops_the_upgrade(
        fresh_database_url):
    app = create_app(app_config(fresh_database_url, FakeClock()))
    engine = app.extensions["db"].engine
    stray = {"code": "stray", "name": "Stray", "kind": UNKNOWN, "referral_source": "8"}
    agencies = Base.metadata.tables["agencies"]
    try:
        upgrade(app)
        command.downgrade(alembic_config(app), "0008")
        with engine.begin() as connection:
            assert _database_checks(connection) == {}
            connection.execute(insert(agencies), stray)  # nothing refuses it before 0009

        with pytest.raises(IntegrityError, match="ck_agencies_kind"):
            upgrade(app)
        with engine.connect() as connection:
            assert _database_checks(connection) == {}  # the failed upgrade changed nothing

        with engine.begin() as connection:
            connection.execute(delete(agencies).where(agencies.c.code == "stray"))
        upgrade(app)
        with engine.begin() as connection:
            assert set(_database_checks(connection)) == set(_model_checks())
            with pytest.raises(IntegrityError, match="ck_agencies_kind"):
                connection.execute(insert(agencies), stray)
        assert differences(app) == []
        # SQLite rebuilt the append-only tables both ways: their triggers were made again.
        assert audit_triggers(app) == {
            "sqlite": {"audit_events_no_update", "audit_events_no_delete"},
            "postgresql": {"audit_events_no_update_delete", "audit_events_no_truncate"},
        }[engine.dialect.name]
        from tests.helpers import ACCESS_LOG_TRIGGERS, access_log_triggers

        with engine.connect() as connection:
            assert access_log_triggers(connection) == ACCESS_LOG_TRIGGERS[engine.dialect.name]
    finally:
        engine.dispose()
