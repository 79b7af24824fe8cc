"""metrics read path: decisions carry their contact's receipt, contacts when feedback was given

The metrics read a period's decisions by an index on decisions alone and a period's contact
figures from one covering index, instead of joining the whole decisions and feedback tables.
Held strategy meetings carry how many agencies were invited and attended (set with the outcome).
The UNIQUE constraints on decisions.supersedes_id / superseded_by_id become unique indexes over
the non-null values (the same rule): SQLite's planner used the full ones for "IS NULL" lookups.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 05:24:47.961983
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_given_at', api.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_received_at', api.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agencies_invited', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agencies_attended', sa.Integer(), nullable=True))

    # Backfill set-wise (the values are copied as stored, so both engines keep their own format).
    op.execute(
        "UPDATE decisions SET contact_received_at = "
        "(SELECT contacts.received_at FROM contacts WHERE contacts.id = decisions.contact_id)"
    )
    op.execute(
        "UPDATE contacts SET feedback_given_at = "
        "(SELECT MIN(feedback.given_at) FROM feedback WHERE feedback.contact_id = contacts.id)"
    )
    op.execute(
        "UPDATE strategy_meetings SET "
        "agencies_invited = (SELECT COUNT(*) FROM strategy_meeting_invitations i "
        "WHERE i.meeting_id = strategy_meetings.id), "
        "agencies_attended = (SELECT COUNT(*) FROM strategy_meeting_attendance a "
        "WHERE a.meeting_id = strategy_meetings.id AND a.attended = true) "
        "WHERE status = 'held'"
    )

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('contact_received_at', existing_type=api.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_constraint('uq_decisions_superseded_by_id', type_='unique')
        batch_op.create_index('uq_decisions_superseded_by_id', ['superseded_by_id'], unique=True, postgresql_where=sa.text('superseded_by_id IS NOT NULL'), sqlite_where=sa.text('superseded_by_id IS NOT NULL'))
        batch_op.drop_constraint('uq_decisions_supersedes_id', type_='unique')
        batch_op.create_index('uq_decisions_supersedes_id', ['supersedes_id'], unique=True, postgresql_where=sa.text('supersedes_id IS NOT NULL'), sqlite_where=sa.text('supersedes_id IS NOT NULL'))
        batch_op.create_index('ix_decisions_current_by_receipt', ['contact_received_at', 'outcome', 'approved_at', 're_referral'], unique=False, postgresql_where=sa.text('superseded_by_id IS NULL'), sqlite_where=sa.text('superseded_by_id IS NULL'))
        batch_op.create_index('ix_decisions_first_by_receipt', ['contact_received_at', 'within_24_hours', 'within_1_working_day', 'seconds_from_receipt'], unique=False, postgresql_where=sa.text('supersedes_id IS NULL'), sqlite_where=sa.text('supersedes_id IS NULL'))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_received_at_figures', ['received_at', 'status', 'consent_status', 'decision_due_at', 'feedback_given_at', 'source_agency'], unique=False)


def downgrade():
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_column('agencies_attended')
        batch_op.drop_column('agencies_invited')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_first_by_receipt', postgresql_where=sa.text('supersedes_id IS NULL'), sqlite_where=sa.text('supersedes_id IS NULL'))
        batch_op.drop_index('ix_decisions_current_by_receipt', postgresql_where=sa.text('superseded_by_id IS NULL'), sqlite_where=sa.text('superseded_by_id IS NULL'))
        batch_op.drop_index('uq_decisions_supersedes_id', postgresql_where=sa.text('supersedes_id IS NOT NULL'), sqlite_where=sa.text('supersedes_id IS NOT NULL'))
        batch_op.create_unique_constraint('uq_decisions_supersedes_id', ['supersedes_id'])
        batch_op.drop_index('uq_decisions_superseded_by_id', postgresql_where=sa.text('superseded_by_id IS NOT NULL'), sqlite_where=sa.text('superseded_by_id IS NOT NULL'))
        batch_op.create_unique_constraint('uq_decisions_superseded_by_id', ['superseded_by_id'])
        batch_op.drop_column('contact_received_at')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_received_at_figures')
        batch_op.drop_column('feedback_given_at')
