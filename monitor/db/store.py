"""Operations on the store. `ingest` is the one write path for an article and what was detected
in it: the article row, mentions, new or merged events and outbox rows, in ONE transaction."""
from __future__ import annotations

import contextlib
import re
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path

from sqlalchemy import Date, bindparam, event as sa_event, func
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

from monitor.db import schema
from monitor.db.models import (ArticleRow, as_utc, DeliveryRow, EventNameRow, EventRow, MentionRow, OrgAliasRow, OrgRow,
                               SeenEntryRow, WatcherRow, WaveRow)
from monitor.events.names import display_name, is_latin_full_name, org_key, person_keys
from monitor.events.orgs import resolve_org, seniority
from monitor.events.waves import Exit, find_waves
from monitor.parse.lang import to_simplified
from monitor.records import Article, Departure

DEFAULT_DB = "sqlite:///store/monitor.db"
log = logging.getLogger(__name__)


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
                    _index_event(session, ev)
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


def _index_event(session: Session, ev: EventRow) -> None:
    """Refresh the event's search text: person, every spelling, organisation, role, evidence."""
    if session.get_bind().dialect.name != "sqlite":
        return
    names = session.exec(select(EventNameRow.name).where(EventNameRow.event_id == ev.id)).all()
    body = to_simplified(" ".join(dict.fromkeys([ev.person or "", *names, ev.org or "", ev.role or "", ev.evidence])))
    session.connection().exec_driver_sql("DELETE FROM event_search WHERE event_id = ?", (ev.id,))
    session.connection().exec_driver_sql("INSERT INTO event_search (event_id, body) VALUES (?, ?)", (ev.id, body))


def search_event_ids(session: Session, q: str) -> list[int]:
    """Events whose text contains `q` (any script). Trigram full-text search from 3 characters;
    shorter queries (two-character Chinese names) by substring. Either Chinese script finds both."""
    q = to_simplified(q.strip())
    if session.get_bind().dialect.name == "sqlite" and len(q) >= 3:
        rows = session.connection().exec_driver_sql(
            "SELECT event_id FROM event_search WHERE event_search MATCH ?", ('"' + q.replace('"', '""') + '"',)).all()
        return [int(r[0]) for r in rows]
    like = "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"  # the user's % and _ are letters, not wildcards

    def has(col):
        return col.ilike(like, escape="\\")
    ids = set(session.exec(select(EventRow.id).where(or_(has(EventRow.person), has(EventRow.org),
                                                           has(EventRow.role), has(EventRow.evidence)))).all())
    ids |= set(session.exec(select(EventNameRow.event_id).where(has(EventNameRow.name))).all())
    return sorted(ids)


@dataclass
class IngestResult:
    new_article: bool
    departures: int = 0
    new_events: list[int] | None = None
    merged_mentions: int = 0
    org_keys: set[str] = field(default_factory=set)  # organisations whose departures changed


def _find_event(session: Session, keys: set[str], okey: str) -> EventRow | None:
    """The event this person/organisation pair already has, if any. A mention without an
    organisation joins the person's only event (or, with several, the one without an
    organisation); one with an organisation also adopts an event of the same person whose
    organisation was unknown."""
    rows = session.exec(
        select(EventRow).join(EventNameRow, EventNameRow.event_id == EventRow.id).where(EventNameRow.key.in_(keys))
    ).unique().all() if keys else []
    rows = list({r.id: r for r in rows}.values())
    if not rows:
        return None
    unknown = [r for r in rows if not r.org_key]
    if okey:
        same = [r for r in rows if r.org_key == okey]
        if same:
            return same[0]
        return unknown[0] if unknown else None
    # no organisation: the person's only event, else the one whose organisation is unknown too
    # (several mentions without one are one event, not one each)
    return rows[0] if len(rows) == 1 else (unknown[0] if unknown else None)


ROLE_WINDOW_DAYS = 14  # a role-only departure and a named one this close together are one exit


