"""an index for the claims of due watchers: a worker reads them most overdue first, and the scan
stops at the first one not due, whatever the table's size (without it, every claim reads the
whole table). On PostgreSQL it is on coalesce(next_check, '-infinity'), the claim's own
expression (a watcher never checked is due first), so that the bound is an index condition even
when the planner expects many rows due; on SQLite (one process, one writer) on next_check.

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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_watchers_due ON watchers ((coalesce(next_check, '-infinity'::timestamptz)))")
    else:
        op.create_index('ix_watchers_due', 'watchers', ['next_check'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_watchers_due', table_name='watchers')
