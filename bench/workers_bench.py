"""Throughput of several `monitor run --role worker` processes sharing PostgreSQL, on the
loopback farm (bench/farm.py): 1, 2 and 4 workers (plus the scheduler), round 1 (every feed new)
and round 2 (~10 % changed, the rest 304). The SQLite single-process figures are poll_bench's.

Usage: .venv/bin/python bench/workers_bench.py [N] [WORKERS ...]     (default: 1000  1 2 4)
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.request import Request, urlopen

from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from monitor.db.models import ArticleRow, WatcherRow  # noqa: E402
from monitor.db.store import open_engine  # noqa: E402

PG = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def round_(engine, n: int, timeout: float = 1800) -> float:
    with Session(engine) as s:
        for r in s.exec(select(WatcherRow)).all():
            r.next_check = None
            s.add(r)
        s.commit()
    t0 = time.time()
    from datetime import datetime, timezone

    since = datetime.fromtimestamp(t0, timezone.utc)
    while time.time() - t0 < timeout:
        with Session(engine) as s:
            left = s.exec(select(func.count()).select_from(WatcherRow).where(
                (WatcherRow.last_check.is_(None)) | (WatcherRow.last_check < since) | WatcherRow.lease_owner.is_not(None))).one()
        if left == 0:
            return time.time() - t0
        time.sleep(0.25)
    raise TimeoutError


def bench(n: int, workers: int, port: int) -> None:
    farm = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port)], stdout=subprocess.PIPE, text=True)
    assert farm.stdout.readline().strip() == "ready"
    name = "b_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {name}"))
    url = f"{PG}?options=-csearch_path%3D{name}"
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "watchers.yaml"
            cfg.write_text("watchers:\n" + "".join(
                f"  - name: f{i}\n    url: http://127.0.0.1:{port}/feed/{i}\n    interval: 6h\n    follow: never\n"
                for i in range(n)))  # polling alone: the farm's item links are not on loopback
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
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
            time.sleep(3)
            r1 = round_(engine, n)
            urlopen(Request(f"http://127.0.0.1:{port}/round2", method="POST")).read()
            r2 = round_(engine, n)
            with Session(engine) as s:
                stored = s.exec(select(func.count()).select_from(ArticleRow)).one()
            print(f"N={n} workers={workers}: round 1 {n / r1:6.1f} feeds/s ({r1:.0f} s), "
                  f"round 2 {n / r2:6.1f} feeds/s ({r2:.1f} s), entries stored {stored}", flush=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        farm.terminate()
        farm.wait()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {name} CASCADE"))


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for i, w in enumerate(int(a) for a in (sys.argv[2:] or ["1", "2", "4"])):
        bench(n, w, 18800 + i)
