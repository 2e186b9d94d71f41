"""What the listing commands print: real CSV for every --format csv (the columns of the JSON)."""
from __future__ import annotations

import csv
import io
import json

import pytest
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
