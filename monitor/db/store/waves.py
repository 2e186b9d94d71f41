"""Waves: an organisation's departures with the day each counts on, the waves found in them
stored and alerted (once when one opens, at most daily while it grows), and read back."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db.models import ArticleRow, as_utc, DeliveryRow, EventRow, MentionRow, OrgRow, WaveRow
from monitor.db.store.engine import _write_lock
from monitor.db.store.orgs import org_key_of
from monitor.events.orgs import seniority
from monitor.events.waves import Exit, find_waves


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
            q = q.where(WaveRow.org_key == org_key_of(session, org))
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
