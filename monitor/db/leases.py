"""How several processes on several machines share the work without doing it twice.

Workers claim due watchers in batches, one statement a batch (`UPDATE … WHERE name IN (SELECT …
FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …` on PostgreSQL), stamping them with their name and a
lease; the rows come back whole, so a poll starts from them. A poll's state is written back with
the worker's group commit (daemon.StateWriter), which frees the lease in the same transaction: a
watcher is free again only once its next check is written. A worker that dies leaves its leases
to run out, and the rows are free again. Due deliveries are claimed the same way (alerts.sender). One scheduler at a time holds a PostgreSQL advisory lock on a
connection of its own; when it dies its session ends, the lock is released, and another scheduler
takes over. On SQLite (one process) the same calls work without the locking clauses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import load_only
from sqlmodel import Session, select

from monitor.config import Config, interval_seconds
from monitor.db.models import CoordinationRow, WatcherRow
from monitor.db.store.engine import _write_lock
from monitor.schedule import first_check

SCHEDULER_LOCK = 7_407_001  # the advisory lock key of the scheduler role


def now() -> datetime:
    return datetime.now(timezone.utc)


_SYNCED = (WatcherRow.name, WatcherRow.url, WatcherRow.configured, WatcherRow.interval_s, WatcherRow.timezone,
           WatcherRow.tags)


def sync_watchers(engine: Engine, config: Config) -> None:
    """Make the watcher rows match watchers.yaml: new ones due within 30 s (each at its own point
    of them: monitor.schedule), changed ones updated, removed ones marked unconfigured (their
    history is kept)."""

    t = now()
    with Session(engine) as s:  # only the columns it may change: not every watcher's digests
        rows = {r.name: r for r in s.exec(select(WatcherRow).options(load_only(*_SYNCED))).all()}
        for w in config.watchers:
            r = rows.pop(w.name, None)
            if r is None:
                r = WatcherRow(name=w.name, url=w.url, next_check=first_check(w.name, t, interval_seconds(w.interval)))
            else:
                r.point_at(w.url)
            r.configured, r.interval_s, r.timezone, r.tags = True, interval_seconds(w.interval), w.timezone, ",".join(w.tags)
            s.add(r)
        for r in rows.values():
            if r.configured:
                r.configured = False
                s.add(r)
        s.commit()


@dataclass
class Claimed:
    name: str
    url: str
    interval_s: int
    timezone: str | None
    tags: list[str]
    row: WatcherRow | None = None  # the whole row as claimed (detached): the poll's starting state


_COLUMNS = tuple(WatcherRow.__table__.columns)


def claim_watchers(engine: Engine, owner: str, limit: int, lease: timedelta) -> list[Claimed]:
    """Up to `limit` due watchers no live lease holds, now leased to `owner`, most overdue first:
    one statement. On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so claimers racing
    for the same rows never wait for each other nor get the same row (a row another claimer
    updated meanwhile is re-checked against the conditions when locked); on SQLite (one writer)
    the statement is atomic by itself."""
    t = now()
    due = (select(WatcherRow.name)
           .where(WatcherRow.configured, or_(WatcherRow.next_check.is_(None), WatcherRow.next_check <= t),
                  or_(WatcherRow.lease_until.is_(None), WatcherRow.lease_until < t))
           .order_by(WatcherRow.next_check).limit(limit))
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(WatcherRow).where(WatcherRow.name.in_(due))
            .values(lease_owner=owner, lease_until=t + lease).returning(*_COLUMNS))
    with _write_lock(engine), Session(engine, expire_on_commit=False) as s:
        rows = s.scalars(select(WatcherRow).from_statement(stmt)).all()  # the ORM's loader: no model validation
        s.commit()
        s.expunge_all()
    out = [Claimed(r.name, r.url, r.interval_s, r.timezone, [x for x in r.tags.split(",") if x], r) for r in rows]
    out.sort(key=lambda c: (c.row.next_check is not None, c.row.next_check or t))  # RETURNING has no order
    return out


def release_watcher(engine: Engine, name: str, owner: str) -> None:
    with Session(engine) as s:
        r = s.get(WatcherRow, name)
        if r is not None and r.lease_owner == owner:
            r.lease_owner, r.lease_until = None, None
            s.add(r)
            s.commit()


class Election:
    """The scheduler role: held by whoever holds the advisory lock (always held on SQLite)."""

    def __init__(self, engine: Engine, owner: str):
        self.engine, self.owner = engine, owner
        self._conn: Connection | None = None
        self.leading = False

    def try_lead(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            self.leading = True
        else:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if not self.leading:
                # keyed by the schema too: stores in two schemas of one database (two deployments, test
                # runs side by side) each have their own scheduler
                self.leading = bool(self._conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))",
                                                               (SCHEDULER_LOCK,)).scalar())
        if self.leading:
            self._heartbeat()
        return self.leading

    def _heartbeat(self) -> None:
        with Session(self.engine) as s:
            row = s.get(CoordinationRow, "scheduler")
            if row is None or row.owner != self.owner:
                row = row or CoordinationRow(role="scheduler", owner=self.owner)
                row.owner, row.since = self.owner, now()
            row.heartbeat = now()
            s.add(row)
            s.commit()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session: the lock is released
            self._conn = None
        self.leading = False


def current_scheduler(engine: Engine) -> CoordinationRow | None:
    with Session(engine) as s:
        return s.get(CoordinationRow, "scheduler")
