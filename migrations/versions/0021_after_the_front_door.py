"""After the front door: allocation, single assessments, closure, primary need, disability

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:07:14

What the statutory returns need of a referral once the front door has made it (DOMAIN.md,
"After the front door"): `assessments` (a referral's s17 single assessment of one of its children,
started and then completed with the child seen, a manager's authorisation, the CIN census factors (a row each in `assessment_factors`),
outcome and rationale; due 45 working days after the referral), `allocations` (a referral or an
assessment allocated to a team and a worker, every allocation kept; the current one also on the
contact or assessment row), a referral's primary need and closure (CIN census codes) on
`contacts`, a child's disability on `children`, a child protection plan's category of abuse on
`strategy_meeting_icpc_children`, and on `decisions` when a referral must be allocated by (the end of the 5th working day after it). Every coded column is held to its codes
by a CHECK. Nothing to backfill: no record had any of these, and referrals decided before this
revision have no allocation deadline (nothing could be allocated then; the metrics leave them
out rather than count every one of them as late).
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
ACTOR_ROLES = ("agency", "practitioner", "manager", "auditor", "admin", "system")
ASSESSMENT_STATUSES = ("open", "completed")
ASSESSMENT_OUTCOMES = ("no_further_action", "early_help", "child_in_need_plan",
                       "strategy_discussion", "looked_after", "other_service")
PRIMARY_NEEDS = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
CLOSURE_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9")
ABUSE_CATEGORIES = ("NEG", "PHY", "SAB", "EMO", "MUL")
DISABILITIES = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA")
ASSESSMENT_FACTORS = (
    "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C",
    "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A",
    "14A", "15A", "16A", "17A", "18B", "18C", "19B", "19C", "20", "21", "22A", "23A", "24A",
)


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def _list_of(column, values):
    # A JSON list, tested as text: neither engine allows a subquery in a CHECK (see 0009).
    text = f"CAST({column} AS TEXT)"
    rest = text
    for value in values:
        rest = f"replace({rest}, {_quoted(chr(34) + value + chr(34))}, ' ')"
    return (f"{text} LIKE '[%]' AND {text} NOT LIKE '_%[%' AND {text} NOT LIKE '%]_%' "
            f"AND ltrim({rest}, '[], ') = ''")


def upgrade():
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('referred_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by_sub', sa.String(length=100), nullable=False),
    sa.Column('started_by_role', sa.String(length=20), nullable=False),
    sa.Column('due_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('child_seen_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('authorised_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('authorised_by_sub', sa.String(length=100), nullable=True),
    sa.Column('completion_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('primary_need', sa.String(length=4), nullable=True),
    sa.Column('within_45_working_days', sa.Boolean(), nullable=True),
    sa.Column('allocated_team', sa.String(length=100), nullable=True),
    sa.Column('allocated_worker', sa.String(length=100), nullable=True),
    sa.Column('allocated_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(_one_of('outcome', ASSESSMENT_OUTCOMES), name=op.f('ck_assessments_outcome')),
    sa.CheckConstraint(_one_of('primary_need', PRIMARY_NEEDS), name=op.f('ck_assessments_primary_need')),
    sa.CheckConstraint(_one_of('started_by_role', ACTOR_ROLES), name=op.f('ck_assessments_started_by_role')),
    sa.CheckConstraint(_one_of('status', ASSESSMENT_STATUSES), name=op.f('ck_assessments_status')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_assessments_child_id_children')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_assessments_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('contact_id', 'child_id', name=op.f('uq_assessments_contact_id_child_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_assessments_reference'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_child_id', ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_assessments_started_at_id', ['started_at', 'id'], unique=False)
        batch_op.create_index('ix_assessments_status_due', ['status', 'due_at'], unique=False)

    op.create_table('assessment_factors',
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.CheckConstraint(_one_of('code', ASSESSMENT_FACTORS), name=op.f('ck_assessment_factors_code')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'],
                            name=op.f('fk_assessment_factors_assessment_id_assessments')),
    sa.PrimaryKeyConstraint('assessment_id', 'position', name=op.f('pk_assessment_factors')),
    sa.UniqueConstraint('assessment_id', 'code', name=op.f('uq_assessment_factors_assessment_id_code'))
    )

    op.create_table('allocations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('assessment_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('team', sa.String(length=100), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('allocated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_sub', sa.String(length=100), nullable=False),
    sa.Column('recorded_by_role', sa.String(length=20), nullable=False),
    sa.CheckConstraint(_one_of('recorded_by_role', ACTOR_ROLES), name=op.f('ck_allocations_recorded_by_role')),
    sa.CheckConstraint('(contact_id IS NULL) <> (assessment_id IS NULL)', name=op.f('ck_allocations_one_record')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_allocations_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_allocations_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations')),
    sa.UniqueConstraint('assessment_id', 'position', name=op.f('uq_allocations_assessment_id_position')),
    sa.UniqueConstraint('contact_id', 'position', name=op.f('uq_allocations_contact_id_position'))
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_contact_id'), ['contact_id'], unique=False)

    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disability', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('disabilities', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_children_disabilities'),
                                         _list_of('disabilities', DISABILITIES))

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocation_due_at', api.db.UTCDateTime(timezone=True),
                                      nullable=True))

    with op.batch_alter_table('strategy_meeting_icpc_children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_of_abuse', sa.String(length=4), nullable=True))
        batch_op.create_check_constraint(op.f('ck_strategy_meeting_icpc_children_category_of_abuse'),
                                         _one_of('category_of_abuse', ABUSE_CATEGORIES))

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocated_team', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('allocated_worker', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('allocated_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('primary_need', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closure_reason', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('closure_rationale', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closure_recorded_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_sub', sa.String(length=100), nullable=True))
        batch_op.create_check_constraint(op.f('ck_contacts_primary_need'),
                                         _one_of('primary_need', PRIMARY_NEEDS))
        batch_op.create_check_constraint(op.f('ck_contacts_closure_reason'),
                                         _one_of('closure_reason', CLOSURE_REASONS))



def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contacts_closure_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_contacts_primary_need'), type_='check')
        batch_op.drop_column('closed_by_sub')
        batch_op.drop_column('closure_recorded_at')
        batch_op.drop_column('closure_rationale')
        batch_op.drop_column('closure_reason')
        batch_op.drop_column('closed_on')
        batch_op.drop_column('primary_need')
        batch_op.drop_column('allocated_at')
        batch_op.drop_column('allocated_worker')
        batch_op.drop_column('allocated_team')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('allocation_due_at')

    with op.batch_alter_table('strategy_meeting_icpc_children', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_strategy_meeting_icpc_children_category_of_abuse'),
                                 type_='check')
        batch_op.drop_column('category_of_abuse')

    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_children_disabilities'), type_='check')
        batch_op.drop_column('disabilities')
        batch_op.drop_column('disability')

    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_contact_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_assessment_id'))

    op.drop_table('allocations')
    op.drop_table('assessment_factors')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_status_due')
        batch_op.drop_index('ix_assessments_started_at_id')
        batch_op.drop_index(batch_op.f('ix_assessments_contact_id'))
        batch_op.drop_index('ix_assessments_child_id')

    op.drop_table('assessments')
