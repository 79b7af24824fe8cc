"""decisions awaiting sign-off: a partial index for the managers' inbox

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:30:00

`GET /decisions?approval=pending` lists current decisions no manager has signed off, oldest
decided first. Walking ix_decisions_decided_at from the oldest would pass every decision signed
off over the years before reaching the first that is not; this index holds only those awaiting
sign-off, in the list's order. A new index changes no row (no table rebuild on SQLite, so the
append-only triggers are not touched).
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

AWAITING = "superseded_by_id IS NULL AND approved_at IS NULL"


def upgrade():
    op.create_index('ix_decisions_awaiting_sign_off', 'decisions', ['decided_at', 'id'],
                    unique=False, postgresql_where=sa.text(AWAITING),
                    sqlite_where=sa.text(AWAITING))


def downgrade():
    op.drop_index('ix_decisions_awaiting_sign_off', table_name='decisions',
                  postgresql_where=sa.text(AWAITING), sqlite_where=sa.text(AWAITING))
