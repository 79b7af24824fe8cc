"""vocabularies held by the database: a CHECK constraint on every column that stores one

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00

Each column that stores one of the product's enumerations (api/vocab.py) may hold only its
values, a nullable one NULL too, so a row written behind the API's back with an unknown value is
refused by the database, on either engine. Not the access log's actor role and service: they
are what a token claimed, proven or not, and are kept as claimed.

The values are copied here as they stood when this revision was written, not imported from
api/vocab.py: a landed migration must build the same schema whenever it runs, so a vocabulary
that grows later gets a migration of its own that widens its constraint. The SQL is built as
api/models/checks.py builds the models' (copied too, for the same reason); the tests in
tests/migrations/test_vocabulary_checks.py hold both to the models and to api/vocab.py.

A row already outside its vocabulary stops the upgrade, naming the constraint, and nothing is
changed until that row is corrected.

SQLite cannot add a constraint to a table: Alembic's batch mode rebuilds each table, and the
append-only triggers of audit_events and access_events, which go with the old table, are made
again (PostgreSQL alters the tables in place and keeps them).
"""

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


CHANNELS = ("phone", "email", "secure_portal", "api", "letter", "in_person")
CONCERN_CATEGORIES = (
    "domestic_abuse", "neglect", "physical_abuse", "sexual_abuse", "emotional_abuse",
    "exploitation", "missing", "mental_health", "substance_misuse", "parenting_capacity",
    "homelessness", "other",
)
CONSENT_STATUSES = ("given", "refused", "not_sought", "overridden")
CONTACT_STATUSES = ("awaiting_decision", "decided")
SEXES = ("female", "male", "unknown")
OUTCOMES = (
    "nfa", "information_advice", "universal_services", "early_help", "existing_case",
    "assessment", "strategy_discussion",
)
FEEDBACK_METHODS = ("phone", "email", "letter", "secure_portal", "in_person")
MEETING_OUTCOMES = ("s47_enquiry", "assessment", "early_help", "no_further_action")
MEDICAL_DECISIONS = ("required", "not_required", "not_applicable")
MEETING_STATUSES = ("convened", "held")
DIRECTIONS = {"step_up": ("early_help", "social_care"), "step_down": ("social_care", "early_help")}
TRANSITION_STATUSES = ("requested", "accepted", "refused", "withdrawn")
TRANSITION_RESPONSES = ("accepted", "refused")
ROLES = ("agency", "practitioner", "manager", "auditor", "admin")
ACTOR_ROLES = (*ROLES, "system")
SERVICES = ("mash", "early_help", "social_care")
ACCOUNT_KINDS = ("client", "person")
TOKEN_STATES = ("valid", "expired", "revoked", "invalid", "missing")
AGENCY_KINDS = (
    "police", "health", "education", "early_help", "social_care", "housing", "probation",
    "youth_justice", "voluntary", "individual", "anonymous", "other",
)
# DfE CIN census codes.
ETHNICITIES = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)
REFERRAL_SOURCES = (
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C",
    "5D", "6", "7", "8", "9", "10",
)


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def _list_of(column, values):
    # A JSON list, tested as text: neither engine allows a subquery in a CHECK.
    text = f"CAST({column} AS TEXT)"
    rest = text
    for value in values:
        rest = f"replace({rest}, {_quoted(chr(34) + value + chr(34))}, ' ')"
    return (f"{text} LIKE '[%]' AND {text} NOT LIKE '_%[%' AND {text} NOT LIKE '%]_%' "
            f"AND ltrim({rest}, '[], ') = ''")


def _direction_of(direction, from_service, to_service, directions):
    return " OR ".join(
        f"({direction} = {_quoted(name)} AND {from_service} = {_quoted(source)} "
        f"AND {to_service} = {_quoted(target)})"
        for name, (source, target) in directions.items()
    )


# table -> {constraint name (ck_<table>_<name>): condition}
CHECKS = {
    'agencies': {
        'kind': _one_of('kind', AGENCY_KINDS),
        'referral_source': _one_of('referral_source', REFERRAL_SOURCES),
    },
    'accounts': {
        'kind': _one_of('kind', ACCOUNT_KINDS),
        'role': _one_of('role', ROLES),
        'service': _one_of('service', SERVICES),
    },
    'children': {
        'sex': _one_of('sex', SEXES),
        'ethnicity': _one_of('ethnicity', ETHNICITIES),
    },
    'contacts': {
        'channel': _one_of('channel', CHANNELS),
        'concern_categories': _list_of('concern_categories', CONCERN_CATEGORIES),
        'consent_status': _one_of('consent_status', CONSENT_STATUSES),
        'status': _one_of('status', CONTACT_STATUSES),
        'recorded_by_role': _one_of('recorded_by_role', ACTOR_ROLES),
    },
    'consent_records': {
        'status': _one_of('status', CONSENT_STATUSES),
        'recorded_by_role': _one_of('recorded_by_role', ACTOR_ROLES),
    },
    'decisions': {
        'outcome': _one_of('outcome', OUTCOMES),
        'decided_by_role': _one_of('decided_by_role', ACTOR_ROLES),
        'decided_by_service': _one_of('decided_by_service', SERVICES),
    },
    'feedback': {
        'method': _one_of('method', FEEDBACK_METHODS),
    },
    'strategy_meetings': {
        'status': _one_of('status', MEETING_STATUSES),
        'outcome': _one_of('outcome', MEETING_OUTCOMES),
        'medical_examination_decision': _one_of('medical_examination_decision', MEDICAL_DECISIONS),
    },
    'transitions': {
        'direction': _direction_of('direction', 'from_service', 'to_service', DIRECTIONS),
        'requested_by_role': _one_of('requested_by_role', ACTOR_ROLES),
        'requested_by_service': _one_of('requested_by_service', SERVICES),
        'status': _one_of('status', TRANSITION_STATUSES),
        'response_decision': _one_of('response_decision', TRANSITION_RESPONSES),
    },
    'audit_events': {
        'actor_role': _one_of('actor_role', ACTOR_ROLES),
        'actor_service': _one_of('actor_service', SERVICES),
    },
    'access_events': {
        'token': _one_of('token', TOKEN_STATES),
    },
}


def upgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks.items():
                batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)
    _append_only_triggers_after_rebuild()


def downgrade():
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
    _append_only_triggers_after_rebuild()


def _append_only_triggers_after_rebuild():
    """SQLite only: the triggers of 0001 (audit_events) and 0004 (access_events), as they made them."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in ('audit_events', 'access_events'):
        for operation in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                f"ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
