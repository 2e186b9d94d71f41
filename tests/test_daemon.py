"""The polling daemon against a loopback feed server: conditional GET, Retry-After, backoff and
recovery, redirects, size caps, slow servers, encodings, and a new item between two polls giving
exactly one event and one alert."""
from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ChannelConfig, Config, WatcherConfig
from monitor import daemon
from monitor.daemon import StateWriter, poll, poll_once
from monitor.db.models import WatcherRow
from monitor.db.store import list_events
from monitor.sources.http import Fetcher, retry_after_seconds
from monitor.workers import AnalysisPool, PollJob, _share
from tests.conftest import ROOT, SHARED, json_bodies

QUIET = "<item><title>Quarterly results beat forecasts</title><link>https://feed.test/q</link><guid>q</guid></item>"
DEPARTURE = ("<item><title>Fund manager Mark Barnett leaves Invesco after investor concern</title>"
             "<link>https://feed.test/barnett</link><guid>barnett</guid>"
             "<pubDate>Tue, 10 Feb 2026 10:00:00 GMT</pubDate></item>")


def rss(*items: str) -> bytes:
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
            f"<link>https://feed.test/</link>{''.join(items)}</channel></rss>").encode()


class Farm:
    """A loopback feed server whose routes the test changes while it runs."""

    def __init__(self):
        self.items = [QUIET]
        self.hits: dict[str, list[dict]] = {}
        self.fail_left = 0
        self.extra: dict[str, bytes] = {}
        farm = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                farm.hits.setdefault(path, []).append(dict(self.headers))
                if path == "/feed":
                    body = rss(*farm.items)
                    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                    if self.headers.get("If-None-Match") == etag:
                        return self.send(304, headers={"ETag": etag})
                    return self.send(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})
                if path == "/flaky":
                    if farm.fail_left > 0:
                        farm.fail_left -= 1
                        return self.send(500, b"oops")
                    return self.send(200, rss(QUIET), {"Content-Type": "application/rss+xml"})
                if path == "/limited":
                    return self.send(429, b"slow down", {"Retry-After": "120"})
                if path == "/moved":
                    return self.send(301, headers={"Location": "/feed"})
                if path == "/big":
                    return self.send(200, b"x" * 300_000, {"Content-Type": "application/rss+xml"})
                if path == "/bomb":
                    bomb = gzip.compress(b"\0" * 5_000_000)
                    return self.send(200, bomb, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
                if path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    try:
                        for _ in range(20):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(1)
                    except OSError:
                        pass
                    return None
                if path == "/ttl":
                    return self.send(200, rss(QUIET).replace(b"<title>T</title>", b"<title>T</title><ttl>180</ttl>"),
                                     {"Content-Type": "application/rss+xml"})
                if path in farm.extra:
                    return self.send(200, farm.extra[path], {"Content-Type": "application/rss+xml"})
                return self.send(404, b"no")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def farm():
    f = Farm()
    yield f
    f.close()


def watcher(farm: Farm, path: str, name: str = "w", **kw) -> WatcherConfig:
    return WatcherConfig(name=name, url=farm.base + path, interval=kw.pop("interval", "10m"), **kw)


def state(engine, name="w") -> WatcherRow:
    with Session(engine) as s:
        return s.exec(select(WatcherRow).where(WatcherRow.name == name)).one()


def poll1(engine, w, fetcher=None, routes=None, **kw):
    async def go():
        async with (fetcher or Fetcher(**kw)) as f:
            return await poll(engine, f, w, routes, force=True)
    return asyncio.run(go())


def test_conditional_get_and_unchanged(engine, farm):
    w = watcher(farm, "/feed")
    first = poll1(engine, w)
    # one new item, without a departure word: counted, never parsed nor stored
    assert first.status == "new" and first.entries == 1 and (first.candidates, first.new_entries) == (0, 0)
    second = poll1(engine, w)
    assert second.status == "not-modified"
    assert farm.hits["/feed"][1].get("If-None-Match") == state(engine).etag
    assert state(engine).items_seen == 1 and state(engine).consecutive_failures == 0


def test_state_writer_groups_commits_answers_from_pending_and_retries_a_failed_write(engine, farm, monkeypatch):
    w = watcher(farm, "/feed")
    writes, fail = [], [1]

    def save(engine_, values):
        if fail[0]:
            fail[0] -= 1
            raise OSError("No space left on device")
        writes.append([v["name"] for v in values])
        real_save(engine_, values)
    real_save = daemon.save_watcher_states
    monkeypatch.setattr(daemon, "save_watcher_states", save)

    async def go():
        async with Fetcher() as f, StateWriter(engine, every=3600) as writer:
            first = await poll(engine, f, w, force=True, writer=writer)
            second = await poll(engine, f, w, force=True, writer=writer)  # before any write
            assert writer.pending["w"].polls == 2
            await writer.flush()  # the disk is full: logged, kept, retried
            assert writes == [] and "w" in writer.pending
        return first, second, writer
    first, second, writer = asyncio.run(go())
    assert (first.status, second.status) == ("new", "not-modified")  # the 2nd sent the pending ETag
    assert farm.hits["/feed"][1].get("If-None-Match") == state(engine).etag
    assert writes == [["w"]] and writer.pending == {}  # both polls, one write, on leaving the writer
    assert state(engine).polls == 2 and state(engine).items_seen == 1


def test_state_writer_leaving_mid_write_still_writes_what_came_after(engine, monkeypatch):
    real_save, writes = daemon.save_watcher_states, []

    def slow_save(engine_, values):
        time.sleep(0.3 if not writes else 0)  # the first write is still running when the writer is left
        writes.append([v["name"] for v in values])
        real_save(engine_, values)
    monkeypatch.setattr(daemon, "save_watcher_states", slow_save)

    async def go():
        async with StateWriter(engine, every=0.01) as writer:
            writer.put(WatcherRow(name="a", url="https://a.test/"))
            await asyncio.sleep(0.1)  # the loop is inside the first write
            writer.put(WatcherRow(name="b", url="https://b.test/"))
    asyncio.run(go())
    assert writes == [["a"], ["b"]] and state(engine, "b").url == "https://b.test/"


def test_new_item_between_polls_gives_one_event_and_one_alert(engine, farm, http_endpoint):
    host, rec = http_endpoint
    config = Config(channels=[ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])],
                    watchers=[watcher(farm, "/feed")])
    out = asyncio.run(poll_once(engine, config))
    assert out[0].new_events == 0 and rec.requests == []
    farm.items = [DEPARTURE, QUIET]
    out = asyncio.run(poll_once(engine, config, workers=1))  # parsed and detected in a worker process
    assert (out[0].status, out[0].new_entries, out[0].new_events) == ("new", 1, 1)
    assert out[0].entries == 1  # the item the last body held was dropped before parsing
    [alert] = json_bodies(rec)
    assert "Mark Barnett" in alert["title"] and "Invesco" in alert["title"]
    for _ in range(2):  # nothing new: no event, no alert, even if the body changes shape
        farm.items = [QUIET, DEPARTURE]
        out = asyncio.run(poll_once(engine, config))
        assert out[0].entries == 0
    assert len(rec.requests) == 1
    [ev] = list_events(engine)
    assert ev["person"] == "Mark Barnett" and ev["sources"] == ["https://feed.test/barnett"]


