"""Partner notifications: agencies' webhook subscriptions, the outbox of their messages, and each
attempt to deliver one

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 14:10:00

`webhook_subscriptions`: an agency's endpoint (its URL, the events it wants, its admin contact
for failures, and the signing secret, encrypted). `webhook_messages`: the outbox, one row per
event and subscription, written in the transaction of the change that causes it, then delivered
by a worker (pending, delivered or failed; its attempts, the next one, the last answer).
`webhook_attempts`: the delivery log, one row per post. Nothing to backfill.
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# api/vocab.py as it stood (see 0009: a landed migration keeps its own copy).
WEBHOOK_EVENTS = ("contact.decided", "contact.feedback_given", "information_request.created",
                  "information_request.withdrawn")
WEBHOOK_MESSAGE_STATUSES = ("pending", "delivered", "failed")


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
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('agency_code', sa.String(length=32), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=True),
        sa.Column('secret_ciphertext', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_sub', sa.String(length=100), nullable=False),
        sa.Column('secret_rotated_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('disabled_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('disabled_by_sub', sa.String(length=100), nullable=True),
        sa.CheckConstraint(_list_of('events', WEBHOOK_EVENTS),
                           name=op.f('ck_webhook_subscriptions_events')),
        sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'],
                                name=op.f('fk_webhook_subscriptions_agency_code_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    )
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_subscriptions_agency_code', ['agency_code'],
                              unique=False)

    op.create_table(
        'webhook_messages',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('subscription_id', sa.Uuid(), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('failed_at', api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.CheckConstraint(_one_of('event', WEBHOOK_EVENTS),
                           name=op.f('ck_webhook_messages_event')),
        sa.CheckConstraint(_one_of('status', WEBHOOK_MESSAGE_STATUSES),
                           name=op.f('ck_webhook_messages_status')),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'],
                                name=op.f('fk_webhook_messages_subscription_id_webhook_subscriptions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_messages')),
    )
    with op.batch_alter_table('webhook_messages', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_messages_status_next_attempt_at',
                              ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_messages_subscription_id_created_at',
                              ['subscription_id', 'created_at'], unique=False)

    op.create_table(
        'webhook_attempts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('message_id', sa.String(length=40), nullable=False),
        sa.Column('attempted_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['webhook_messages.id'],
                                name=op.f('fk_webhook_attempts_message_id_webhook_messages')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts')),
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_attempts_message_id', ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_attempts_message_id')
    op.drop_table('webhook_attempts')
    with op.batch_alter_table('webhook_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_messages_subscription_id_created_at')
        batch_op.drop_index('ix_webhook_messages_status_next_attempt_at')
    op.drop_table('webhook_messages')
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_subscriptions_agency_code')
    op.drop_table('webhook_subscriptions')
