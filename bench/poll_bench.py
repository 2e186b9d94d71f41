"""Polling throughput as users run it: `monitor run --once` as a process (start-up, config,
workers included) over N watchers on the loopback farm (bench/farm.py) spread over 100 publisher
addresses (127.0.0.1 … 127.0.0.100, each with the default per-host limit), round 1 (every feed
new) and round 2 (~10 % changed, the rest 304), with the bare httpx GET loop as the floor and
lemon24/reader on a fresh farm in the same run. Reports feeds/s, CPU per feed, peak RSS and PSS.

Usage: .venv/bin/python bench/poll_bench.py [N ...] [--workers W] [--hosts H] [--host-limit C] [--no-reader]
(default: 1000 3000, 2 workers, 100 hosts). `--host-limit C` gives every farm address a `hosts:`
entry in watchers.yaml, `{concurrency: C, min_interval: 0}` (e.g. `--hosts 1 --host-limit 16`: one
publisher whose owner allows 16 requests at once).
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

from monitor.db.models import ArticleRow  # noqa: E402
from monitor.db.store import open_engine  # noqa: E402


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


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (the CLI's worker processes)."""
    try:
        kids = [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


class TreeSampler(threading.Thread):
    """Peak summed RSS and PSS of process `pid` and its children (the CLI and its workers),
    sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_self, self.peak_pss, self.stop = pid, 0, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            pids = [self.pid, *_children(self.pid)]
            own = _rss_kb(self.pid)
            self.peak, self.peak_self = max(self.peak, own + sum(_rss_kb(c) for c in pids[1:])), max(self.peak_self, own)
            self.peak_pss = max(self.peak_pss, sum(_pss_kb(p) for p in pids))


def run_once(db: str, cfg: Path, workers: int) -> tuple[float, float, TreeSampler, str]:
    """`monitor run --once` as a user runs it: a process (start-up, config, workers included).
    (wall seconds, CPU seconds of it and its workers, the memory sampler, its summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen([str(HERE.parent / ".venv" / "bin" / "monitor"), "--db", db, "--config", str(cfg), "run", "--once",
                             "--workers", str(workers)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MONITOR_ALERT_URLS": ""})
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, errs = proc.communicate(timeout=3600)
    dt = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        print(errs[-2000:])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return dt, cpu, sampler, out.strip().splitlines()[-1] if out.strip() else ""


def bench(n: int, port: int, workers: int, with_reader: bool = True, hosts: int = 100, host_limit: int = 0) -> None:
    from farm import feed_url

    farm = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port), str(hosts)], stdout=subprocess.PIPE, text=True)
    assert farm.stdout.readline().strip() == "ready"
    try:
        urls = [feed_url(i, port, hosts) for i in range(n)]
        floor = floor_seconds(urls)
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "watchers.yaml"
            # follow: never — polling alone, as measured before following existed: the farm's items link to
            # publishers' real pages, which are not on loopback (bench/follow_cost.py counts what following adds)
            limits = "".join(f"  \"127.0.0.{1 + k}:{port}\": {{concurrency: {host_limit}, min_interval: 0}}\n"
                             for k in range(hosts)) if host_limit else ""
            cfg.write_text(("hosts:\n" + limits if limits else "") + "watchers:\n" + "".join(
                f"  - name: f{i}\n    url: {u}\n    interval: 1h\n    follow: never\n" for i, u in enumerate(urls)))
            db = f"sqlite:///{tmp}/bench.db"
            rounds = []
            for r in (1, 2):
                if r == 2:
                    httpx.post(f"http://127.0.0.1:{port}/round2")
                farm_cpu, load = _cpu_s(farm.pid), os.getloadavg()[0]
                dt, cpu, sampler, summary = run_once(db, cfg, workers)
                rounds.append((r, dt, cpu, _cpu_s(farm.pid) - farm_cpu, sampler, f"{summary}; load before {load:.2f}"))
            engine = open_engine(db)
            with Session(engine) as s:
                stored = s.exec(select(func.count()).select_from(ArticleRow)).one()
        print(f"N={n}, {hosts} hosts{f', hosts: concurrency {host_limit}' if host_limit else ''}: "
              f"bare httpx GET floor {n / floor:7.0f} feeds/s")
        for r, dt, cpu, farm_cpu, sampler, summary in rounds:
            print(f"N={n}: monitor run --once round {r}: {n / dt:7.1f} feeds/s ({dt:.1f} s); CPU per feed {cpu / n * 1000:.1f} ms "
                  f"(monitor + workers), farm {farm_cpu / n * 1000:.1f} ms; cores busy {(cpu + farm_cpu) / dt:.2f}; "
                  f"peak RSS {sampler.peak / 1024:.0f} MB (main process {sampler.peak_self / 1024:.0f} MB), "
                  f"peak PSS {sampler.peak_pss / 1024:.0f} MB\n    {summary}")
        print(f"N={n}: articles stored {stored}", flush=True)
    finally:
        farm.terminate()
        farm.wait()
    if not with_reader:
        return
    farm = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port + 1), str(hosts)], stdout=subprocess.PIPE, text=True)
    assert farm.stdout.readline().strip() == "ready"  # a fresh farm (round 1 again) for reader
    try:
        with tempfile.TemporaryDirectory() as tmp:
            load = os.getloadavg()[0]
            got = reader_rounds([feed_url(i, port + 1, hosts) for i in range(n)], f"http://127.0.0.1:{port + 1}", tmp)
        if got:
            print(f"N={n}: lemon24/reader (load before {load:.2f}) round 1 {n / got[0]:7.1f} feeds/s, round 2 {n / got[1]:7.1f} feeds/s", flush=True)
        else:
            print(f"N={n}: lemon24/reader not installed (pip install -e '.[bench]')")
    finally:
        farm.terminate()
        farm.wait()


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {"--workers": 2, "--hosts": 100, "--host-limit": 0}
    for flag in opts:
        if flag in args:
            i = args.index(flag)
            opts[flag] = int(args[i + 1])
            del args[i:i + 2]
    with_reader = "--no-reader" not in args
    args = [a for a in args if a != "--no-reader"]
    for i, n in enumerate(int(a) for a in (args or ["1000", "3000"])):
        bench(n, 18700 + 2 * i, opts["--workers"], with_reader, opts["--hosts"], opts["--host-limit"])
