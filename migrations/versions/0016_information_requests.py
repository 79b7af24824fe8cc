"""Information requests: the MASH asks a partner agency what it knows, by a deadline, once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00

Staff ask an agency about some of a contact's children (POST /contacts/{id}/information-requests);
the request is due by a time the contact's RAG rating set when it was asked (red 2 clock hours,
amber 4 working hours, green 1 working day, unrated as amber), and the agency answers once; an answer
after the contact's decision is flagged (after_decision). One
open request per agency per contact (a partial unique index). The children asked about are rows
of information_request_children, in the order asked. Nothing to backfill: there were none.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
INFORMATION_REQUEST_STATUSES = ("open", "answered", "withdrawn")
RAG_RATINGS = ("red", "amber", "green")
ACTOR_ROLES = ("agency", "practitioner", "manager", "auditor", "admin", "system")
OPEN = "status = 'open'"


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def upgrade():
    op.create_table('information_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('rag_rating', sa.String(length=5), nullable=True),
    sa.Column('requested_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by_sub', sa.String(length=100), nullable=False),
    sa.Column('requested_by_role', sa.String(length=20), nullable=False),
    sa.Column('due_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('known', sa.Boolean(), nullable=True),
    sa.Column('information', sa.Text(), nullable=True),
    sa.Column('responded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('responded_by_sub', sa.String(length=100), nullable=True),
    sa.Column('within_deadline', sa.Boolean(), nullable=True),
    sa.Column('after_decision', sa.Boolean(), nullable=True),
    sa.Column('withdrawn_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_sub', sa.String(length=100), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.CheckConstraint(_one_of('status', INFORMATION_REQUEST_STATUSES),
                       name=op.f('ck_information_requests_status')),
    sa.CheckConstraint(_one_of('rag_rating', RAG_RATINGS),
                       name=op.f('ck_information_requests_rag_rating')),
    sa.CheckConstraint(_one_of('requested_by_role', ACTOR_ROLES),
                       name=op.f('ck_information_requests_requested_by_role')),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'],
                            name=op.f('fk_information_requests_agency_agencies')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_information_requests_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests'))
    )
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.create_index('ix_information_requests_agency_requested_at',
                              ['agency', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_requests_contact_id'), ['contact_id'],
                              unique=False)
        batch_op.create_index('ix_information_requests_requested_at_id', ['requested_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_information_requests_status_due', ['status', 'due_at'],
                              unique=False)
        batch_op.create_index('uq_information_requests_open_per_agency', ['contact_id', 'agency'],
                              unique=True, postgresql_where=sa.text(OPEN),
                              sqlite_where=sa.text(OPEN))

    op.create_table('information_request_children',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'],
                            name=op.f('fk_information_request_children_child_id_children')),
    sa.ForeignKeyConstraint(['request_id'], ['information_requests.id'],
                            name=op.f('fk_information_request_children_request_id_information_requests')),
    sa.PrimaryKeyConstraint('request_id', 'position', name=op.f('pk_information_request_children'))
    )
    with op.batch_alter_table('information_request_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_request_children_child_id'), ['child_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('information_request_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_information_request_children_child_id'))
    op.drop_table('information_request_children')
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_information_requests_open_per_agency',
                            postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_information_requests_status_due')
        batch_op.drop_index('ix_information_requests_requested_at_id')
        batch_op.drop_index(batch_op.f('ix_information_requests_contact_id'))
        batch_op.drop_index('ix_information_requests_agency_requested_at')
    op.drop_table('information_requests')
