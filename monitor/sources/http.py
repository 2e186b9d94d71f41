"""HTTP fetching for watchers: one shared httpx.AsyncClient, explicit connect/read timeouts and a
total deadline per fetch (a server sending a byte a second cannot hold a worker), a size cap
counted on DECODED bytes (bounds gzip bombs), conditional GET (ETag / Last-Modified; 304 means
nothing to parse), Retry-After on 429/503, per-host limits (requests at once, and optionally a
pause between starts: watchers.yaml `hosts:`), and one retry on a new connection when a kept-alive
one turns out closed by the server."""
from __future__ import annotations

import asyncio
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

# httpx imports its own command line (click, pygments, rich) when they are installed, as they are
# here for typer and apprise: 6 MB and 0.15 s in every process that polls. Not ours to load.
sys.modules.setdefault("httpx._main", None)
import httpx  # noqa: E402

from monitor import __version__

USER_AGENT = f"monitor/{__version__} (departure-announcement monitor; +https://example.invalid/monitor)"
MAX_BYTES = 10 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
TOTAL_DEADLINE = 60.0
PER_HOST = 2
MAX_CONNECTIONS = 20


class HostPools(httpx.AsyncBaseTransport):
    """A connection pool per host (scheme, host, port), each as large as that host's limit, and at
    most `max_connections` requests at once in all. httpcore's single pool scans every connection
    it holds, asking each socket whether it is readable, for every request it queues or ends:
    with connections to a hundred publishers kept alive, that scan was a fifth of a poll's CPU.
    A host's pool closes once it has been idle past the keep-alive expiry (its connections would
    be of no more use), so sockets stay bounded by the hosts polled in the last few seconds."""

    def __init__(self, limit: Callable[[str], int], max_connections: int, keepalive_expiry: float = 5.0):
        self._limit = limit  # requests at once for a netloc (lower case)
        self._expiry = keepalive_expiry
        self._all = asyncio.Semaphore(max_connections)
        self._pools: dict[tuple[bytes, bytes, int | None], list] = {}  # key -> [transport, in flight, last used]
        self._swept = time.monotonic()
        self._ssl = httpx.create_ssl_context()  # one for all pools: making one loads the CA bundle (~0.1 s)

    def _pool(self, url: httpx.URL) -> list:
        key = (url.raw_scheme, url.raw_host, url.port)
        entry = self._pools.get(key)
        if entry is None:
            n = max(1, self._limit(url.netloc.decode("ascii", "replace").lower()))
            limits = httpx.Limits(max_connections=n, max_keepalive_connections=n, keepalive_expiry=self._expiry)
            transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits)
            entry = self._pools[key] = [transport, 0, 0.0]
        return entry

    def _stale(self, now: float) -> list[httpx.AsyncHTTPTransport]:
        """Take out the pools idle past the keep-alive expiry (at most once per expiry period), to
        close. Taken out at once, with no await in between: a request that picks a pool up marks
        it busy first, so a pool being closed is never one a request is using."""
        if now - self._swept < self._expiry:
            return []
        self._swept = now
        stale = [k for k, (_, busy, used) in self._pools.items() if not busy and now - used > self._expiry]
        return [self._pools.pop(k)[0] for k in stale]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        closing = self._stale(time.monotonic())
        entry = self._pool(request.url)
        entry[1] += 1  # busy from here: no sweep takes this pool out
        try:
            for transport in closing:
                await transport.aclose()
            await self._all.acquire()  # held until the body is closed, as a connection is
        except BaseException:
            entry[1] -= 1
            raise
        try:
            response = await entry[0].handle_async_request(request)
        except BaseException:
            self._done(entry)
            raise
        return httpx.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                              stream=_Counted(response.stream, lambda: self._done(entry)))

    def _done(self, entry: list) -> None:
        entry[1] -= 1
        entry[2] = time.monotonic()
        self._all.release()

    def __len__(self) -> int:
        """Pools open (hosts with connections kept)."""
        return len(self._pools)

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for transport, _, _ in pools.values():
            await transport.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed (`done`, once)."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]):
        self._stream, self._done = stream, done

    async def __aiter__(self):
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done:
                done()


@dataclass
class FetchResult:
    """What one fetch of a watcher's URL gave."""

    url: str
    final_url: str | None = None
    status: int | None = None
    body: bytes | None = None  # None on 304 and on errors
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait
    elapsed: float = 0.0
    ttl_minutes: int | None = None  # an RSS body's <ttl>: how long the publisher asks readers to wait

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        """An answer to use: a 304, or a body (which a worker may have consumed already)."""
        return self.error is None and self.status is not None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


_TTL = re.compile(rb"<ttl>\s*(\d{1,6})\s*</ttl>")


# what a server closing an idle kept-alive connection looks like to the client
_STALE = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def _why(e: BaseException) -> str:
    """An exception's text, else its cause's (httpx.ReadError from a closed socket has none)."""
    while e is not None:
        if str(e):
            return str(e)
        e = e.__cause__ or e.__context__
    return "the server closed the connection without an answer"


def _small(resp: httpx.Response) -> bool:
    n = resp.headers.get("content-length", "")
    return n.isdigit() and int(n) <= 65536


