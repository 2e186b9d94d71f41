"""The same store on PostgreSQL and SQLite: migrations on both, an out-of-date schema refused,
the seeds giving the same events, and concurrent writers from several processes never creating
twin articles or events. Runs against the PostgreSQL on 127.0.0.1:5432 (database `test`), each
test in a schema of its own, dropped after; skipped where there is none, required in CI."""
from __future__ import annotations

import json
import multiprocessing as mp

from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, func, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import schema
from monitor.db.models import ArticleRow, EventRow, MentionRow
from tests.conftest import SEEDS

def run(url, *args):
    return CliRunner().invoke(app, ["--db", url, "--config", "/nonexistent.yaml", *args])


def test_seeds_give_the_same_events_on_postgres(pg_url):
    res = run(pg_url, "backfill", str(SEEDS))
    assert res.exit_code == 0, res.output
    assert "new events: 14" in res.output
    events = json.loads(run(pg_url, "events", "--format", "json").output)
    assert len(events) == 14 and sum(e["mentions"] == 2 for e in events) == 3
    assert "new events: 0" in run(pg_url, "backfill", str(SEEDS)).output
    assert "up to date" in run(pg_url, "db", "status").output
    waves = json.loads(run(pg_url, "waves", "--format", "json").output)
    assert [w["org"] for w in waves] == ["xAI"]
    assert [e["person"] for e in json.loads(run(pg_url, "events", "--org", "特斯拉", "-f", "json").output)] == ["Raj Jegannathan"]


def test_out_of_date_schema_is_refused_then_upgraded(tmp_path, pg_url):
    for url in (f"sqlite:///{tmp_path / 'old.db'}", pg_url):
        eng = create_engine(url)
        SQLModel.metadata.create_all(eng)  # a store made before migrations: tables, no version
        res = run(url, "events")
        assert res.exit_code == 2 and "monitor db upgrade" in res.output, res.output
        up = run(url, "db", "upgrade")
        assert up.exit_code == 0 and f"-> {schema.head()}" in up.output, up.output
        assert run(url, "events").exit_code == 0


def _writer(url: str, i: int, barrier) -> None:
    from monitor.db.store import ingest, open_engine
    from monitor.records import Article, Departure

    engine = open_engine(url)
    barrier.wait()
    # every process reports the same departure in its own article, and the same shared article
    ingest(engine, Article(title=f"report {i}", text=f"Jimmy Ba leaves xAI ({i})", url=f"https://race.test/{i}"),
           [Departure(person="Jimmy Ba", org="xAI", confidence=0.9)])
    ingest(engine, Article(title="the same story", text="everyone has it", url="https://race.test/shared"),
           [Departure(person="Yuhuai Wu", org="xAI", confidence=0.9)])


def test_concurrent_writers_make_one_event(pg_url):
    from monitor.db.store import open_engine

    engine = open_engine(pg_url)  # schema made once, before the race
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_writer, args=(pg_url, i, barrier)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with Session(engine) as s:
        events = s.exec(select(EventRow.person, func.count(MentionRow.id)).join(MentionRow, MentionRow.event_id == EventRow.id)
                        .group_by(EventRow.person)).all()
        shared = s.exec(select(func.count()).select_from(ArticleRow).where(ArticleRow.url == "https://race.test/shared")).one()
    assert sorted(events) == [("Jimmy Ba", 4), ("Yuhuai Wu", 1)]
    assert shared == 1
