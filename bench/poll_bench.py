"""Polling throughput on the loopback farm (bench/farm.py): `monitor run --once` logic over N
watchers, round 1 (every feed new) and round 2 (~10 % changed, the rest 304), with the bare
httpx GET loop as the floor. Reports feeds/s, entries stored and peak RSS.

Usage: .venv/bin/python bench/poll_bench.py [N ...]        (default: 1000 3000)
"""
from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session, func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from monitor.config import Config, WatcherConfig  # noqa: E402
from monitor.daemon import poll_once  # noqa: E402
from monitor.db.models import ArticleRow  # noqa: E402
from monitor.db.store import open_engine  # noqa: E402
from monitor.sources.http import Fetcher  # noqa: E402


def start_farm(n: int, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


async def bare_get(urls: list[str], concurrency: int = 20) -> float:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(u):
            async with gate:
                r = await client.get(u)
                return len(r.content)
        t = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(n: int, port: int) -> None:
    farm = start_farm(n, port)
    try:
        base = f"http://127.0.0.1:{port}"
        urls = [f"{base}/feed/{i}" for i in range(n)]
        floor = asyncio.run(bare_get(urls))
        with tempfile.TemporaryDirectory() as tmp:
            engine = open_engine(f"sqlite:///{tmp}/bench.db")
            config = Config(watchers=[WatcherConfig(name=f"f{i}", url=u, interval="1h") for i, u in enumerate(urls)])
            fetcher_kw = dict(per_host=n, deadline=30.0)  # one loopback host stands for N publishers
            rounds = []
            for r in (1, 2):
                if r == 2:
                    httpx.post(f"{base}/round2")
                t = time.perf_counter()
                outcomes = asyncio.run(poll_once(engine, config, fetcher=Fetcher(**fetcher_kw), deliver=False))
                dt = time.perf_counter() - t
                states = {s: sum(o.status == s for o in outcomes) for s in ("new", "not-modified", "unchanged", "failed")}
                rounds.append((r, dt, states))
            with Session(engine) as s:
                stored = s.exec(select(func.count()).select_from(ArticleRow)).one()
        print(f"N={n}: bare httpx GET floor {n / floor:7.0f} feeds/s")
        for r, dt, states in rounds:
            print(f"N={n}: round {r}: {n / dt:7.1f} feeds/s ({dt:.1f} s)  {states}")
        print(f"N={n}: entries stored {stored}, peak RSS {peak_rss_mb():.0f} MB (poller process)")
    finally:
        farm.terminate()
        farm.wait()


if __name__ == "__main__":
    for i, n in enumerate(int(a) for a in (sys.argv[1:] or ["1000", "3000"])):
        bench(n, 18700 + i)
