"""Analysis worker processes: the same results as in-process analysis; a worker that dies or
overruns fails its one job and is replaced, and the next job is served."""
from __future__ import annotations

import asyncio
import os
import signal

from monitor.analysis import FeedJob, analyse_feed
from monitor.workers import AnalysisPool
from tests.conftest import SEEDS

FEED = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        "<item><title>Acme CEO Jane Doe resigns</title><link>https://w.test/1</link>"
        "<description>Jane Doe resigned as chief executive of Acme Corp on Monday.</description></item>"
        "<item><title>Quarterly results</title><link>https://w.test/2</link><description>Shares rose.</description></item>"
        "</channel></rss>").encode()


def job(data: bytes = FEED) -> FeedJob:
    return FeedJob("w", "https://w.test/feed.xml", data)


def test_a_worker_gives_what_inline_analysis_gives():
    async def go():
        async with AnalysisPool(1) as pool:
            return await pool.analyse(job())

    got, want = asyncio.run(go()), analyse_feed(job())
    assert got.error is None and got.entries == want.entries == 2 and got.digests == want.digests
    assert got.candidates == want.candidates == 1  # "Quarterly results" holds no departure word: not parsed
    assert [(a.title, [d.person for d in ds]) for a, ds in got.items] == \
           [(a.title, [d.person for d in ds]) for a, ds in want.items] == \
           [("Acme CEO Jane Doe resigns", ["Jane Doe"])]


def test_a_dead_or_stuck_worker_fails_one_job_and_is_replaced():
    seed = next(SEEDS.glob("*.txt")).read_bytes()

    async def go():
        async with AnalysisPool(1, timeout=0.001) as pool:
            stuck = await pool.analyse(job())  # cannot finish in 1 ms
            pool.timeout = 60
            [worker] = pool._workers
            os.kill(worker.proc.pid, signal.SIGKILL)  # dies between jobs
            dead = await pool.analyse(job())
            ok = await pool.analyse(FeedJob("w", "https://w.test/seed.txt", seed))
            return stuck, dead, ok

    stuck, dead, ok = asyncio.run(go())
    assert "timed out" in stuck.error and "died" in dead.error
    assert ok.error is None and ok.items and ok.items[0][1]  # the seed's departures
