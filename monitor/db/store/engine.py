"""Opening the store: the engine for a URL (SQLite pragmas, PostgreSQL pool), its schema checked,
and the helpers every writer shares (SQLite's one-writer lock, the dialect's INSERT … ON CONFLICT)."""
from __future__ import annotations

import contextlib
import threading
from functools import cache
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

from monitor.db import schema
from monitor.db.models import EventRow
from monitor.db.store.search import index_event

DEFAULT_DB = "sqlite:///store/monitor.db"


def open_engine(url: str = DEFAULT_DB, pool_size: int = 5) -> Engine:
    """Engine for `url` with its schema checked: a new database is created, an out-of-date one is
    refused (schema.SchemaOutOfDate says how to upgrade)."""
    engine = make_engine(url, pool_size)
    schema.ensure(engine)
    if engine.dialect.name == "sqlite":  # the search index (trigrams split Chinese) must match the events
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS event_search "
                                 "USING fts5(event_id UNINDEXED, body, tokenize='trigram')")
            indexed = conn.exec_driver_sql("SELECT count(*) FROM event_search").scalar()
            events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
        if indexed != events:  # a store from before the index, or an interrupted rebuild
            with Session(engine) as session:
                session.connection().exec_driver_sql("DELETE FROM event_search")
                for ev in session.exec(select(EventRow)).all():
                    index_event(session, ev)
                session.commit()
    return engine


def make_engine(url: str = DEFAULT_DB, pool_size: int = 5) -> Engine:
    """The engine alone. SQLite: parent directory made, WAL, busy timeout; PostgreSQL: a pool of
    `pool_size` connections (a worker sizes it to its concurrency) plus as many in overflow."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {},
                           **({} if url.startswith("sqlite") else {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}))
    if url.startswith("sqlite"):
        @sa_event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-1024")  # 1 MiB of pages per connection (SQLite's default: 2)
            cur.close()
    return engine


_WRITE_LOCKS: dict[int, threading.Lock] = {}


def _write_lock(engine: Engine):
    """SQLite has one writer: ingests from several threads take turns, so that no two of them
    both find an event missing and both create it."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _WRITE_LOCKS.setdefault(id(engine), threading.Lock())


def _dialect(bind: Session | Engine) -> str:
    return (bind if isinstance(bind, Engine) else bind.get_bind()).dialect.name


def _insert(dialect: str, model):
    """The dialect's INSERT, which has ON CONFLICT (SQLite ≥ 3.24 and PostgreSQL)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


@cache
def _insert_ignoring(dialect: str, model):
    """INSERT ... ON CONFLICT DO NOTHING for `model` in `dialect`, built once."""
    return _insert(dialect, model).on_conflict_do_nothing()
