"""Crash safety of the outbox: a sender killed with SIGKILL at random points while delivering
50 events, restarted until everything is sent. Every event must arrive; a duplicate is only
possible in the documented window (Apprise handed the message over, the row was not yet marked),
so there are never more duplicates than kills. bench/crash_bench.py runs it 100 times."""
from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter

import apprise  # noqa: F401 - loaded before the forks, as in a sender that is already running
import pytest
from sqlmodel import Session, func, select

from monitor.alerts.routing import route
from monitor.alerts.sender import send_due
from monitor.config import ChannelConfig
from monitor.db.models import DeliveryRow
from monitor.db.store import ingest, open_engine
from monitor.records import Article, Departure

N_EVENTS = 50
RUNS = 10  # bench/crash_bench.py runs it 100 times


def pending(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status != "sent")).one()


def crash_run(db_url: str, hook: str, received: list, rng: random.Random, max_rounds: int = 40) -> dict:
    """Deliver N_EVENTS with a sender that is SIGKILLed at random; returns what arrived."""
    chans = [ChannelConfig(name="hook", urls=[hook])]
    engine = open_engine(db_url)
    for i in range(N_EVENTS):
        ingest(engine, Article(title=f"story {i}", text=f"text {i}", url=f"https://crash.test/{i}"),
               [Departure(person=f"Person{i:02d} Tester", org="Acme", confidence=0.9)], route(chans))
    start = len(received)
    kills = 0
    for rnd in range(max_rounds + 1):
        if pending(engine) == 0:
            break
        pid = os.fork()
        if pid == 0:  # the sender: a fresh connection, deliver, exit
            try:
                send_due(open_engine(db_url), chans)
            finally:
                os._exit(0)
        if rnd == max_rounds:  # on a slow machine the kills may outpace the sender: a last, calm restart
            os.waitpid(pid, 0)
            break
        time.sleep(rng.uniform(0.05, 0.6))
        if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still delivering: kill it mid-way
            os.kill(pid, signal.SIGKILL)
            kills += 1
            os.waitpid(pid, 0)
    titles = []
    for r in received[start:]:
        try:  # a sender killed mid-request leaves a truncated body: that message never arrived
            titles.append(json.loads(r["body"])["title"])
        except (ValueError, KeyError):
            continue
    counts = Counter(t.split(":", 1)[1].split(" left")[0].strip() for t in titles)
    return {"kills": kills, "arrived": len(counts), "messages": len(titles),
            "duplicates": {p: n - 1 for p, n in counts.items() if n > 1}, "left_pending": pending(engine)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_loses_nothing_and_duplicates_only_in_the_window(tmp_path, http_endpoint):
    host, rec = http_endpoint
    rec.delay = 0.002
    rng = random.Random(20261124)
    total_kills = total_dups = 0
    for rep in range(RUNS):
        out = crash_run(f"sqlite:///{tmp_path / f'crash{rep}.db'}", f"json://{host}/hook", rec.requests, rng)
        assert out["left_pending"] == 0 and out["arrived"] == N_EVENTS, out
        dups = sum(out["duplicates"].values())
        assert dups <= out["kills"], out  # at most one message per kill is sent twice
        total_kills += out["kills"]
        total_dups += dups
    print(f"{RUNS} runs: {total_kills} kills, {total_dups} duplicate messages")
    assert total_kills >= 20  # the test really killed senders mid-delivery
