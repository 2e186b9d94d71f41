"""R3: a departure known only by its role at an organisation ("Tesla's head of AI departs")
becomes an event without a person, is alerted like any other, and becomes the named event when
a later article names the person (same organisation and role, within the window)."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from monitor.alerts.templates import render_event
from monitor.db.models import DeliveryRow, EventRow
from monitor.db.store import ingest, list_events
from monitor.detect import classify
from monitor.records import Article, Departure


def route_all(_d, _a):
    return ["hook"]


def test_role_only_headline_is_detected_with_org_and_role():  # made-up headline
    is_dep, _, deps = classify(Article(title="某银行行长辞职", text=""))
    assert is_dep and deps[0].person is None and deps[0].role == "行长"


def test_role_only_event_alerts_then_merges_when_named(engine):
    role_only = Departure(person=None, org="Tesla", role="head of AI", kind="left", date=date(2026, 3, 2),
                          evidence="Tesla's head of AI departs", confidence=0.8)
    r1 = ingest(engine, Article(title="Tesla's head of AI departs", text="", url="https://news.test/1"),
                [role_only], route_all)
    assert len(r1.new_events) == 1
    [ev] = list_events(engine)
    assert ev["person"] is None and ev["org"] == "Tesla" and ev["role"] == "head of AI"
    title, body = render_event(ev, "text")
    assert "The head of AI" in title and "Tesla" in title

    # a second role-only report of the same exit is a mention, not a new event or alert
    r2 = ingest(engine, Article(title="Tesla AI chief leaves", text="", url="https://news.test/2"),
                [Departure(person=None, org="Tesla", role="head of AI", kind="left", date=date(2026, 3, 3))],
                route_all)
    assert r2.new_events == [] and r2.merged_mentions == 1

    named = Departure(person="Ashok Elluswamy", org="Tesla", role="head of AI", kind="left", date=date(2026, 3, 4),
                      evidence="Ashok Elluswamy, Tesla's head of AI, has left", confidence=0.9)
    r3 = ingest(engine, Article(title="Ashok Elluswamy leaves Tesla", text="", url="https://news.test/3"),
                [named], route_all)
    assert r3.new_events == []  # the role-only event is now named
    [ev] = list_events(engine)
    assert ev["person"] == "Ashok Elluswamy" and ev["mentions"] == 3
    assert [e["id"] for e in list_events(engine, person="Ashok Elluswamy")] == [ev["id"]]
    with Session(engine) as s:
        assert len(s.exec(select(DeliveryRow).where(DeliveryRow.kind != "update")).all()) == 1  # alerted once


def test_role_only_far_apart_or_another_role_stays_separate(engine):
    ingest(engine, Article(title="a", text="", url="https://news.test/a"),
           [Departure(person=None, org="Acme", role="CFO", kind="left", date=date(2026, 1, 1))], route_all)
    ingest(engine, Article(title="b", text="", url="https://news.test/b"),
           [Departure(person=None, org="Acme", role="CFO", kind="left", date=date(2026, 6, 1))], route_all)
    ingest(engine, Article(title="c", text="", url="https://news.test/c"),
           [Departure(person="Jane Roe", org="Acme", role="general counsel", kind="left", date=date(2026, 1, 2))],
           route_all)
    ingest(engine, Article(title="d", text="", url="https://news.test/d"),
           [Departure(person=None, org=None, role="CFO", kind="left")], route_all)  # no organisation: not stored
    with Session(engine) as s:
        rows = s.exec(select(EventRow).order_by(EventRow.id)).all()
    assert [(r.person, r.role) for r in rows] == [(None, "CFO"), (None, "CFO"), ("Jane Roe", "general counsel")]


def test_role_only_reports_of_an_old_article_merge(engine):
    """Articles of months ago (a backfill, or a feed's old items) whose text gives no date: each
    role-only report is dated by its article, and the same exit is one event, not one each."""
    from datetime import datetime, timedelta, timezone

    when = datetime.now(timezone.utc) - timedelta(days=100)
    for i in range(3):
        ingest(engine, Article(title=f"FIFA official says COO dismissal was 'final straw' ({i})", text="",
                               url=f"https://news.test/fifa{i}", published=when),
               [Departure(person=None, org="FIFA", role="COO", kind="fired")], route_all)
    [ev] = list_events(engine)
    assert ev["person"] is None and ev["mentions"] == 3
