"""The polling daemon: fetch each watcher's URL, parse what changed, send new entries down the
same path as backfill (pipeline.process_article), deliver alerts.

`poll_once` polls every watcher once (`monitor run --once`); `run_forever` drives per-watcher
APScheduler 3 jobs (cron, or an interval: run when the watcher's state says, monitor.schedule),
a delivery job, and reloads watchers.yaml when it changes or on SIGHUP. Failures back off
exponentially per watcher (capped at a day, never disabled); Retry-After, Cache-Control/Expires and RSS <ttl> are honoured as floors.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from monitor.alerts.routing import route
from monitor.alerts.sender import send_due
from monitor.config import Config, WatcherConfig, active_channels, interval_seconds, load_config
from monitor.db.models import WatcherRow, as_utc
from monitor.db.store import load_watcher_states, new_entry_keys, save_watcher_state, save_watcher_states, watcher_values
from monitor.pipeline import Summary, store_analysed
from monitor.records import Analysed, Article
from monitor.schedule import first_check, next_check
from monitor.sources.http import FetchResult, Fetcher
from monitor.workers import InlinePool, PollJob, pool as analysis_pool

# polls in flight at once in one process (each host still gets at most its `hosts:` concurrency):
# 20 left round 2 of the benchmark farm (mostly 304s) waiting on round trips (bench/README.md)
POLLS_IN_FLIGHT = 64
log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(days=1)
MAX_FLOOR = timedelta(hours=6)  # a server's caching hints never stretch a poll beyond this


def entry_key(article: Article) -> str:
    """A feed entry's identity: its guid, else its link, else its content."""
    ident = article.external_id or article.url or article.content_hash
    return hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()


def _floor(res: FetchResult, now: datetime) -> timedelta:
    """The earliest next poll the server asks for: Cache-Control max-age, Expires, RSS <ttl>."""
    floor = timedelta(0)
    cc = re.search(r"max-age=(\d+)", res.headers.get("cache-control", ""))
    if cc:
        floor = max(floor, timedelta(seconds=int(cc.group(1))))
    elif res.headers.get("expires"):
        try:
            exp = parsedate_to_datetime(res.headers["expires"])
            floor = max(floor, (as_utc(exp) - now))
        except (TypeError, ValueError):
            pass
    if res.ttl_minutes:
        floor = max(floor, timedelta(minutes=res.ttl_minutes))
    return min(floor, MAX_FLOOR)


@dataclass
class PollOutcome:
    watcher: str
    status: str  # "new", "unchanged", "not-modified", "failed", "skipped"
    entries: int = 0  # new items in the body (all of them when it could not be split)
    new_entries: int = 0  # items stored as articles (new to this watcher)
    new_events: int = 0
    error: str | None = None
    candidates: int = 0  # new items parsed: a departure word in their raw text
    split: bool = False  # the body was split into items (entries and candidates counted before parsing)
    followed: int = 0  # article pages read in place of the feed's summary (monitor.follow)
    fallbacks: int = 0  # pages that could not be read: the summary (a listing's headline) was
    next_check: datetime | None = None  # when the watcher is due next (what its state says)

    @property
    def seen(self) -> int:
        """New items: counted before parsing, or (a body read whole) those not stored before."""
        return self.entries if self.split else self.new_entries

    @property
    def read(self) -> int:
        """Of those, the ones parsed and read by the detector."""
        return self.candidates if self.split else self.new_entries


