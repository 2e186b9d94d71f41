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


def test_without_worker_processes_one_body_is_analysed_at_a_time(monkeypatch):
    """`--workers 0`: analysis runs in a thread, one body at a time (several would only hold
    several parsed feeds in memory), and every job gets its own result."""
    import threading

    from monitor import workers
    from monitor.records import FeedResult

    lock, now, most, gate = threading.Lock(), [0], [0], threading.Event()

    def analyse(j: FeedJob) -> FeedResult:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        gate.wait(0.2)  # long enough for the other jobs to come in, if they could
        with lock:
            now[0] -= 1
        return FeedResult(entries=int(j.watcher))

    monkeypatch.setattr(workers, "analyse", analyse)

    async def go():
        pool = workers.InlinePool()
        return await asyncio.gather(*(pool.analyse(FeedJob(str(i), "https://w.test/f", FEED)) for i in range(5)))

    got = asyncio.run(go())
    assert [r.entries for r in got] == [0, 1, 2, 3, 4]
    assert most[0] == 1


def test_a_worker_reads_chinese_without_pkg_resources():
    """jieba, loaded for a Chinese candidate, opens its data files itself in a worker, where
    pkg_resources is never imported: the same departures as in this process."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            "<item><title>特斯拉AI负责人拉杰·杰根纳坦宣布离职</title><link>https://w.test/zh</link>"
            "<description>特斯拉AI负责人拉杰·杰根纳坦宣布离职，他在特斯拉工作了13年。</description></item>"
            "</channel></rss>").encode()
    code = ("import sys; from monitor.workers import without_pkg_resources; without_pkg_resources(); "
            "from monitor.analysis import FeedJob, analyse_feed; "
            f"r = analyse_feed(FeedJob('w', 'https://w.test/f', {feed!r})); "
            "print(repr((sys.modules.get('pkg_resources') is None, 'jieba' in sys.modules, "
            "sorted(d.person for _, ds in r.items for d in ds))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    want = sorted(d.person for _, ds in analyse_feed(job(feed)).items for d in ds)
    assert want and out.stdout.strip() == repr((True, True, want)), out.stdout + out.stderr
