"""a child's identity: entries as given, possible matches, link decisions, merges

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:00:00

A contact no longer changes a council child record: what the referrer says about each child is
kept on the contact's child entry (contact_children: `details` as given, now required), linked to
a record only on strong evidence (a valid NHS number with the same date of birth). Weaker
evidence becomes a row of possible_matches, which a practitioner confirms or rejects (each
decision a row of child_link_decisions, for the chronology). A duplicate record is merged into
another (child_merges, and children.merged_into_id on the duplicate), and a merge can be undone.

contact_children is keyed by (contact_id, position) rather than (contact_id, child_id): after a
merge, one contact may name the same record twice (it listed the duplicate and the survivor).
`first_child_id` is the record each entry was first linked to, which is what the referrer was
told and still sees (API.md: a partner's answer never depends on what the council learns).

Backfill: every existing entry's first_child_id is its current child_id; an entry recorded
before details were kept (0002) takes them from its child record as it now stands, the nearest
to "as given" there is. Identifiers that contacts added to child records before this revision
stay on the records (the audit trail's `child.identifiers_added` events say which, for a
practitioner to review); nothing can tell them apart from the council's own.

Downgrade: the new tables and columns go; a merged duplicate becomes a record of its own again
(its contacts, meetings and transitions stay where the merge moved them), and where one contact
names the same record twice (after a merge) only its first entry can be kept by the old key.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


MATCH_STATUSES = ("open", "confirmed", "rejected")  # api/vocab.py as it stood (see 0009)


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def upgrade():
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_children_date_of_birth'), ['date_of_birth'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_children_merged_into_id'), ['merged_into_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_children_merged_into_id_children'),
                                    'children', ['merged_into_id'], ['id'])

    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_child_id', sa.Uuid(), nullable=True))
    _backfill_entries()
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.alter_column('first_child_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('details', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint('pk_contact_children', type_='primary')
        batch_op.create_primary_key('pk_contact_children', ['contact_id', 'position'])
        batch_op.create_foreign_key(batch_op.f('fk_contact_children_first_child_id_children'),
                                    'children', ['first_child_id'], ['id'])

    op.create_table('possible_matches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Uuid(), nullable=False),
    sa.Column('by_nhs_number', sa.Boolean(), nullable=False),
    sa.Column('by_local_child_id', sa.Boolean(), nullable=False),
    sa.Column('by_name_and_date_of_birth', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('found_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_sub', sa.String(length=100), nullable=True),
    sa.CheckConstraint(_one_of('status', MATCH_STATUSES), name=op.f('ck_possible_matches_status')),
    sa.ForeignKeyConstraint(['candidate_id'], ['children.id'], name=op.f('fk_possible_matches_candidate_id_children')),
    sa.ForeignKeyConstraint(['contact_id', 'position'], ['contact_children.contact_id', 'contact_children.position'], name=op.f('fk_possible_matches_contact_id_contact_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_possible_matches')),
    sa.UniqueConstraint('contact_id', 'position', 'candidate_id', name=op.f('uq_possible_matches_contact_id_position_candidate_id'))
    )
    op.create_index('ix_possible_matches_candidate_id_status', 'possible_matches', ['candidate_id', 'status'], unique=False)

    op.create_table('child_link_decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('from_child_id', sa.Uuid(), nullable=False),
    sa.Column('to_child_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_sub', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['contact_id', 'position'], ['contact_children.contact_id', 'contact_children.position'], name=op.f('fk_child_link_decisions_contact_id_contact_children')),
    sa.ForeignKeyConstraint(['from_child_id'], ['children.id'], name=op.f('fk_child_link_decisions_from_child_id_children')),
    sa.ForeignKeyConstraint(['to_child_id'], ['children.id'], name=op.f('fk_child_link_decisions_to_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_link_decisions'))
    )
    op.create_index('ix_child_link_decisions_contact_id_position', 'child_link_decisions', ['contact_id', 'position'], unique=False)
    op.create_index(op.f('ix_child_link_decisions_from_child_id'), 'child_link_decisions', ['from_child_id'], unique=False)
    op.create_index(op.f('ix_child_link_decisions_to_child_id'), 'child_link_decisions', ['to_child_id'], unique=False)

    op.create_table('child_merges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('duplicate_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('merged_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('merged_by_sub', sa.String(length=100), nullable=False),
    sa.Column('unmerged_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unmerged_by_sub', sa.String(length=100), nullable=True),
    sa.Column('unmerge_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_child_merges_child_id_children')),
    sa.ForeignKeyConstraint(['duplicate_id'], ['children.id'], name=op.f('fk_child_merges_duplicate_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_merges'))
    )
    op.create_index(op.f('ix_child_merges_child_id'), 'child_merges', ['child_id'], unique=False)
    op.create_index(op.f('ix_child_merges_duplicate_id'), 'child_merges', ['duplicate_id'], unique=False)


def _backfill_entries():
    connection = op.get_bind()
    links = sa.table('contact_children', sa.column('contact_id', sa.Uuid()),
                     sa.column('child_id', sa.Uuid()), sa.column('first_child_id', sa.Uuid()),
                     sa.column('details', sa.JSON()))
    children = sa.table('children', sa.column('id', sa.Uuid()),
                        *(sa.column(name) for name in _GIVEN))
    connection.execute(sa.update(links).values(first_child_id=links.c.child_id))
    missing = connection.execute(
        sa.select(links.c.contact_id, links.c.child_id, *(children.c[name] for name in _GIVEN))
        .join(children, children.c.id == links.c.child_id)
        .where(links.c.details.is_(None))
    ).all()
    for row in missing:
        details = {name: _as_json(getattr(row, name)) for name in _GIVEN
                   if getattr(row, name) is not None}
        connection.execute(
            sa.update(links)
            .where(links.c.contact_id == row.contact_id, links.c.child_id == row.child_id)
            .values(details=details))


# The child's details a contact gives (api/schemas ChildInSchema as it stood).
_GIVEN = ('given_name', 'family_name', 'date_of_birth', 'expected_date_of_birth', 'sex',
          'ethnicity', 'nhs_number', 'local_child_id')


def _as_json(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value


def downgrade():
    op.drop_index(op.f('ix_child_merges_duplicate_id'), table_name='child_merges')
    op.drop_index(op.f('ix_child_merges_child_id'), table_name='child_merges')
    op.drop_table('child_merges')
    op.drop_index(op.f('ix_child_link_decisions_to_child_id'), table_name='child_link_decisions')
    op.drop_index(op.f('ix_child_link_decisions_from_child_id'), table_name='child_link_decisions')
    op.drop_index('ix_child_link_decisions_contact_id_position', table_name='child_link_decisions')
    op.drop_table('child_link_decisions')
    op.drop_index('ix_possible_matches_candidate_id_status', table_name='possible_matches')
    op.drop_table('possible_matches')

    # The old key holds one entry per contact and child: after a merge, keep the first.
    op.execute(
        "DELETE FROM contact_children WHERE EXISTS (SELECT 1 FROM contact_children AS earlier "
        "WHERE earlier.contact_id = contact_children.contact_id "
        "AND earlier.child_id = contact_children.child_id "
        "AND earlier.position < contact_children.position)"
    )
    with op.batch_alter_table('contact_children', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contact_children_first_child_id_children'),
                                 type_='foreignkey')
        batch_op.drop_constraint('pk_contact_children', type_='primary')
        batch_op.create_primary_key('pk_contact_children', ['contact_id', 'child_id'])
        batch_op.alter_column('details', existing_type=sa.JSON(), nullable=True)
        batch_op.drop_column('first_child_id')

    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_children_merged_into_id_children'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_children_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_children_date_of_birth'))
        batch_op.drop_column('merged_into_id')
