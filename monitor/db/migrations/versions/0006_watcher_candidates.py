"""watcher candidates: how many new feed items held a departure word and were parsed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidates', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.drop_column('candidates')
