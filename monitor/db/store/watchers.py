"""Watcher state (validators, health, next check) written by a poll, in one upsert per group
commit; the seen marks that say which feed entries a watcher has processed; and every watcher's
health as `monitor watchers status` and the /watchers page show it."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cache

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.config import Config
from monitor.db.models import SeenEntryRow, WatcherRow, as_utc
from monitor.db.store.engine import _dialect, _insert, _insert_ignoring, _write_lock


@cache
def _watcher_upsert(dialect: str):
    """The upsert of a poll's outcome (values bound at execution), built once per dialect."""
    stmt = _insert(dialect, WatcherRow)
    return stmt.on_conflict_do_update(index_elements=["name"], set_={c: stmt.excluded[c] for c in POLL_COLUMNS})


# the columns a poll writes; the rest (configuration, leases) belong to sync_watchers and claims
POLL_COLUMNS = ("url", "etag", "last_modified", "body_hash", "entry_digests", "last_check", "last_success",
                "last_error", "last_status", "consecutive_failures", "next_check", "items_seen", "candidates", "polls",
                "fetch_seconds_total", "status_counts", "link_digests", "followed", "follow_failures", "follow_error")


def load_watcher_states(engine: Engine, names: list[str] | None = None) -> dict[str, WatcherRow]:
    """Stored polling state by watcher name (detached rows), in one query."""
    with Session(engine, expire_on_commit=False) as s:
        q = select(WatcherRow) if names is None else select(WatcherRow).where(WatcherRow.name.in_(names))
        rows = s.exec(q).all()
        s.expunge_all()
    return {r.name: r for r in rows}


def watcher_values(row: WatcherRow) -> dict:
    """A snapshot of a watcher row's columns, as save_watcher_states takes them."""
    return {c.name: getattr(row, c.name) for c in WatcherRow.__table__.columns}


def save_watcher_state(engine: Engine, row: WatcherRow) -> None:
    """Write a poll's outcome: one upsert of the poll's columns (a new watcher gets a full row)."""
    save_watcher_states(engine, [watcher_values(row)])


def save_watcher_states(engine: Engine, values: list[dict], *, owner: str | None = None,
                        release: list[str] | tuple[str, ...] = ()) -> None:
    """Write many polls' outcomes (watcher_values snapshots) in one transaction. With `owner` (a
    `--role worker`), that worker's leases on these watchers and on `release` end in the same
    transaction: a watcher is claimable again only once its next check is written."""
    names = sorted({v["name"] for v in values} | set(release)) if owner else []
    if not values and not names:
        return
    values = sorted(values, key=lambda v: v["name"])  # one lock order for every writer: no deadlock between two
    with _write_lock(engine), engine.begin() as conn:
        if values:
            conn.execute(_watcher_upsert(engine.dialect.name), values)
        if names:
            conn.execute(_RELEASE, {"owner": owner, "names": names})


_RELEASE = (update(WatcherRow)
            .where(WatcherRow.name.in_(bindparam("names", expanding=True)), WatcherRow.lease_owner == bindparam("owner"))
            .values(lease_owner=None, lease_until=None))


_SEEN_IN = select(SeenEntryRow.entry_key).where(SeenEntryRow.watcher == bindparam("watcher"),
                                                SeenEntryRow.entry_key.in_(bindparam("keys", expanding=True)))


def new_entry_keys(engine: Engine, watcher: str, keys: list[str]) -> set[str]:
    """The entry keys `watcher` has not processed yet."""
    with engine.connect() as conn:
        seen = set(conn.execute(_SEEN_IN, {"watcher": watcher, "keys": keys}).scalars())
    return set(keys) - seen


def _mark_seen(session: Session, seen: list[tuple[str, str]]) -> None:
    by_watcher: dict[str, set[str]] = {}
    for w, k in seen:
        by_watcher.setdefault(w, set()).add(k)
    for w, keys in by_watcher.items():
        rows = [{"watcher": w, "entry_key": k, "seen_at": datetime.now(timezone.utc)} for k in sorted(keys)]
        session.connection().execute(_insert_ignoring(_dialect(session), SeenEntryRow), rows)


def watcher_status(engine: Engine, config: Config) -> list[dict]:
    """Health of every configured watcher (and of stored ones no longer configured)."""
    with Session(engine) as s:
        rows = {r.name: r for r in s.exec(select(WatcherRow)).all()}
    out = []
    for w in config.watchers:
        r = rows.pop(w.name, None)
        out.append(_status_row(w.name, w.url, r, configured=True))
    for name, r in rows.items():
        out.append(_status_row(name, r.url, r, configured=False))
    return out


def _status_row(name: str, url: str, r: WatcherRow | None, *, configured: bool) -> dict:
    def iso(dt):
        return as_utc(dt).isoformat(timespec="seconds") if dt else None

    return {
        "name": name, "url": url, "configured": configured,
        "last_check": iso(r.last_check) if r else None,
        "last_success": iso(r.last_success) if r else None,
        "last_status": r.last_status if r else None,
        "last_error": r.last_error if r else None,
        "consecutive_failures": r.consecutive_failures if r else 0,
        "next_check": iso(r.next_check) if r else None,
        "items_seen": r.items_seen if r else 0,
        "candidates": r.candidates if r else 0,
        "followed": r.followed if r else 0,  # article pages read in place of the summary
        "follow_failures": r.follow_failures if r else 0,  # pages that could not be read: the summary was
        "follow_error": r.follow_error if r else None,
        "polls": r.polls if r else 0,
    }
