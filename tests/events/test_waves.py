"""Departure waves: the seeds' xAI exodus; synthetic timelines (steady exits are no wave, a burst
is, seniority weighs, an old wave found by a backfill is recorded but not alerted); organisations
listed and merged."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session, select
from typer.testing import CliRunner

from monitor.alerts.routing import route
from monitor.cli import app
from monitor.config import ChannelConfig, ChannelFilter
from monitor.db.models import DeliveryRow, WaveRow
from monitor.db.store import ingest, list_waves, update_waves
from monitor.events.names import person_keys
from monitor.events.waves import Exit, find_waves
from monitor.records import Article, Departure
from tests.conftest import SEEDS

TODAY = date(2026, 11, 24)
XAI = ["Simon Zhai", "Yuhuai Wu", "Jimmy Ba", "杨恪", "Yifei Zhou", "Ayush Jaiswal", "Shayan Salehian",
       "Vahid Kazemi", "Hang Gao", "Roland Gavrilescu", "Chace Lee", "Andrew Ma", "Radhakrishnan Venkataramani"]


def exits(dates: list[date], weight: float = 1.0, start_id: int = 0) -> list[Exit]:
    return [Exit(event_id=start_id + i, person=f"P{start_id + i}", when=d, weight=weight) for i, d in enumerate(dates)]


def test_seeds_make_one_xai_wave_and_no_tesla_wave(db_url):
    runner = CliRunner()
    runner.invoke(app, ["--db", db_url, "--config", "/nonexistent.yaml", "backfill", str(SEEDS)])
    res = runner.invoke(app, ["--db", db_url, "--config", "/nonexistent.yaml", "waves", "--format", "json"])
    assert res.exit_code == 0, res.output
    [wave] = json.loads(res.output)
    assert wave["org"] == "xAI" and wave["size"] >= 13
    names = [m["person"] for m in wave["members"]]
    for who in XAI:
        assert any(person_keys(who) & person_keys(n) for n in names), who
    for m in wave["members"]:  # February 2026 where the text gives a date
        if m["date"]:
            assert m["date"].startswith("2026-02") or m["person"] == "杨恪"  # 1月底: end of January
    cofounders = wave["co_founders"]
    for who in ["Yuhuai Wu", "Jimmy Ba", "杨恪"]:
        assert any(person_keys(who) & person_keys(n) for n in cofounders), who
    assert not json.loads(runner.invoke(app, ["--db", db_url, "waves", "--org", "特斯拉", "-f", "json"]).output)


def test_steady_exits_at_a_big_org_are_no_wave():
    start = TODAY - timedelta(days=400)
    steady = [start + timedelta(days=d) for d in range(0, 400, 3)]  # ~2.3 a week for a year
    assert find_waves("bigco", exits(steady), TODAY) == []


def test_a_burst_is_a_wave_even_above_a_steady_background():
    start = TODAY - timedelta(days=400)
    steady = [start + timedelta(days=d) for d in range(0, 380, 3)]
    burst_day = start + timedelta(days=381)
    burst = [burst_day + timedelta(days=i % 5) for i in range(12)]
    [wave] = find_waves("bigco", exits(steady) + exits(burst, start_id=1000), TODAY)
    assert len([m for m in wave.members if m.event_id >= 1000]) == 12
    assert wave.baseline >= 2 and wave.closed


def test_seniority_weighs():
    day = TODAY - timedelta(days=3)
    background = exits([TODAY - timedelta(days=d) for d in range(10, 370, 4)])  # ~1.75 a week
    staff = exits([day, day, day], weight=1.0, start_id=500)
    founders = exits([day, day, day], weight=3.0, start_id=500)
    assert find_waves("org", background + staff, TODAY) == []  # 3 staff exits: usual business
    [wave] = find_waves("org", background + founders, TODAY)  # 3 co-founders in a week: a wave
    assert not wave.closed


def test_small_org_needs_three():
    d = TODAY - timedelta(days=2)
    assert find_waves("tiny", exits([d, d]), TODAY) == []
    assert len(find_waves("tiny", exits([d, d, d]), TODAY)) == 1


def _departures(engine, org, days_ago, channels, n, start=0):
    r = route(channels)
    for i in range(start, start + n):
        when = (datetime.now(timezone.utc) - timedelta(days=days_ago)).date()
        ingest(engine, Article(title=f"{org} story {i}", text=f"text {i}", url=f"https://w.test/{org}/{i}"),
               [Departure(person=f"Exec{i:02d} Person", org=org, role="vice president", date=when, confidence=0.9)], r)
    update_waves(engine, {org.lower()}, r.waves)


def wave_deliveries(engine):
    with Session(engine) as s:
        return [(d.channel, d.kind) for d in s.exec(select(DeliveryRow).where(DeliveryRow.wave_id.is_not(None)))]


def test_current_wave_alerts_once_then_one_update_a_day(engine):
    chans = [ChannelConfig(name="waves-only", urls=["json://x/w"], waves="only"),
             ChannelConfig(name="other-org", urls=["json://x/o"], filter=ChannelFilter(orgs=["Initech"]))]
    _departures(engine, "Acme", 1, chans, 4)
    assert wave_deliveries(engine) == [("waves-only", "new")]
    with Session(engine) as s:  # "waves: only" gets no single-departure alerts
        assert not s.exec(select(DeliveryRow).where(DeliveryRow.channel == "waves-only", DeliveryRow.event_id.is_not(None))).all()
    _departures(engine, "Acme", 0, chans, 2, start=10)
    _departures(engine, "Acme", 0, chans, 2, start=20)
    assert wave_deliveries(engine) == [("waves-only", "new"), ("waves-only", "update")]
    [w] = list_waves(engine)
    assert w["size"] == 8 and w["open"]


def test_backfilled_old_wave_is_recorded_not_alerted(engine):
    chans = [ChannelConfig(name="waves", urls=["json://x/w"])]
    _departures(engine, "Oldco", 200, chans, 5)
    with Session(engine) as s:
        [row] = s.exec(select(WaveRow)).all()
    assert row.closed and not row.alerted
    assert wave_deliveries(engine) == []


def test_orgs_list_and_merge(db_url):
    from monitor.db.store import open_engine

    engine = open_engine(db_url)
    ingest(engine, Article(title="a", text="1", url="https://o.test/1"), [Departure(person="Ann Able", org="DeepMind", confidence=0.9)])
    ingest(engine, Article(title="b", text="2", url="https://o.test/2"), [Departure(person="Ben Baker", org="DeepMind Technologies", confidence=0.9)])
    runner = CliRunner()
    rows = json.loads(runner.invoke(app, ["--db", db_url, "orgs", "--format", "json"]).output)
    assert {r["name"] for r in rows} == {"Google DeepMind", "DeepMind Technologies"}
    res = runner.invoke(app, ["--db", db_url, "orgs", "merge", "Google DeepMind", "DeepMind Technologies"])
    assert res.exit_code == 0 and "1 departures moved" in res.output
    rows = json.loads(runner.invoke(app, ["--db", db_url, "orgs", "--format", "json"]).output)
    assert len(rows) == 1 and rows[0]["departures"] == 2 and "DeepMind Technologies" in rows[0]["aliases"]
    # a later article naming the merged spelling joins the kept organisation
    ingest(engine, Article(title="c", text="3", url="https://o.test/3"), [Departure(person="Cat Cole", org="DeepMind Technologies", confidence=0.9)])
    events = json.loads(runner.invoke(app, ["--db", db_url, "events", "--org", "DeepMind", "-f", "json"]).output)
    assert sorted(e["person"] for e in events) == ["Ann Able", "Ben Baker", "Cat Cole"]
    assert runner.invoke(app, ["--db", db_url, "orgs", "merge", "Google DeepMind", "Nope Inc"]).exit_code == 2


def test_wave_alert_message_lists_people_roles_sources(engine, http_endpoint):
    from monitor.alerts.sender import send_due
    from tests.conftest import json_bodies

    host, rec = http_endpoint
    chans = [ChannelConfig(name="big-news", urls=[f"json://{host}/w"], waves="only")]
    _departures(engine, "Acme", 1, chans, 4)
    res = send_due(engine, chans)
    assert res.sent == 1, res.errors
    [msg] = json_bodies(rec)
    assert msg["title"].startswith("Wave: Acme: 4 departures in")
    for i in range(4):
        assert f"Exec{i:02d} Person (vice president)" in msg["message"]
        assert f"https://w.test/Acme/{i}" in msg["message"]
