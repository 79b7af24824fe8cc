"""account token generation: tokens held before a disable stay refused after enabling

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 13:50:00

Each account counts how many times it has been disabled; every token issued for it carries the
count at issue (claim `gen`). A token whose count is behind the account's is refused, so enabling
an account again does not revive the tokens it held when it was disabled. Existing accounts start
at 0, which is what a token without the claim counts as: tokens already issued keep working
until their account is next disabled.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('token_generation')
