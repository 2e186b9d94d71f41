"""Mistakes a new user makes get one clear line and a non-zero exit, never a traceback or a
silent wrong answer: bad option values, a mistyped --db path, OPML imports, classify input."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from monitor.cli import app

runner = CliRunner()


def invoke(*args, env=None, input=None):
    return runner.invoke(app, list(args), env={"MONITOR_ALERT_URLS": "", **(env or {})}, input=input)


def no_traceback(res) -> None:
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)


# ------------------------------------------------------------------ run --role / --once
@pytest.fixture
def one_watcher(tmp_path):
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("watchers:\n  - name: w\n    url: http://127.0.0.1:9/feed\n")  # nothing listens on port 9
    return str(cfg)


def test_run_refuses_an_unknown_role(db_url, one_watcher):
    res = invoke("--db", db_url, "--config", one_watcher, "run", "--once", "--role", "bogus")
    assert res.exit_code == 2, res.output
    no_traceback(res)
    assert "bogus" in res.output and "worker" in res.output
    assert "watchers:" not in res.output  # nothing was polled


def test_worker_role_on_sqlite_is_refused_not_polled(db_url, one_watcher):
    for args in (["--once", "--role", "worker"], ["--role", "scheduler", "--once"]):
        res = invoke("--db", db_url, "--config", one_watcher, "run", *args)
        assert res.exit_code == 2, res.output
        no_traceback(res)
        assert "PostgreSQL" in res.output
        assert "watchers:" not in res.output and "w: failed" not in res.output


# ------------------------------------------------------------------ events --limit
@pytest.mark.parametrize("limit", ["0", "-1"])
def test_events_limit_must_be_at_least_one(engine, db_url, limit):
    res = invoke("--db", db_url, "events", "--limit", limit, "-f", "json")
    assert res.exit_code == 2, res.output
    assert "--limit" in res.output and "1" in res.output
    assert res.stdout == ""


# ------------------------------------------------------------------ a database that is not there
READ_ONLY = [["events"], ["db", "status"], ["waves"], ["orgs"], ["watchers", "status"], ["alerts", "status"],
             ["serve"], ["events", "-f", "json"], ["orgs", "merge", "A", "B"]]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_commands_refuse_a_missing_sqlite_database(tmp_path, command):
    import socket

    path = tmp_path / "tpyo" / "monitor.db"
    with socket.socket() as taken:  # `serve` must stop before binding; should it not, it fails to bind
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if command == ["serve"]:
            command = ["serve", "--port", str(taken.getsockname()[1])]
        res = invoke("--db", f"sqlite:///{path}", "--config", str(tmp_path / "none.yaml"), *command)
    assert res.exit_code != 0, res.output
    no_traceback(res)
    assert f"no database at {path}" in res.output
    assert not (tmp_path / "tpyo").exists()  # nothing was created


def test_read_only_command_on_the_default_path_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("events", env={"MONITOR_DB": None, "MONITOR_CONFIG": None})
    assert res.exit_code != 0, res.output
    assert "no database yet" in res.output and "store/monitor.db" in res.output
    assert "monitor backfill" in res.output
    assert not (tmp_path / "store").exists()


def test_writing_commands_still_create_the_database(tmp_path):
    path = tmp_path / "new" / "monitor.db"
    doc = tmp_path / "a.txt"
    doc.write_text("Fund manager Mark Barnett leaves Invesco after investor concern\n")
    res = invoke("--db", f"sqlite:///{path}", "--config", str(tmp_path / "none.yaml"), "backfill", str(doc))
    assert res.exit_code == 0, res.output
    assert path.exists()
    res = invoke("--db", f"sqlite:///{path}", "events", "-f", "json")
    assert res.exit_code == 0 and [e["person"] for e in json.loads(res.stdout)] == ["Mark Barnett"]


def test_in_memory_sqlite_is_not_a_missing_file():
    res = invoke("--db", "sqlite://", "events", "-f", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == []


# ------------------------------------------------------------------ watchers import
OPML = """<?xml version="1.0"?><opml version="2.0"><body>
  <outline text="Tech">
    <outline text="TechCrunch" xmlUrl="https://techcrunch.com/feed/"/>
    <outline text="Old FTP mirror" xmlUrl="ftp://files.example.com/feed.xml"/>
    <outline text="A bookmark" htmlUrl="https://example.com/"/>
  </outline>
  <outline text="TechCrunch again" xmlUrl="https://techcrunch.com/feed/"/>
  <outline text="Already here" xmlUrl="https://already.example.com/rss"/>
