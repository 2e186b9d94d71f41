"""Seen → alert, measured: how long after a feed gains a departure item does a webhook get the alert?

A loopback farm (bench/farm.py) serves N real feeds over 100 publisher addresses (127.0.0.1 …
127.0.0.100); `monitor run` runs as a process (SQLite in a temporary directory, the default worker
processes) with N watchers at a short interval and one channel, an Apprise `json://` URL to a tiny
HTTP server this script runs. The store is first filled by `monitor run --once` with no channel (the
feeds' own departures alert nobody), so the daemon starts from stored validators: its polls are
304s, as in steady state. Once the daemon has polled every feed, one warm-up item (Apprise loads with
the first message; not counted) and then K items, each a made-up departure with its own person and
organisation, are added to K different feeds (`POST /add/N` on the farm) at random gaps. Per item:

  change → alert   from the farm's feed gaining the item to the webhook receiving the alert
                   (includes the wait for the next poll: up to the interval, ±10 % jitter)
  poll → alert     from the farm serving the changed body (the poll that saw it) to the webhook
  poll → stored    from that poll to the event's delivery row being written (fetch, split, parse,
                   detect, store), and stored → alert (the sender woken, Apprise, the webhook)

Also reported: the polls the daemon made a second while the items were added (the interval's
nominal rate is N / interval), the load average before and after.

Usage: .venv/bin/python bench/alert_latency.py [--watchers 3000] [--items 60] [--interval 30]
                                               [--gap 1 3] [--workers W] [--hosts 100] [--seed 1]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import Request, urlopen

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from farm import feed_url  # noqa: E402

MONITOR = str(HERE.parent / ".venv" / "bin" / "monitor")
FIRST = "Alice Bruno Clara Dmitri Elena Felix Greta Hugo Ingrid Jonas Karin Lukas Marta Nils Olga Pavel Rosa Stefan Tilda Viktor".split()
LAST = ("Abernathy Bellweather Castellano Dunmore Ellingsen Fairbrook Galloway Hartigan Isherwood Jablonski Kettering "
        "Lindqvist Montague Northcott Oakhurst Pemberton Quarles Rutherford Sandoval Thorncroft").split()
ORG = ("Northwind Bluefin Copperleaf Driftwood Emberline Foxglove Granite Harborview Ironbark Juniper Kestrel Lanternfish "
       "Marigold Nightjar Oakmoss Pinecrest Quillon Redwater Silverline Tidewater").split()
KIND = "Analytics Robotics Capital Logistics Biotech Systems Holdings Networks Foods Energy".split()


def departure(k: int) -> tuple[str, str, str, str]:
    """The k-th made-up departure (k < 200): a person and an organisation of its own, so each is
    one event and one alert (and no wave: one departure per organisation)."""
    person, org = f"{FIRST[k % 20]} {LAST[(k // 20) % 20]}", f"{ORG[k % 20]} {KIND[(k // 20) % 10]}"
    return (person, org, f"{person} resigns as chief executive of {org}",
            f"{org} said on Tuesday that its chief executive {person} has resigned, effective immediately.")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Receiver:
    """The webhook: every POST's arrival time and JSON body."""

    def __init__(self):
        got = self.got = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                got.append((time.time(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def first_with(self, text: str) -> float | None:
        for t, body in list(self.got):
            try:
                d = json.loads(body)
            except ValueError:
                continue
            if text in d.get("title", "") or text in d.get("message", ""):
                return t
        return None


def post(url: str, data: dict | None = None) -> dict:
    req = Request(url, data=json.dumps(data or {}).encode(), method="POST", headers={"Content-Type": "application/json"})
    return json.loads(urlopen(req, timeout=30).read() or b"{}")


def hits(base: str) -> int:
    return sum(json.loads(urlopen(f"{base}/hits", timeout=30).read()).values())


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def stats(xs: list[float]) -> str:
    return f"p50 {pct(xs, .5):6.2f} s   p95 {pct(xs, .95):6.2f} s   max {max(xs):6.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watchers", type=int, default=3000)
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--interval", type=int, default=30, help="seconds between a watcher's polls")
    ap.add_argument("--gap", type=float, nargs=2, default=[1.0, 3.0], help="seconds between two added items (uniform)")
    ap.add_argument("--workers", type=int, default=None, help="monitor run --workers (default: one per core)")
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--port", type=int, default=18900)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    n, port, rng = a.watchers, a.port, random.Random(a.seed)
    assert a.items < 200
    base = f"http://127.0.0.1:{port}"
    farm = subprocess.Popen([sys.executable, str(HERE / "farm.py"), str(n), str(port), str(a.hosts)], stdout=subprocess.PIPE, text=True)
    assert farm.stdout.readline().strip() == "ready"
    rec = Receiver()
    daemon = None
    workers = [] if a.workers is None else ["--workers", str(a.workers)]
    env = {**os.environ, "MONITOR_ALERT_URLS": ""}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{tmp}/monitor.db"
            watchers = "watchers:\n" + "".join(
                f"  - name: f{i}\n    url: {feed_url(i, port, a.hosts)}\n    interval: {a.interval}s\n    follow: never\n"
                for i in range(n))  # follow: never: the farm's item links are not on loopback
            (Path(tmp) / "warm.yaml").write_text(watchers)
            cfg = Path(tmp) / "watchers.yaml"
            cfg.write_text(f"channels:\n  - name: hook\n    urls: ['json://127.0.0.1:{rec.port}/hook']\n" + watchers)
            t = time.time()
            print(f"warming the store: monitor run --once over {n:,} feeds (load {load()})", flush=True)
            subprocess.run([MONITOR, "--db", db, "--config", str(Path(tmp) / "warm.yaml"), "run", "--once", *workers],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
            print(f"  {time.time() - t:.0f} s", flush=True)
            with sqlite3.connect(f"{tmp}/monitor.db") as c:  # feeds polled every interval: not the farm's failing or
                rows = c.execute("SELECT name, consecutive_failures = 0, (julianday(next_check) - julianday(last_check)) "
                                 "* 86400 FROM watchers").fetchall()
            odd = set(range(5, n, 101)) | set(range(7, n, 103))  # the farm's slow (2 s) and failing (500) feeds
            ok = [int(name[1:]) for name, clean, wait in rows if clean and wait <= a.interval * 1.2 and int(name[1:]) not in odd]
            ttl = sum(1 for _, clean, wait in rows if clean and wait > a.interval * 1.2)
            print(f"  {len(ok):,} feeds polled every interval; {ttl} whose RSS <ttl> asks for longer (honoured; not "
                  f"targets); {n - len(ok) - ttl} slow or failing (on purpose, or unreadable)", flush=True)
            targets = rng.sample(ok, a.items + 1)

            log = Path(tmp) / "daemon.log"
            h0 = hits(base)
            daemon = subprocess.Popen([MONITOR, "--db", db, "--config", str(cfg), "run", "--summary", "30", *workers],
                                      env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
            t = time.time()
            while hits(base) - h0 < n and time.time() - t < 600:  # its first polls are spread over 30 s
                time.sleep(1)
            time.sleep(3)
            print(f"daemon up: {n:,} feeds polled once in {time.time() - t:.0f} s (load {load()})", flush=True)

            def add(k: int, feed: int) -> tuple[str, str, dict]:
                person, org, title, text = departure(k)
                return person, f"g{k}", post(f"{base}/add/{feed}", {"guid": f"g{k}", "title": title, "text": text})

            person, _, _ = add(199, targets[0])  # warm-up: Apprise loads with the first message
            t = time.time()
            while rec.first_with(person) is None and time.time() - t < a.interval * 3 + 60:
                time.sleep(0.2)
            print(f"warm-up alert after {time.time() - t:.1f} s", flush=True)

            urlopen(Request(f"{base}/reset", method="POST")).read()
            load0, t0 = load(), time.time()
            items = []
            for k, feed in enumerate(targets[1:]):
                items.append(add(k, feed))
                time.sleep(rng.uniform(*a.gap))
            polled = hits(base) / (time.time() - t0)
            nominal = (n - ttl) / a.interval
            deadline = time.time() + a.interval * 3 + 60
            while any(rec.first_with(p) is None for p, _, _ in items) and time.time() < deadline:
                time.sleep(0.5)
            load1 = load()
            added = json.loads(urlopen(f"{base}/added").read())
            with sqlite3.connect(f"{tmp}/monitor.db") as c:
                stored = {p: datetime.fromisoformat(ts).replace(tzinfo=timezone.utc).timestamp() for p, ts in c.execute(
                    "SELECT e.person, min(d.created_at) FROM deliveries d JOIN events e ON e.id = d.event_id GROUP BY e.person")}
            rows, missing = [], []
            for person, guid, _ in items:
                got, a_ = rec.first_with(person), added[guid]
                if got is None or a_["served_at"] is None or person not in stored:
                    with sqlite3.connect(f"{tmp}/monitor.db") as c:
                        row = c.execute("SELECT last_check, next_check, last_status, polls, last_error FROM watchers "
                                        "WHERE name = ?", (f"f{a_['feed']}",)).fetchone()
                    missing.append((person, guid, a_, got, stored.get(person), row))
                    continue
                rows.append((got - a_["added_at"], got - a_["served_at"], stored[person] - a_["served_at"], got - stored[person]))
            summaries = [line.split("monitor.daemon: ", 1)[1] for line in log.read_text().splitlines() if "last " in line and "polled" in line]
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(60)
        farm.terminate()
        farm.wait()
    print(f"\nN = {n:,} watchers every {a.interval} s (±10 %; nominal {nominal:.0f} polls/s without the <ttl> feeds, made "
          f"{polled:.0f}/s while the items were added); {len(rows)} of {a.items} items alerted; load {load0} -> {load1}")
    for name, col in (("change → alert", 0), ("poll → alert  ", 1), ("poll → stored ", 2), ("stored → alert", 3)):
        if rows:
            print(f"  {name}  {stats([r[col] for r in rows])}")
    for m in missing:
        print("  not alerted:", m)
    for s in summaries[-4:]:
        print("  daemon:", s)


if __name__ == "__main__":
    main()
