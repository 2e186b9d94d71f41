"""Mentions of one person without an organisation join one event, even when the person already
has events at two organisations (before, each such mention made an event of its own: a feed
farm that prefixed its titles showed it as the same alert twice)."""
from __future__ import annotations

from sqlmodel import Session, select

from monitor.db.models import EventRow
from monitor.db.store import ingest
from monitor.records import Article, Departure


def test_mentions_without_an_organisation_make_one_event(engine):
    def add(n: int, org: str | None) -> None:
        ingest(engine, Article(title=f"story {n}", text="", url=f"https://news.test/{n}"),
               [Departure(person="王思聪", org=org, kind="left")])

    add(1, "F250")
    add(2, "F251")
    add(3, None)
    add(4, None)
    with Session(engine) as s:
        rows = s.exec(select(EventRow).order_by(EventRow.id)).all()
    assert [(r.person, r.org) for r in rows] == [("王思聪", "F250"), ("王思聪", "F251"), ("王思聪", None)]
