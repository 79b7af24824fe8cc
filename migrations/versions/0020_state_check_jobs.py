"""State check jobs: the check of every record against its latest audit event, as a job

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 08:30:00

A job may now be `audit.state` (POST /api/v1/jobs/state-checks): jobs.kind's CHECK constraint
takes the new kind. Nothing to backfill.
"""

from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
BEFORE = ("audit.verify", "exports.decisions", "exports.annex_a")
AFTER = ("audit.verify", "audit.state", "exports.decisions", "exports.annex_a")


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _kinds(values):
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_jobs_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_kind'), _one_of('kind', values))


def upgrade():
    _kinds(AFTER)


def downgrade():
    op.execute("DELETE FROM job_chunks WHERE job_id IN (SELECT id FROM jobs WHERE kind = 'audit.state')")
    op.execute("DELETE FROM jobs WHERE kind = 'audit.state'")
    _kinds(BEFORE)
