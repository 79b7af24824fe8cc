"""RAG ratings: a contact's current rating, each rating given, and decisions judged by both deadlines

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:10:00

A practitioner RAG rates a contact (POST /contacts/{id}/rag); the rating sets the contact's
decision_due_at (red 4 clock hours after receipt, amber 1 working day, green 3 by default) and
every rating given is a row of rag_ratings, in the order given (`position`, 0 the first).
contacts.rag_rating is the current one (null: unrated), counted by the metrics from the covering
index ix_contacts_received_at_figures, which gains it. A decision now stores two facts: within
the statutory working day (within_1_working_day, as before, against the statutory deadline
whatever the rating) and within the contact's RAG deadline (within_rag_deadline, new), both in the
covering index ix_decisions_first_by_receipt.

Backfill: no contact is rated before this revision, so every decision's RAG deadline was the
statutory one: within_rag_deadline = within_1_working_day. Downgrade drops the ratings, and a
rated contact's decision_due_at returns to nothing the old code can recompute: run
`flask timescales recompute` (or the equivalent) after it if contacts were rated.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
RAG_RATINGS = ("red", "amber", "green")
ACTOR_ROLES = ("agency", "practitioner", "manager", "auditor", "admin", "system")

FIRST = "supersedes_id IS NULL"
OLD_FIGURES = ['received_at', 'status', 'consent_status', 'decision_due_at', 'feedback_given_at',
               'source_agency']
OLD_FIRST = ['contact_received_at', 'within_24_hours', 'within_1_working_day',
             'seconds_from_receipt']


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rag_rating', sa.String(length=5), nullable=True))
        batch_op.create_check_constraint(op.f('ck_contacts_rag_rating'),
                                         _one_of('rag_rating', RAG_RATINGS))
        batch_op.drop_index('ix_contacts_received_at_figures')
        batch_op.create_index('ix_contacts_received_at_figures', [*OLD_FIGURES, 'rag_rating'],
                              unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('within_rag_deadline', sa.Boolean(), nullable=True))
    decisions = sa.table('decisions', sa.column('within_rag_deadline', sa.Boolean()),
                         sa.column('within_1_working_day', sa.Boolean()))
    op.get_bind().execute(
        sa.update(decisions).values(within_rag_deadline=decisions.c.within_1_working_day))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('within_rag_deadline', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_index('ix_decisions_first_by_receipt', postgresql_where=sa.text(FIRST),
                            sqlite_where=sa.text(FIRST))
        batch_op.create_index('ix_decisions_first_by_receipt', [*OLD_FIRST, 'within_rag_deadline'],
                              unique=False, postgresql_where=sa.text(FIRST),
                              sqlite_where=sa.text(FIRST))

    op.create_table('rag_ratings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=5), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rated_by_sub', sa.String(length=100), nullable=False),
    sa.Column('rated_by_role', sa.String(length=20), nullable=False),
    sa.CheckConstraint(_one_of('rating', RAG_RATINGS), name=op.f('ck_rag_ratings_rating')),
    sa.CheckConstraint(_one_of('rated_by_role', ACTOR_ROLES), name=op.f('ck_rag_ratings_rated_by_role')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_rag_ratings_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rag_ratings')),
    sa.UniqueConstraint('contact_id', 'position', name=op.f('uq_rag_ratings_contact_id_position'))
    )


def downgrade():
    op.drop_table('rag_ratings')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_first_by_receipt', postgresql_where=sa.text(FIRST),
                            sqlite_where=sa.text(FIRST))
        batch_op.create_index('ix_decisions_first_by_receipt', OLD_FIRST, unique=False,
                              postgresql_where=sa.text(FIRST), sqlite_where=sa.text(FIRST))
        batch_op.drop_column('within_rag_deadline')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_received_at_figures')
        batch_op.create_index('ix_contacts_received_at_figures', OLD_FIGURES, unique=False)
        batch_op.drop_constraint(op.f('ck_contacts_rag_rating'), type_='check')
        batch_op.drop_column('rag_rating')
