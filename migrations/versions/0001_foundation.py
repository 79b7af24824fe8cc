"""foundation: accounts, agencies, children, contacts, consent, audit, idempotency

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 02:48:29.985267

The audit trail is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), whoever asks.
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agencies',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('referral_source', sa.String(length=4), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_agencies'))
    )
    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_sub', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_agency', sa.String(length=32), nullable=True),
    sa.Column('actor_service', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_actor_sub', ['actor_sub', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id', 'seq'], unique=False)
    _append_only_triggers()

    op.create_table('children',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('expected_date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('local_child_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children')),
    sa.UniqueConstraint('local_child_id', name=op.f('uq_children_local_child_id')),
    sa.UniqueConstraint('nhs_number', name=op.f('uq_children_nhs_number')),
    sa.UniqueConstraint('reference', name=op.f('uq_children_reference'))
    )
    op.create_table('idempotency_records',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('locked_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.Text(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('completed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_idempotency_records_scope_key'))
    )
    op.create_table('reference_counters',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_reference_counters'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=True),
    sa.Column('agency_code', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_accounts_agency_code_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('name', name=op.f('uq_accounts_name'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_agency', sa.String(length=32), nullable=False),
    sa.Column('source_reference', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('referrer', sa.JSON(), nullable=True),
    sa.Column('concern_categories', sa.JSON(), nullable=False),
    sa.Column('concern_summary', sa.Text(), nullable=False),
    sa.Column('consent_status', sa.String(length=12), nullable=False),
    sa.Column('consent_given_by', sa.String(length=200), nullable=True),
    sa.Column('consent_reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decision_due_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_sub', sa.String(length=100), nullable=False),
    sa.Column('recorded_by_role', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_agency'], ['agencies.code'], name=op.f('fk_contacts_source_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('reference', name=op.f('uq_contacts_reference'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_received_at_id', ['received_at', 'id'], unique=False)
        batch_op.create_index('ix_contacts_recorded_by_role_source', ['recorded_by_role', 'source_agency'], unique=False)
        batch_op.create_index('ix_contacts_source_agency_received_at', ['source_agency', 'received_at'], unique=False)
        batch_op.create_index('ix_contacts_status_due', ['status', 'decision_due_at'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('given_by', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_sub', sa.String(length=100), nullable=False),
    sa.Column('recorded_by_role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_consent_records_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_contact_id'), ['contact_id'], unique=False)

    op.create_table('contact_children',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_contact_children_child_id_children')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_children_contact_id_contacts')),
    sa.PrimaryKeyConstraint('contact_id', 'child_id', name=op.f('pk_contact_children'))
    )
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_children_child_id'), ['child_id'], unique=False)



def downgrade():
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_children_child_id'))

    op.drop_table('contact_children')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_contact_id'))

    op.drop_table('consent_records')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_status_due')
        batch_op.drop_index('ix_contacts_source_agency_received_at')
        batch_op.drop_index('ix_contacts_recorded_by_role_source')
        batch_op.drop_index('ix_contacts_received_at_id')

    op.drop_table('contacts')
    op.drop_table('accounts')
    op.drop_table('reference_counters')
    op.drop_table('idempotency_records')
    op.drop_table('children')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_sub')

    op.drop_table('audit_events')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION audit_events_append_only()')
    op.drop_table('agencies')


def _append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{operation.lower()} BEFORE {operation} "
                "ON audit_events BEGIN "
                f"SELECT RAISE(ABORT, 'audit_events is append-only: {operation} refused'); END"
            )
