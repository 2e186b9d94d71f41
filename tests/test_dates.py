"""Departure dates: the day a sentence names is read against the article's date ("on Monday" in an
item dated 30 November), an item whose text names no day takes its own date, and events are sorted
and filtered by that departure date, not by when monitor first saw them. Sentences are made up."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from monitor.db.store import ingest, list_events
from monitor.detect import detect
from monitor.parse.dates import date_in_text
from monitor.records import Article, Departure

MON_30_NOV = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # a Monday


@pytest.mark.parametrize("text, lang, expected", [
    ("Acme said on Monday that its CFO had resigned", "en", date(2026, 11, 30)),
    ("The chairman quit yesterday", "en", date(2026, 11, 29)),
    ("She stepped down last Friday", "en", date(2026, 11, 27)),
    ("He will leave on March 3", "en", date(2026, 3, 3)),  # no year: the latest at or before the article
    ("He left on Dec 5, 2025", "en", date(2025, 12, 5)),
    ("张三昨日宣布辞职", "zh", date(2026, 11, 29)),
    ("李四周五宣布离职", "zh", date(2026, 11, 27)),
    ("王五1月底离职", "zh", date(2026, 1, 31)),
    ("赵六于11月25号卸任", "zh", date(2026, 11, 25)),
    ("The board met to discuss the plan", "en", None),
])
def test_the_day_a_sentence_names(text, lang, expected):
    assert date_in_text(text, lang, MON_30_NOV) == expected


def test_relative_days_mean_nothing_without_the_article_date():
    assert date_in_text("The chairman quit yesterday", "en", None) is None
    assert date_in_text("张三昨日宣布辞职", "zh", None) is None


def test_a_feed_item_dated_30_november_saying_on_monday(engine):
    a = Article(title="Globex CFO Jane Roe resigns", text="Globex said on Monday that Jane Roe had resigned.",
                url="https://news.test/1", published=MON_30_NOV)
    found = detect(a)
    assert found and found[0].date == date(2026, 11, 30)
    ingest(engine, a, found)
    b = Article(title="Initech chairman Bill Roe steps down", text="", url="https://news.test/2",
                published=datetime(2026, 10, 2, 23, 0, tzinfo=timezone.utc))
    ingest(engine, b, [Departure(person="Bill Roe", org="Initech", kind="resigned")])  # no day in the text
    rows = {e["person"]: e for e in list_events(engine)}
    assert rows["Jane Roe"]["announced_at"] == "2026-11-30"
    assert rows["Bill Roe"]["announced_at"] == "2026-10-02"  # the article's own date


def test_a_stated_day_beats_an_earlier_articles_date(engine):
    ingest(engine, Article(title="a", text="", url="https://news.test/a", published=MON_30_NOV),
           [Departure(person="Jane Roe", org="Globex", kind="resigned")])
    ingest(engine, Article(title="b", text="", url="https://news.test/b", published=MON_30_NOV + timedelta(days=1)),
           [Departure(person="Jane Roe", org="Globex", kind="resigned", date=date(2026, 11, 27))])
    ingest(engine, Article(title="c", text="", url="https://news.test/c", published=MON_30_NOV + timedelta(days=2)),
           [Departure(person="Jane Roe", org="Globex", kind="resigned", date=date(2026, 12, 1))])
    (ev,) = list_events(engine)
    assert ev["announced_at"] == "2026-11-27"  # the first stated day; later ones do not move it


def test_events_sort_and_filter_by_departure_date_not_first_seen(engine):
    for n, (name, day) in enumerate([("Jane Roe", date(2026, 1, 31)), ("Bill Lumbergh", date(2026, 2, 10)),
                                     ("Amy Pond", date(2025, 6, 1))]):  # seen in this order
        ingest(engine, Article(title=f"t{n}", text="", url=f"https://news.test/{n}"),
               [Departure(person=name, org="Globex", kind="left", date=day)])
    rows = list_events(engine)
    assert [r["departure_date"] for r in rows] == ["2026-02-10", "2026-01-31", "2025-06-01"]
    until = list_events(engine, until=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert [r["person"] for r in until] == ["Jane Roe", "Amy Pond"]  # left 31 January: kept
    since = list_events(engine, since=datetime(2026, 1, 31, tzinfo=timezone.utc))
    assert [r["person"] for r in since] == ["Bill Lumbergh", "Jane Roe"]


def test_search_treats_percent_and_underscore_as_letters(engine):
    ingest(engine, Article(title="t", text="", url="https://news.test/x"),
           [Departure(person="Jane Roe", org="Globex", kind="left", evidence="Jane Roe left Globex")])
    ingest(engine, Article(title="u", text="", url="https://news.test/y"),
           [Departure(person="Bill Roe", org="Initech", kind="left", evidence="Bill Roe left 100% of his roles")])
    assert list_events(engine, q="%") and [r["person"] for r in list_events(engine, q="%")] == ["Bill Roe"]
    assert list_events(engine, q="_") == []
    assert [r["person"] for r in list_events(engine, q="Jane")] == ["Jane Roe"]


def test_a_date_that_leaves_the_calendar_in_utc_is_no_date():
    from monitor.parse.dates import parse_date

    assert parse_date("0001-01-01T00:00:00+01:00") is None  # it raised OverflowError
    assert parse_date("2026-11-30T09:00:00+08:00") == datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, utc", [
    ("Seg, 24 Set 2018 19:22:00 -0300", datetime(2018, 9, 24, 22, 22)),  # a real pt-BR feed's (UOL)
    ("lun., 03 févr. 2025 10:00:00 +0100", datetime(2025, 2, 3, 9, 0)),
    ("Mo, 03 Mär 2025 10:00:00 +0100", datetime(2025, 3, 3, 9, 0)),
    ("mié, 25 dic 2024 10:00:00 -0500", datetime(2024, 12, 25, 15, 0)),
    ("do, 12 okt 2023 08:00 +0200", datetime(2023, 10, 12, 6, 0)),
])
def test_rfc822_in_the_feeds_language_without_dateparser(raw, utc):
    import sys

    from monitor.parse.dates import parse_date

    sys.modules.pop("dateparser", None)
    assert parse_date(raw) == utc.replace(tzinfo=timezone.utc)
    assert "dateparser" not in sys.modules  # 11 MB a polling process does not need for these


def test_events_until_on_the_seeds_keeps_the_31_january_exit(tmp_path):
    import json

    from typer.testing import CliRunner

    from monitor.cli import app
    from tests.conftest import ROOT

    db = ["--db", f"sqlite:///{tmp_path / 'm.db'}"]
    runner = CliRunner()
    assert runner.invoke(app, [*db, "backfill", str(ROOT / "seeds")]).exit_code == 0
    res = runner.invoke(app, [*db, "events", "--until", "2026-02-01", "-f", "json"])
    assert res.exit_code == 0, res.output
    assert [(e["person"], e["departure_date"]) for e in json.loads(res.output)] == [("杨恪", "2026-01-31")]
    rows = json.loads(runner.invoke(app, [*db, "events", "--since", "2026-02-01", "--until", "2026-02-13", "-f", "json"]).output)
    days = [e["departure_date"] for e in rows]
    assert days == sorted(days, reverse=True) and len(days) >= 9 and "杨恪" not in {e["person"] for e in rows}
