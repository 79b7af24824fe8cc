"""Jobs: long work (verifying the audit chain, exports of any size) done by a worker, not a request

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:30:00

POST /api/v1/jobs queues a job (jobs); a worker (`flask jobs work`, which `make run` starts
beside the server) takes the oldest queued one, or a running one whose worker went quiet, records
its progress (done, of) and its result; an export's file is kept in pieces (job_chunks), read back
by GET /jobs/{id}/result. Nothing to backfill: there were none.
"""

from alembic import op
import sqlalchemy as sa

import api.db


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
JOB_KINDS = ("audit.verify", "exports.decisions", "exports.annex_a")
JOB_STATUSES = ("queued", "running", "finished", "failed")
ACTOR_ROLES = ("agency", "practitioner", "manager", "auditor", "admin", "system")


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _one_of(column, values):
    return f"{column} IN ({', '.join(map(_quoted, values))})"


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_sub', sa.String(length=100), nullable=False),
    sa.Column('requested_by_role', sa.String(length=20), nullable=False),
    sa.Column('requested_by_service', sa.String(length=20), nullable=True),
    sa.Column('requested_by_agency', sa.String(length=32), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('start', sa.String(length=10), nullable=True),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('done', sa.BigInteger(), nullable=False),
    sa.Column('of', sa.BigInteger(), nullable=True),
    sa.Column('resume', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint(_one_of('kind', JOB_KINDS), name=op.f('ck_jobs_kind')),
    sa.CheckConstraint(_one_of('status', JOB_STATUSES), name=op.f('ck_jobs_status')),
    sa.CheckConstraint(_one_of('requested_by_role', ACTOR_ROLES),
                       name=op.f('ck_jobs_requested_by_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_requested_by_created_at', ['requested_by_sub', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_jobs_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('job_chunks',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_chunks_job_id_jobs')),
    sa.PrimaryKeyConstraint('job_id', 'position', name=op.f('pk_job_chunks'))
    )


def downgrade():
    op.drop_table('job_chunks')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_created_at')
        batch_op.drop_index('ix_jobs_requested_by_created_at')
    op.drop_table('jobs')
