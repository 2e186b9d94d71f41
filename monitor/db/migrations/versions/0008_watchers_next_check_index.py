"""an index on watchers.next_check: a worker's claim reads the due watchers in that order
(without it, every claim scans the whole table)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_watchers_next_check', 'watchers', ['next_check'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_watchers_next_check', table_name='watchers')
