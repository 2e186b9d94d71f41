"""role-only events: a departure known by organisation and role, before anyone names the person

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('events', 'mentions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('person', existing_type=sa.String(length=512), nullable=True)


def downgrade() -> None:
    for table in ('events', 'mentions'):
        op.execute(f"UPDATE {table} SET person = coalesce(role, '') WHERE person IS NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('person', existing_type=sa.String(length=512), nullable=False)
