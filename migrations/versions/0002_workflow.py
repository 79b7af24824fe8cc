"""workflow: decisions, feedback, strategy meetings, transitions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:36:08.049580
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transitions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('from_service', sa.String(length=20), nullable=False),
    sa.Column('to_service', sa.String(length=20), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('requested_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by_sub', sa.String(length=100), nullable=False),
    sa.Column('requested_by_role', sa.String(length=20), nullable=False),
    sa.Column('requested_by_service', sa.String(length=20), nullable=True),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('response_due_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('response_by_sub', sa.String(length=100), nullable=True),
    sa.Column('response_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_decision', sa.String(length=10), nullable=True),
    sa.Column('response_rationale', sa.Text(), nullable=True),
    sa.Column('withdrawn_by_sub', sa.String(length=100), nullable=True),
    sa.Column('withdrawn_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_transitions_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transitions')),
    sa.UniqueConstraint('reference', name=op.f('uq_transitions_reference'))
    )
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.create_index('ix_transitions_child_id', ['child_id'], unique=False)
        batch_op.create_index('ix_transitions_requested_at_id', ['requested_at', 'id'], unique=False)
        batch_op.create_index('ix_transitions_status_due', ['status', 'response_due_at'], unique=False)
        batch_op.create_index('uq_transitions_open_per_child', ['child_id'], unique=True, sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))

    op.create_table('decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('decided_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_sub', sa.String(length=100), nullable=False),
    sa.Column('decided_by_role', sa.String(length=20), nullable=False),
    sa.Column('decided_by_service', sa.String(length=20), nullable=True),
    sa.Column('within_24_hours', sa.Boolean(), nullable=False),
    sa.Column('within_1_working_day', sa.Boolean(), nullable=False),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('supersede_reason', sa.Text(), nullable=True),
    sa.Column('superseded_by_id', sa.Uuid(), nullable=True),
    sa.Column('approved_by_sub', sa.String(length=100), nullable=True),
    sa.Column('approved_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_decisions_contact_id_contacts')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['decisions.id'], name=op.f('fk_decisions_superseded_by_id_decisions')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['decisions.id'], name=op.f('fk_decisions_supersedes_id_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('superseded_by_id', name=op.f('uq_decisions_superseded_by_id')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_decisions_supersedes_id'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_contact_id_decided_at', ['contact_id', 'decided_at'], unique=False)
        batch_op.create_index('ix_decisions_decided_at', ['decided_at'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('given_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_sub', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_feedback_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_contact_id'), ['contact_id'], unique=False)

    op.create_table('strategy_meetings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('convened_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_for', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('chair', sa.String(length=200), nullable=False),
    sa.Column('not_invited_reasons', sa.JSON(), nullable=False),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_sub', sa.String(length=100), nullable=False),
    sa.Column('held_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('medical_examination_decision', sa.String(length=20), nullable=True),
    sa.Column('medical_examination_reason', sa.Text(), nullable=True),
    sa.Column('outcome_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome_recorded_by_sub', sa.String(length=100), nullable=True),
    sa.Column('minutes_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('minutes_recorded_by_sub', sa.String(length=100), nullable=True),
    sa.Column('icpc_due_date', sa.Date(), nullable=True),
    sa.Column('held_same_day', sa.Boolean(), nullable=True),
    sa.Column('minutes_within_1_working_day', sa.Boolean(), nullable=True),
    sa.Column('required_invitees', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_strategy_meetings_contact_id_contacts')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_strategy_meetings_decision_id_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_meetings')),
    sa.UniqueConstraint('reference', name=op.f('uq_strategy_meetings_reference'))
    )
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_meetings_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_strategy_meetings_convened_at_id', ['convened_at', 'id'], unique=False)

    op.create_table('strategy_meeting_actions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_agency', sa.String(length=32), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_meeting_actions_meeting_id_strategy_meetings')),
    sa.ForeignKeyConstraint(['owner_agency'], ['agencies.code'], name=op.f('fk_strategy_meeting_actions_owner_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_meeting_actions'))
    )
    with op.batch_alter_table('strategy_meeting_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_meeting_actions_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('strategy_meeting_attendance',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_strategy_meeting_attendance_agency_agencies')),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_meeting_attendance_meeting_id_strategy_meetings')),
    sa.PrimaryKeyConstraint('meeting_id', 'agency', name=op.f('pk_strategy_meeting_attendance'))
    )
    op.create_table('strategy_meeting_children',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_strategy_meeting_children_child_id_children')),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_meeting_children_meeting_id_strategy_meetings')),
    sa.PrimaryKeyConstraint('meeting_id', 'child_id', name=op.f('pk_strategy_meeting_children'))
    )
    with op.batch_alter_table('strategy_meeting_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_meeting_children_child_id'), ['child_id'], unique=False)

    op.create_table('strategy_meeting_invitations',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('invited_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_strategy_meeting_invitations_agency_agencies')),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_meeting_invitations_meeting_id_strategy_meetings')),
    sa.PrimaryKeyConstraint('meeting_id', 'agency', name=op.f('pk_strategy_meeting_invitations'))
    )
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.drop_column('details')

    op.drop_table('strategy_meeting_invitations')
    with op.batch_alter_table('strategy_meeting_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_meeting_children_child_id'))

    op.drop_table('strategy_meeting_children')
    op.drop_table('strategy_meeting_attendance')
    with op.batch_alter_table('strategy_meeting_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_meeting_actions_meeting_id'))

    op.drop_table('strategy_meeting_actions')
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_meetings_convened_at_id')
        batch_op.drop_index(batch_op.f('ix_strategy_meetings_contact_id'))

    op.drop_table('strategy_meetings')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_contact_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_decided_at')
        batch_op.drop_index('ix_decisions_contact_id_decided_at')

    op.drop_table('decisions')
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.drop_index('uq_transitions_open_per_child', sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))
        batch_op.drop_index('ix_transitions_status_due')
        batch_op.drop_index('ix_transitions_requested_at_id')
        batch_op.drop_index('ix_transitions_child_id')

    op.drop_table('transitions')
