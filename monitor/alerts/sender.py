"""Deliver due outbox rows through Apprise and record each outcome.

New-event and update rows of ordinary channels go one message each; a digest channel's rows
wait for its window (hourly, daily or a crontab line) and go as one message — a window missed
while the daemon was down is sent at the next run. A failure is retried with exponential backoff
and jitter, then dead-lettered after MAX_ATTEMPTS (`monitor alerts retry` re-queues).

The one duplicate window: a crash after Apprise handed the message over and before the row is
marked sends that message again on restart.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlalchemy import or_
from sqlmodel import Session, select

from monitor.alerts.format import fmt_for_url
from monitor.alerts.secrets import mask, mask_url, register
from monitor.alerts.templates import render_digest, render_event, render_update, render_wave
from monitor.config import DIGESTS, ChannelConfig
from monitor.db.models import ChannelStateRow, DeliveryRow
from monitor.db.models import as_utc
from monitor.db.store import list_events, list_waves

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
_APPRISE_FMT = {"text": "text", "markdown": "markdown", "slack": "markdown", "html": "html"}  # NotifyFormat values


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Exponential delay with ±20% jitter, capped."""
    delay = min(BASE_DELAY * (2 ** max(0, attempts - 1)), MAX_DELAY)
    return delay * random.uniform(0.8, 1.2)


def notify(url: str, title: str, body: str, fmt: str) -> tuple[bool, str]:
    """Send one message through Apprise; (ok, masked error text)."""
    import apprise  # ~20 MB of plugins: loaded by the first message, not by a poller with nothing to send

    register([url])
    ap = apprise.Apprise()
    if not ap.add(url):
        return False, f"not a valid Apprise URL: {mask_url(url)}"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:  # no time stamp in a stored error
        try:
            ok, extra = bool(ap.notify(title=title, body=body, body_format=apprise.NotifyFormat(_APPRISE_FMT[fmt]))), ""
        except Exception as e:  # a plugin bug must not kill the sender
            ok, extra = False, f"{type(e).__name__}: {e}"
        text = (logs.getvalue() + extra).strip()
    return ok, mask(text or ("" if ok else "delivery failed"), [url])[:2000]


def _send_channel(ch: ChannelConfig, render) -> tuple[bool, str]:
    """`render(fmt) -> (title, body)` sent to every URL of the channel, each in its format."""
    ok, errors = True, []
    for url in ch.urls:
        fmt = fmt_for_url(url, ch.format)
        title, body = render(fmt)
        one_ok, err = notify(url, title, body, fmt)
        ok = ok and one_ok
        if err and not one_ok:
            errors.append(err)
    return ok, "; ".join(errors)


def _record(engine: Engine, ids: list[int], ok: bool, err: str, now: datetime, result: SendResult, chname: str) -> None:
    with Session(engine) as s:
        for did in ids:
            d = s.get(DeliveryRow, did)
            d.attempts += 1
            d.lease_owner, d.lease_until = None, None
            if ok:
                d.status, d.delivered_at, d.last_error = "sent", datetime.now(timezone.utc), None
                result.sent += 1
            else:
                d.last_error = err
                if d.attempts >= MAX_ATTEMPTS:
                    d.status = "dead"
                    result.dead += 1
                else:
                    d.next_attempt_at = as_utc(now) + backoff(d.attempts)
                    result.failed += 1
            s.add(d)
        s.commit()
    if not ok:
        result.errors.append(f"{chname}: {err}")
        log.warning("delivery to %s failed: %s", chname, err)


def _digest_due(engine: Engine, ch: ChannelConfig, now: datetime) -> bool:
    from apscheduler.triggers.cron import CronTrigger

    with Session(engine) as s:
        state = s.get(ChannelStateRow, ch.name)
        if state is None or state.last_digest_at is None:  # the first window starts now
            s.add(ChannelStateRow(name=ch.name, last_digest_at=now))
            s.commit()
            return False
        last = as_utc(state.last_digest_at)
    nxt = CronTrigger.from_crontab(DIGESTS.get(ch.digest, ch.digest), timezone="UTC").get_next_fire_time(None, last)
    return nxt is not None and nxt <= now


