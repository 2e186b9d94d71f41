"""What `monitor run` logs without -v, the same on SQLite and PostgreSQL: a line for each new
event and a periodic summary, no library chatter (APScheduler's "Running job …" lines, ~25 a
minute before); with -v the libraries speak too."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.test_daemon import DEPARTURE, Farm


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def farm():
    f = Farm()
    yield f
    f.close()


def _run(db: str, cfg, log, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor", "--db", db, "--config", str(cfg), *extra, "run",
                             "--summary", "2"], cwd=ROOT, env={**os.environ, "MONITOR_ALERT_URLS": ""},
                            stdout=subprocess.DEVNULL, stderr=log)


def _until(path, pattern: str, timeout: float = 60) -> str:
    for _ in range(int(timeout / 0.2)):
        text = path.read_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} in the log:\n{path.read_text()[-3000:]}")


@pytest.mark.parametrize("verbose", [False, True])
def test_run_logs_events_and_summaries_not_library_chatter(any_db, farm, tmp_path, verbose):
    farm.items = [DEPARTURE]
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"watchers:\n  - name: w\n    url: {farm.base}/feed\n    interval: 3s\n")
    path = tmp_path / "stderr.log"
    with path.open("w") as log:
        proc = _run(any_db, cfg, log, *(["-v"] if verbose else []))
        try:
            _until(path, r"new event #\d+: Departure: Mark Barnett left Invesco \(2026-02-10, from w\)")
            _until(path, r"polled [1-9]\d* \(new content 1, unchanged \d+, failed 0\); 1 new entries, 1 candidates, 1 new events")
            time.sleep(4)  # a few more polls and scheduler runs
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = path.read_text()
    assert "Traceback" not in text
    chatter = [line for line in text.splitlines() if "apscheduler" in line or "Running job" in line or "httpx" in line]
    if verbose:
        assert chatter or "postgresql" in any_db  # PostgreSQL runs no APScheduler jobs
    else:
        assert not chatter, chatter[:5]
        assert len(text.splitlines()) < 20, text  # a handful of lines, not one per poll
