"""The one write path for an article and what was detected in it: the article row, mentions, new
or merged events (a person's spellings, role-only events named later) and outbox rows, in ONE
transaction with the feed entries' seen marks."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import bindparam, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db.models import ArticleRow, as_utc, DeliveryRow, EventNameRow, EventRow, MentionRow
from monitor.db.store.engine import _dialect, _insert_ignoring, _write_lock
from monitor.db.store.orgs import resolve_org
from monitor.db.store.search import index_event
from monitor.db.store.watchers import _mark_seen
from monitor.events.names import display_name, is_latin_full_name, org_key, person_keys
from monitor.parse.lang import to_simplified
from monitor.records import Article, Departure

log = logging.getLogger(__name__)


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


def _find_role_event(session: Session, okey: str, d: Departure, day: date | None) -> EventRow | None:
    """The role-only event of the same organisation and role within ROLE_WINDOW_DAYS of this
    departure (its date, else its article's day, as the event stores it): one to merge a
    role-only mention into, or one a named mention now names."""
    if not okey or not d.role:
        return None
    role = _role_words(d.role)
    when = d.date or day or datetime.now(timezone.utc).date()
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
        ev = _find_event(session, keys, okey) if d.person else _find_role_event(session, okey, d, day)
        if ev is None and d.person:  # a role-only event this article now names
            ev = _find_role_event(session, okey, d, day)
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
        index_event(session, ev)
        session.add(MentionRow(
            event_id=ev.id, article_id=arow.id, person=d.person, org=d.org, role=d.role, kind=d.kind,
            announced_at=d.date, evidence=d.evidence, confidence=d.confidence, pattern=d.pattern,
        ))
    session.flush()
    return result