def host_limit(hosts: dict[str, dict], per_host: int, host: str) -> tuple[int, float]:
    """(requests at once, seconds between starts) for `host` (netloc, lower case): its entry in
    `hosts` (by name with port, else by name), else `per_host` and no pause."""
    h = hosts.get(host) or hosts.get(host.rsplit(":", 1)[0]) if hosts else None
    return (int(h.get("concurrency", per_host)), float(h.get("min_interval", 0.0))) if h else (per_host, 0.0)


class Fetcher:
    """Shared client and per-host limits; use as an async context manager."""

    def __init__(self, *, max_bytes: int = MAX_BYTES, deadline: float = TOTAL_DEADLINE,
                 connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 per_host: int = PER_HOST, max_connections: int = MAX_CONNECTIONS,
                 hosts: dict[str, dict] | None = None):
        """`hosts`: limits of particular hosts (watchers.yaml `hosts:`), each {"concurrency": n,
        "min_interval": seconds between two requests' starts}; any other host gets `per_host`."""
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.per_host = per_host
        self.hosts = {k.lower(): dict(v) for k, v in (hosts or {}).items()}
        # what it takes to make the same fetcher elsewhere (the daemon's worker processes)
        self.settings = dict(max_bytes=max_bytes, deadline=deadline, connect_timeout=connect_timeout,
                             read_timeout=read_timeout, per_host=per_host, max_connections=max_connections,
                             hosts=self.hosts)
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = defaultdict(float)  # per host with a min_interval (monotonic)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=10.0, pool=deadline),
            transport=HostPools(lambda host: self.limit(host)[0], max_connections),
            follow_redirects=True, max_redirects=5,
            headers={"User-Agent": USER_AGENT,
                     "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                               "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"},
        )

    @staticmethod
    def defaults() -> dict:
        """The settings of a Fetcher made with no arguments."""
        return dict(max_bytes=MAX_BYTES, deadline=TOTAL_DEADLINE, connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT, per_host=PER_HOST, max_connections=MAX_CONNECTIONS, hosts={})

    def limit(self, host: str) -> tuple[int, float]:
        """(requests at once, seconds between starts) for `host` (netloc, lower case)."""
        return host_limit(self.hosts, self.per_host, host)

    async def _pace(self, host: str, interval: float) -> None:
        """Wait for this host's next start slot: starts at least `interval` seconds apart."""
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self._next_start[host])
        self._next_start[host] = start + interval
        if start > loop.time():
            await asyncio.sleep(start - loop.time())

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    headers: dict[str, str] | None = None) -> FetchResult:
        """GET `url` conditionally. Never raises: every failure is in `error`. `headers`: sent
        besides the client's own (e.g. the User-Agent a host requires)."""
        headers = dict(headers or {})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).netloc.lower()
        start = time.monotonic()
        result = FetchResult(url=url)
        at_once, interval = self.limit(host)
        gate = self._gates.get(host) or self._gates.setdefault(host, asyncio.Semaphore(at_once))
        try:
            async with gate:
                if interval:
                    await self._pace(host, interval)
                async with asyncio.timeout(self.deadline):
                    try:
                        await self._get(url, headers, result)
                    except _STALE:
                        if result.status is not None:
                            raise  # the answer broke off: not a stale connection
                        # a kept-alive connection the server had closed: once more, on a new one
                        async with self._fresh() as client:
                            await self._get(url, headers, result, client)
        except TimeoutError:
            result.error = f"timed out after {self.deadline:.0f} s (total deadline)"
        except httpx.TimeoutException as e:
            result.error = f"timed out ({type(e).__name__})"
        except httpx.TooManyRedirects:
            result.error = "too many redirects"
        except httpx.HTTPError as e:
            result.error = f"{type(e).__name__}: {_why(e)}"[:500]
        except OSError as e:
            result.error = f"network error: {e}"[:500]
        result.elapsed = time.monotonic() - start
        if result.error:
            result.body = None
        return result

    def _fresh(self) -> httpx.AsyncClient:
        """A one-connection client like the shared one, for a retry that must not reuse a connection."""
        return httpx.AsyncClient(timeout=self.client.timeout, limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
                                 follow_redirects=True, max_redirects=5, headers=self.client.headers)

    async def _get(self, url: str, headers: dict[str, str], result: FetchResult,
                   client: httpx.AsyncClient | None = None) -> None:
        async with (client or self.client).stream("GET", url, headers=headers) as resp:
            result.status = resp.status_code
            result.final_url = str(resp.url)
            result.headers = {k.lower(): v for k, v in resp.headers.items()}
            if resp.status_code == 304 or resp.status_code >= 400 and _small(resp):
                await resp.aread()  # an unread body would close the connection: read it, keep it alive
            if resp.status_code == 304:
                return
            if resp.status_code in (429, 503):
                result.retry_after = retry_after_seconds(resp.headers.get("retry-after"))
                result.error = f"HTTP {resp.status_code}" + (f", retry after {result.retry_after:.0f} s" if result.retry_after else "")
                return
            if resp.status_code >= 400:
                result.error = f"HTTP {resp.status_code}"
                return
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                result.error = f"response too large ({int(declared):,} bytes declared; the cap is {self.max_bytes:,})"
                return
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():  # decoded: a gzip bomb is counted as it inflates
                size += len(chunk)
                if size > self.max_bytes:
                    result.error = f"response too large (over {self.max_bytes:,} bytes decoded)"
                    return
                chunks.append(chunk)
            result.body = b"".join(chunks)
            if ttl := _TTL.search(result.body[:20000]):
                result.ttl_minutes = int(ttl.group(1))
