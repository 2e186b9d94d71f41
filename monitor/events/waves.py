"""Departure waves: a burst of exits at one organisation, well above its own usual rate.

Pure logic over dated departures (tests feed it synthetic timelines). For each departure, the
window of WINDOW days ending at its date is compared with the organisation's baseline: the
median number of departures per window over the HISTORY up to its latest departure (robust to
bursts; a young organisation's empty weeks count, never below FLOOR). A window is "hot" when it
holds at least MIN_COUNT departures whose seniority-weighted count is at least FACTOR ×
baseline. A wave opens at a hot window and takes the departures up to one window before it;
later ones join while they come within QUIET days of the previous one and the rate stays hot (or
they fall within one window of the last hot point); then it closes. Dates are event dates (announced
or effective), so a backfill of old news builds the right timeline.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

WINDOW = 7
MIN_COUNT = 3
FACTOR = 3.0
FLOOR = 0.5
QUIET = 14
HISTORY = 364


@dataclass
class Exit:
    """One departure as waves see it."""

    event_id: int
    person: str | None  # None: a role-only departure
    when: date  # the date counted: stated, else inferred (see store.wave_inputs)
    weight: float = 1.0
    level: str = "unknown"
    role: str | None = None
    kind: str = "left"
    date: date | None = None  # the date the text states, if any
    sources: list[str] = field(default_factory=list)


@dataclass
class Wave:
    org_key: str
    members: list[Exit]
    baseline: float
    closed: bool

    @property
    def started_on(self) -> date:
        return self.members[0].when

    @property
    def last_event_on(self) -> date:
        return self.members[-1].when

    @property
    def senior(self) -> int:
        return sum(m.level in ("co-founder", "c-level", "vp") for m in self.members)


def baseline(dates: list[date], window: int = WINDOW, span: int = HISTORY, floor: float = FLOOR) -> float:
    """The organisation's usual departures per window: the median over the `span` days up to its
    latest departure (robust to bursts; weeks with none count), never below `floor`."""
    if not dates:
        return floor
    end = max(dates) + timedelta(days=1)
    start = end - timedelta(days=span)
    buckets = [0] * (span // window)
    for d in dates:
        if start <= d < end:
            buckets[min(len(buckets) - 1, (d - start).days // window)] += 1
    return max(floor, statistics.median(buckets))


def find_waves(org_key: str, exits: list[Exit], today: date, *, window: int = WINDOW, min_count: int = MIN_COUNT,
               factor: float = FACTOR, quiet: int = QUIET) -> list[Wave]:
    """Every wave in one organisation's departures, oldest first."""
    exits = sorted(exits, key=lambda e: (e.when, e.event_id))
    base = baseline([e.when for e in exits], window)
    waves: list[Wave] = []
    current: Wave | None = None
    last_hot: date | None = None
    for k, e in enumerate(exits):
        lo = e.when - timedelta(days=window - 1)
        in_window = [x for x in exits[: k + 1] if x.when >= lo]
        hot = len(in_window) >= min_count and sum(x.weight for x in in_window) >= factor * base
        if current is not None:
            if (e.when - current.last_event_on).days <= quiet and (hot or (e.when - last_hot).days <= window):
                current.members.append(e)
                last_hot = e.when if hot else last_hot
                continue
            current.closed = True
            current = None
        if hot:
            taken = {m.event_id for w in waves for m in w.members}
            # the exits just before the window belong to the same burst (one window back at most)
            members = [x for x in exits[: k + 1] if x.when >= lo - timedelta(days=window) and x.event_id not in taken]
            current = Wave(org_key, members, base, closed=False)
            last_hot = e.when
            waves.append(current)
    if current is not None:
        current.closed = (today - current.last_event_on).days > quiet
    return waves
