"""departure dates: an event whose text names no day takes its first article's date

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 05:30:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # events are sorted and filtered by departure date: fill the ones stored before the article
    # date was the fallback (date() reads a timestamp's day on SQLite and PostgreSQL alike)
    op.execute(
        "UPDATE events SET announced_at = (SELECT min(date(a.published)) FROM mentions m "
        "JOIN articles a ON a.id = m.article_id WHERE m.event_id = events.id) WHERE announced_at IS NULL")
    op.create_index('ix_events_announced_at', 'events', ['announced_at'])


def downgrade() -> None:
    op.drop_index('ix_events_announced_at', 'events')