class Tally:
    """What a running daemon did since its last summary line (logged every `every` seconds, the
    same on SQLite and PostgreSQL): polls by outcome, new entries and events, alert deliveries."""

    def __init__(self, every: float = 300.0):
        self.every = every
        self._reset(time.monotonic())

    def _reset(self, now: float) -> None:
        self.since, self.polls, self.entries, self.candidates, self.events = now, Counter(), 0, 0, 0
        self.sent = self.failed = self.dead = 0

    def poll(self, o: PollOutcome) -> None:
        self.polls[o.status] += 1
        self.entries += o.seen
        self.candidates += o.read
        self.events += o.new_events

    def deliveries(self, r) -> None:  # an alerts.sender.SendResult
        self.sent, self.failed, self.dead = self.sent + r.sent, self.failed + r.failed, self.dead + r.dead

    def due(self) -> bool:
        return time.monotonic() - self.since >= self.every

    def report(self) -> None:
        """Log the summary line and start counting again."""
        now = time.monotonic()
        p = self.polls
        log.info("last %ds: polled %d (new content %d, unchanged %d, failed %d); %d new entries, %d candidates, "
                 "%d new events; alerts sent %d, retrying %d, dead %d", now - self.since, sum(p.values()) - p["skipped"],
                 p["new"], p["unchanged"] + p["not-modified"], p["failed"], self.entries, self.candidates, self.events,
                 self.sent, self.failed, self.dead)
        self._reset(now)


def _log_new_events(engine: Engine, ids: list[int], watcher: str) -> None:
    """One line per new event, as its alert's title says it."""
    from monitor.alerts.templates import render_event
    from monitor.db.store import list_events

    for ev in list_events(engine, event_ids=ids):
        log.info("new event #%d: %s (%s, from %s)", ev["id"], render_event(ev, "text")[0],
                 ev["departure_date"], watcher)


def _for_url(row: WatcherRow | None, w: WatcherConfig) -> WatcherRow:
    """The watcher's state (a new one if it has none), reset when its URL changed."""
    if row is None:
        row = WatcherRow(name=w.name, url=w.url)
    row.point_at(w.url)
    return row


def _record(state: WatcherRow, w: WatcherConfig, res: FetchResult, outcome: PollOutcome, now: datetime) -> None:
    """A poll's outcome into the watcher's state: health, validators, next check (backoff)."""
    state.last_check, state.last_status, state.polls = now, res.status, state.polls + 1
    state.fetch_seconds_total += res.elapsed
    counts = json.loads(state.status_counts or "{}")
    counts[str(res.status or "error")] = counts.get(str(res.status or "error"), 0) + 1
    state.status_counts = json.dumps(counts)
    interval = timedelta(seconds=interval_seconds(w.interval))
    if outcome.status != "failed":
        state.last_success, state.last_error, state.consecutive_failures = now, None, 0
        state.etag = res.headers.get("etag") or (state.etag if res.not_modified else None)
        state.last_modified = res.headers.get("last-modified") or (state.last_modified if res.not_modified else None)
        # the interval, moved towards the watcher's own point in it (a host's polls spread evenly), and
        # never before what the server asks
        state.next_check = max(next_check(w.name, now, interval.total_seconds()), now + _floor(res, now))
        return
    state.last_error = outcome.error
    state.consecutive_failures += 1
    backoff = min(interval * (2 ** state.consecutive_failures), MAX_BACKOFF)
    wait = max(backoff, timedelta(seconds=res.retry_after or 0))
    state.next_check = now + wait * random.uniform(0.9, 1.1)
    log.warning("watcher %s: %s (failure %d, next try in %s)", w.name, outcome.error,
                state.consecutive_failures, str(wait).split(".")[0])


