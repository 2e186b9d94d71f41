"""Batch claims (leases.claim_watchers: one statement a batch) and their release by the group
commit of the watchers' states (daemon.StateWriter with an owner), on PostgreSQL and SQLite:
two workers never hold the same watcher, a batch is smaller than asked when fewer are due, an
expired lease is taken over and its first holder's late write does not free it."""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from monitor.config import Config, WatcherConfig
from monitor.daemon import StateWriter
from monitor.db.leases import claim_watchers, sync_watchers
from monitor.db.models import WatcherRow
from monitor.db.store import open_engine, save_watcher_states, watcher_values


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.db'}"
    return request.getfixturevalue("pg_url")


def _setup(url: str, n: int, due: int | None = None):
    engine = open_engine(url)
    sync_watchers(engine, Config(watchers=[WatcherConfig(name=f"w{i:03}", url=f"http://127.0.0.1:9/{i}", interval="1h")
                                           for i in range(n)]))
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    with Session(engine) as s:
        for r in s.exec(select(WatcherRow)).all():
            r.next_check = None if due is None or int(r.name[1:]) < due else later
            s.add(r)
        s.commit()
    return engine


def _leases(engine) -> dict[str, str | None]:
    with Session(engine) as s:
        return dict(s.exec(select(WatcherRow.name, WatcherRow.lease_owner)).all())


def test_a_batch_is_smaller_than_asked_when_fewer_are_due(url):
    engine = _setup(url, 10, due=3)
    got = claim_watchers(engine, "a", 7, timedelta(minutes=5))
    assert sorted(c.name for c in got) == ["w000", "w001", "w002"]
    assert claim_watchers(engine, "b", 7, timedelta(minutes=5)) == []  # the rest are not due, these are leased
    assert {k for k, v in _leases(engine).items() if v == "a"} == {"w000", "w001", "w002"}
    # each comes back whole: the poll starts from it without reading it again
    assert all(c.row is not None and c.row.name == c.name and c.row.lease_owner == "a" for c in got)


def test_the_state_write_ends_the_lease_with_the_next_check(url):
    engine = _setup(url, 5)
    got = claim_watchers(engine, "a", 5, timedelta(minutes=5))
    assert len(got) == 5
    t = datetime.now(timezone.utc)
    for c in got[:3]:  # polled: their next check is an hour away
        c.row.next_check, c.row.last_check, c.row.polls = t + timedelta(hours=1), t, 1
    save_watcher_states(engine, [watcher_values(c.row) for c in got[:3]], owner="a", release=[got[3].name])
    leases = _leases(engine)
    assert [leases[c.name] for c in got] == [None, None, None, None, "a"]  # the 5th is still in hand
    # the three written are not due any more; the one released without a state is
    assert [c.name for c in claim_watchers(engine, "b", 5, timedelta(minutes=5))] == [got[3].name]


def test_an_expired_lease_is_taken_over_and_the_late_write_does_not_free_it(url):
    engine = _setup(url, 6)
    first = claim_watchers(engine, "dead", 4, timedelta(seconds=1))
    assert len(first) == 4
    time.sleep(1.5)
    second = claim_watchers(engine, "alive", 10, timedelta(minutes=5))
    assert sorted(c.name for c in second) == [f"w{i:03}" for i in range(6)]  # expired leases and the 2 free ones
    # the first holder was only slow: its state is written, but the lease is the new holder's now
    save_watcher_states(engine, [watcher_values(c.row) for c in first], owner="dead")
    assert set(_leases(engine).values()) == {"alive"}


def test_state_writer_with_an_owner_releases_on_flush(url):
    engine = _setup(url, 3)
    got = claim_watchers(engine, "a", 3, timedelta(minutes=5))

    async def go():
        async with StateWriter(engine, every=3600, owner="a") as writer:
            got[0].row.next_check = datetime.now(timezone.utc) + timedelta(hours=1)
            writer.put(got[0].row)
            writer.release(got[1].name)
            assert set(_leases(engine).values()) == {"a"}  # nothing written before the flush
            await writer.flush()
            assert _leases(engine) == {got[0].name: None, got[1].name: None, got[2].name: "a"}
    asyncio.run(go())


def _worker(url: str, owner: str, batch: int, seconds: float, barrier, out) -> None:
    """Claim batches, hold each a moment, write the states back due at once (so the watchers are
    fought over again and again), and record when each watcher was held: from the claim's commit
    to the start of the write that ends the lease."""
    engine = open_engine(url)
    held, error = [], None
    barrier.wait()
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            got = claim_watchers(engine, owner, batch, timedelta(minutes=5))
            t0 = time.monotonic()
            time.sleep(0.002)
            for c in got:
                c.row.next_check, c.row.polls = None, c.row.polls + 1
            t1 = time.monotonic()
            save_watcher_states(engine, [watcher_values(c.row) for c in got], owner=owner)
            held += [(c.name, t0, t1) for c in got]
    except Exception as e:  # noqa: BLE001 (a deadlock, a serialisation failure: reported, not hung)
        error = f"{type(e).__name__}: {e}"
    out.put((owner, held, error))


def test_workers_claiming_batches_never_hold_the_same_watcher(pg_url):
    engine = _setup(pg_url, 40)
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(pg_url, f"worker{i}", 15, 4.0, barrier, out)) for i in range(4)]
    for p in procs:
        p.start()
    reports = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [e for _, _, e in reports if e] == []
    results = {owner: held for owner, held, _ in reports}
    spans: dict[str, list[tuple[float, float, str]]] = {}
    for owner, held in results.items():
        assert len(held) > 50  # each got plenty of claims
        for name, t0, t1 in held:
            spans.setdefault(name, []).append((t0, t1, owner))
    for name, s in spans.items():
        s.sort()
        for (a0, a1, ao), (b0, b1, bo) in zip(s, s[1:]):
            assert b0 >= a1, f"{name} held by {ao} and {bo} at once"
    with Session(engine) as s:  # every claim was written back, none lost
        assert sum(r.polls for r in s.exec(select(WatcherRow)).all()) == sum(len(h) for h in results.values())
        assert all(r.lease_owner is None for r in s.exec(select(WatcherRow)).all())
