"""Worker processes for polling's heavy half: each worker fetches watchers' URLs with its own
httpx client (monitor.sources.http) and parses + detects what changed (monitor.analysis), so
that fetching and parsing use every core and the daemon's own process keeps only the database.

Each worker is `python -m monitor.workers SETTINGS`: it loads no database code. Jobs and answers
are length-prefixed pickled `(id, job)` / `(id, answer)` frames on its stdin and stdout, many in
flight at once (fetches wait on the network together; parsing runs one body at a time). A job is
a PollJob (conditional GET, then analysis of a body that differs from the last one) or a FeedJob
(analysis of a body fetched elsewhere). The parent (AnalysisPool) gives each job to the least
busy worker (a poll: the one with the fewest polls of its host in hand), and splits the
fetcher's limits between the workers (per-host concurrency and connections; with more workers
than the per-host limit, a host's polls go to as many workers as that limit, one request each),
so a publisher sees no more requests at once than from one process. A worker that
dies or overruns a job's time is replaced; the jobs it had in hand fail (their watchers back off
as for any failed poll) instead of taking the daemon down with it.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import os
import pickle
import signal
import struct
import sys
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.records import ArticlesJob, FeedJob, FeedResult, FilingsJob

log = logging.getLogger(__name__)
_LEN = struct.Struct("!I")
JOB_TIMEOUT = 120.0  # for analysing one body; a PollJob also has the fetch's deadline
FOLLOW_BUDGET = 120.0  # and, when it follows links to articles, their fetches' (monitor.follow.BUDGET)


class WorkerError(RuntimeError):
    """A worker died or overran its time on a job."""


@dataclass
class PollJob:
    """One watcher's poll, without the database: what the last poll left."""

    watcher: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # sha256 of the last body: the same bytes are not parsed again
    known: bytes | None = None  # digests of the last body's items (sec-8k: of the filings read)
    tz: str | None = None
    kind: str = "feed"  # feed | sec-8k (monitor.sources.sec)
    user_agent: str | None = None  # sent instead of the fetcher's own
    ciks: tuple[str, ...] = ()  # sec-8k: only these filers (and those of `tickers`)
    tickers: tuple[str, ...] = ()
    follow: str = "never"  # which new items have their link read whole (monitor.follow): candidates | always | never
    links: str | None = None  # page: the `links:` rule
    known_links: bytes | None = None  # digests of the links followed before

    @property
    def follows(self) -> bool:
        """Whether this poll may fetch article pages (and so needs monitor.follow's time budget)."""
        return self.kind == "page" or self.kind == "feed" and self.follow != "never"


@dataclass
class PollReply:
    """What a poll gave: the fetch (without its body), the body's sha256, and the analysis of a
    body that differs from the last one (None: nothing to analyse, or the fetch failed)."""

    fetch: object  # monitor.sources.http.FetchResult
    digest: str | None = None
    result: FeedResult | None = None


def analyse(job: FeedJob | FilingsJob | ArticlesJob) -> FeedResult:
    """analyse_feed (analyse_filings for SEC filings' texts, analyse_pages for followed article
    pages), with a parser bug on one body answered as that body's error."""
    from monitor.analysis import analyse_feed, analyse_filings, analyse_pages

    try:
        if isinstance(job, ArticlesJob):
            return analyse_pages(job)
        return analyse_filings(job) if isinstance(job, FilingsJob) else analyse_feed(job)
    except Exception as e:
        log.exception("analysis failed for %s", job.url)
        return FeedResult(error=f"could not be analysed ({type(e).__name__}: {e})")


async def poll_with(fetcher, job: PollJob, analyse_body) -> PollReply:
    """Fetch `job.url` conditionally; analyse (with `analyse_body`) a body unlike the last one.
    An EDGAR list (kind sec-8k) has its new filings read (monitor.sources.sec) and analysed."""
    if job.kind == "sec-8k":
        from monitor.sources import sec  # loaded where filings are read: the workers

        polled = await sec.poll(fetcher, job)
        reply = PollReply(polled.fetch, polled.digest)
        if polled.error:
            reply.result = FeedResult(error=polled.error)
        elif polled.job is not None:
            reply.result = await analyse_body(polled.job)
        return reply
    if job.kind == "page":  # a listing page: robots.txt first, as for the articles it links to
        from monitor.follow import listing_refusal
        from monitor.sources.http import FetchResult

        if why := await listing_refusal(fetcher, job.url):
            return PollReply(FetchResult(job.url, error=why))
    headers = {"User-Agent": job.user_agent} if job.user_agent else None
    res = await fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified, headers=headers)
    reply = PollReply(res)
    if res.body is not None:  # a full answer (a fetch that failed keeps no body)
        reply.digest = hashlib.sha256(res.body).hexdigest()
        if reply.digest != job.body_hash:
            feed = FeedJob(job.watcher, job.url, res.body, res.headers.get("content-type"), res.headers, job.tz,
                           job.known, final_url=res.final_url, follow=job.follow if job.kind == "feed" else "never",
                           known_links=job.known_links, kind=job.kind, links=job.links)
            reply.result = await analyse_body(feed)
            if reply.result.to_follow and not reply.result.error:  # read the whole story, here (monitor.follow)
                from monitor.follow import read_whole

                feed.data = b""
                try:
                    reply.result = await read_whole(fetcher, feed, reply.result, analyse_body)
                except Exception as e:  # a bug in following: the feed's own reading stands
                    log.exception("following the links of %s failed", job.url)
                    reply.result.to_follow, reply.result.follow_error = [], f"internal error: {type(e).__name__}: {e}"
    res.body = None  # analysed where it was fetched: it never crosses to the database's process
    return reply


