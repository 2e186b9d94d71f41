"""Polling throughput on the loopback farm (bench/farm.py): `monitor run --once` logic over N
watchers, round 1 (every feed new) and round 2 (~10 % changed, the rest 304), with the bare
httpx GET loop as the floor. Reports feeds/s, entries stored and peak RSS.

Usage: .venv/bin/python bench/poll_bench.py [N ...] [--workers W] [--no-reader]
(default: 1000 3000, 2 workers, reader on a fresh farm after monitor)
"""
from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import threading
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


def floor_seconds(urls: list[str]) -> float:
    """bare_get in a child process, so that its buffers do not count in the poller's RSS."""
    code = (f"import asyncio, sys; sys.path.insert(0, {str(HERE)!r}); from poll_bench import bare_get; "
            "print(asyncio.run(bare_get(sys.stdin.read().split())))")
    out = subprocess.run([sys.executable, "-c", code], input="\n".join(urls), capture_output=True, text=True,
                         check=True, timeout=3600)
    return float(out.stdout.split()[-1])


def reader_rounds(urls: list[str], base: str, tmp: str) -> tuple[float, float] | None:
    """lemon24/reader on the same farm (bench extra: pip install -e '.[bench]'), in a child
    process so its memory is its own: seconds for round 1 and round 2."""
    code = f"""
import sys, time, httpx
from reader import make_reader
r = make_reader({tmp + '/reader.sqlite'!r})
urls = sys.stdin.read().split()
for u in urls:
    r.add_feed(u)
t = time.perf_counter(); r.update_feeds(workers=10, scheduled=False); r1 = time.perf_counter() - t
httpx.post({base + '/round2'!r})
t = time.perf_counter(); r.update_feeds(workers=10, scheduled=False); r2 = time.perf_counter() - t
print(r1, r2)
"""
    try:
        import reader  # noqa: F401
    except ImportError:
        return None
    out = subprocess.run([sys.executable, "-c", code], input="\n".join(urls), capture_output=True, text=True, timeout=3600)
    if out.returncode:
        print(out.stderr[-2000:])
        return None
    r1, r2 = map(float, out.stdout.split()[-2:])
    return r1, r2


def _proc_kb(pid: int, name: str, key: str) -> int:
    """A kB figure of /proc/PID/NAME ("status": VmRSS; "smaps_rollup": Pss, pages shared between
    processes split among them, so a sum over processes counts each page once); 0 once it ended."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS")


def _pss_kb(pid: int) -> int:
    return _proc_kb(pid, "smaps_rollup", "Pss")


def _cpu_s(pid: int) -> float:
    """utime + stime of a live process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _cpu_split(farm_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of this process (the poller), its finished children (the analysis
    workers of past rounds) and the farm."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, _cpu_s(farm_pid)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


class RssSampler(threading.Thread):
    """Peak of the summed RSS (and of the summed PSS) of this process and its children (the
    workers), sampled every 50 ms; `exclude` (the farm) is left out."""

    def __init__(self, exclude: set[int]):
        super().__init__(daemon=True)
        self.exclude, self.peak, self.peak_self, self.peak_pss, self.stop = exclude, 0, 0, 0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.05):
            pids = [me, *(c for c in _children(me) if c not in self.exclude)]
            own = _rss_kb(me)
            total = own + sum(_rss_kb(c) for c in pids[1:])
            self.peak, self.peak_self = max(self.peak, total), max(self.peak_self, own)
            self.peak_pss = max(self.peak_pss, sum(_pss_kb(p) for p in pids))


def bench(n: int, port: int, workers: int, with_reader: bool = True) -> None:
    farm = start_farm(n, port)
    sampler = RssSampler({farm.pid})
    try:
        base = f"http://127.0.0.1:{port}"
        urls = [f"{base}/feed/{i}" for i in range(n)]
        floor = floor_seconds(urls)
        with tempfile.TemporaryDirectory() as tmp:
            engine = open_engine(f"sqlite:///{tmp}/bench.db")
            config = Config(watchers=[WatcherConfig(name=f"f{i}", url=u, interval="1h") for i, u in enumerate(urls)])
            fetcher_kw = dict(per_host=n, deadline=30.0)  # one loopback host stands for N publishers
            rounds = []
            sampler.start()
            for r in (1, 2):
                if r == 2:
                    httpx.post(f"{base}/round2")
                cpu0, t = _cpu_split(farm.pid), time.perf_counter()
                outcomes = asyncio.run(poll_once(engine, config, fetcher=Fetcher(**fetcher_kw), deliver=False,
                                                 workers=workers))
                dt = time.perf_counter() - t
                cpu = [b - a for a, b in zip(cpu0, _cpu_split(farm.pid))]
                states = {s: sum(o.status == s for o in outcomes) for s in ("new", "not-modified", "unchanged", "failed")}
                rounds.append((r, dt, states, cpu))
            with Session(engine) as s:
                stored = s.exec(select(func.count()).select_from(ArticleRow)).one()
        print(f"N={n}: bare httpx GET floor {n / floor:7.0f} feeds/s")
        for r, dt, states, cpu in rounds:
            print(f"N={n}: round {r}: {n / dt:7.1f} feeds/s ({dt:.1f} s)  {states}")
            print(f"N={n}: round {r} CPU per feed: poller {cpu[0] / n * 1000:.1f} ms, workers (fetch, parse, detect) "
                  f"{cpu[1] / n * 1000:.1f} ms, farm {cpu[2] / n * 1000:.1f} ms; cores busy {sum(cpu) / dt:.2f}")
        sampler.stop.set()
        sampler.join()
        print(f"N={n}: entries stored {stored}; peak RSS, all processes (poller + {workers} workers): "
              f"{sampler.peak / 1024:.0f} MB (poller alone {sampler.peak_self / 1024:.0f} MB); "
              f"peak summed PSS (shared pages counted once) {sampler.peak_pss / 1024:.0f} MB", flush=True)
    finally:
        farm.terminate()
        farm.wait()
    if not with_reader:
        return
    farm = start_farm(n, port + 100)  # a fresh farm (round 1 again) for reader
    try:
        with tempfile.TemporaryDirectory() as tmp:
            got = reader_rounds([f"http://127.0.0.1:{port + 100}/feed/{i}" for i in range(n)], f"http://127.0.0.1:{port + 100}", tmp)
        if got:
            print(f"N={n}: lemon24/reader round 1 {n / got[0]:7.1f} feeds/s, round 2 {n / got[1]:7.1f} feeds/s", flush=True)
        else:
            print(f"N={n}: lemon24/reader not installed (pip install -e '.[bench]')")
    finally:
        farm.terminate()
        farm.wait()


if __name__ == "__main__":
    args = sys.argv[1:]
    workers = 2
    if "--workers" in args:
        i = args.index("--workers")
        workers = int(args[i + 1])
        del args[i:i + 2]
    with_reader = "--no-reader" not in args
    args = [a for a in args if a != "--no-reader"]
    for i, n in enumerate(int(a) for a in (args or ["1000", "3000"])):
        bench(n, 18700 + i, workers, with_reader)