def send_due(engine: Engine, channels: list[ChannelConfig], now: datetime | None = None, *,
             owner: str | None = None, lease: timedelta = timedelta(minutes=5), digests: bool = True) -> SendResult:
    """Deliver what is due. Rows of channels not configured now stay pending. With `owner`
    (several senders sharing a PostgreSQL store), the rows are first leased to it with
    FOR UPDATE SKIP LOCKED, so no two senders take the same row; `digests=False` leaves digest
    windows to the scheduler."""
    now = now or datetime.now(timezone.utc)
    by_name = {c.name: c for c in channels}
    result = SendResult()
    with Session(engine) as session:
        q = (select(DeliveryRow).where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
             .order_by(DeliveryRow.id))
        if owner:
            q = q.where(or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now))
            if not digests:
                q = q.where(DeliveryRow.channel.not_in([c.name for c in channels if c.digest] or [""]))
            if engine.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
        rows = session.exec(q).all()
        if owner:
            for d in rows:
                d.lease_owner, d.lease_until = owner, now + lease
                session.add(d)
            session.commit()
        due = [(d.id, d.event_id, d.wave_id, d.channel, d.kind) for d in rows]
    digest_rows: dict[str, list[tuple[int, int]]] = {}
    for did, event_id, wave_id, chname, kind in due:
        ch = by_name.get(chname)
        if ch is None:
            result.skipped += 1
            continue
        if wave_id is not None:  # waves are rare and urgent: never held for a digest
            waves = list_waves(engine, wave_ids=[wave_id])
            if waves:
                ok, err = _send_channel(ch, lambda fmt: render_wave(waves[0], fmt, kind))
                _record(engine, [did], ok, err, now, result, chname)
            continue
        if ch.digest:
            digest_rows.setdefault(chname, []).append((did, event_id))
            continue
        events = list_events(engine, event_ids=[event_id])
        if not events:
            continue
        ev = events[0]
        if kind == "update":
            ok, err = _send_channel(ch, lambda fmt: render_update(ev, fmt))
        else:
            ok, err = _send_channel(ch, lambda fmt: render_event(ev, fmt, ch.title_template, ch.body_template))
        _record(engine, [did], ok, err, now, result, chname)
    for ch in channels if digests else []:
        if not ch.digest or not _digest_due(engine, ch, now):
            continue
        rows = digest_rows.get(ch.name, [])
        if rows:
            event_ids = list(dict.fromkeys(e for _, e in rows))
            events = sorted(list_events(engine, event_ids=event_ids), key=lambda e: e["first_seen_at"])
            ok, err = _send_channel(ch, lambda fmt: render_digest(events, fmt))
            _record(engine, [d for d, _ in rows], ok, err, now, result, ch.name)
            if not ok:
                continue
            result.digests += 1
        with Session(engine) as s:
            state = s.get(ChannelStateRow, ch.name)
            state.last_digest_at = now
            s.add(state)
            s.commit()
    return result


def retry_dead(engine: Engine, channel: str | None = None) -> int:
    """Re-queue dead-lettered deliveries (all, or one channel's). Returns how many."""
    with Session(engine) as s:
        q = select(DeliveryRow).where(DeliveryRow.status == "dead")
        if channel:
            q = q.where(DeliveryRow.channel == channel)
        rows = s.exec(q).all()
        for d in rows:
            d.status, d.attempts, d.next_attempt_at = "pending", 0, datetime.now(timezone.utc)
            s.add(d)
        s.commit()
        return len(rows)


def send_test(channels: list[ChannelConfig], name: str | None = None) -> list[tuple[str, bool, str]]:
    """A test message to every channel (or the one named): [(channel, ok, error)]."""
    sample = {"person": "Test Person", "org": "Example Corp", "role": "chief example officer", "kind": "left",
              "confidence": 1.0, "evidence": "This is a test message from monitor.", "aliases": [],
              "sources": ["https://example.com/monitor-test"], "mentions": 1}
    out = []
    for ch in channels:
        if name and ch.name != name:
            continue
        ok, err = _send_channel(ch, lambda fmt: (f"monitor test message for channel {ch.name}",
                                                 render_event(sample, fmt)[1]))
        out.append((ch.name, ok, err))
    return out