class StateWriter:
    """Group commit of watcher states: each poll's outcome is written together with the others
    of the next `every` seconds, in one transaction (a round of thousands of 304s costs a few
    commits, and no thread hop per poll). Until it is written, `pending` holds the watcher's row,
    so its next poll starts from it. A failed write (disk full, database away) is logged and
    retried on the next tick. Killed before a write, a watcher is simply polled again: its
    entries were committed with their seen marks, so nothing is processed twice.

    `owner` (a `--role worker` on PostgreSQL): the watchers were claimed under this owner's lease,
    and each write also ends the leases of the watchers it writes (and of those given to
    `release`), in the same transaction; until then no other worker can claim them, and they
    count as in the worker's hand (`unwritten`). `batch`: write as soon as that many wait, not
    only every `every` seconds (a worker frees its slots in small groups)."""

    def __init__(self, engine: Engine, every: float = 0.5, owner: str | None = None, batch: int | None = None):
        self.engine, self.every, self.owner, self.batch = engine, every, owner, batch
        self.pending: dict[str, WatcherRow] = {}  # rows not yet committed, for the next poll
        self._values: dict[str, dict] = {}  # their snapshots, not yet handed to a write
        self._release: set[str] = set()  # leases to end with the next write (owner only)
        self._writing: set[str] = set()  # leases a write in progress ends
        self.written = asyncio.Event()  # set after each write: a worker's slots are free again
        self._stop = asyncio.Event()
        self._kick = asyncio.Event()  # write now: `batch` are waiting, or leaving
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> StateWriter:
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop.set()  # the loop finishes the write in hand (never cancelled mid-write), then the rest
        self._kick.set()
        await self._task

    @property
    def unwritten(self) -> int:
        """Watchers polled (or given up) whose lease this writer has not ended yet (owner only)."""
        return len(self._release | self._writing)

    def put(self, row: WatcherRow) -> None:
        self.pending[row.name], self._values[row.name] = row, watcher_values(row)  # a snapshot
        if self.owner:
            self.release(row.name)

    def release(self, name: str) -> None:
        """End `owner`'s lease on `name` with the next write, with no state of its own (a poll that
        never ran, or failed inside monitor)."""
        if self.owner:
            self._release.add(name)
            if self.batch and len(self._release) >= self.batch:
                self._kick.set()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.every)
            self._kick.clear()
            await self.flush()
        await self.flush()  # what was put while the last write ran (the stop may come mid-write)

    async def flush(self) -> None:
        if not self._values and not self._release:
            return
        values, self._values = self._values, {}
        release, self._release = self._release, set()
        self._writing |= release
        try:
            if self.owner:
                await asyncio.to_thread(save_watcher_states, self.engine, list(values.values()), owner=self.owner,
                                        release=sorted(release))
            else:
                await asyncio.to_thread(save_watcher_states, self.engine, list(values.values()))
        except Exception as e:  # keep them (a newer poll's snapshot wins) and try again on the next tick
            log.error("could not save the state of %d watchers (%s); retrying", len(values), e)
            for name, v in values.items():
                self._values.setdefault(name, v)
            self._release |= release
            return
        finally:
            self._writing -= release
            self.written.set()
        for name in values:
            if name not in self._values:  # not polled again while it was being written
                self.pending.pop(name, None)


def _followed(state: WatcherRow, result, outcome: PollOutcome) -> None:
    """Links followed to their article (monitor.follow) into the watcher's health."""
    if result.links is not None:
        state.link_digests = result.links
    state.followed += result.followed
    state.follow_failures += result.fallbacks
    outcome.followed, outcome.fallbacks = result.followed, result.fallbacks
    if result.follow_error:
        state.follow_error = result.follow_error


def _store(engine: Engine, state: WatcherRow, items: Analysed, routes, outcome: PollOutcome,
           save: bool = True) -> None:
    """The entries this watcher has not processed before: their seen marks, and the ones that
    report departures as articles with their events (one transaction); then (`save`) its state. Killed in between, the next poll finds the entries marked: nothing
    twice."""
    if items:
        keyed = {entry_key(a): (a, d) for a, d in items}
        fresh = new_entry_keys(engine, state.name, list(keyed))
        new = [(k, ad) for k, ad in keyed.items() if k in fresh]
        if new:
            summary = Summary()
            # only departure articles are stored; every new entry gets its seen mark (which is all
            # the dedupe of the next polls needs)
            store_analysed(engine, [ad for _, ad in new if ad[1]], summary, routes, [(state.name, k) for k, _ in new])
            outcome.new_entries, outcome.new_events = len(new), summary.new_events
            if summary.new_event_ids and log.isEnabledFor(logging.INFO):
                _log_new_events(engine, summary.new_event_ids, state.name)
    if not outcome.split:  # a body read whole: its new items are those not stored before
        state.items_seen += outcome.seen
        state.candidates += outcome.read
    if save:
        save_watcher_state(engine, state)