def _role_words(role: str | None) -> str:
    return re.sub(r"[\s.,'’\-]+", "", to_simplified(role or "")).lower()


def _find_role_event(session: Session, okey: str, d: Departure) -> EventRow | None:
    """The role-only event of the same organisation and role within ROLE_WINDOW_DAYS of this
    departure: one to merge a role-only mention into, or one a named mention now names."""
    if not okey or not d.role:
        return None
    role = _role_words(d.role)
    when = d.date or datetime.now(timezone.utc).date()
    for ev in session.exec(select(EventRow).where(EventRow.org_key == okey, EventRow.person.is_(None))).all():
        other = _role_words(ev.role)
        near = abs(((ev.announced_at or ev.first_seen_at.date()) - when).days) <= ROLE_WINDOW_DAYS
        if near and other and (other in role or role in other):
            return ev
    return None


def _add_names(session: Session, event: EventRow, names: list[str]) -> None:
    """Record every spelling of the person (an `alias:` key) and its match keys, once each."""
    keys = set(session.exec(select(EventNameRow.key).where(EventNameRow.event_id == event.id)).all())
    for name in names:
        for key in sorted(person_keys(name) | {"alias:" + name.lower()}):
            if key not in keys:
                session.add(EventNameRow(event_id=event.id, name=name, key=key))
                keys.add(key)


_WRITE_LOCKS: dict[int, threading.Lock] = {}


def _write_lock(engine: Engine):
    """SQLite has one writer: ingests from several threads take turns, so that no two of them
    both find an event missing and both create it."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _WRITE_LOCKS.setdefault(id(engine), threading.Lock())


def ingest(engine: Engine, article: Article, departures: list[Departure],
           route: Callable[[Departure, Article], list[str]] | None = None) -> IngestResult:
    """Store one article and its departures (see ingest_many)."""
    return ingest_many(engine, [(article, departures)], route)[0]


def ingest_many(engine: Engine, items: list[tuple[Article, list[Departure]]],
                route: Callable[[Departure, Article], list[str]] | None = None,
                seen: list[tuple[str, str]] = ()) -> list[IngestResult]:
    """Store articles and their departures in ONE transaction, with the (watcher, entry key)
    marks of `seen`: an entry is marked processed exactly when its article is stored. A
    concurrent writer that stored an article first makes it a duplicate, not an error."""
    for attempt in range(5):
        with _write_lock(engine):
            try:
                with Session(engine) as session:
                    results = _ingest_plain(session, items)
                    for i, (a, d) in enumerate(items):
                        if results[i] is None:
                            results[i] = _ingest(session, a, d, route)
                    _mark_seen(session, seen)
                    session.commit()
                    return results
            except IntegrityError:
                # a concurrent writer stored a row this transaction also made (an article, an
                # organisation): its rows are visible now, so the same work again finds them
                log.debug("ingest conflict with a concurrent writer; retrying (%d)", attempt + 1)
    raise RuntimeError("ingest kept conflicting with concurrent writers")


def _ingest_plain(session: Session, items: list[tuple[Article, list[Departure]]]) -> list[IngestResult | None]:
    """The articles without departures (most feed entries), stored with one query to find the
    duplicates and one multi-row insert; None for the others, left to _ingest."""
    plain = [(i, a) for i, (a, d) in enumerate(items) if not d]
    out: list[IngestResult | None] = [None] * len(items)
    if not plain:
        return out
    hashes = list({a.content_hash for _, a in plain})
    urls = list({a.url for _, a in plain if a.url})
    conn = session.connection()
    seen_hashes = set(conn.execute(_HASHES_IN, {"values": hashes}).scalars())
    seen_urls = set(conn.execute(_URLS_IN, {"values": urls}).scalars()) if urls else set()
    rows = []
    for i, a in plain:
        if a.content_hash in seen_hashes or (a.url and a.url in seen_urls):
            out[i] = IngestResult(new_article=False)
            continue
        seen_hashes.add(a.content_hash)
        if a.url:
            seen_urls.add(a.url)
        rows.append({"url": a.url, "content_hash": a.content_hash, "title": a.title, "language": a.language,
                     "published": as_utc(a.published), "source": a.source[:2048], "external_id": a.external_id,
                     "is_departure": False, "seen_at": datetime.now(timezone.utc)})
        out[i] = IngestResult(new_article=True, new_events=[])
    if rows:  # a concurrent writer may have stored one meanwhile: ON CONFLICT keeps theirs
        session.connection().execute(_insert_ignoring(_dialect(session), ArticleRow), rows)  # Core: no ORM bulk path
    return out


# Statements run for every feed are built once (and compiled once, by SQLAlchemy's cache):
# building one costs more CPU than running it on SQLite.
_HASHES_IN = select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(bindparam("values", expanding=True)))
_URLS_IN = select(ArticleRow.url).where(ArticleRow.url.in_(bindparam("values", expanding=True)))


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


@cache
def _watcher_upsert(dialect: str):
    """The upsert of a poll's outcome (values bound at execution), built once per dialect."""
    stmt = _insert(dialect, WatcherRow)
    return stmt.on_conflict_do_update(index_elements=["name"], set_={c: stmt.excluded[c] for c in POLL_COLUMNS})


