"""access log: who read which case records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:59:45.941286

Like the audit trail, the access log is append-only in the database itself: triggers refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL) on both of its tables, whoever asks.
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('access_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_sub', sa.String(length=100), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('actor_agency', sa.String(length=32), nullable=True),
    sa.Column('actor_service', sa.String(length=20), nullable=True),
    sa.Column('token', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('endpoint', sa.String(length=100), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('record_ids', sa.JSON(), nullable=True),
    sa.Column('child_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_events'))
    )
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.create_index('ix_access_events_actor_sub_at_id', ['actor_sub', 'at', 'id'], unique=False)
        batch_op.create_index('ix_access_events_at_id', ['at', 'id'], unique=False)

    op.create_table('access_event_records',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['access_events.id'], name=op.f('fk_access_event_records_event_id_access_events')),
    sa.PrimaryKeyConstraint('event_id', 'record_id', name=op.f('pk_access_event_records'))
    )
    with op.batch_alter_table('access_event_records', schema=None) as batch_op:
        batch_op.create_index('ix_access_event_records_record_id_at_event_id', ['record_id', 'at', 'event_id'], unique=False)

    _append_only_triggers()


def downgrade():
    with op.batch_alter_table('access_event_records', schema=None) as batch_op:
        batch_op.drop_index('ix_access_event_records_record_id_at_event_id')

    op.drop_table('access_event_records')
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_index('ix_access_events_at_id')
        batch_op.drop_index('ix_access_events_actor_sub_at_id')

    op.drop_table('access_events')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION access_log_append_only()')


APPEND_ONLY_TABLES = ('access_events', 'access_event_records')


def _append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"
            )
    else:
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                    f"ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
                )
