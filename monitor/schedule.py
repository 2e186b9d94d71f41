"""When a watcher is polled: each watcher has its own fixed point in its interval, taken from a
hash of its name, and its polls move towards it, so the many watchers of one host (an RSSHub
instance, Substack) are polled evenly across their interval instead of all at once, the same way
after every restart and in every process."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

FIRST_SPREAD = 30.0  # seconds over which new watchers' first polls are spread (no herd at start-up)
NUDGE = 0.1  # the most a poll moves from `interval` after the last one, as a share of the interval


def phase(name: str) -> float:
    """Where in its interval the watcher `name` is polled, as a share of the interval in [0, 1):
    fixed by its name, spread evenly over many names."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big") / 2.0 ** 64


def first_check(name: str, now: datetime, interval: float) -> datetime:
    """A new watcher's first poll: soon (within FIRST_SPREAD seconds, or its interval if shorter),
    at its own point of that window."""
    return now + timedelta(seconds=phase(name) * min(interval, FIRST_SPREAD))


def next_check(name: str, now: datetime, interval: float) -> datetime:
    """The poll after one made at `now`: `interval` seconds later, moved by at most NUDGE of the
    interval towards the watcher's own point (phase(name) of the way through each interval,
    counted from the Unix epoch). A watcher on its point is polled every `interval` exactly; the
    watchers of a host all polled at one moment (a start-up, a restart after an outage) reach
    their points within 1 / (2 NUDGE) = 5 polls, evenly spread over the interval."""
    target = now.timestamp() + interval
    off = (phase(name) * interval - target) % interval  # in [0, interval): later by this, or earlier by interval - off
    if off > interval / 2:
        off -= interval
    most = NUDGE * interval
    return now + timedelta(seconds=interval + max(-most, min(most, off)))
