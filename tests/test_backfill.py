"""`monitor backfill` end to end through the CLI: seeds -> events, exactly once; bad files listed."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli import app
from monitor.events.names import person_keys
from tests.conftest import SEEDS

runner = CliRunner()
XAI = ["Simon Zhai", "Yuhuai Wu", "Jimmy Ba", "杨恪", "Yifei Zhou", "Ayush Jaiswal", "Shayan Salehian",
       "Vahid Kazemi", "Hang Gao", "Roland Gavrilescu", "Chace Lee", "Andrew Ma", "Radhakrishnan Venkataramani"]


def run(db_url, *args, env=None):
    res = runner.invoke(app, ["--db", db_url, "--config", "/nonexistent/none.yaml", *args],
                        env={"MONITOR_CONFIG": "", **(env or {})}, catch_exceptions=False)
    return res


def events_json(db_url, *args):
    res = run(db_url, "events", "--format", "json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def matching(events, name):
    keys = person_keys(name)
    return [e for e in events if keys & set().union(*(person_keys(n) for n in [e["person"], *e["aliases"]]))]


def test_backfill_seeds_once(db_url):
    res = run(db_url, "backfill", str(SEEDS))
    assert res.exit_code == 0, res.output
    assert "new events: 14" in res.output
    events = events_json(db_url)
    assert len(events) == 14
    [raj] = matching(events, "Raj Jegannathan")
    assert raj["org"] == "Tesla"
    for name in XAI:
        [e] = matching(events, name)
        assert e["org"] == "xAI"
        assert set(e) >= {"id", "person", "aliases", "org", "role", "kind", "announced_at", "first_seen_at",
                          "mentions", "sources", "evidence"}
    for name in ["Simon Zhai", "Jimmy Ba", "Yuhuai Wu"]:
        [e] = matching(events, name)
        assert e["mentions"] == 2 and len(e["sources"]) == 2, e
    [wu] = matching(events, "吴宇怀")
    assert {"吴宇怀", "Yuhuai (Tony) Wu"} <= {wu["person"], *wu["aliases"]}
    for nobody in ["Elon Musk", "马斯克", "Hinton"]:
        assert not matching(events, nobody)

    again = run(db_url, "backfill", str(SEEDS))
    assert "new events: 0" in again.output and "already stored: 2" in again.output
    assert len(events_json(db_url)) == 14


def test_same_article_under_another_name_is_stored_once(db_url, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes((SEEDS / "000_933a80888b7179b2.txt").read_bytes())
    run(db_url, "backfill", str(SEEDS / "000_933a80888b7179b2.txt"))
    res = run(db_url, "backfill", str(copy))
    assert "already stored: 1" in res.output and "new events: 0" in res.output


def test_event_filters(db_url):
    run(db_url, "backfill", str(SEEDS))
    assert [e["person"] for e in events_json(db_url, "--org", "特斯拉")] == ["Raj Jegannathan"]
    assert len(events_json(db_url, "--org", "xAI")) == 13
    assert len(events_json(db_url, "--person", "Yuhuai Wu")) == 1
    assert events_json(db_url, "--since", "2999-01-01") == []
    csv_out = run(db_url, "events", "--format", "csv").output
    assert csv_out.splitlines()[0].startswith("id,person,aliases,org")
    assert len(csv_out.strip().splitlines()) == 15


def test_bad_files_are_skipped_with_reasons(db_url, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "latin1.txt").write_bytes("Café owner resigns\nJosé Müller resigned".encode("latin-1"))
    (d / "broken.rss").write_bytes(b"<rss><channel><item><title>unterminated")
    (d / "photo.png").write_bytes(b"\x89PNG")
    good = d / "good.txt"
    good.write_text("Fund manager Mark Barnett leaves Invesco after investor concern\n", "utf-8")
    unreadable = d / "secret.txt"
    unreadable.write_text("x")
    unreadable.chmod(0)
    res = run(db_url, "backfill", str(d), str(tmp_path / "missing-dir"))
    assert res.exit_code == 0
    out = res.output
    assert "Traceback" not in out
    assert "empty.txt: empty file" in out
    assert "binary.txt: binary data" in out
    assert "latin1.txt: not valid UTF-8" in out
    assert "broken.rss: not a" in out
    assert "photo.png: unsupported file type" in out
    assert "missing-dir: no such file or directory" in out
    import os
    if os.geteuid() != 0:  # root reads anything
        assert "secret.txt: unreadable" in out
    events = events_json(db_url)
    assert [e["person"] for e in events] == ["Mark Barnett"] and events[0]["org"] == "Invesco"


def test_bad_config_is_a_clear_error(db_url, tmp_path):
    cfg = tmp_path / "w.yaml"
    cfg.write_text("channels:\n  - name: mail\n    urls: []\n")
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "backfill", "--alert", str(SEEDS)])
    assert res.exit_code == 2
    assert f"{cfg}:3: channels[0].urls" in res.output


def test_classify_is_stateless_jsonl(tmp_path):
    lines = [
        {"id": "a", "title": "Fund manager Mark Barnett leaves Invesco after investor concern"},
        {"id": "b", "title": "Burberry to cut 500 jobs worldwide in £55m cost-saving drive"},
        {"id": "c", "title": "内政部长徐国勇日前正式请辞"},
    ]
    res = runner.invoke(app, ["--db", "sqlite:////nonexistent/dir/x.db", "classify"],
                        input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert res.exit_code == 0, res.output
    out = [json.loads(l) for l in res.output.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert [o["departure"] for o in out] == [True, False, True]
    d = out[0]["departures"][0]
    assert (d["person"], d["org"], d["role"].lower(), d["kind"]) == ("Mark Barnett", "Invesco", "fund manager", "left")
    assert "Mark Barnett leaves Invesco" in d["evidence"]
    assert isinstance(out[1]["score"], float) and out[1]["departures"] == []
    assert out[2]["departures"][0]["person"] == "徐国勇"


def test_piped_backfill_logs_progress_in_articles(tmp_path, db_url):
    """Without a terminal, a progress line every MONITOR_PROGRESS_SECONDS, counting articles
    within a file (one big JSONL is one file: counting files said 1/1 until the end)."""
    import os
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT

    big = tmp_path / "made-up.jsonl"  # made-up headlines, none of them real news
    with big.open("w") as f:
        for i in range(3000):
            title = (f"Made-up executive Pat Example leaves Fakeco Holdings (made-up item {i})" if i % 100 == 0
                     else f"Fakeco Holdings publishes made-up bulletin number {i}")
            f.write(json.dumps({"id": i, "title": title}) + "\n")
    small = tmp_path / "small.txt"
    small.write_text("Fund manager Mark Barnett leaves Invesco after investor concern\n")
    env = {**os.environ, "MONITOR_PROGRESS_SECONDS": "0", "MONITOR_ALERT_URLS": ""}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "monitor", "--db", db_url, "--config", str(tmp_path / "none.yaml"),
                           "backfill", str(big), str(small)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "articles: 3001" in proc.stdout
    lines = [l for l in proc.stderr.splitlines() if l.startswith("backfill: ")]
    assert len(lines) >= 3, proc.stderr
    counts = [int(re.match(r"backfill: ([\d,]+) articles", l).group(1).replace(",", "")) for l in lines]
    assert counts == sorted(counts) and any(0 < c < 3000 for c in counts)  # progress inside the one big file
    assert counts[-1] == 3001
    assert "file 1 of 2" in lines[0] and "file 2 of 2" in lines[-1]
    assert re.search(r"\d+ new events", lines[-1])