async def poll(engine: Engine, fetcher: Fetcher, w: WatcherConfig, channels: list | None = None, *,
               force: bool = False, state: WatcherRow | None = None, analysis=None,
               writer: StateWriter | None = None) -> PollOutcome:
    """Poll one watcher if it is due (or `force`), process new entries, record its health.
    New events are routed to `channels` by this watcher's tags and the channels' filters.
    `state`: the watcher's stored state when the caller has it; `analysis`: where parsing and
    detection run (a monitor.workers pool; default: a thread of this process); `writer`: group
    commit of the state (default: written before this returns)."""
    routes = route(channels or [], w.tags)
    now = datetime.now(timezone.utc)
    if state is None and writer is not None:
        state = writer.pending.get(w.name)
    if state is None:
        state = (await asyncio.to_thread(load_watcher_states, engine, [w.name])).get(w.name)
    state = _for_url(state, w)
    if not force and state.next_check and as_utc(state.next_check) > now:
        return PollOutcome(w.name, "skipped", next_check=as_utc(state.next_check))
    job = PollJob(w.name, w.url, state.etag, state.last_modified, state.body_hash, state.entry_digests, w.timezone,
                  kind=w.kind, user_agent=w.user_agent, ciks=tuple(w.ciks), tickers=tuple(w.tickers),
                  follow=w.follow, links=w.links, known_links=state.link_digests)
    reply = await (analysis or InlinePool(fetcher)).poll(job)  # fetch, then analyse what changed
    res, result = reply.fetch, reply.result
    outcome = PollOutcome(w.name, "failed", error=res.error)
    items: Analysed = []
    if res.not_modified:
        outcome.status = "not-modified"
    elif res.ok and result is None:
        outcome.status = "unchanged"  # same bytes as last time: nothing was parsed
    elif res.ok and result.error:
        outcome.error = result.error
    elif res.ok:
        outcome.status, outcome.entries, outcome.error = "new", result.entries, None
        outcome.candidates, outcome.split = result.candidates, result.digests is not None
        items, state.body_hash, state.entry_digests = result.items, reply.digest, result.digests
        if outcome.split:
            state.items_seen += result.entries
            state.candidates += result.candidates
        _followed(state, result, outcome)
    _record(state, w, res, outcome, now)
    outcome.next_check = state.next_check
    if outcome.status == "new" and result.more:  # a listing's links left for the next poll: read it again then
        state.etag = state.last_modified = state.body_hash = None
    if writer is None:
        await asyncio.to_thread(_store, engine, state, items, routes, outcome)
    else:
        if items:
            await asyncio.to_thread(_store, engine, state, items, routes, outcome, False)
        writer.put(state)
    return outcome


def _few_threads(n: int = 3) -> None:
    """Database work runs in threads (never on the event loop); SQLite has one writer anyway,
    and each thread costs a malloc arena, so a few threads, not asyncio's default of cores + 4."""
    from concurrent.futures import ThreadPoolExecutor

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(n, thread_name_prefix="monitor-db"))


def _slow_first(config: Config, states: dict[str, WatcherRow]) -> list[WatcherConfig]:
    """Watchers by their mean fetch time, slowest first: a slow server started last would hold
    up the end of the round (longest-processing-time-first scheduling)."""
    def mean(w: WatcherConfig) -> float:
        st = states.get(w.name)
        return st.fetch_seconds_total / st.polls if st and st.polls else 0.0
    return sorted(config.watchers, key=mean, reverse=True)


