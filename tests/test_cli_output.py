"""What the listing commands print: real CSV for every --format csv (the columns of the JSON),
and tables that keep dates and ids whole on an 80-column terminal."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A store with the seeds (14 events, one xAI wave) and a config with two watchers."""
    d = tmp_path_factory.mktemp("seeded")
    url = f"sqlite:///{d / 'monitor.db'}"
    cfg = d / "watchers.yaml"
    cfg.write_text("watchers:\n  - name: one\n    url: https://one.test/feed\n"
                   "  - name: two, with a comma\n    url: https://two.test/feed\n")
    res = runner.invoke(app, ["--db", url, "--config", str(cfg), "backfill", str(SEEDS)])
    assert res.exit_code == 0, res.output
    return url, str(cfg)


def cli(seeded, *args, env=None):
    url, cfg = seeded
    res = runner.invoke(app, ["--db", url, "--config", cfg, *args], env=env)
    assert res.exit_code == 0, res.output
    return res.stdout


def assert_fits(table: str, width: int = 80) -> None:
    """Every table line within the width and whole: rich crops what does not fit, so a row that
    lost its right border lost a column. (Plain lines under a table, the last errors, are left
    to the terminal to wrap.)"""
    for line in table.splitlines():
        if line[:1] in "┏┃┡│└":
            assert cell_len(line) <= width, table
            assert line.rstrip()[-1] in "┓┃┩│┘", f"cut at the right edge:\n{table}"


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("command", [["waves"], ["orgs"], ["watchers", "status"]])
def test_csv_has_the_json_columns_and_one_row_per_record(seeded, command):
    records = json.loads(cli(seeded, *command, "--format", "json"))
    assert records, "the fixture should give every command something to list"
    text = cli(seeded, *command, "--format", "csv")
    assert "┃" not in text and "│" not in text  # not a table
    header, rows = csv_rows(text)
    assert header == list(records[0])
    assert len(rows) == len(records)
    for rec, row in zip(records, rows):
        for k, v in rec.items():
            if isinstance(v, str):
                assert row[k] == v
            elif v is None:
                assert row[k] == ""
            elif isinstance(v, bool):
                assert row[k] == str(v).lower()
            elif isinstance(v, (int, float)):
                assert float(row[k]) == v
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                assert row[k] == "; ".join(v)


def test_wave_csv_names_its_members(seeded):
    [wave] = json.loads(cli(seeded, "waves", "-f", "json"))
    [row] = csv_rows(cli(seeded, "waves", "-f", "csv"))[1]
    assert row["org"] == "xAI" and int(row["size"]) == wave["size"]
    assert row["members"].split("; ") == [m["person"] for m in wave["members"]]


def test_watcher_csv_quotes_a_comma(seeded):
    rows = csv_rows(cli(seeded, "watchers", "status", "-f", "csv"))[1]
    assert [r["name"] for r in rows] == ["one", "two, with a comma"]
    assert rows[0]["url"] == "https://one.test/feed" and rows[0]["consecutive_failures"] == "0"


def test_tables_keep_dates_and_ids_whole_at_80_columns(seeded):
    env = {"COLUMNS": "80"}
    events = json.loads(cli(seeded, "events", "-f", "json"))
    table = cli(seeded, "events", env=env)
    lines = table.splitlines()
    assert_fits(table)
    dates = {e["announced_at"][:10] for e in events if e["announced_at"]}
    assert dates
    for d in dates:
        assert d in table, f"{d} is split over lines:\n{table}"
    for e in events:  # every id whole, in the first column
        assert any(re.match(rf"│ *{e['id']} │", line) for line in lines), e["id"]

    [wave] = json.loads(cli(seeded, "waves", "-f", "json"))
    table = cli(seeded, "waves", env=env)
    assert_fits(table)
    for m in wave["members"]:
        assert (m["date"] or f"~{m['counted_on']}") in table


def test_long_values_wrap_but_dates_ids_and_kinds_stay_whole(engine, db_url):
    """Made-up events with long names, organisations, roles and spellings."""
    from datetime import date

    from monitor.db.store import ingest
    from monitor.records import Article, Departure

    for i, (person, org, role, kind) in enumerate([
        ("Bartholomew Featherstonehaugh-Cholmondeley", "Consolidated Amalgamated Widget Manufacturers International",
         "executive vice president of global strategic partnerships", "stepped_down"),
        ("Maximiliana Vandersteen", "Fakeco", "chief financial officer", "term_ended"),
        (None, "Example Biotechnology Laboratories Incorporated", "head of research", "retired"),
    ]):
        ingest(engine, Article(title=f"made-up {i}", text=f"made-up article {i}", url=f"https://made-up.test/{i}"),
               [Departure(person=person, org=org, role=role, kind=kind, date=date(2026, 2, 10 + i), confidence=0.9,
                          evidence="made up", aliases=[f"{person or 'X'} alias one", f"{person or 'X'} alias two"])])
    res = runner.invoke(app, ["--db", db_url, "events"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert_fits(res.stdout)
    for i, kind in enumerate(["stepped_down", "term_ended", "retired"]):
        assert f"2026-02-1{i}" in res.stdout and kind in res.stdout, res.stdout


def test_watcher_table_keeps_times_whole_and_lists_the_error_below(engine, db_url, tmp_path):
    from datetime import datetime, timezone

    from sqlmodel import Session

    from monitor.db.models import WatcherRow

    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("watchers:\n  - name: a-rather-long-watcher-name-for-a-feed\n    url: https://made-up.test/feed\n")
    when = datetime(2026, 2, 12, 9, 30, tzinfo=timezone.utc)
    with Session(engine) as s:
        s.add(WatcherRow(name="a-rather-long-watcher-name-for-a-feed", url="https://made-up.test/feed",
                         last_check=when, last_success=when, next_check=when, consecutive_failures=3,
                         last_error="ConnectError: All connection attempts failed " * 3, items_seen=12345))
        s.commit()
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "watchers", "status"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert_fits(res.stdout)
    assert res.stdout.count("2026-02-12 09:30") == 2 and "12345" in res.stdout, res.stdout
    assert "a-rather-long-watcher-name-for-a-feed: ConnectError: All connection attempts failed" in res.stdout


def test_alert_table_keeps_ids_and_times_whole(engine, db_url):
    from datetime import datetime, timezone

    from sqlmodel import Session

    from monitor.db.models import DeliveryRow
    from monitor.db.store import ingest
    from monitor.records import Article, Departure

    ingest(engine, Article(title="made-up", text="made-up article", url="https://made-up.test/1"),
           [Departure(person="Pat Example", org="Fakeco", kind="left", confidence=0.9, evidence="made up")])
    with Session(engine) as s:
        s.add(DeliveryRow(event_id=1, channel="slack-talent-moves-europe", status="pending", attempts=4,
                          next_attempt_at=datetime(2026, 2, 12, 9, 30, tzinfo=timezone.utc), last_error="HTTP 500 Internal Server Error " * 5))
        s.commit()
    res = runner.invoke(app, ["--db", db_url, "alerts", "status"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert_fits(res.stdout)
    assert "2026-02-12 09:30" in res.stdout, res.stdout
    assert "1 (slack-talent-moves-europe): HTTP 500 Internal Server Error HTTP 500" in res.stdout
    # one name for a delivery that failed and waits, as `alerts send` says it (it showed "pending")
    assert "retrying" in res.stdout and "pending" not in res.stdout.split("not sent")[0]
