"""Operations on the store. `ingest` is the one write path for an article and what was detected
in it: the article row, mentions, new or merged events and outbox rows, in ONE transaction."""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from monitor.db.models import ArticleRow, DeliveryRow, EventNameRow, EventRow, MentionRow, SeenEntryRow
from monitor.events.names import canonical_org, display_name, org_key, person_keys
from monitor.records import Article, Departure

DEFAULT_DB = "sqlite:///store/monitor.db"


def _as_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def open_engine(url: str = DEFAULT_DB) -> Engine:
    """Engine for `url`, schema created. SQLite: parent directory made, WAL, busy timeout."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):
        @sa_event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
    SQLModel.metadata.create_all(engine)
    return engine


@dataclass
class IngestResult:
    new_article: bool
    departures: int = 0
    new_events: list[int] | None = None
    merged_mentions: int = 0


def _find_event(session: Session, keys: set[str], okey: str) -> EventRow | None:
    """The event this person/organisation pair already has, if any. A mention without an
    organisation joins the person's only event; one with an organisation also adopts an event
    of the same person whose organisation was unknown."""
    rows = session.exec(
        select(EventRow).join(EventNameRow, EventNameRow.event_id == EventRow.id).where(EventNameRow.key.in_(keys))
    ).unique().all() if keys else []
    rows = list({r.id: r for r in rows}.values())
    if not rows:
        return None
    if okey:
        same = [r for r in rows if r.org_key == okey]
        if same:
            return same[0]
        unknown = [r for r in rows if not r.org_key]
        return unknown[0] if unknown else None
    return rows[0] if len(rows) == 1 else None


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
    with _write_lock(engine):
        try:
            with Session(engine) as session:
                results = [_ingest(session, a, d, route) for a, d in items]
                _mark_seen(session, seen)
                session.commit()
                return results
        except IntegrityError:
            if len(items) <= 1 and not seen:
                return [IngestResult(new_article=False) for _ in items]
    # a race in the batch: one at a time, so only the duplicate is lost
    out = [ingest_many(engine, [item], route)[0] for item in items]
    with _write_lock(engine), Session(engine) as session:
        _mark_seen(session, seen)
        session.commit()
    return out


def _mark_seen(session: Session, seen: list[tuple[str, str]]) -> None:
    by_watcher: dict[str, set[str]] = {}
    for w, k in seen:
        by_watcher.setdefault(w, set()).add(k)
    for w, keys in by_watcher.items():
        have = set(session.exec(select(SeenEntryRow.entry_key).where(
            SeenEntryRow.watcher == w, SeenEntryRow.entry_key.in_(list(keys)))).all())
        for k in sorted(keys - have):
            session.add(SeenEntryRow(watcher=w, entry_key=k))


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
        published=_as_utc(article.published), source=article.source[:2048], external_id=article.external_id,
        is_departure=bool(departures),
    )
    session.add(arow)
    session.flush()
    result = IngestResult(new_article=True, departures=len(departures), new_events=[])
    for d in departures:
        names = [d.person, *d.aliases]
        keys = set().union(*(person_keys(n) for n in names))
        org = canonical_org(d.org)
        okey = org_key(d.org)
        ev = _find_event(session, keys, okey)
        if ev is None:
            ev = EventRow(
                person=display_name(names), org=org, org_key=okey, role=d.role, kind=d.kind,
                announced_at=d.date, confidence=d.confidence, evidence=d.evidence,
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
            ev.announced_at = ev.announced_at or d.date
            if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", d.person) and not re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", ev.person):
                ev.person = display_name(names)
            if d.confidence > ev.confidence:
                ev.confidence, ev.evidence = d.confidence, d.evidence
            session.add(ev)
        _add_names(session, ev, names)
        session.add(MentionRow(
            event_id=ev.id, article_id=arow.id, person=d.person, org=d.org, role=d.role, kind=d.kind,
            announced_at=d.date, evidence=d.evidence, confidence=d.confidence, pattern=d.pattern,
        ))
    session.flush()
    return result


def list_events(engine: Engine, *, since: datetime | None = None, org: str | None = None,
                person: str | None = None, limit: int | None = None,
                event_ids: list[int] | None = None) -> list[dict]:
    """Events, newest first, as plain dicts (the JSON shape of `monitor events`)."""
    with Session(engine) as session:
        q = select(EventRow).order_by(EventRow.first_seen_at.desc(), EventRow.id.desc())
        if since is not None:
            q = q.where(EventRow.first_seen_at >= since)
        if org:
            q = q.where(EventRow.org_key == org_key(org))
        if person:
            keys = person_keys(person) | {"alias:" + person.lower()}
            q = q.where(EventRow.id.in_(select(EventNameRow.event_id).where(EventNameRow.key.in_(keys))))
        if event_ids is not None:
            q = q.where(EventRow.id.in_(event_ids))
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
                "first_seen_at": _as_utc(ev.first_seen_at).isoformat(),
                "confidence": ev.confidence,
                "mentions": len(mentions),
                "sources": list(dict.fromkeys(a.url or a.source for _, a in mentions)),
                "evidence": ev.evidence,
            })
        return out