async def poll_once(engine: Engine, config: Config, *, concurrency: int = POLLS_IN_FLIGHT, fetcher: Fetcher | None = None,
                    deliver: bool = True, workers: int = 0) -> list[PollOutcome]:
    """Poll every watcher once (due or not), then deliver alerts. For cron and checks.
    `workers`: processes for parsing and detection (0: a thread of this process)."""
    channels = active_channels(config)
    _few_threads()
    own = fetcher is None
    fetcher = fetcher or Fetcher(max_connections=concurrency, hosts=config.host_limits())
    states = await asyncio.to_thread(load_watcher_states, engine)
    todo = iter(_slow_first(config, states))
    outcomes: dict[str, PollOutcome] = {}
    try:
        async with analysis_pool(workers, fetcher) as analysis, StateWriter(engine) as writer:
            async def polling() -> None:
                """Poll the next watcher until none is left (`concurrency` of these: a task per
                poll in flight, not one per watcher waiting its turn)."""
                for w in todo:
                    try:  # the state leaves `states`: once written, nothing holds it
                        outcomes[w.name] = await poll(engine, fetcher, w, channels, force=True, state=states.pop(w.name, None),
                                                      analysis=analysis, writer=writer)
                    except Exception as e:  # a bug with one feed must not stop the others
                        log.exception("watcher %s: poll failed", w.name)
                        outcomes[w.name] = PollOutcome(w.name, "failed", error=f"internal error: {type(e).__name__}: {e}")

            await asyncio.gather(*(polling() for _ in range(concurrency)))
    finally:
        if own:
            await fetcher.client.aclose()
    if deliver:
        await asyncio.to_thread(send_due, engine, channels)
    return [outcomes[w.name] for w in config.watchers]


