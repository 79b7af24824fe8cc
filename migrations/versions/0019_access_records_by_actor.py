"""The access log by record and actor: each access event record keeps its reader, and one index

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00

"Who among X's readers read this child" (GET /audit/access?entity_id=&actor=) walked every read of
the record and filtered them by the event's reader: at 50,000 reads of one child, 36 ms, growing
with them. access_event_records now keeps the event's actor_sub beside its time (as it keeps
`at`: a copy of the event's, for the index; the event itself, sealed into the audit chain, stays
what the filter is checked against), and ix_access_event_records_record_id_actor_sub_at_event_id
makes it one index range.

Backfill: the copy from each row's event. access_event_records is append-only (triggers refuse
UPDATE, even to its owner), so the migration lifts its UPDATE trigger for the backfill and puts
the same trigger back, in the same transaction (PostgreSQL: DISABLE/ENABLE TRIGGER; SQLite: the
trigger dropped and created again as 0004 made it). Seals do not change: they digest an event's
records by their ids only.
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

TABLE = 'access_event_records'
INDEX = 'ix_access_event_records_record_id_actor_sub_at_event_id'
# 0004's SQLite trigger, as it made it.
SQLITE_NO_UPDATE = (
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} BEGIN "
    f"SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END"
)
BACKFILL = (
    f"UPDATE {TABLE} SET actor_sub = "
    f"(SELECT e.actor_sub FROM access_events e WHERE e.id = {TABLE}.event_id)"
)


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}
    if 'actor_sub' not in columns:  # SQLite keeps it on the way down (see downgrade)
        op.add_column(TABLE, sa.Column('actor_sub', sa.String(length=100), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update_delete")
        op.execute(BACKFILL)
        op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_update_delete")
    else:
        op.execute(f"DROP TRIGGER {TABLE}_no_update")
        op.execute(BACKFILL)
        op.execute(SQLITE_NO_UPDATE)
    op.create_index(INDEX, TABLE, ['record_id', 'actor_sub', 'at', 'event_id'], unique=False)


def downgrade():
    op.drop_index(INDEX, table_name=TABLE)
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_column(TABLE, 'actor_sub')
    else:
        # SQLite drops a column by rebuilding the table, which would lose its triggers: the
        # column stays (unused and harmless) on the way down.
        pass
