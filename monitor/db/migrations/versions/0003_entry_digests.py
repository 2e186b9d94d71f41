"""entry digests: what a watcher's last body held, item by item

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_digests', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.drop_column('entry_digests')