# the columns a poll writes; the rest (configuration, leases) belong to sync_watchers and claims
POLL_COLUMNS = ("url", "etag", "last_modified", "body_hash", "entry_digests", "last_check", "last_success",
                "last_error", "last_status", "consecutive_failures", "next_check", "items_seen", "polls",
                "fetch_seconds_total", "status_counts")


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


def save_watcher_states(engine: Engine, values: list[dict]) -> None:
    """Write many polls' outcomes (watcher_values snapshots) in one transaction."""
    if values:
        with _write_lock(engine), engine.begin() as conn:
            conn.execute(_watcher_upsert(engine.dialect.name), values)


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


def _queue_updates(session: Session, ev: EventRow, d: Departure, article: Article, route) -> None:
    """A "more sources" follow-up for channels that want them: at most one per event a day."""
    wanted = [c for c in (route(d, article) if route else []) if c in getattr(route, "updates", ())]
    today = datetime.now(timezone.utc).date().isoformat()
    for ch in wanted:
        exists = session.exec(select(DeliveryRow.id).where(
            DeliveryRow.event_id == ev.id, DeliveryRow.channel == ch, DeliveryRow.kind == "update",
            DeliveryRow.day == today)).first()
        if exists is None:
            session.add(DeliveryRow(event_id=ev.id, channel=ch, kind="update", day=today))


