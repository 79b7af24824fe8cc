"""child ethnicity, and strategy meetings by the time they were held

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:26:50.313689

A child's DfE CIN census ethnicity code (optional; null where not recorded). The Annex A
section 47 list selects the s47 enquiries of a period by when the strategy meeting was held.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=4), nullable=True))

    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_strategy_meetings_held_at', ['held_at'], unique=False)


def downgrade():
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_meetings_held_at')

    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_column('ethnicity')
