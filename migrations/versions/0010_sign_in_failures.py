"""sign-in failures: a per-account throttle on password and secret guessing, shared by workers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 09:00:00

One row per name that has failed to sign in lately (a client_id or username, whether or not an
account has it, kept as a keyed hash): how many failures, the last one, and until when no
sign-in for that name is checked (api/sign_in.py). Every worker reads and writes the same rows,
so the count is the account's, not a process's. Rows are small and few (one per name guessed);
a successful sign-in deletes its row.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_failures',
        sa.Column('name_hash', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('blocked_until', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name_hash', name=op.f('pk_sign_in_failures')),
    )


def downgrade():
    op.drop_table('sign_in_failures')
