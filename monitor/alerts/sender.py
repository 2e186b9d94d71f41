"""Deliver due outbox rows through Apprise and record each outcome.

A delivery is claimed, sent, then marked sent (or failed with backoff, then dead after
MAX_ATTEMPTS). The one duplicate window: a crash after Apprise handed the message over and
before the row is marked sends that one message again on restart.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import apprise
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.format import fmt_for_url, render
from monitor.alerts.secrets import mask, mask_url
from monitor.config import ChannelConfig
from monitor.db.models import DeliveryRow
from monitor.db.store import _as_utc, list_events

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Exponential delay with ±20% jitter, capped."""
    delay = min(BASE_DELAY * (2 ** max(0, attempts - 1)), MAX_DELAY)
    return delay * random.uniform(0.8, 1.2)


def _notify(urls: list[str], title: str, body: str) -> tuple[bool, str]:
    """Send through Apprise; (ok, masked error text)."""
    ap = apprise.Apprise()
    for u in urls:
        if not ap.add(u):
            return False, f"not a valid Apprise URL: {mask_url(u)}"
    with apprise.LogCapture(level=logging.WARNING) as logs:
        try:
            ok = bool(ap.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        except Exception as e:  # a plugin bug must not kill the sender
            ok, extra = False, f"{type(e).__name__}: {e}"
        else:
            extra = ""
        text = (logs.getvalue() + extra).strip()
    return ok, mask(text or ("delivery failed" if not ok else ""), urls)[:2000]


def route(channels: list[ChannelConfig]):
    """The routing function for ingest: which channels get an alert for a departure."""
    def _route(d) -> list[str]:
        return [c.name for c in channels if d.confidence >= c.min_confidence]
    return _route


def send_due(engine: Engine, channels: list[ChannelConfig], now: datetime | None = None) -> SendResult:
    """Deliver every pending delivery that is due. Channels not configured now are left pending."""
    now = now or datetime.now(timezone.utc)
    by_name = {c.name: c for c in channels}
    result = SendResult()
    with Session(engine) as session:
        due = session.exec(
            select(DeliveryRow).where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
            .order_by(DeliveryRow.id)
        ).all()
        due_ids = [(d.id, d.event_id, d.channel) for d in due]
    for did, event_id, chname in due_ids:
        ch = by_name.get(chname)
        if ch is None:
            result.skipped += 1
            continue
        events = list_events(engine, event_ids=[event_id])
        if not events:
            continue
        ok, err_parts = True, []
        for url in ch.urls:  # each target gets its own format and escaping
            title, body = render(events[0], fmt_for_url(url))
            one_ok, one_err = _notify([url], title, body)
            ok = ok and one_ok
            if one_err:
                err_parts.append(one_err)
        err = "; ".join(err_parts)
        with Session(engine) as session:
            d = session.get(DeliveryRow, did)
            d.attempts += 1
            if ok:
                d.status, d.delivered_at, d.last_error = "sent", datetime.now(timezone.utc), None
                result.sent += 1
            else:
                d.last_error = err
                if d.attempts >= MAX_ATTEMPTS:
                    d.status = "dead"
                    result.dead += 1
                else:
                    d.next_attempt_at = _as_utc(now) + backoff(d.attempts)
                    result.failed += 1
                result.errors.append(f"{chname}: {err}")
                log.warning("delivery %s to %s failed (attempt %s): %s", did, chname, d.attempts, err)
            session.add(d)
            session.commit()
    return result
