"""The outbox crash test 100 times (tests/alerts/test_crash.py runs it 10 times): a sender
SIGKILLed at random while delivering 50 events, restarted until done. Prints kills, duplicate
messages (each one inside the documented window) and any lost event. After 40 kills a run ends
with one undisturbed restart (a slow machine may never finish between kills).

Usage: .venv/bin/python bench/crash_bench.py [RUNS]
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.alerts.test_crash import N_EVENTS, crash_run  # noqa: E402


def main(runs: int) -> None:
    received: list[dict] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append({"body": self.rfile.read(int(self.headers.get("Content-Length", 0)))})
            time.sleep(0.002)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rng = random.Random(1)
    kills = dups = lost = 0
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = crash_run(f"sqlite:///{tmp}/c{i}.db", f"json://127.0.0.1:{srv.server_address[1]}/h", received, rng)
            kills += out["kills"]
            dups += sum(out["duplicates"].values())
            lost += N_EVENTS - out["arrived"]
            if out["duplicates"]:
                print(f"run {i}: {out['kills']} kills, duplicated: {json.dumps(out['duplicates'])}")
    print(f"{runs} runs of {N_EVENTS} events: {kills} kills, {dups} duplicate messages "
          f"({dups / max(kills, 1):.2f} per kill; at most 1 is the documented window), {lost} lost, "
          f"{time.perf_counter() - t:.0f} s")
    srv.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
