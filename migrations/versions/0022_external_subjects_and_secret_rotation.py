"""External subjects and secret rotation: accounts for the council's identity provider's people
and systems, and a client secret's predecessor accepted for a grace period

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 13:40:00

`accounts` gains:
- `issuer` and `subject`: an account for a subject of an external issuer (api/issuers.py), keyed
  on the two (unique), with no secret of its own here (`secret_hash` is null for it and only for
  it: a CHECK holds the two shapes apart). An admin registers one to manage it: disabled, its
  tokens are refused whatever the provider says.
- `last_disabled_at`: when the account was last disabled. A provider's token carries no token
  generation of ours, so a token it issued before then stays refused after the account is enabled
  again, as a local account's do.
- `previous_secret_hash` and `previous_secret_expires_at`: a client's secret before its last
  rotation, still accepted until then.
Nothing to backfill: every existing account is local, never rotated.
"""

from alembic import op
import sqlalchemy as sa
import api.db


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

SHAPES = ("(issuer IS NULL AND subject IS NULL AND secret_hash IS NOT NULL) OR "
          "(issuer IS NOT NULL AND subject IS NOT NULL AND secret_hash IS NULL "
          "AND previous_secret_hash IS NULL)")


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_disabled_at', api.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('previous_secret_hash', sa.String(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at',
                                      api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('secret_hash', existing_type=sa.String(length=255), nullable=True)
        batch_op.create_unique_constraint(op.f('uq_accounts_issuer_subject'),
                                          ['issuer', 'subject'])
        batch_op.create_check_constraint(op.f('ck_accounts_local_or_external'), SHAPES)


def downgrade():
    op.execute("DELETE FROM accounts WHERE issuer IS NOT NULL")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_local_or_external'), type_='check')
        batch_op.drop_constraint(op.f('uq_accounts_issuer_subject'), type_='unique')
        batch_op.alter_column('secret_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret_hash')
        batch_op.drop_column('last_disabled_at')
        batch_op.drop_column('subject')
        batch_op.drop_column('issuer')
