"""Several `monitor run --role worker` processes sharing PostgreSQL (this machine's, a schema per
run). Two measurements:

Rounds (default): the workers poll the loopback farm (bench/farm.py, N feeds over 100 publisher
addresses, 127.0.0.1 … 127.0.0.100, each under the default per-host limit): the watcher rows are
written first, then every watcher is made due at once and a round ends when every one has been
polled and released. Round 1: every feed new; round 2: ~10 % changed, the rest 304. `--sqlite`
adds `monitor run --once` as a process into SQLite (poll_bench's measurement) on a fresh farm in
the same run, for the comparison.

    .venv/bin/python bench/workers_bench.py 1000 1 2 4 [--sqlite] [--hosts H]    # N, then the worker counts

Claims (`--claims`): the sustained rate at which worker processes claim watchers and hand them
back, the coordination alone: the real claim loop (`run_roles`, batch claims, the group commit
that writes the states and ends the leases) with the poll replaced by a stand-in that waits
`--hold` ms and writes the state back due at once, so the same watchers are claimed again and
again. Rows carry a realistic state (validators, 44 item digests). Reports claims/s over a
window after a warm-up, CPU per 1,000 claims of the workers and of PostgreSQL, the claim
statement's latency, and the machine's load average beside it.

    .venv/bin/python bench/workers_bench.py --claims [--rows 10000] [--procs 1 2 4] [--seconds 20]
                                            [--concurrency 20] [--hold 0]

Plans (`--plan`): EXPLAIN ANALYZE of the claim's choice of due rows (leases.claim_watchers' own
statement, a batch of 40) over `--rows` watchers with 10, 39 and 1 % of them due, after VACUUM
ANALYZE (fresh statistics): how many rows it reads and how long it takes.

    .venv/bin/python bench/workers_bench.py --plan [--rows 100000]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.request import Request, urlopen

from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from monitor.db.models import ArticleRow, WatcherRow  # noqa: E402
from monitor.db.store import open_engine  # noqa: E402

PG = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def load() -> str:
    """The machine's load average (1, 5, 15 min), as `uptime` prints it."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_cpu_s() -> float:
    """CPU seconds of every live postgres process (the server and its backends) so far; backends
    that ended are lost, so take differences over a window in which the connections stay open."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += cpu_s(int(d.name))
            except OSError:
                pass
    return total


class Schema:
    """A PostgreSQL schema of its own for one run, dropped after."""

    def __enter__(self) -> str:
        self.name = "b_" + uuid.uuid4().hex[:8]
        self.admin = create_engine(PG)
        with self.admin.begin() as c:
            c.execute(text(f"CREATE SCHEMA {self.name}"))
        return f"{PG}?options=-csearch_path%3D{self.name}"

    def __exit__(self, *exc) -> None:
        with self.admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {self.name} CASCADE"))
        self.admin.dispose()


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


# ------------------------------------------------------------------ rounds on the farm
def round_(engine, n: int, timeout: float = 1800) -> float:
    with Session(engine) as s:
        for r in s.exec(select(WatcherRow)).all():
            r.next_check = None
            s.add(r)
        s.commit()
    t0 = time.time()
    since = datetime.fromtimestamp(t0, timezone.utc)
    while time.time() - t0 < timeout:
        with Session(engine) as s:
            left = s.exec(select(func.count()).select_from(WatcherRow).where(
                (WatcherRow.last_check.is_(None)) | (WatcherRow.last_check < since) | WatcherRow.lease_owner.is_not(None))).one()
        if left == 0:
            return time.time() - t0
        time.sleep(0.1)
    raise TimeoutError


def start_farm(n: int, port: int, hosts: int) -> subprocess.Popen:
    farm = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port), str(hosts)], stdout=subprocess.PIPE, text=True)
    assert farm.stdout.readline().strip() == "ready"
    return farm


def watchers_yaml(path: Path, n: int, port: int, hosts: int) -> None:
    from farm import feed_url

    path.write_text("watchers:\n" + "".join(
        f"  - name: f{i}\n    url: {feed_url(i, port, hosts)}\n    interval: 6h\n    follow: never\n"
        for i in range(n)))  # polling alone: the farm's item links are not on loopback


def bench(n: int, workers: int, port: int, hosts: int) -> None:
    farm = start_farm(n, port, hosts)
    procs: list[subprocess.Popen] = []
    try:
        with Schema() as url, tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "watchers.yaml"
            watchers_yaml(cfg, n, port, hosts)
            engine = open_engine(url)
            from monitor.config import load_config
            from monitor.db.leases import sync_watchers

            sync_watchers(engine, load_config(cfg))
            with Session(engine) as s:  # nothing due until the round starts
                for r in s.exec(select(WatcherRow)).all():
                    r.next_check = r.next_check.replace(year=2100)
                    s.add(r)
                s.commit()
            base = [sys.executable, "-m", "monitor", "--db", url, "--config", str(cfg), "run"]
            procs = [subprocess.Popen(base + ["--role", "worker", "--concurrency", "20", "--workers", "1"], cwd=HERE.parent,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MONITOR_ALERT_URLS": ""})
                     for _ in range(workers)]
            time.sleep(3)
            out = []
            for r in (1, 2):
                if r == 2:
                    urlopen(Request(f"http://127.0.0.1:{port}/round2", method="POST")).read()
                before, pg0, farm0, ld = sum(cpu_s(p.pid) + sum(cpu_s(c) for c in children(p.pid)) for p in procs), \
                    postgres_cpu_s(), cpu_s(farm.pid), load()
                dt = round_(engine, n)
                cpu = sum(cpu_s(p.pid) + sum(cpu_s(c) for c in children(p.pid)) for p in procs) - before
                pg, fc = postgres_cpu_s() - pg0, cpu_s(farm.pid) - farm0
                out.append(f"round {r} {n / dt:6.1f} feeds/s ({dt:.1f} s; CPU a feed: workers {cpu / n * 1000:.1f} ms, "
                           f"PostgreSQL {pg / n * 1000:.1f} ms, farm {fc / n * 1000:.1f} ms; cores busy "
                           f"{(cpu + pg + fc) / dt:.2f}; load before {ld})")
            with Session(engine) as s:
                stored = s.exec(select(func.count()).select_from(ArticleRow)).one()
            print(f"N={n} PostgreSQL, {workers} workers: " + "; ".join(out) + f"; articles stored {stored}", flush=True)
    finally:
        stop_all(procs)
        farm.terminate()
        farm.wait()


def children(pid: int) -> list[int]:
    from poll_bench import _children

    return _children(pid)


def sqlite_once(n: int, port: int, hosts: int, workers: int = 2) -> None:
    """`monitor run --once` into SQLite, as poll_bench measures it, on a fresh farm."""
    from poll_bench import run_once

    farm = start_farm(n, port, hosts)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "watchers.yaml"
            watchers_yaml(cfg, n, port, hosts)
            out = []
            for r in (1, 2):
                if r == 2:
                    urlopen(Request(f"http://127.0.0.1:{port}/round2", method="POST")).read()
                farm0, ld = cpu_s(farm.pid), load()
                dt, cpu, _, _ = run_once(f"sqlite:///{tmp}/bench.db", cfg, workers)
                fc = cpu_s(farm.pid) - farm0
                out.append(f"round {r} {n / dt:6.1f} feeds/s ({dt:.1f} s; CPU a feed {cpu / n * 1000:.1f} ms, farm "
                           f"{fc / n * 1000:.1f} ms; cores busy {(cpu + fc) / dt:.2f}; load before {ld})")
        print(f"N={n} SQLite, monitor run --once --workers {workers}: " + "; ".join(out), flush=True)
    finally:
        farm.terminate()
        farm.wait()


# ------------------------------------------------------------------ sustained claims
def claim_worker(url: str, cfg: str, concurrency: int, hold: float) -> None:
    """A `--role worker` whose polls are a stand-in: the claim loop, the claims and the group
    commit are the real ones."""
    from monitor import daemon

    async def stand_in(engine, fetcher, w, channels=None, *, force=False, state=None, analysis=None, writer=None):
        if hold:
            await asyncio.sleep(hold)
        now = datetime.now(timezone.utc)
        state.last_check, state.last_success, state.last_status = now, now, 304
        state.polls, state.next_check = state.polls + 1, now  # due again at once: claimed again and again
        writer.put(state)
        return daemon.PollOutcome(w.name, "not-modified")

    daemon.poll = stand_in
    engine = open_engine(url, pool_size=4)
    asyncio.run(daemon.run_roles(engine, cfg, "worker", concurrency=concurrency, workers=0, summary_every=3600))


def claims(rows: int, procs_list: list[int], seconds: float, concurrency: int, hold_ms: float) -> None:
    from monitor.config import load_config
    from monitor.db.leases import claim_watchers, sync_watchers

    for nprocs in procs_list:
        with Schema() as url, tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "watchers.yaml"
            cfg.write_text("watchers:\n" + "".join(f"  - name: f{i}\n    url: http://127.0.0.1:9/feed/{i}\n    interval: 15m\n"
                                                   for i in range(rows)))
            engine = open_engine(url)
            sync_watchers(engine, load_config(cfg))
            t = datetime.now(timezone.utc)
            with engine.begin() as c:  # a polled watcher's state: validators, 44 item digests, health
                c.execute(text("UPDATE watchers SET etag = md5(name), last_modified = 'Mon, 01 Dec 2026 09:00:00 GMT', "
                               "body_hash = md5(url), entry_digests = decode(repeat(md5(name), 11), 'hex'), "
                               "status_counts = '{\"200\": 1, \"304\": 40}', polls = 0, last_check = :t, last_success = :t, "
                               "next_check = :t - (random() * interval '15 minutes')"), {"t": t})
                c.execute(text("ANALYZE watchers"))
            # the claim statement alone, in this process: latency with every row due
            lat = []
            for _ in range(50):
                t0 = time.perf_counter()
                got = claim_watchers(engine, "probe", 2 * concurrency, timedelta(seconds=1))
                lat.append(time.perf_counter() - t0)
                with engine.begin() as c:
                    c.execute(text("UPDATE watchers SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = 'probe'"))
            lat.sort()
            env = {**os.environ, "MONITOR_ALERT_URLS": ""}
            code = ("import sys; sys.path.insert(0, sys.argv[1]); from workers_bench import claim_worker; "
                    "claim_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))")
            log = (Path(tmp) / "workers.log").open("w")
            procs = [subprocess.Popen([sys.executable, "-c", code, str(HERE), url, str(cfg), str(concurrency), str(hold_ms / 1000)],
                                      cwd=HERE.parent, env=env, stderr=log) for _ in range(nprocs)]
            try:
                def polls() -> int:
                    with engine.connect() as c:
                        return c.execute(text("SELECT coalesce(sum(polls), 0) FROM watchers")).scalar()
                deadline = time.monotonic() + 120
                while polls() == 0 and time.monotonic() < deadline:  # start-up (watchers.yaml, imports)
                    time.sleep(0.2)
                time.sleep(3)  # warm-up
                ld0, p0, pg0, w0, t0 = load(), polls(), postgres_cpu_s(), sum(cpu_s(p.pid) for p in procs), time.perf_counter()
                time.sleep(seconds)
                p1, pg1, w1, t1 = polls(), postgres_cpu_s(), sum(cpu_s(p.pid) for p in procs), time.perf_counter()
                ld1 = load()
            finally:
                stop_all(procs)
            with engine.connect() as c:
                held = c.execute(text("SELECT count(*) FROM watchers WHERE lease_owner IS NOT NULL")).scalar()
            n = p1 - p0
            if not n:
                print((Path(tmp) / "workers.log").read_text()[-3000:])
                raise SystemExit(f"no claims in {seconds} s")
            rate = n / (t1 - t0)
            print(f"claims: {nprocs} worker(s) x concurrency {concurrency}, {rows:,} rows, hold {hold_ms:g} ms: "
                  f"{rate:,.0f} claims/s sustained over {t1 - t0:.0f} s ({n:,} claims); CPU per 1,000 claims: workers "
                  f"{(w1 - w0) / n * 1000:.2f} s, PostgreSQL {(pg1 - pg0) / n * 1000:.2f} s; cores busy: workers "
                  f"{(w1 - w0) / (t1 - t0):.2f}, PostgreSQL {(pg1 - pg0) / (t1 - t0):.2f}; claim statement "
                  f"({2 * concurrency} rows) median {lat[len(lat) // 2] * 1000:.1f} ms, p95 {lat[int(len(lat) * .95)] * 1000:.1f} ms; "
                  f"leases left after SIGTERM {held}; load {ld0} -> {ld1}", flush=True)
            engine.dispose()


def plans(rows: int) -> None:
    """EXPLAIN ANALYZE of the claim's choice of due rows with few and many due."""
    from sqlalchemy import or_
    from sqlmodel import select

    from monitor.db.models import WatcherRow

    with Schema() as url:
        engine = open_engine(url)
        t = datetime.now(timezone.utc)
        with engine.begin() as c:
            c.execute(text("INSERT INTO watchers (name, url, configured, interval_s, tags, polls, items_seen, candidates, "
                           "consecutive_failures, fetch_seconds_total, followed, follow_failures, status_counts) "
                           "SELECT 'f' || i, 'http://127.0.0.1:9/feed/' || i, true, 900, '', 0, 0, 0, 0, 0, 0, 0, '{}' "
                           "FROM generate_series(1, :n) i"), {"n": rows})
        due = (select(WatcherRow.name)  # as leases.claim_watchers chooses
               .where(WatcherRow.configured, or_(WatcherRow.next_check.is_(None), WatcherRow.next_check <= t),
                      or_(WatcherRow.lease_until.is_(None), WatcherRow.lease_until < t))
               .order_by(WatcherRow.next_check).limit(40).with_for_update(skip_locked=True))
        sql = str(due.compile(engine, compile_kwargs={"literal_binds": True}))
        for n_due in (10, 39, rows // 100):
            with engine.begin() as c:  # n_due overdue by up to 15 minutes, the rest due within the next 15
                c.execute(text("UPDATE watchers SET next_check = :t + (CASE WHEN substr(name, 2)::int <= :d THEN -1 ELSE 1 END)"
                               " * random() * interval '15 minutes'"), {"t": t, "d": n_due})
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE watchers"))
            for _ in range(3):  # the last of three: warm cache
                with engine.begin() as c:
                    plan = [r[0] for r in c.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
            scan = next(line.strip() for line in plan if "Scan" in line)
            removed = next((line.strip() for line in plan if "Removed by Filter" in line), "Rows Removed by Filter: 0")
            took = next(line.strip() for line in plan if line.startswith("Execution Time"))
            print(f"plan: {rows:,} rows, {n_due:,} due: {scan.split('  (')[0]}; {removed}; {took}", flush=True)
        engine.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("workers", nargs="*", type=int)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--sqlite", action="store_true", help="also monitor run --once into SQLite, same farm size")
    ap.add_argument("--claims", action="store_true", help="sustained claims/s instead of rounds on the farm")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--hold", type=float, default=0, help="ms a stand-in poll takes")
    ap.add_argument("--plan", action="store_true", help="EXPLAIN ANALYZE of the claim's choice with few and many due")
    a = ap.parse_args()
    random.seed(1)
    if a.plan:
        plans(a.rows)
    elif a.claims:
        claims(a.rows, a.procs, a.seconds, a.concurrency, a.hold)
    else:
        for i, w in enumerate(a.workers or [1, 2, 4]):
            bench(a.n, w, 18800 + i, a.hosts)
        if a.sqlite:
            sqlite_once(a.n, 18799, a.hosts)
