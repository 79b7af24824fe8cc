"""record state: each audit event carries the hash of its record's state after the write

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 09:00:00

`audit_events.state_hash`: sha256 of the canonical state of the record the event names, just
after the write (api/record_state.py), part of the event's hashed payload when not null. Events
appended before this revision have none: `GET /audit/state` reports their records as
`no_state_recorded` until a write (or `flask audit baseline`) appends an event that has one. No
baseline is computed here: a migration that vouched for the records as they stand would vouch for
whatever was edited behind the API's back before it ran.

Adding a nullable column changes no row, so the append-only triggers are not touched (on SQLite
it is a plain ALTER TABLE ADD COLUMN, not a table rebuild that would drop them).
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _has_state_hash():
    columns = sa.inspect(op.get_bind()).get_columns('audit_events')
    return any(column['name'] == 'state_hash' for column in columns)


def upgrade():
    # A downgrade keeps the column when events already hold states (below): use it again.
    if not _has_state_hash():
        op.add_column('audit_events', sa.Column('state_hash', sa.String(length=64), nullable=True))


def downgrade():
    # Events hashed with their state no longer verify without it, and it cannot be recomputed
    # later: keep the column (and what it holds) if any event has one. Code before 0013 neither
    # reads nor writes it.
    held = op.get_bind().scalar(sa.text(
        "SELECT count(*) FROM audit_events WHERE state_hash IS NOT NULL"))
    if not held:
        op.execute('ALTER TABLE audit_events DROP COLUMN state_hash')