def test_retry_after_is_honoured(engine, farm):
    out = poll1(engine, watcher(farm, "/limited", interval="1m"))
    assert out.status == "failed" and "429" in out.error
    wait = state(engine).next_check.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
    assert wait >= timedelta(seconds=100)  # Retry-After 120 beats the 1m interval's backoff
    assert retry_after_seconds(format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)) > 50


def test_backoff_grows_then_recovers(engine, farm):
    farm.fail_left = 3
    w = watcher(farm, "/flaky", interval="1m")
    waits = []
    for _ in range(3):
        assert poll1(engine, w).status == "failed"
        st = state(engine)
        waits.append(st.next_check.replace(tzinfo=timezone.utc) - st.last_check.replace(tzinfo=timezone.utc))
    assert state(engine).consecutive_failures == 3 and "HTTP 500" in state(engine).last_error
    assert waits[0] < waits[1] < waits[2] <= timedelta(days=1, hours=3)
    assert poll1(engine, w).status == "new"
    st = state(engine)
    assert st.consecutive_failures == 0 and st.last_error is None and st.last_success is not None


def test_backoff_is_capped_never_disabled(engine, farm):
    farm.fail_left = 100
    w = watcher(farm, "/flaky", interval="6h")
    for _ in range(6):
        poll1(engine, w)
    st = state(engine)
    wait = st.next_check.replace(tzinfo=timezone.utc) - st.last_check.replace(tzinfo=timezone.utc)
    assert timedelta(hours=20) < wait <= timedelta(days=1, hours=3)