class Daemon:
    """One long-running process: APScheduler jobs per watcher, alert delivery, config reload."""

    def __init__(self, engine: Engine, config_path: str, *, deliver_every: float = 15.0, reload_every: float = 5.0,
                 workers: int = 0, summary_every: float = 300.0, concurrency: int = POLLS_IN_FLIGHT):
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.engine = engine
        self.config_path = Path(config_path)
        self.deliver_every = deliver_every
        self.reload_every = reload_every
        self.workers, self.concurrency = workers, concurrency
        self.analysis = None
        self.writer: StateWriter | None = None
        self.scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        self.config: Config = Config()
        self.mtime: float | None = None
        self.fetcher: Fetcher | None = None
        self.stopping = asyncio.Event()
        self._inflight: set[asyncio.Task] = set()
        self.tally = Tally(summary_every)
        self.wake = asyncio.Event()  # set when a poll wrote new events: their alerts go out at once

    def _mtime(self) -> float | None:
        try:
            return self.config_path.stat().st_mtime
        except OSError:
            return None

    def load(self) -> None:
        """(Re)read watchers.yaml and make the jobs match it. A broken file keeps the old jobs."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        try:
            config = load_config(self.config_path, required=True)
        except Exception as e:  # ConfigError or unreadable: keep running what we have
            log.error("watchers.yaml not reloaded, keeping the previous watchers: %s", e)
            self.mtime = self._mtime()
            return
        if self.fetcher is not None and config.host_limits() != self.fetcher.hosts:
            log.warning("watchers.yaml: the hosts: limits changed; they apply from the next start")
        self.config, self.mtime = config, self._mtime()
        self.channels = active_channels(config)
        wanted = {f"watch:{w.name}": w for w in config.watchers}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("watch:") and job.id not in wanted:
                job.remove()
        now = datetime.now(timezone.utc)
        for jid, w in wanted.items():
            secs = interval_seconds(w.interval)
            # an interval watcher's job is moved to its state's next check after each run (_poll_job)
            trigger = CronTrigger.from_crontab(w.cron, timezone="UTC") if getattr(w, "cron", None) \
                else IntervalTrigger(seconds=secs, timezone="UTC")
            self.scheduler.add_job(self._poll_job, trigger, args=[w.name], id=jid, replace_existing=True,
                                   next_run_time=first_check(w.name, now, secs), misfire_grace_time=secs)
        log.info("watching %d feeds", len(wanted))

    async def _poll_job(self, name: str) -> None:
        w = next((w for w in self.config.watchers if w.name == name), None)
        if w is None or self.stopping.is_set():
            return
        task = asyncio.current_task()
        self._inflight.add(task)
        try:
            outcome = await poll(self.engine, self.fetcher, w, self.channels, analysis=self.analysis, writer=self.writer)
            if outcome.next_check and not w.cron and self.scheduler.get_job(f"watch:{name}"):
                # the next run when the state says (its own point in the interval, a backoff, a server's
                # floor); a poll that overran its interval runs again a second after this one ends
                soon = datetime.now(timezone.utc) + timedelta(seconds=1)
                self.scheduler.modify_job(f"watch:{name}", next_run_time=max(outcome.next_check, soon))
            self.tally.poll(outcome)
            if outcome.new_events:
                self.wake.set()
        except Exception:  # a bug in one poll must not stop the daemon
            log.exception("watcher %s: poll failed", name)
        finally:
            self._inflight.discard(task)

    async def _sender(self) -> None:
        """Deliver what is due as soon as a poll wrote new events, and every `deliver_every`
        seconds anyway (retries, digests)."""
        while not self.stopping.is_set():  # first what was left due before a restart
            self.wake.clear()
            try:
                self.tally.deliveries(await asyncio.to_thread(send_due, self.engine, active_channels(self.config)))
            except Exception:
                log.exception("alert delivery failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.deliver_every)

    async def _reload_job(self) -> None:
        if self._mtime() != self.mtime:
            log.info("watchers.yaml changed: reloading")
            self.load()

    async def run(self, *, grace: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        _few_threads()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.load)
        self.load()  # first: the fetcher takes the hosts' limits from it
        async with Fetcher(max_connections=self.concurrency, hosts=self.config.host_limits()) as fetcher, analysis_pool(self.workers, fetcher) as analysis, \
                StateWriter(self.engine) as writer:
            self.fetcher, self.analysis, self.writer = fetcher, analysis, writer
            sender = asyncio.create_task(self._sender())
            self.scheduler.add_job(self._reload_job, "interval", seconds=self.reload_every, id="reload")
            self.scheduler.add_job(self.tally.report, "interval", seconds=self.tally.every, id="summary")
            self.scheduler.start()
            await self.stopping.wait()
            log.info("stopping: letting %d poll(s) in flight finish", len(self._inflight))
            self.scheduler.shutdown(wait=False)
            if self._inflight:
                await asyncio.wait(self._inflight, timeout=grace)
            self.wake.set()  # the sender ends its round; the last one is below
            await sender
            self.tally.deliveries(await asyncio.to_thread(send_due, self.engine, active_channels(self.config)))
            self.tally.report()


# ------------------------------------------------------------------ several processes
async def run_roles(engine: Engine, config_path: str, role: str, *, owner: str | None = None, concurrency: int = POLLS_IN_FLIGHT,
                    lease: timedelta = timedelta(seconds=120), stop: asyncio.Event | None = None,
                    workers: int = 0, summary_every: float = 300.0, claim_every: float = 0.5) -> None:
    """`monitor run --role`: any number of workers claim due watchers and deliveries with leases;
    one scheduler at a time (advisory lock, taken over when it dies) keeps the watcher rows in step
    with watchers.yaml and sends digests. `all` is both in one process.

    A worker claims a batch of due watchers in one statement (leases.claim_watchers) and keeps up
    to `concurrency` polls in flight with up to as many claimed ahead, claiming again when a
    batch of at least half of that has room (at once while more are due, else every
    `claim_every` seconds). Each poll starts from the row as claimed; the states go back through
    the same group commit as the single-process daemon (StateWriter), which ends the leases in the
    same transaction. A new event wakes the sender at once."""
    import os
    import socket
    from collections import deque

    from monitor.db.leases import Election, claim_watchers, sync_watchers

    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    path = Path(config_path)
    state: dict = {"mtime": path.stat().st_mtime}

    def use(cfg: Config) -> None:
        state.update(config=cfg, by_name={w.name: w for w in cfg.watchers}, channels=active_channels(cfg))
    use(load_config(path, required=True))

    def config() -> Config:
        try:
            if path.stat().st_mtime != state["mtime"]:
                state["mtime"] = path.stat().st_mtime
                use(load_config(path, required=True))
        except Exception as e:  # a broken edit keeps the previous config
            log.error("watchers.yaml not reloaded: %s", e)
        return state["config"]

    election = Election(engine, owner)
    inflight: set[asyncio.Task] = set()
    queue: deque = deque()  # claimed, not started yet
    tally = Tally(summary_every)
    wake = asyncio.Event()

    async def poll_claimed(fetcher: Fetcher, analysis, writer: StateWriter, c) -> None:
        config()
        w = state["by_name"].get(c.name)
        if w is None or w.url != c.url:
            w = WatcherConfig(name=c.name, url=c.url, interval=f"{c.interval_s}s", timezone=c.timezone, tags=c.tags)
        try:
            outcome = await poll(engine, fetcher, w, state["channels"], force=True, state=c.row, analysis=analysis,
                                 writer=writer)  # the state and the lease's end go out with the next group commit
            tally.poll(outcome)
            if outcome.new_events:
                wake.set()  # their alerts go out now, not at the sender's next round
        except Exception:
            log.exception("watcher %s: poll failed", c.name)
            writer.release(c.name)

    async def sender() -> None:
        """Due deliveries (not digests: the scheduler's) as soon as a poll wrote new events, and
        every 2 s anyway (retries, other workers' events)."""
        while not stop.is_set():
            wake.clear()
            try:
                tally.deliveries(await asyncio.to_thread(send_due, engine, state["channels"], owner=owner,
                                                         digests=False))
            except Exception:
                log.exception("alert delivery failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), 2)

    polls = role in ("all", "worker")
    async with Fetcher(max_connections=concurrency, hosts=config().host_limits()) as fetcher, \
            analysis_pool(workers if polls else 0, fetcher) as analysis, \
            StateWriter(engine, owner=owner if polls else None, batch=max(1, concurrency // 4)) as writer:
        send_task = asyncio.create_task(sender()) if polls else None
        last_sched = last_sync = 0.0
        synced: Config | None = None  # the configuration the rows were last synced with, while leading
        last_claim, backlog = -claim_every, False
        while not stop.is_set():
            t = loop.time()
            if role in ("all", "scheduler") and t - last_sched >= 2:
                last_sched = t
                was_leading = election.leading
                if await asyncio.to_thread(election.try_lead):
                    cfg = config()  # the rows follow watchers.yaml when it changes, when this one takes the lead, each minute
                    if not was_leading or cfg is not synced or t - last_sync >= 60:
                        await asyncio.to_thread(sync_watchers, engine, cfg)
                        synced, last_sync = cfg, t
                    tally.deliveries(await asyncio.to_thread(send_due, engine, state["channels"], owner=owner))  # digests too
            if polls:
                # in hand: being polled, or polled and its state (with the lease's end) not written yet;
                # at most `concurrency`, so a worker killed at any moment costs at most that many polls
                held = len(inflight) + writer.unwritten + len(queue)
                if held <= concurrency + concurrency // 2 and (backlog or t - last_claim >= claim_every):
                    want = 2 * concurrency - held  # a batch of at least half the concurrency
                    claimed = await asyncio.to_thread(claim_watchers, engine, owner, want, lease)
                    last_claim, backlog = loop.time(), len(claimed) == want  # all asked for: more may be due
                    queue.extend(claimed)
                while queue and len(inflight) + writer.unwritten < concurrency and not stop.is_set():
                    task = asyncio.create_task(poll_claimed(fetcher, analysis, writer, queue.popleft()))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
            if tally.due():
                tally.report()
            # until a poll ends or a state write frees slots, the next claim, or the stop signal
            full = len(inflight) + writer.unwritten + len(queue) > concurrency + concurrency // 2
            timeout = 0.5 if backlog or full or not polls else max(0.01, last_claim + claim_every - loop.time())
            stopper, written = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(writer.written.wait())
            await asyncio.wait([*inflight, stopper, written], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            written.cancel()
            writer.written.clear()  # what it signalled is in the counts read next turn
        for c in queue:  # claimed, never started: free at the next write
            writer.release(c.name)
        queue.clear()
        if inflight:
            await asyncio.wait(inflight, timeout=20)
        if send_task is not None:
            wake.set()
            await send_task
    tally.report()
    election.close()
