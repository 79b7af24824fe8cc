"""icpc: the initial child protection conference an s47 enquiry leads to

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:26:12.306265

Held (its London date, within timescale judged when recorded, and for each child of the meeting
whether a child protection plan was made) or not required with a reason.
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('strategy_meeting_icpc_children',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('child_protection_plan', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_strategy_meeting_icpc_children_child_id_children')),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_meeting_icpc_children_meeting_id_strategy_meetings')),
    sa.PrimaryKeyConstraint('meeting_id', 'child_id', name=op.f('pk_strategy_meeting_icpc_children'))
    )
    with op.batch_alter_table('strategy_meeting_icpc_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_meeting_icpc_children_child_id'), ['child_id'], unique=False)

    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('icpc_held_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('icpc_not_required', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('icpc_not_required_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('icpc_within_timescale', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('icpc_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('icpc_recorded_by_sub', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_column('icpc_recorded_by_sub')
        batch_op.drop_column('icpc_recorded_at')
        batch_op.drop_column('icpc_within_timescale')
        batch_op.drop_column('icpc_not_required_reason')
        batch_op.drop_column('icpc_not_required')
        batch_op.drop_column('icpc_held_on')

    with op.batch_alter_table('strategy_meeting_icpc_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_meeting_icpc_children_child_id'))

    op.drop_table('strategy_meeting_icpc_children')
