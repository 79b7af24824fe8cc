"""metrics: stored timeliness facts and their indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:48:56.415758
"""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from alembic import op
import sqlalchemy as sa
import api.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seconds_from_receipt', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('re_referral', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_decisions_current', ['contact_id', 'superseded_by_id'], unique=False)

    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_left_out', sa.Integer(), nullable=True))
        batch_op.create_index('ix_strategy_meetings_icpc_due_date', ['icpc_due_date'], unique=False)

    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_days_to_response', sa.Integer(), nullable=True))
        batch_op.create_index('ix_transitions_direction_requested_at', ['direction', 'requested_at'], unique=False)

    _backfill(op.get_bind())

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('seconds_from_receipt', existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.alter_column('required_left_out', existing_type=sa.Integer(), nullable=False)


def _utc(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _backfill(bind):
    """Work out the stored facts for records written before this revision (plain SQL and Python,
    independent of the application's code, which may change after this revision)."""
    rows = bind.execute(sa.text(
        "SELECT d.id, d.decided_at, c.received_at FROM decisions d JOIN contacts c ON c.id = d.contact_id"
    )).all()
    for decision_id, decided_at, received_at in rows:
        seconds = int((_utc(decided_at) - _utc(received_at)).total_seconds())
        bind.execute(sa.text("UPDATE decisions SET seconds_from_receipt = :s WHERE id = :i"),
                     {"s": seconds, "i": decision_id})
    kinds = dict(bind.execute(sa.text("SELECT code, kind FROM agencies")).all())
    invited = {}
    for meeting_id, agency in bind.execute(sa.text(
            "SELECT meeting_id, agency FROM strategy_meeting_invitations")).all():
        invited.setdefault(str(meeting_id), set()).update({agency, kinds.get(agency)})
    for meeting_id, required in bind.execute(sa.text(
            "SELECT id, required_invitees FROM strategy_meetings")).all():
        required = json.loads(required) if isinstance(required, str) else (required or [])
        left_out = sum(1 for key in required if key not in invited.get(str(meeting_id), set()))
        bind.execute(sa.text("UPDATE strategy_meetings SET required_left_out = :n WHERE id = :i"),
                     {"n": left_out, "i": meeting_id})
    england = holidays.country_holidays("GB", subdiv="ENG", years=range(2000, 2100))
    london = ZoneInfo("Europe/London")
    for transition_id, requested_at, response_at in bind.execute(sa.text(
            "SELECT id, requested_at, response_at FROM transitions WHERE response_at IS NOT NULL")).all():
        day, end = _utc(requested_at).astimezone(london).date(), _utc(response_at).astimezone(london).date()
        count = 0
        while day < end:
            day += timedelta(days=1)
            count += day.weekday() < 5 and day not in england
        bind.execute(sa.text("UPDATE transitions SET working_days_to_response = :n WHERE id = :i"),
                     {"n": count, "i": transition_id})
    # Re-referrals are left null for decisions written before this revision: they were not
    # judged when written, and guessing now could mislabel a child's history.


def downgrade():
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_transitions_direction_requested_at')
        batch_op.drop_column('working_days_to_response')

    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_meetings_icpc_due_date')
        batch_op.drop_column('required_left_out')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_current')
        batch_op.drop_column('re_referral')
        batch_op.drop_column('seconds_from_receipt')

