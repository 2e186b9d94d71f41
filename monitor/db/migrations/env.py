"""Alembic environment: the SQLModel metadata, the engine handed over by monitor.db.schema."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import monitor.db.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    """The search index (an FTS5 table and its shadow tables) is made by hand, not from models."""
    return not (type_ == "table" and name and name.startswith("event_search"))


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", include_object=_ours)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
