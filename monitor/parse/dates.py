"""Dates from any source string (RFC 822, ISO 8601, '26-FEB-1987', '2025年06月03日 10:00', ...),
and the day a sentence names ("on March 3", "on Monday", "yesterday", "1月31日", "昨日", "周一"),
read against the article's own date.

A naive date gets the caller's timezone (UTC when none is given); every datetime returned is
timezone-aware in UTC.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_SETTINGS = {"PREFER_DAY_OF_MONTH": "first"}  # an explicit offset in the string is kept
# Year-first numeric dates, the usual Chinese forms: 2020/1/10 14:16, 2025年06月03日 10:00
_NUMERIC = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?(?:\s*[T ]?\s*(\d{1,2})[:时](\d{2})(?:[:分](\d{2}))?)?\s*$")
# The languages most feeds write dates in: tried first, because letting dateparser try all of
# its 200 locales costs ~0.1 s a string.
_COMMON = ["en", "zh", "pt", "es", "de", "fr", "ru", "ja", "it", "nl"]
# RFC 822 with the weekday and month in the feed's language ("Seg, 24 Set 2018 19:22:00 -0300",
# "lun., 03 févr. 2025 ...", "Mo, 03 Mär 2025 ..."): the month made English, the weekday dropped,
# then read as RFC 822 — without loading dateparser (11 MB) in a polling process.
_LOCAL_MONTHS = {m: i for i, ms in enumerate((
    "", "jan janv ene gen", "fev févr feb", "mar mars mär mrz mrt", "abr avr apr", "mai may mag mei",
    "jun juin giu", "jul juil lug", "ago août aug", "set sept sep", "out oct okt ott",
    "nov", "dez déc dic dec")) for m in ms.split()}
_LOCAL_RFC822 = re.compile(r"(?:[^\W\d]+\.?,?\s+)?(\d{1,2})\s+([^\W\d]+)\.?\s+(\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+\S+)?)")


@lru_cache(maxsize=4096)
def _dateparser(raw: str) -> datetime | None:
    import dateparser  # ~60 MB with its locales: only for the strings the fast paths cannot read

    return dateparser.parse(raw, languages=_COMMON, settings=_SETTINGS) or dateparser.parse(raw, settings=_SETTINGS)


def _english_rfc822(raw: str) -> str:
    m = _LOCAL_RFC822.fullmatch(raw)
    month = _LOCAL_MONTHS.get(m.group(2).lower()) if m else None
    return f"{m.group(1)} {calendar.month_abbr[month]} {m.group(3)}" if month else raw


def parse_date(raw: str | None, tz: str | None = None) -> datetime | None:
    """Parse `raw`; None when empty or not a date. `tz` names the zone of naive dates."""
    if not raw or not raw.strip():
        return None
    raw = raw.strip()[:100]
    dt: datetime | None = None
    try:
        dt = parsedate_to_datetime(_english_rfc822(raw))  # RFC 822, the common feed case, fast
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
    try:
        return dt.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00: before year 1 in UTC
        return None


_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_EN_DATE = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True))
                      + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b", re.I)
_ZH_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]|(底|末))")
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
# relative days: how many days before the reference day, or a weekday (the latest at or before it)
_EN_RELATIVE = re.compile(r"\b(?:(yesterday)|(today|tonight|this morning|this afternoon|this evening)|(?:on|last)\s+("
                          + "|".join(_WEEKDAYS) + r"))\b", re.I)
_ZH_RELATIVE = re.compile(r"(前天|昨天|昨日|昨晚|今天|今日|今晚|本日)|(?:周|星期|礼拜)([一二三四五六日天])")
_ZH_BACK = {"前天": 2, "昨天": 1, "昨日": 1, "昨晚": 1}
_ZH_WEEKDAY = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6}


def date_in_text(text: str, lang: str, ref: datetime | date | None) -> date | None:
    """The day `text` (one sentence) says something happened, read against `ref`, the article's
    date: a calendar date without a year is the latest such day at or before `ref` (or today, for
    an undated article); "yesterday", "on Monday", 昨日, 周一 count back from `ref` and mean
    nothing without it. None when the sentence names no day."""
    known = ref is not None
    ref = datetime.now(timezone.utc).date() if ref is None else ref.date() if isinstance(ref, datetime) else ref
    if lang == "zh":
        m = _ZH_DATE.search(text)
        if m:
            return _calendar_day(int(m.group(1)) if m.group(1) else None, int(m.group(2)),
                                 int(m.group(3)) if m.group(3) else None, ref)
        if not known:
            return None
        m = _ZH_RELATIVE.search(text)
        if m and m.group(1):
            return ref - timedelta(days=_ZH_BACK.get(m.group(1), 0))
        return _last_weekday(_ZH_WEEKDAY[m.group(2)], ref) if m else None
    m = _EN_DATE.search(text)
    if m:
        return _calendar_day(int(m.group(3)) if m.group(3) else None, _MONTHS[m.group(1).lower()], int(m.group(2)), ref)
    m = _EN_RELATIVE.search(text) if known else None
    if not m:
        return None
    if m.group(1):
        return ref - timedelta(days=1)
    return ref if m.group(2) else _last_weekday(_WEEKDAYS[m.group(3).lower()], ref)


def _last_weekday(weekday: int, ref: date) -> date:
    return ref - timedelta(days=(ref.weekday() - weekday) % 7)


def _calendar_day(year: int | None, month: int, day: int | None, ref: date) -> date | None:
    if not 1 <= month <= 12:
        return None
    if year is None:  # the most recent such date at or before the reference day
        year = ref.year if (month, day or 1) <= (ref.month, ref.day) else ref.year - 1
    last = calendar.monthrange(year, month)[1]
    day = min(day, last) if day else last  # 1月底: the month's last day
    try:
        return date(year, month, day)
    except ValueError:
        return None