def test_redirect_is_followed(engine, farm):
    out = poll1(engine, watcher(farm, "/moved"))
    assert out.status == "new" and out.entries == 1
    assert len(farm.hits["/feed"]) == 1


@pytest.mark.parametrize("path,expected", [("/big", "too large"), ("/bomb", "too large")])
def test_size_cap_counts_decoded_bytes(engine, farm, path, expected):
    out = poll1(engine, watcher(farm, path), max_bytes=200_000)
    assert out.status == "failed" and expected in out.error


def test_slow_server_hits_the_total_deadline(engine, farm):
    t = time.monotonic()
    out = poll1(engine, watcher(farm, "/slow"), deadline=2.0, read_timeout=5.0)
    assert out.status == "failed" and "timed out" in out.error
    assert time.monotonic() - t < 6


@pytest.mark.skipif(not (SHARED / "corpus").exists(), reason="../shared/corpus not beside the checkout")
@pytest.mark.parametrize("name,tz", [("zh-qq-news-china-gb2312-2018.xml", "Asia/Shanghai"),
                                     ("zh-tw-ebao-news-big5-2005.xml", None),
                                     ("ru-oren-yandex-windows1251.xml", None)])
def test_encodings_over_http(engine, farm, name, tz):
    farm.extra["/enc"] = (SHARED / "corpus" / "real-feeds" / name).read_bytes()
    out = poll1(engine, watcher(farm, "/enc", timezone=tz))
    assert out.status == "new" and out.entries >= 5


def test_naive_feed_dates_get_the_watchers_zone(engine, farm):
    from monitor.db.models import ArticleRow

    farm.extra["/naive"] = rss("<item><title>内政部长张三日前正式请辞</title><guid>n1</guid>"
                               "<pubDate>2025年06月03日 10:00</pubDate></item>")
    poll1(engine, watcher(farm, "/naive", timezone="Asia/Shanghai"))
    with Session(engine) as s:
        [art] = s.exec(select(ArticleRow)).all()
    assert art.published.replace(tzinfo=timezone.utc) == datetime(2025, 6, 3, 2, 0, tzinfo=timezone.utc)


def test_run_once_cli_and_status(tmp_path, farm, db_url):
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"watchers:\n  - name: good\n    url: {farm.base}/feed\n  - name: gone\n    url: {farm.base}/nothing\n")
    farm.items = [DEPARTURE]
    runner = CliRunner()
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "run", "--once"])
    assert res.exit_code == 0, res.output
    assert "good: new 1 new items, 1 read, 1 new events" in res.output and "gone: failed HTTP 404" in res.output
    assert "watchers: 2   changed: 1   unchanged: 0   failed: 1   new items: 1   candidates: 1   new events: 1" in res.output
    gone = tmp_path / "gone.yaml"  # every watcher failed: cron and health checks see a non-zero exit
    gone.write_text(f"watchers:\n  - name: dead1\n    url: {farm.base}/nothing\n  - name: dead2\n    url: {farm.base}/nope\n")
    dead = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'dead.db'}", "--config", str(gone), "run", "--once"])
    assert dead.exit_code == 1 and "every watcher failed (2)" in dead.output, dead.output
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "watchers", "status", "--format", "json"])
    import json

    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["good"]["last_success"] and rows["good"]["items_seen"] == 1
    assert rows["gone"]["consecutive_failures"] == 1 and rows["gone"]["last_error"] == "HTTP 404"
    from fastapi.testclient import TestClient

    from monitor.db.store import open_engine
    from monitor.web.app import create_app

    metrics = TestClient(create_app(open_engine(db_url))).get("/metrics").text
    assert 'monitor_fetches_total{status="200"} 1' in metrics and 'monitor_fetches_total{status="404"} 1' in metrics
    assert "monitor_fetch_latency_seconds_count 2" in metrics and "monitor_entries_parsed_total 1" in metrics