def _ingest(session: Session, article: Article, departures: list[Departure],
            route: Callable[[Departure, Article], list[str]] | None = None) -> IngestResult:
    """Store `article` and its departures in `session` (not committed). An article already
    stored (same URL or same content) changes nothing. A new event gets one pending delivery per
    channel `route` picks for it; a new mention of a known event alerts nobody."""
    conds = [ArticleRow.content_hash == article.content_hash]
    if article.url:
        conds.append(ArticleRow.url == article.url)
    if session.exec(select(ArticleRow.id).where(or_(*conds))).first() is not None:
        return IngestResult(new_article=False)
    arow = ArticleRow(
        url=article.url, content_hash=article.content_hash, title=article.title, language=article.language,
        published=as_utc(article.published), source=article.source[:2048], external_id=article.external_id,
        is_departure=bool(departures),
    )
    session.add(arow)
    session.flush()
    # A role-only departure (R3: "Tesla's head of AI departs") is an event keyed by organisation,
    # role and date; one without an organisation cannot be told apart from others: not stored.
    departures = [d for d in departures if d.person or d.org]
    day = as_utc(article.published).date() if article.published else None  # when the text names no day
    result = IngestResult(new_article=True, departures=len(departures), new_events=[])
    for d in departures:
        names = [d.person, *d.aliases] if d.person else []
        keys = set().union(*(person_keys(n) for n in names))
        if session.get_bind().dialect.name == "postgresql":
            # writers on other machines take turns per organisation until this transaction ends,
            # so that no two of them both find the organisation or event missing and both create it
            session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", ("org:" + org_key(d.org),))
        org, okey = resolve_org(session, d.org)
        if okey:
            result.org_keys.add(okey)
        ev = _find_event(session, keys, okey) if d.person else _find_role_event(session, okey, d)
        if ev is None and d.person:  # a role-only event this article now names
            ev = _find_role_event(session, okey, d)
            if ev is not None:
                ev.person = display_name(names)
        if ev is None:
            ev = EventRow(
                person=display_name(names) if names else None, org=org, org_key=okey, role=d.role, kind=d.kind,
                announced_at=d.date or day, confidence=d.confidence, evidence=d.evidence,
            )
            session.add(ev)
            session.flush()
            result.new_events.append(ev.id)
            for ch in route(d, article) if route else []:
                session.add(DeliveryRow(event_id=ev.id, channel=ch))
        else:
            if session.exec(select(MentionRow.id).where(MentionRow.event_id == ev.id, MentionRow.article_id == arow.id)).first():
                continue  # the same person twice in one article: one mention
            result.merged_mentions += 1
            _queue_updates(session, ev, d, article, route)
            if not ev.org_key and okey:
                ev.org, ev.org_key = org, okey
            ev.role = ev.role or d.role
            if d.date and not session.exec(select(MentionRow.id).where(MentionRow.event_id == ev.id,
                                                                      MentionRow.announced_at.is_not(None))).first():
                ev.announced_at = d.date  # the first day a text states beats an article's own date
            ev.announced_at = ev.announced_at or day
            if d.person and ev.person and is_latin_full_name(d.person) and not is_latin_full_name(ev.person):
                ev.person = display_name(names)
            if d.confidence > ev.confidence:
                ev.confidence, ev.evidence = d.confidence, d.evidence
            session.add(ev)
        _add_names(session, ev, names)
        session.flush()
        _index_event(session, ev)
        session.add(MentionRow(
            event_id=ev.id, article_id=arow.id, person=d.person, org=d.org, role=d.role, kind=d.kind,
            announced_at=d.date, evidence=d.evidence, confidence=d.confidence, pattern=d.pattern,
        ))
    session.flush()
    return result


# the day an event is sorted and filtered by: stated (or article) date, else the day first seen
DEPARTURE_DAY = func.coalesce(EventRow.announced_at, func.date(EventRow.first_seen_at), type_=Date)


def _day(when: datetime | date) -> date:
    return when.date() if isinstance(when, datetime) else when


def _at_midnight(when: datetime | date) -> bool:
    return not isinstance(when, datetime) or when.time() == datetime.min.time()