</body></opml>"""


def test_opml_import_with_a_bad_interval_is_one_clear_line(tmp_path):
    cfg, opml = tmp_path / "watchers.yaml", tmp_path / "subs.opml"
    opml.write_text(OPML)
    res = invoke("--config", str(cfg), "watchers", "import", str(opml), "--interval", "5minutes")
    assert res.exit_code == 2, res.output
    no_traceback(res)
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert "5minutes" in res.output and "15m" in res.output
    assert not cfg.exists()


def test_opml_import_lists_what_it_skipped_and_why(tmp_path):
    cfg, opml = tmp_path / "watchers.yaml", tmp_path / "subs.opml"
    cfg.write_text("watchers:\n  - name: here\n    url: https://already.example.com/rss\n")
    opml.write_text(OPML)
    res = invoke("--config", str(cfg), "watchers", "import", str(opml))
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "1 watchers added" in out
    assert "Old FTP mirror (ftp://files.example.com/feed.xml): not an http:// or https:// URL" in out
    assert "A bookmark: no xmlUrl" in out
    assert "TechCrunch again (https://techcrunch.com/feed/): the same feed as TechCrunch" in out
    assert "Already here (https://already.example.com/rss): already watched as here" in out
    assert "Tech:" not in out  # a folder is not a feed, nor something skipped


# ------------------------------------------------------------------ classify
def test_classify_answers_every_line_and_keeps_known_ids():
    lines = ['{"id": 2}', "", '{"id": "c", "title": "Fund manager Mark Barnett leaves Invesco"}', "   ",
             "not json", '[1, 2]']
    res = invoke("classify", input="\n".join(lines) + "\n")
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["id"] == 2 and out[0]["line"] == 1 and "neither title nor text" in out[0]["error"]
    assert out[1] == {"id": None, "line": 2, "error": "empty line"}
    assert out[2]["id"] == "c" and out[2]["departure"] is True
    assert out[3] == {"id": None, "line": 4, "error": "empty line"}
    assert out[4]["id"] is None and out[4]["line"] == 5 and out[4]["error"]
    assert out[5]["id"] is None and out[5]["error"] == "not a JSON object"


def test_classify_reads_headlines_given_as_arguments():
    res = invoke("classify", "Fund manager Mark Barnett leaves Invesco", "Invesco opens a new office in Leeds")
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["title"] for o in out] == ["Fund manager Mark Barnett leaves Invesco", "Invesco opens a new office in Leeds"]
    assert out[0]["departure"] is True and out[0]["departures"][0]["person"] == "Mark Barnett"
    assert out[1]["departure"] is False and out[1]["departures"] == []
    assert invoke("classify", "  ").exit_code == 2  # an empty headline is a usage error, not a verdict


@pytest.mark.parametrize("own, seen", [(None, "2"), ("4", "4")])
def test_the_cli_limits_malloc_arenas_for_itself_and_its_workers_unless_the_user_did(own, seen):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | ({"MALLOC_ARENA_MAX": own} if own else {})
    child = "import os; print(os.environ.get('MALLOC_ARENA_MAX'))"
    code = ("import subprocess, sys; from monitor.cli import few_malloc_arenas; few_malloc_arenas(); "
            f"print(subprocess.run([sys.executable, '-c', {child!r}], capture_output=True, text=True).stdout.strip())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == seen
