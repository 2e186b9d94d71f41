"""Reading events: filtered and sorted by departure date, with their spellings, sources and
deliveries, as the dicts `monitor events`, the web pages and the alerts share; and as CSV."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db.models import ArticleRow, as_utc, DeliveryRow, EventNameRow, EventRow, MentionRow
from monitor.db.store.orgs import org_key_of
from monitor.db.store.search import search_event_ids
from monitor.events.names import person_keys


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
            q = q.where(EventRow.org_key == org_key_of(session, org))
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