def list_events(engine: Engine, *, since: datetime | None = None, org: str | None = None,
                person: str | None = None, limit: int | None = None,
                event_ids: list[int] | None = None, until: datetime | None = None, kind: str | None = None,
                language: str | None = None, min_confidence: float | None = None, q: str | None = None,
                offset: int = 0, detail: bool = False) -> list[dict]:
    """Events, latest departure first, as plain dicts (the JSON shape of `monitor events`).
    An event's departure date (`departure_date`) is the day the text states, else its first
    article's date, else the day it was first seen; `since`/`until` filter on it (`until`
    exclusive at midnight: until=2026-02-01 keeps a departure of 31 January)."""
    with Session(engine) as session:
        if q:
            found = search_event_ids(session, q)
            event_ids = found if event_ids is None else [i for i in event_ids if i in set(found)]
        q = select(EventRow).order_by(DEPARTURE_DAY.desc(), EventRow.first_seen_at.desc(), EventRow.id.desc())
        if since is not None:
            q = q.where(DEPARTURE_DAY >= _day(since))
        if org:
            q = q.where(EventRow.org_key == _org_key_of(session, org))
        if person:
            keys = person_keys(person) | {"alias:" + person.lower()}
            q = q.where(EventRow.id.in_(select(EventNameRow.event_id).where(EventNameRow.key.in_(keys))))
        if event_ids is not None:
            q = q.where(EventRow.id.in_(event_ids))
        if until is not None:
            q = q.where(DEPARTURE_DAY < _day(until) if _at_midnight(until) else DEPARTURE_DAY <= _day(until))
        if kind:
            q = q.where(EventRow.kind == kind)
        if min_confidence:
            q = q.where(EventRow.confidence >= min_confidence)
        if language:
            q = q.where(EventRow.id.in_(select(MentionRow.event_id).join(ArticleRow, ArticleRow.id == MentionRow.article_id)
                                        .where(ArticleRow.language == language)))
        if offset:
            q = q.offset(offset)
        if limit:
            q = q.limit(limit)
        events = session.exec(q).all()
        out = []
        for ev in events:
            names = session.exec(select(EventNameRow.name).where(EventNameRow.event_id == ev.id).order_by(EventNameRow.id)).all()
            mentions = session.exec(
                select(MentionRow, ArticleRow).join(ArticleRow, ArticleRow.id == MentionRow.article_id)
                .where(MentionRow.event_id == ev.id).order_by(MentionRow.id)
            ).all()
            out.append({
                "id": ev.id,
                "person": ev.person,
                "aliases": [n for n in dict.fromkeys(names) if n != ev.person],
                "org": ev.org,
                "role": ev.role,
                "kind": ev.kind,
                "announced_at": ev.announced_at.isoformat() if ev.announced_at else None,
                "departure_date": (ev.announced_at or as_utc(ev.first_seen_at).date()).isoformat(),
                "first_seen_at": as_utc(ev.first_seen_at).isoformat(),
                "confidence": ev.confidence,
                "mentions": len(mentions),
                "sources": list(dict.fromkeys(a.url or a.source for _, a in mentions)),
                "evidence": ev.evidence,
            })
            if detail:
                out[-1]["mention_list"] = [{"source": a.url or a.source, "url": a.url, "title": a.title, "language": a.language,
                                            "evidence": m.evidence, "seen_at": as_utc(m.seen_at).isoformat()} for m, a in mentions]
                out[-1]["deliveries"] = [{"channel": d.channel, "kind": d.kind, "status": d.status, "attempts": d.attempts,
                                          "last_error": d.last_error, "delivered_at": as_utc(d.delivered_at).isoformat() if d.delivered_at else None}
                                         for d in session.exec(select(DeliveryRow).where(DeliveryRow.event_id == ev.id).order_by(DeliveryRow.id))]
        return out


EVENT_FIELDS = ["id", "person", "aliases", "org", "role", "kind", "departure_date", "announced_at", "first_seen_at", "confidence",
                "mentions", "sources", "evidence"]


