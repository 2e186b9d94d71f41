"""Sharing the work on PostgreSQL: claims are exclusive across processes, a dead worker's lease
runs out, a killed scheduler is replaced, and SQLite refuses more than one role."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from datetime import timedelta

from sqlmodel import Session, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import Config, WatcherConfig
from monitor.db.leases import Election, claim_watchers, current_scheduler, sync_watchers
from monitor.db.models import WatcherRow
from monitor.db.store import open_engine


def _config(n: int) -> Config:
    return Config(watchers=[WatcherConfig(name=f"w{i}", url=f"http://127.0.0.1:9/{i}", interval="1h") for i in range(n)])


def _due_now(engine) -> None:
    with Session(engine) as s:
        for r in s.exec(select(WatcherRow)).all():
            r.next_check = None
            s.add(r)
        s.commit()


def _claimer(url: str, owner: str, barrier, out) -> None:
    engine = open_engine(url)
    barrier.wait()
    got = []
    while True:
        batch = claim_watchers(engine, owner, 7, timedelta(minutes=5))
        if not batch:
            break
        got += [c.name for c in batch]
    out.put((owner, got))


def test_claims_are_exclusive_across_processes(pg_url):
    engine = open_engine(pg_url)
    sync_watchers(engine, _config(300))
    _due_now(engine)
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(pg_url, f"worker{i}", barrier, out)) for i in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    claimed = [n for _, names in results for n in names]
    assert len(claimed) == 300 and len(set(claimed)) == 300  # every watcher once, none twice
    assert sum(1 for _, names in results if names) >= 2  # the work really was shared


def test_dead_workers_lease_runs_out(pg_url):
    engine = open_engine(pg_url)
    sync_watchers(engine, _config(10))
    _due_now(engine)
    assert len(claim_watchers(engine, "dead", 10, timedelta(seconds=1))) == 10
    assert claim_watchers(engine, "alive", 10, timedelta(minutes=5)) == []  # leased
    time.sleep(1.5)
    assert len(claim_watchers(engine, "alive", 10, timedelta(minutes=5))) == 10  # the lease ran out


def _lead(url: str, ready) -> None:
    e = Election(open_engine(url), f"leader-{os.getpid()}")
    assert e.try_lead()
    ready.set()
    time.sleep(120)


def test_scheduler_takeover_after_sigkill(pg_url):
    engine = open_engine(pg_url)
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    leader = ctx.Process(target=_lead, args=(pg_url, ready))
    leader.start()
    assert ready.wait(30)
    standby = Election(engine, "standby")
    assert not standby.try_lead()  # one scheduler at a time
    assert current_scheduler(engine).owner == f"leader-{leader.pid}"
    os.kill(leader.pid, signal.SIGKILL)
    leader.join(10)
    deadline = time.monotonic() + 20
    while not standby.try_lead() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert standby.leading and current_scheduler(engine).owner == "standby"
    standby.close()


def test_stores_in_two_schemas_of_one_database_each_have_their_scheduler(pg_url):
    """The scheduler's lock is per schema: a store beside another in the same database (another
    deployment, a test run side by side) is not left without a scheduler."""
    from sqlalchemy import create_engine, text

    from tests.db.conftest import PG

    other = "t_other_" + os.urandom(4).hex()
    admin = create_engine(PG)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {other}"))
    here, there = Election(open_engine(pg_url), "here"), None
    try:
        there = Election(open_engine(f"{PG}?options=-csearch_path%3D{other}"), "there")
        assert here.try_lead() and there.try_lead()
        second = Election(open_engine(pg_url), "second here")
        assert not second.try_lead()  # still one per store
        second.close()
    finally:
        here.close()
        if there is not None:
            there.close()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {other} CASCADE"))
        admin.dispose()


def test_sqlite_is_one_process(tmp_path):
    cfg = tmp_path / "w.yaml"
    cfg.write_text("watchers:\n  - name: a\n    url: http://127.0.0.1:9/feed\n")
    res = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--config", str(cfg), "run", "--role", "worker"])
    assert res.exit_code == 2 and "only --role all" in res.output
