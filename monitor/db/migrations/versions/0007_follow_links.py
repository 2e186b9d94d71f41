"""following links to the article: the links a watcher has read, pages read, pages that failed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_digests', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('followed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('follow_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('follow_error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.drop_column('follow_error')
        batch_op.drop_column('follow_failures')
        batch_op.drop_column('followed')
        batch_op.drop_column('link_digests')
