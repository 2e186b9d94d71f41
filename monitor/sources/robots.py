"""robots.txt, honoured for every page `monitor` finds by itself (the article behind a feed item,
the links of a page watcher's listing): fetched through the same Fetcher (per-host limits,
timeouts, size cap), read by the standard library's urllib.robotparser, cached per host.

As RFC 9309 says: a robots.txt that is not there (any 4xx) allows everything; one that cannot be
read (5xx, 429, no answer) forbids everything for now. A readable one is kept for a day, an
unreadable one for an hour. A refusal is logged once per host per cache period."""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

log = logging.getLogger(__name__)
AGENT = "monitor"  # the product token our User-Agent starts with
KEEP = 24 * 3600.0  # seconds a fetched robots.txt is trusted
KEEP_UNREADABLE = 3600.0
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: at least 500 KiB must be parsed; more is ignored


class _Entry:
    __slots__ = ("parser", "allow_all", "until", "warned", "why")

    def __init__(self, parser: RobotFileParser | None, allow_all: bool, until: float, why: str = ""):
        self.parser, self.allow_all, self.until, self.warned, self.why = parser, allow_all, until, False, why


class Robots:
    """Per-host robots.txt decisions for one Fetcher (one per process: `Robots.of(fetcher)`)."""

    _by_fetcher: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, fetcher):
        self.fetcher = fetcher
        self._cache: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Future] = {}
        self.fetches = 0  # robots.txt requests made (the cost of following, with the pages)

    @classmethod
    def of(cls, fetcher) -> Robots:
        robots = cls._by_fetcher.get(fetcher)
        if robots is None:
            robots = cls._by_fetcher[fetcher] = cls(fetcher)
        return robots

    async def allowed(self, url: str) -> tuple[bool, str]:
        """(may `url` be fetched, why not). Never raises."""
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        entry = await self._entry(origin)
        if entry.allow_all:
            return True, ""
        if entry.parser is not None and entry.parser.can_fetch(AGENT, url):
            return True, ""
        why = entry.why or f"robots.txt of {parts.netloc} forbids {parts.path or '/'}"
        if not entry.warned:
            entry.warned = True
            log.warning("%s: not fetched, what the feed or listing says of it is read instead (further refusals "
                        "from %s are not logged for %s)",
                        why, parts.netloc, "a day" if entry.parser is not None else "an hour")
        return False, why

    async def _entry(self, origin: str) -> _Entry:
        entry = self._cache.get(origin)
        if entry is not None and entry.until > time.monotonic():
            return entry
        pending = self._loading.get(origin)
        if pending is None:  # one fetch per host at a time; the others wait for its answer
            pending = self._loading[origin] = asyncio.ensure_future(self._load(origin))
            pending.add_done_callback(lambda _f: self._loading.pop(origin, None))
        return await asyncio.shield(pending)

    async def _load(self, origin: str) -> _Entry:
        self.fetches += 1
        res = await self.fetcher.fetch(f"{origin}/robots.txt")
        now = time.monotonic()
        if res.status is not None and 200 <= res.status < 300 and res.body is not None:
            parser = RobotFileParser()
            parser.parse(res.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").splitlines())
            entry = _Entry(parser, False, now + KEEP)
        elif res.status is not None and 400 <= res.status < 500 and res.status != 429:
            entry = _Entry(None, True, now + KEEP)  # no robots.txt: everything is allowed
        else:
            host = urlsplit(origin).netloc
            entry = _Entry(None, False, now + KEEP_UNREADABLE,
                           f"robots.txt of {host} could not be read ({res.error or f'HTTP {res.status}'})")
        self._cache[origin] = entry
        return entry
