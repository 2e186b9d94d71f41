"""A host's polls are spread across its interval, not burst (issue 14): watchers polled at one
moment drift to their own points of the interval (monitor.schedule) and then stay there; new
watchers are first polled within 30 s; the daemon runs each interval watcher when its state says
(its point, a backoff, a server's floor), also after a restart."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from monitor.config import Config, WatcherConfig
from monitor.daemon import Daemon
from monitor.db.leases import sync_watchers
from monitor.db.models import WatcherRow
from monitor.schedule import first_check, next_check, phase
from tests.test_daemon import QUIET, farm, rss, state  # noqa: F401  (farm: the fixture)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
NAMES = [f"rsshub-{i}" for i in range(300)]  # 300 feeds of one RSSHub instance


def buckets(times: list[datetime], interval: float, n: int = 10) -> list[int]:
    """How many of `times` fall in each n-th of the interval (times modulo the interval)."""
    counts = [0] * n
    for t in times:
        counts[int(t.timestamp() % interval / interval * n)] += 1
    return counts


def test_watchers_polled_at_one_moment_spread_evenly_over_their_interval_and_stay_there():
    interval = 900.0
    due = {n: next_check(n, T0, interval) for n in NAMES}  # all polled at T0 (a start-up)
    assert sum(c > 0 for c in buckets(list(due.values()), interval)) <= 3  # still a burst after one poll
    gaps = []
    for _ in range(6):  # each polled when due, six times
        nxt = {n: next_check(n, t, interval) for n, t in due.items()}
        gaps += [(nxt[n] - due[n]).total_seconds() for n in NAMES]
        due = nxt
    assert min(gaps) >= 0.9 * interval and max(gaps) <= 1.1 * interval  # never far from the interval
    counts = buckets(list(due.values()), interval)
    assert min(counts) >= 15 and max(counts) <= 45, counts  # 30 each when even
    # now on their points: polled every interval exactly, at phase(name) of the way through it
    for n, t in due.items():
        assert abs((next_check(n, t, interval) - t).total_seconds() - interval) < 1e-3
        assert abs(t.timestamp() % interval - phase(n) * interval) < 1e-3 or \
            abs(abs(t.timestamp() % interval - phase(n) * interval) - interval) < 1e-3


def test_first_polls_come_within_30_s_each_at_its_own_point_the_same_every_time():
    firsts = [first_check(n, T0, 3600) for n in NAMES]
    assert all(T0 <= f < T0 + timedelta(seconds=30) for f in firsts)
    assert firsts == [first_check(n, T0, 3600) for n in NAMES]  # deterministic
    assert len({f.second for f in firsts}) == 30  # spread over the 30 s, not at one moment
    assert first_check("a", T0, 10) - T0 < timedelta(seconds=10)  # never beyond a short interval


def test_new_rows_for_role_workers_are_first_due_at_their_own_point_of_30_s(engine):
    cfg = Config(watchers=[WatcherConfig(name=n, url=f"http://127.0.0.1:9/{n}", interval="1h") for n in NAMES[:50]])
    before = datetime.now(timezone.utc)
    sync_watchers(engine, cfg)
    after = datetime.now(timezone.utc)
    with Session(engine) as s:
        rows = s.exec(select(WatcherRow)).all()
    for r in rows:
        due = r.next_check.replace(tzinfo=timezone.utc)
        assert first_check(r.name, before, 3600) <= due <= first_check(r.name, after, 3600)


def test_a_polled_watcher_is_due_next_at_its_point_of_the_interval(engine, farm):  # noqa: F811
    from tests.test_daemon import poll1, watcher

    w = watcher(farm, "/feed", name="rsshub-7", interval="15m")
    poll1(engine, w)
    st = state(engine, "rsshub-7")
    polled = st.last_check.replace(tzinfo=timezone.utc)
    assert st.next_check.replace(tzinfo=timezone.utc) == next_check("rsshub-7", polled, 900)


def test_the_daemon_runs_a_watcher_when_its_state_says_also_after_a_restart(tmp_path, engine, farm):  # noqa: F811
    """A watcher whose next check is an hour away is not polled again by a restarted daemon: its
    job moves to that time; a polled watcher's job moves to its new next check."""
    a, b = "feed-40", "feed-42"  # names whose first run comes within 1.5 s (first_check)
    farm.extra.update({"/a": rss(QUIET), "/b": rss(QUIET)})
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"watchers:\n  - name: {a}\n    url: {farm.base}/a\n    interval: 1h\n"
                   f"  - name: {b}\n    url: {farm.base}/b\n    interval: 1h\n")
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    with Session(engine) as s:  # "a" was polled before the restart
        s.add(WatcherRow(name=a, url=f"{farm.base}/a", next_check=later))
        s.commit()

    async def go() -> dict[str, datetime]:
        d = Daemon(engine, str(cfg), workers=0)
        task = asyncio.create_task(d.run(grace=5))
        jobs = {}
        for _ in range(300):  # until both first runs are done
            await asyncio.sleep(0.1)
            jobs = {n: d.scheduler.get_job(f"watch:{n}") for n in (a, b)} if d.scheduler.running else {}
            if jobs and all(j and j.next_run_time > datetime.now(timezone.utc) + timedelta(minutes=50) for j in jobs.values()):
                break
        out = {n: j.next_run_time for n, j in jobs.items()}
        d.stopping.set()
        await task
        return out

    runs = asyncio.run(go())
    assert not farm.hits.get("/a")  # not due: skipped, no request
    assert runs[a] == later
    assert farm.hits.get("/b")
    st = state(engine, b)
    assert runs[b] == st.next_check.replace(tzinfo=timezone.utc)
    assert runs[b] == next_check(b, st.last_check.replace(tzinfo=timezone.utc), 3600)
