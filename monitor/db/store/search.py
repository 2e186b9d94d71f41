"""Finding events by text: the SQLite trigram index (kept in step with every event write) and a
substring search elsewhere, with the user's % and _ read as letters."""
from __future__ import annotations

import re

from sqlalchemy import or_
from sqlmodel import Session, select

from monitor.db.models import EventNameRow, EventRow
from monitor.parse.lang import to_simplified


def index_event(session: Session, ev: EventRow) -> None:
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
