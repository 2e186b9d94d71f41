"""Dates from any source string (RFC 822, ISO 8601, '26-FEB-1987', '2025年06月03日 10:00', ...).

A naive date gets the caller's timezone (UTC when none is given); every datetime returned is
timezone-aware in UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import dateparser

_SETTINGS = {"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"}


def parse_date(raw: str | None, tz: str | None = None) -> datetime | None:
    """Parse `raw`; None when empty or not a date. `tz` names the zone of naive dates."""
    if not raw or not raw.strip():
        return None
    raw = raw.strip()[:100]
    dt: datetime | None = None
    try:
        dt = parsedate_to_datetime(raw)  # RFC 822, the common feed case, fast
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            dt = dateparser.parse(raw, settings=_SETTINGS)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz) if tz else timezone.utc)
    return dt.astimezone(timezone.utc)
