"""Dates from any source string (RFC 822, ISO 8601, '26-FEB-1987', '2025年06月03日 10:00', ...).

A naive date gets the caller's timezone (UTC when none is given); every datetime returned is
timezone-aware in UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_SETTINGS = {"PREFER_DAY_OF_MONTH": "first"}  # an explicit offset in the string is kept
# Year-first numeric dates, the usual Chinese forms: 2020/1/10 14:16, 2025年06月03日 10:00
_NUMERIC = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?(?:\s*[T ]?\s*(\d{1,2})[:时](\d{2})(?:[:分](\d{2}))?)?\s*$")
# The languages most feeds write dates in: tried first, because letting dateparser try all of
# its 200 locales costs ~0.1 s a string.
_COMMON = ["en", "zh", "pt", "es", "de", "fr", "ru", "ja", "it", "nl"]


@lru_cache(maxsize=4096)
def _dateparser(raw: str) -> datetime | None:
    import dateparser  # ~60 MB with its locales: only for the strings the fast paths cannot read

    return dateparser.parse(raw, languages=_COMMON, settings=_SETTINGS) or dateparser.parse(raw, settings=_SETTINGS)


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
            m = _NUMERIC.match(raw)
            try:
                dt = datetime(*(int(g) for g in m.groups() if g is not None)) if m else _dateparser(raw)
            except ValueError:
                dt = None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz) if tz else timezone.utc)
    return dt.astimezone(timezone.utc)