def test_opml_import(tmp_path):
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("# my feeds\nwatchers:\n  - name: tc\n    url: https://techcrunch.com/feed/\n")
    opml = tmp_path / "subs.opml"
    opml.write_text("""<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="Tech"><outline text="TechCrunch" xmlUrl="https://techcrunch.com/feed/"/>
        <outline text="The Verge: AI" xmlUrl="https://www.theverge.com/rss/ai/index.xml"/></outline>
      <outline text="36氪" xmlUrl="https://36kr.com/feed"/><outline text="no url"/></body></opml>""")
    res = CliRunner().invoke(app, ["--config", str(cfg), "watchers", "import", str(opml), "--interval", "1h"])
    assert res.exit_code == 0, res.output
    assert "2 watchers added" in res.output and "1 already watched" in res.output
    from monitor.config import load_config

    c = load_config(cfg)
    assert [w.name for w in c.watchers] == ["tc", "the-verge-ai", "36氪"]
    assert cfg.read_text().startswith("# my feeds") and c.watchers[1].interval == "1h"
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><opml><body>&b;</body></opml>')
    res = CliRunner().invoke(app, ["--config", str(cfg), "watchers", "import", str(bomb)])
    assert res.exit_code == 2 and "not a readable OPML" in res.output


def test_daemon_polls_and_stops_cleanly_on_sigterm(tmp_path, farm, db_url):
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"watchers:\n  - name: w\n    url: {farm.base}/feed\n    interval: 4s\n")
    farm.items = [DEPARTURE]
    env = {**os.environ, "MONITOR_ALERT_URLS": ""}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--db", db_url, "--config", str(cfg), "run"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not farm.hits.get("/feed"):
            time.sleep(0.2)
        assert farm.hits.get("/feed"), "the daemon never polled"
        time.sleep(1.5)  # let the poll's rows land
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    from monitor.db.store import open_engine

    events = list_events(open_engine(db_url))
    assert [e["person"] for e in events] == ["Mark Barnett"]
    assert "Traceback" not in out


