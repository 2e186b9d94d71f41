"""The schema's version: Alembic migrations (monitor/db/migrations) that run on SQLite and
PostgreSQL. A new database is brought to the latest version when opened; an existing one at an
older version is refused with the command that upgrades it (`monitor db upgrade`).

Opening a store that is already at HEAD reads its version with one plain query: Alembic (and its
script directory) is loaded only when there is something to create or migrate."""
from __future__ import annotations

import sys
from importlib import resources

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

# Alembic's templates (Mako) colour their error pages with Pygments when it is installed (here
# for rich): ~5 MB in the daemon that creates a new store, for pages it never renders.
sys.modules.setdefault("mako.ext.pygmentplugin", None)

HEAD = "0008"  # the newest migration's revision; a test checks it against Alembic's script directory


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older than this version of monitor."""


def _config(engine: Engine, connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("monitor.db").joinpath("migrations")))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(None)).get_current_head()


def current(engine: Engine) -> str | None:
    """The database's schema version (None: not versioned, e.g. empty)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


BASELINE = "0001"  # the schema stores had before migrations existed


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`. A store made before migrations (its tables, no version) is adopted
    as the baseline first."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    with engine.begin() as conn:
        cfg = _config(engine, conn)
        if MigrationContext.configure(conn).get_current_revision() is None and "events" in tables:
            from sqlmodel import SQLModel

            import monitor.db.models  # noqa: F401

            insp = inspect(conn)
            same = all({c.name for c in t.columns} <= {c["name"] for c in insp.get_columns(name)}
                       for name, t in SQLModel.metadata.tables.items() if name in tables)
            if set(SQLModel.metadata.tables) <= tables:  # made from models of 0002's time or later
                command.stamp(cfg, "head" if same else "0002")
            else:
                command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)


def ensure(engine: Engine) -> None:
    """Create a new database's schema; refuse an existing one that is out of date."""
    rev = current(engine)
    if rev == HEAD:
        return
    if rev is not None and rev == head():  # HEAD not updated with a new migration: still right
        return
    tables = set(inspect(engine).get_table_names())
    if rev is None and not (tables - {"alembic_version"}):
        upgrade(engine)
        return
    raise SchemaOutOfDate(
        f"the database schema is at version {rev or 'none (made before migrations)'}, this monitor needs "
        f"{head()}: run `monitor db upgrade` (with the same --db) first")