def events_to_csv(rows: list[dict]) -> str:
    """list_events rows as CSV (lists joined with "; "), for `monitor events` and /events.csv."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=EVENT_FIELDS, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in r.items()})
    return buf.getvalue()


def _org_key_of(session: Session, org: str) -> str:
    """The key of the organisation `org` names, following merges."""
    key = org_key(org)
    alias = session.exec(select(OrgAliasRow).where(OrgAliasRow.alias_key == key)).first()
    return session.get(OrgRow, alias.org_id).key if alias else key


# ------------------------------------------------------------------ waves
def wave_inputs(session: Session, okey: str) -> list[Exit]:
    """An organisation's departures with the date each counts on: the date the text states;
    else the median date of departures reported in the same articles; else the article's date;
    else when it was first seen."""
    events = session.exec(select(EventRow).where(EventRow.org_key == okey)).all()
    out = []
    for ev in events:
        rows = session.exec(select(MentionRow, ArticleRow).join(ArticleRow, ArticleRow.id == MentionRow.article_id)
                            .where(MentionRow.event_id == ev.id)).all()
        when = ev.announced_at
        if when is None:
            article_ids = [a.id for _, a in rows]
            near = session.exec(select(EventRow.announced_at).join(MentionRow, MentionRow.event_id == EventRow.id)
                                .where(MentionRow.article_id.in_(article_ids), EventRow.announced_at.is_not(None))).all()
            if near:
                when = sorted(near)[len(near) // 2]
            else:
                published = [a.published for _, a in rows if a.published]
                when = (as_utc(min(published)) if published else as_utc(ev.first_seen_at)).date()
        level, weight = seniority(ev.role)
        out.append(Exit(event_id=ev.id, person=ev.person, when=when, weight=weight, level=level, role=ev.role,
                        kind=ev.kind, date=ev.announced_at, sources=list(dict.fromkeys(a.url or a.source for _, a in rows))))
    return out


def update_waves(engine: Engine, org_keys: set[str], wave_channels=None, today=None) -> list[int]:
    """Recompute the waves of these organisations, store them, and queue alerts: one when a wave
    opens, at most one update a day while it grows. A wave found after it ended (a backfill of old
    news) is recorded, not alerted. Returns the ids of waves that opened."""
    today = today or datetime.now(timezone.utc).date()
    opened = []
    with _write_lock(engine), Session(engine) as session:
        for okey in sorted(k for k in org_keys if k):
            org = session.exec(select(OrgRow).where(OrgRow.key == okey)).first()
            name = org.name if org else okey
            stored = list(session.exec(select(WaveRow).where(WaveRow.org_key == okey)).all())
            matched: set[int] = set()
            for wave in find_waves(okey, wave_inputs(session, okey), today):
                row = next((r for r in stored if r.id not in matched
                            and r.started_on <= wave.last_event_on and r.last_event_on >= wave.started_on), None)
                channels = wave_channels(okey, name) if wave_channels else []
                if row is None:
                    row = WaveRow(org_key=okey, org=name, started_on=wave.started_on, last_event_on=wave.last_event_on,
                                  size=len(wave.members), senior=wave.senior, baseline=wave.baseline,
                                  closed=wave.closed, alerted=not wave.closed)
                    session.add(row)
                    session.flush()
                    stored.append(row)
                    matched.add(row.id)
                    if row.alerted:
                        opened.append(row.id)
                        for ch in channels:
                            session.add(DeliveryRow(wave_id=row.id, channel=ch))
                    continue
                matched.add(row.id)
                grew = len(wave.members) > row.size
                row.started_on, row.last_event_on = wave.started_on, wave.last_event_on
                row.size, row.senior, row.baseline, row.closed = len(wave.members), wave.senior, wave.baseline, wave.closed
                session.add(row)
                if grew and row.alerted and not wave.closed:
                    day = today.isoformat()
                    for ch in channels:
                        if session.exec(select(DeliveryRow.id).where(DeliveryRow.wave_id == row.id, DeliveryRow.channel == ch,
                                                                     DeliveryRow.kind == "update", DeliveryRow.day == day)).first() is None:
                            session.add(DeliveryRow(wave_id=row.id, channel=ch, kind="update", day=day))
            # a wave seen on partial data that the full timeline no longer has: gone, unless an
            # alert about it already went out
            for row in stored:
                if row.id in matched:
                    continue
                rows = session.exec(select(DeliveryRow).where(DeliveryRow.wave_id == row.id)).all()
                if not any(d.status == "sent" for d in rows):
                    for d in rows:
                        session.delete(d)
                    session.delete(row)
        session.commit()
    return opened


def list_waves(engine: Engine, *, org: str | None = None, wave_ids: list[int] | None = None,
               today=None) -> list[dict]:
    """Waves, newest first, with their members (the JSON shape of `monitor waves`)."""
    today = today or datetime.now(timezone.utc).date()
    with Session(engine) as session:
        q = select(WaveRow).order_by(WaveRow.last_event_on.desc(), WaveRow.id.desc())
        if org:
            q = q.where(WaveRow.org_key == _org_key_of(session, org))
        if wave_ids is not None:
            q = q.where(WaveRow.id.in_(wave_ids))
        out = []
        for w in session.exec(q).all():
            exits = [e for e in wave_inputs(session, w.org_key) if w.started_on <= e.when <= w.last_event_on]
            window_days = (w.last_event_on - w.started_on).days + 1
            out.append({
                "id": w.id, "org": w.org, "started_on": w.started_on.isoformat(), "last_event_on": w.last_event_on.isoformat(),
                "days": window_days, "size": len(exits), "senior": sum(e.level in ("co-founder", "c-level", "vp") for e in exits),
                "co_founders": [e.person for e in exits if e.level == "co-founder"],
                "baseline_per_week": round(w.baseline, 2), "times_usual": round(len(exits) / max(w.baseline, 1e-9) * 7 / max(window_days, 7), 1),
                "open": not w.closed, "alerted": w.alerted,
                "members": [{"event_id": e.event_id, "person": e.person, "role": e.role, "seniority": e.level,
                             "kind": e.kind, "date": e.date.isoformat() if e.date else None,
                             "counted_on": e.when.isoformat(), "sources": e.sources} for e in sorted(exits, key=lambda e: e.when)],
            })
        return out


# ------------------------------------------------------------------ organisations
def list_orgs(engine: Engine) -> list[dict]:
    """Every organisation with its aliases and departure count, most departures first."""
    from sqlalchemy import func

    with Session(engine) as session:
        counts = dict(session.exec(select(EventRow.org_key, func.count()).group_by(EventRow.org_key)).all())
        waves = dict(session.exec(select(WaveRow.org_key, func.count()).group_by(WaveRow.org_key)).all())
        out = []
        for o in session.exec(select(OrgRow)).all():
            aliases = [a.alias for a in session.exec(select(OrgAliasRow).where(OrgAliasRow.org_id == o.id)).all()]
            out.append({"name": o.name, "key": o.key, "aliases": sorted({a for a in aliases if a != o.name}),
                        "departures": counts.get(o.key, 0), "waves": waves.get(o.key, 0)})
        return sorted(out, key=lambda r: (-r["departures"], r["name"].lower()))


def merge_orgs(engine: Engine, into: str, other: str) -> tuple[str, int]:
    """Merge organisation `other` into `into` (any spelling of each): aliases, events and waves
    move; later articles naming `other` resolve to `into`. Returns (name, events moved)."""
    with _write_lock(engine), Session(engine) as session:
        a_key, b_key = _org_key_of(session, into), _org_key_of(session, other)
        a = session.exec(select(OrgRow).where(OrgRow.key == a_key)).first()
        b = session.exec(select(OrgRow).where(OrgRow.key == b_key)).first()
        if a is None or b is None:
            raise ValueError(f"no organisation named {into if a is None else other!r} (see `monitor orgs`)")
        if a.id == b.id:
            raise ValueError("they are already the same organisation")
        for alias in session.exec(select(OrgAliasRow).where(OrgAliasRow.org_id == b.id)).all():
            alias.org_id = a.id
            session.add(alias)
        events = session.exec(select(EventRow).where(EventRow.org_key == b.key)).all()
        for ev in events:
            ev.org, ev.org_key = a.name, a.key
            session.add(ev)
        for w in session.exec(select(WaveRow).where(WaveRow.org_key == b.key)).all():
            session.delete(w)  # recomputed below on the merged timeline
        session.delete(b)
        session.commit()
        name, moved = a.name, len(events)
    update_waves(engine, {a_key})
    return name, moved