# ------------------------------------------------------------------ the parent's side
class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.waiting: dict[int, asyncio.Future] = {}
        self.polling: dict[str, int] = {}  # host -> polls of it in hand
        self.dead = False
        self.replaced = False
        self._ids = itertools.count()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, settings: dict) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor.workers", json.dumps(settings), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024)
        return cls(proc)

    async def _read(self) -> None:
        try:
            while True:
                size = _LEN.unpack(await self.proc.stdout.readexactly(_LEN.size))[0]
                job_id, answer = pickle.loads(await self.proc.stdout.readexactly(size))
                fut = self.waiting.pop(job_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError, pickle.UnpicklingError, EOFError):
            pass
        finally:
            self.dead = True
            for fut in self.waiting.values():
                if not fut.done():
                    fut.set_exception(WorkerError("the worker died"))
            self.waiting.clear()

    async def run(self, job, timeout: float):
        if self.dead:
            raise WorkerError("the worker died")
        job_id, fut = next(self._ids), asyncio.get_running_loop().create_future()
        self.waiting[job_id] = fut
        try:
            data = pickle.dumps((job_id, job), protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.write(_LEN.pack(len(data)) + data)
            await self.proc.stdin.drain()
            async with asyncio.timeout(timeout):
                return await fut
        except (ConnectionError, BrokenPipeError) as e:
            raise WorkerError("the worker died") from e
        finally:
            self.waiting.pop(job_id, None)  # answered, failed or abandoned: its answer is not awaited

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # it may have died (and been reaped) already
            self.proc.kill()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        await self._reader


def _share(settings: dict, n: int) -> dict:
    """One worker's part of a fetcher's limits when `n` workers fetch side by side (a host gets
    at most `per_host` requests at once in all: see AnalysisPool._for_host)."""
    share = dict(settings)
    share["per_host"] = max(1, settings["per_host"] // n)
    share["max_connections"] = max(1, settings["max_connections"] // n)
    share["hosts"] = {}
    for host, lim in (settings.get("hosts") or {}).items():  # a host's own limit, shared the same way
        c = int(lim.get("concurrency", settings["per_host"]))
        share["hosts"][host] = {"concurrency": max(1, c // n),  # each of the min(n, c) workers that fetch
                                "min_interval": float(lim.get("min_interval", 0.0)) * min(n, c)}  # from it
    return share


class AnalysisPool:
    """`size` worker processes: `await pool.poll(job)` fetches and analyses on the worker with
    the fewest polls of that host in hand (then the least busy), `await pool.analyse(job)`
    analyses a body fetched here. `fetch`: the Fetcher settings (Fetcher.settings) the workers
    share."""

    def __init__(self, size: int, *, timeout: float = JOB_TIMEOUT, fetch: dict | None = None):
        self.size = size
        self.timeout = timeout
        if not fetch:
            from monitor.sources.http import Fetcher  # its defaults

            fetch = Fetcher.defaults()
        self.per_host, self.hosts = fetch["per_host"], fetch.get("hosts") or {}
        self.fetch = _share(fetch, size)
        self._workers: list[_Worker] = []

    async def __aenter__(self) -> AnalysisPool:
        self._workers = list(await asyncio.gather(*(_Worker.start(self.fetch) for _ in range(self.size))))
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(w.stop() for w in self._workers), return_exceptions=True)
        self._workers.clear()

    def _for_host(self, url: str) -> list[_Worker]:
        """The workers that may fetch from `url`'s host: all of them when each has a share of
        the per-host limit, else `per_host` of them (picked by the host), one request each."""
        from monitor.sources.http import host_limit

        host = urlsplit(url).netloc.lower()
        at_once = host_limit(self.hosts, self.per_host, host)[0]
        if at_once >= len(self._workers):
            return self._workers
        start = zlib.crc32(host.encode())
        return [self._workers[(start + i) % len(self._workers)] for i in range(at_once)]

    async def _call(self, job, timeout: float):
        host = urlsplit(job.url).netloc.lower() if isinstance(job, PollJob) else None
        # a dead worker only when it is the only choice; for a poll, the worker with the fewest
        # polls of that host in hand: each has a share of the host's limit, and a poll queued
        # behind a slow one of the same host would wait while another worker's share is free
        worker = min(self._for_host(job.url) if host else self._workers,
                     key=lambda w: (w.dead, w.polling.get(host, 0), len(w.waiting)))
        if host:
            worker.polling[host] = worker.polling.get(host, 0) + 1
        try:
            return await worker.run(job, timeout)
        except (TimeoutError, WorkerError) as e:
            if not worker.replaced:  # the first job to find it broken replaces it, in its place
                worker.replaced = worker.dead = True  # (so the hosts it served stay with its successor)
                log.error("analysis worker failed on %s (%s): starting a new one", job.url,
                          "timed out" if isinstance(e, TimeoutError) else "died")
                worker.kill()
                successor = await _Worker.start(self.fetch)
                if worker in self._workers:  # (not if the pool closed meanwhile)
                    self._workers[self._workers.index(worker)] = successor
                else:
                    await successor.stop()
            raise WorkerError("timed out" if isinstance(e, TimeoutError) else "died") from None
        finally:
            if host:
                if worker.polling[host] > 1:
                    worker.polling[host] -= 1
                else:
                    del worker.polling[host]

    async def analyse(self, job: FeedJob) -> FeedResult:
        try:
            return await self._call(job, self.timeout)
        except WorkerError as e:
            return FeedResult(error=f"the analysis worker {e} on this body")

    async def poll(self, job: PollJob) -> PollReply:
        from monitor.sources.http import FetchResult

        try:
            return await self._call(job, self.timeout + self.fetch["deadline"] + (FOLLOW_BUDGET if job.follows else 0))
        except WorkerError as e:
            return PollReply(FetchResult(job.url, error=f"the polling worker {e} on this feed"))


class InlinePool:
    """The same interface without processes: fetching on this event loop with `fetcher`,
    analysis in a thread of this process, one body at a time as in a worker process (the GIL
    runs one anyway; several at once would only hold several parsed feeds in memory)."""

    def __init__(self, fetcher=None):
        self.fetcher = fetcher
        self._one = asyncio.Lock()

    async def __aenter__(self) -> InlinePool:
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    async def analyse(self, job: FeedJob) -> FeedResult:
        async with self._one:
            return await asyncio.to_thread(analyse, job)

    async def poll(self, job: PollJob) -> PollReply:
        return await poll_with(self.fetcher, job, self.analyse)


def pool(size: int, fetcher=None) -> AnalysisPool | InlinePool:
    """`size` worker processes sharing `fetcher`'s limits; 0: fetch with `fetcher` and analyse
    in this process."""
    if size > 0:
        return AnalysisPool(size, fetch=fetcher.settings if fetcher else None)
    without_pkg_resources()
    return InlinePool(fetcher)


def without_pkg_resources() -> None:
    """In a process that analyses feeds: jieba imports pkg_resources (3–5 MB here: it reads every
    installed distribution's metadata) only to open its own data files, and opens them directly
    when that import fails; so make it fail. Nothing else on the polling path uses it."""
    sys.modules.setdefault("pkg_resources", None)


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2))


# ------------------------------------------------------------------ the worker's side
def serve() -> None:
    """A worker: jobs on stdin, answers on stdout, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which closes stdin
    without_pkg_resources()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    asyncio.run(_serve(settings))


async def _serve(settings: dict) -> None:
    loop = asyncio.get_running_loop()
    inp = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(inp), sys.stdin.buffer)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() of a library goes to stderr, not into the answers
    sys.stdout = sys.stderr
    fetcher, tasks = None, set()

    def answer(job_id: int, result) -> None:
        data = pickle.dumps((job_id, result), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_LEN.pack(len(data)) + data)
        out.flush()

    async def inline(job: FeedJob) -> FeedResult:
        return analyse(job)  # on this loop: one body at a time, the fetches wait meanwhile

    async def run_poll(job_id: int, job: PollJob) -> None:
        try:
            reply = await poll_with(fetcher, job, inline)
        except Exception as e:  # a bug with one feed answers with an error, the others go on
            from monitor.sources.http import FetchResult

            log.exception("poll failed for %s", job.url)
            reply = PollReply(FetchResult(job.url, error=f"internal error: {type(e).__name__}: {e}"))
        answer(job_id, reply)

    while True:
        try:
            header = await inp.readexactly(_LEN.size)
            job_id, job = pickle.loads(await inp.readexactly(_LEN.unpack(header)[0]))
        except asyncio.IncompleteReadError:
            break
        if isinstance(job, PollJob):
            if fetcher is None:
                from monitor.sources.http import Fetcher

                fetcher = Fetcher(**settings)
            task = asyncio.create_task(run_poll(job_id, job))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        else:
            answer(job_id, analyse(job))
    if tasks:
        await asyncio.gather(*tasks)
    if fetcher is not None:
        await fetcher.client.aclose()


if __name__ == "__main__":
    from monitor.workers import serve as _serve_here  # the module proper, not __main__: jobs unpickle as its classes

    _serve_here()
