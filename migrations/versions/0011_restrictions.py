"""restrictions: a child or contact restricted to named staff, and managers' break-glass grants

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00

A restriction names the record (a child or a contact), why, who set it and the staff it allows
(restriction_members, one row per account name); lifting it keeps the row (lifted_at), and a
partial unique index keeps at most one in force per record. A break-glass grant lets one manager
read the record for a short time, with a reason (restriction_grants). The vocabulary of
entity_type is checked by the database, as migration 0009 does for the others.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'restrictions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('entity_type', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('restricted_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('restricted_by_sub', sa.String(length=100), nullable=False),
        sa.Column('lifted_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lifted_by_sub', sa.String(length=100), nullable=True),
        sa.Column('lift_reason', sa.Text(), nullable=True),
        sa.CheckConstraint("entity_type IN ('child', 'contact')",
                           name=op.f('ck_restrictions_entity_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_restrictions')),
    )
    op.create_index('uq_restrictions_in_force', 'restrictions', ['entity_type', 'entity_id'],
                    unique=True, sqlite_where=sa.text('lifted_at IS NULL'),
                    postgresql_where=sa.text('lifted_at IS NULL'))
    op.create_index('ix_restrictions_restricted_at_id', 'restrictions', ['restricted_at', 'id'])
    op.create_table(
        'restriction_members',
        sa.Column('restriction_id', sa.Uuid(), nullable=False),
        sa.Column('sub', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['restriction_id'], ['restrictions.id'],
                                name=op.f('fk_restriction_members_restriction_id_restrictions')),
        sa.PrimaryKeyConstraint('restriction_id', 'sub', name=op.f('pk_restriction_members')),
    )
    op.create_table(
        'restriction_grants',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('restriction_id', sa.Uuid(), nullable=False),
        sa.Column('granted_to_sub', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('granted_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['restriction_id'], ['restrictions.id'],
                                name=op.f('fk_restriction_grants_restriction_id_restrictions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_restriction_grants')),
    )
    op.create_index('ix_restriction_grants_restriction_id', 'restriction_grants',
                    ['restriction_id'])
    op.create_index('ix_restriction_grants_sub_expires', 'restriction_grants',
                    ['granted_to_sub', 'expires_at'])
    op.create_index('ix_restriction_grants_granted_at_id', 'restriction_grants',
                    ['granted_at', 'id'])


def downgrade():
    op.drop_table('restriction_grants')
    op.drop_table('restriction_members')
    op.drop_index('ix_restrictions_restricted_at_id', table_name='restrictions')
    op.drop_index('uq_restrictions_in_force', table_name='restrictions')
    op.drop_table('restrictions')
