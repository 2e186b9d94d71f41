"""Four worker processes and a scheduler (`monitor run --role …`) on PostgreSQL, polling a
loopback farm of 500 real feeds through several cycles: every feed is fetched exactly once a
cycle, and a worker killed with SIGKILL mid-cycle loses nothing (its leases run out and other
workers take its feeds)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.request import Request, urlopen

import pytest
from sqlmodel import Session, func, select

from monitor.db.models import DeliveryRow, WatcherRow
from monitor.db.store import open_engine
from tests.conftest import ROOT, SHARED, free_port

N = 500
if not (SHARED / "corpus").exists():
    pytest.skip("the farm serves ../shared/corpus feeds", allow_module_level=True)


@pytest.fixture
def farm():
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "farm.py"), str(N), str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def _hits(farm: str) -> Counter:
    return Counter({int(k): v for k, v in json.loads(urlopen(f"{farm}/hits").read()).items()})


def _wait(done, timeout: float, step: float = 0.5) -> bool:
    """Poll `done()` until it is true; give up only when both `timeout` seconds have passed and
    timeout/step polls were made (this machine's clock has been seen to stall and to jump: a
    deadline alone then ends a wait at once, or never)."""
    deadline, polls = time.monotonic() + timeout, int(timeout / step)
    while True:
        if done():
            return True
        polls -= 1
        if polls <= 0 and time.monotonic() >= deadline:
            return False
        time.sleep(step)


def _count(engine, where=None) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(WatcherRow)
        return s.exec(q if where is None else q.where(where)).one()


def _quiet(engine, timeout: float) -> None:
    """Wait until every watcher has been polled and none is being polled (no lease held)."""
    busy = (WatcherRow.polls == 0) | WatcherRow.lease_owner.is_not(None)
    assert _wait(lambda: _count(engine) == N and _count(engine, busy) == 0, timeout), "the workers never settled"


def _cycle(engine, farm: str, timeout: float, kill=None) -> tuple[Counter, float]:
    _quiet(engine, timeout)  # a cycle starts when no poll is in flight
    urlopen(Request(f"{farm}/reset", method="POST")).read()
    t0 = time.monotonic()
    with Session(engine) as s:  # every watcher due now
        polls = {}
        for r in s.exec(select(WatcherRow)).all():
            polls[r.name] = r.polls
            r.next_check = None
            s.add(r)
        s.commit()
    if kill:
        time.sleep(1.0)
        kill()
    # done when every watcher has been polled once more (counted, not timed: this machine's wall
    # clock has been seen to jump, and a comparison of last_check with a start time then passed
    # at once with nothing polled)
    assert len(polls) == N

    def polled_again() -> bool:
        with Session(engine) as s:
            now = dict(s.exec(select(WatcherRow.name, WatcherRow.polls)).all())
        return all(now.get(name, 0) > n for name, n in polls.items())

    _wait(polled_again, timeout)  # a miss is reported by the caller, feed by feed
    return _hits(farm), time.monotonic() - t0


def test_workers_share_the_farm_once_per_cycle_and_survive_sigkill(pg_url, farm, tmp_path, http_endpoint):
    host, rec = http_endpoint
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"channels:\n  - name: hook\n    urls: ['json://{host}/hook']\nwatchers:\n"
                   + "".join(f"  - name: f{i}\n    url: {farm}/feed/{i}\n    interval: 1h\n" for i in range(N)))
    engine = open_engine(pg_url)
    env = {**os.environ, "MONITOR_LEASE_SECONDS": "6", "MONITOR_ALERT_URLS": ""}
    base = [sys.executable, "-m", "monitor", "--db", pg_url, "--config", str(cfg), "run"]
    log = (tmp_path / "scheduler.err").open("w")  # a file, not a pipe nobody reads (a full pipe blocks the writer)
    procs = [subprocess.Popen(base + ["--role", "scheduler"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)]
    procs += [subprocess.Popen(base + ["--role", "worker", "--concurrency", "8", "--workers", "1"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(4)]
    try:
        # the scheduler writes the watcher rows
        assert _wait(lambda: _count(engine) == N, 120), (
            f"the scheduler wrote {_count(engine)} of {N} watcher rows (exit {procs[0].poll()}): "
            + (tmp_path / "scheduler.err").read_text()[-3000:])
        for cycle in range(2):
            hits, took = _cycle(engine, farm, timeout=240)
            missed = sorted(set(range(N)) - set(hits))
            if missed:
                with Session(engine) as s:
                    rows = s.exec(select(WatcherRow).where(WatcherRow.name.in_([f"f{i}" for i in missed]))).all()
                    detail = [(r.name, r.last_check, r.next_check, r.lease_owner, r.last_status, r.polls) for r in rows[:10]]
            assert not missed, f"cycle {cycle} ({took:.1f}s): missed {detail}"
            assert max(hits.values()) == 1, f"cycle {cycle}: fetched twice: {[k for k, v in hits.items() if v > 1][:10]}"
        victim = procs[1]
        hits, took = _cycle(engine, farm, timeout=240, kill=lambda: victim.send_signal(signal.SIGKILL))
        assert victim.wait(10) == -signal.SIGKILL
        assert sorted(hits) == list(range(N))  # nothing lost: the dead worker's feeds were taken over
        twice = [k for k, v in hits.items() if v > 1]
        assert len(twice) <= 8  # at most what the dead worker had in hand (its concurrency)
        with Session(engine) as s:
            sent = s.exec(select(DeliveryRow.event_id, func.count()).where(DeliveryRow.status == "sent")
                          .group_by(DeliveryRow.event_id)).all()
        assert all(n == 1 for _, n in sent)
        titles = Counter(json.loads(r["body"])["title"] for r in rec.requests)
        assert all(n == 1 for n in titles.values()), titles  # every event alerted once
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