def test_daemon_reloads_watchers_on_change_and_sighup(tmp_path, farm, db_url):
    farm.extra.update({"/a": rss(QUIET), "/b": rss(QUIET), "/c": rss(QUIET)})
    cfg = tmp_path / "watchers.yaml"

    def write(names: list[str], keep_mtime: float | None = None) -> None:
        cfg.write_text("watchers:\n" + "".join(f"  - name: {n}\n    url: {farm.base}/{n}\n    interval: 3s\n" for n in names))
        if keep_mtime is not None:  # the same mtime: only SIGHUP can tell the daemon
            os.utime(cfg, (keep_mtime, keep_mtime))

    def polled(path: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if farm.hits.get(path):
                return True
            time.sleep(0.2)
        return False

    write(["a"])
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--db", db_url, "--config", str(cfg), "run"],
                            cwd=ROOT, env={**os.environ, "MONITOR_ALERT_URLS": ""},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert polled("/a")
        write(["a", "b"])  # a changed file is picked up
        assert polled("/b")
        cfg.write_text("watchers: [\n")  # a broken edit: logged, the watchers keep running
        time.sleep(6)  # longer than the 5 s reload check: the daemon has tried to read it
        farm.hits.pop("/a", None)
        assert polled("/a")
        write(["a", "b"])
        mtime = cfg.stat().st_mtime
        time.sleep(6)  # the daemon has read this version
        write(["a", "b", "c"], keep_mtime=mtime)
        time.sleep(6)
        assert not farm.hits.get("/c")  # same mtime: not noticed…
        proc.send_signal(signal.SIGHUP)
        assert polled("/c")  # …until SIGHUP
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "watchers.yaml not reloaded" in out and "Traceback" not in out


@pytest.mark.parametrize("workers", [0, 1])
def test_rss_ttl_is_a_floor_wherever_the_feed_is_fetched(engine, farm, workers):
    config = Config(watchers=[watcher(farm, "/ttl", interval="10m")])
    [out] = asyncio.run(poll_once(engine, config, workers=workers))
    st = state(engine)
    assert out.status == "new"
    assert st.next_check.replace(tzinfo=timezone.utc) - st.last_check.replace(tzinfo=timezone.utc) >= timedelta(hours=3)


def test_polls_in_a_worker_process_send_validators_and_survive_the_workers_death(engine, farm):
    config = Config(watchers=[watcher(farm, "/feed")])
    first = asyncio.run(poll_once(engine, config, workers=1))
    second = asyncio.run(poll_once(engine, config, workers=1))
    assert (first[0].status, first[0].entries, second[0].status) == ("new", 1, "not-modified")
    assert farm.hits["/feed"][1].get("If-None-Match") == state(engine).etag  # sent by the worker

    async def go():
        async with AnalysisPool(1, fetch=Fetcher(read_timeout=30).settings) as pool:
            slow = asyncio.create_task(pool.poll(PollJob("s", farm.base + "/slow")))
            while "/slow" not in farm.hits:  # the worker is inside the fetch
                await asyncio.sleep(0.05)
            os.kill(pool._workers[0].proc.pid, signal.SIGKILL)
            died = await asyncio.wait_for(slow, 10)
            after = await pool.poll(PollJob("w", farm.base + "/feed"))  # on the worker that replaced it
            return died, after
    died, after = asyncio.run(go())
    assert "died" in died.fetch.error and not died.fetch.ok
    assert after.fetch.status == 200 and after.result.entries == 1 and after.digest


def test_workers_split_the_fetchers_limits_so_a_host_sees_no_more_at_once():
    settings = Fetcher(per_host=2, max_connections=20).settings
    assert (_share(settings, 2)["per_host"], _share(settings, 2)["max_connections"]) == (1, 10)
    assert _share(settings, 4)["per_host"] == 1 and _share(settings, 1) == settings
    pool = AnalysisPool(4, fetch=settings)
    pool._workers = [object() for _ in range(4)]  # stand-ins: only which ones may serve a host counts
    hosts = [f"https://h{i}.test/feed" for i in range(20)]
    chosen = {h: pool._for_host(h) for h in hosts}
    assert all(len(set(map(id, ws))) == 2 for ws in chosen.values())  # 2 workers x 1 request = per_host
    assert pool._for_host("https://h3.test/other") == chosen["https://h3.test/feed"]  # by host, not URL
    assert len({id(w) for ws in chosen.values() for w in ws}) == 4  # hosts spread over all workers


def test_an_alert_goes_out_when_its_event_is_written_not_at_the_next_delivery_round(tmp_path, farm, db_url, http_endpoint):
    """The sender wakes when a poll writes new events: with the periodic round an hour away, the
    alert still reaches the webhook while the daemon runs (not only at its shutdown)."""
    from monitor.db.store import open_engine

    host, rec = http_endpoint
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"channels:\n  - name: hook\n    urls: ['json://{host}/hook']\n"
                   f"watchers:\n  - name: w\n    url: {farm.base}/feed\n    interval: 4s\n")
    farm.items = [DEPARTURE]
    d = daemon.Daemon(open_engine(db_url), str(cfg), deliver_every=3600)

    async def go() -> bool:
        runner = asyncio.create_task(d.run())
        for _ in range(600):  # 60 s at most
            if rec.requests:
                break
            await asyncio.sleep(0.1)
        arrived = bool(rec.requests)
        d.stopping.set()
        await runner
        return arrived

    assert asyncio.run(go()), "the alert waited for the delivery round"
    assert [b["title"] for b in json_bodies(rec)] == ["Departure: Mark Barnett left Invesco"]


def test_only_departure_articles_are_stored_and_every_read_item_is_marked_seen(engine, farm):
    """Of three new items: one without a departure word (never parsed), one with such a word that
    reports no departure (parsed, marked seen, not stored), one departure (stored, with its event)."""
    from monitor.db.models import ArticleRow, SeenEntryRow

    candidate = ("<item><title>Markets: investors left the room early as shares fell</title>"
                 "<link>https://feed.test/markets</link><guid>markets</guid></item>")
    farm.items = [QUIET, candidate, DEPARTURE]
    out = poll1(engine, watcher(farm, "/feed"))
    assert (out.entries, out.candidates, out.new_entries, out.new_events) == (3, 2, 2, 1)
    with Session(engine) as s:
        assert [a.title for a in s.exec(select(ArticleRow)).all()] == [
            "Fund manager Mark Barnett leaves Invesco after investor concern"]
        assert len(s.exec(select(SeenEntryRow)).all()) == 2
    assert (state(engine).items_seen, state(engine).candidates) == (3, 2)
    again = poll1(engine, watcher(farm, "/feed"))  # the same body: nothing read again
    assert again.status == "not-modified" and len(list_events(engine)) == 1
