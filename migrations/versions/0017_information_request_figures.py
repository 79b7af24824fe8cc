"""Information requests' scorecard: seconds to answer stored with the answer, and one covering index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:00:00

GET /metrics/timeliness gains information_requests (per agency: requested, answered, answered in
time, median hours to answer, open, overdue, withdrawn). An answer now stores the whole seconds
from requested_at to responded_at (seconds_to_response), as a decision stores seconds_from_receipt,
so the median compares a column on both engines; and ix_information_requests_figures
(requested_at, agency, status, due_at, within_deadline, seconds_to_response) serves every figure
from one range of one index.

Backfill: each answered request's seconds from its own two times (in Python, the same on both
engines; the table is young, so this is quick). Downgrade drops the index and the column.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

FIGURES = ['requested_at', 'agency', 'status', 'due_at', 'within_deadline', 'seconds_to_response']


def upgrade():
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seconds_to_response', sa.Integer(), nullable=True))

    requests = sa.table(
        'information_requests',
        sa.column('id', sa.Uuid()),
        sa.column('requested_at', api.db.UTCDateTime(timezone=True)),
        sa.column('responded_at', api.db.UTCDateTime(timezone=True)),
        sa.column('seconds_to_response', sa.Integer()),
    )
    connection = op.get_bind()
    answered = connection.execute(
        sa.select(requests.c.id, requests.c.requested_at, requests.c.responded_at)
        .where(requests.c.responded_at.is_not(None))
    ).all()
    for request_id, requested_at, responded_at in answered:
        connection.execute(
            requests.update().where(requests.c.id == request_id)
            .values(seconds_to_response=int((responded_at - requested_at).total_seconds()))
        )

    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.create_index('ix_information_requests_figures', FIGURES, unique=False)


def downgrade():
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_information_requests_figures')
        batch_op.drop_column('seconds_to_response')
