"""Per-host limits users set (watchers.yaml `hosts:`): hundreds of feeds from one RSSHub instance
or feed proxy are polled with the concurrency the user allows that host, others keep the polite
default (2 at once), and `min_interval` spaces a host's requests. Checked on a loopback server that
records how many requests it had at once, through the Fetcher and through `monitor run --once`."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from monitor.config import ConfigError, load_config
from monitor.sources.http import Fetcher, HostPools
from monitor.workers import AnalysisPool, _share
from tests.conftest import ROOT

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"


class Busy:
    """A loopback feed server that answers after `delay` s and records the most requests it had
    in hand at once, and when each started. With `hold`, a request is answered only once `hold`
    are in hand (or after 3 s): a busy machine then cannot make the client look stricter than
    it is."""

    def __init__(self, delay: float = 0.3, hold: int = 0, together: Busy | None = None):
        """`together`: also count this server's requests in that one's `total_most` (several
        publishers' servers, one count of the requests they had at once in all)."""
        self.now = self.most = self.total_now = self.total_most = 0
        self.hold = hold
        self.starts: list[float] = []
        self.lock, busy, whole = threading.Lock(), self, together or self
        lock = self.lock

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                with lock:
                    busy.now += 1
                    busy.most = max(busy.most, busy.now)
                    busy.starts.append(time.monotonic())
                with whole.lock:
                    whole.total_now += 1
                    whole.total_most = max(whole.total_most, whole.total_now)
                time.sleep(delay)
                for _ in range(300):
                    if busy.now >= busy.hold:
                        break
                    time.sleep(0.01)
                with lock:
                    busy.now -= 1
                with whole.lock:
                    whole.total_now -= 1
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(FEED)))
                self.end_headers()
                self.wfile.write(FEED)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def busy():
    b = Busy()
    yield b
    b.close()


def _fetch_all(busy: Busy, n: int, **kw) -> list[float]:
    """Fetch n feeds from `busy` at once; the times the client sent each request (monotonic)."""
    sent: list[float] = []

    async def go():
        async with Fetcher(**kw) as f:
            async def note(request):
                sent.append(time.monotonic())
            f.client.event_hooks["request"].append(note)
            res = await asyncio.gather(*(f.fetch(f"http://{busy.host}/feed/{i}") for i in range(n)))
        assert all(r.status == 200 for r in res), [r.error for r in res]
    asyncio.run(go())
    return sent


def test_the_default_is_two_at_once_per_host(busy):
    _fetch_all(busy, 12)
    assert busy.most == 2


def test_a_host_with_its_own_concurrency(busy):
    busy.hold = 8
    _fetch_all(busy, 16, hosts={busy.host: {"concurrency": 8}})
    assert busy.most == 8


def test_min_interval_spaces_the_starts(busy):
    """The requests leave the client 0.25 s apart (when they reach the server also depends on
    the loopback's connects: in one CI run two arrived together after a 1 s stall)."""
    sent = _fetch_all(busy, 5, hosts={busy.host: {"concurrency": 4, "min_interval": 0.25}})
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert len(busy.starts) == 5 and len(gaps) == 4 and min(gaps) >= 0.24, gaps


def test_workers_share_a_hosts_limit():
    settings = Fetcher(per_host=2, hosts={"feeds.example.org": {"concurrency": 8, "min_interval": 0.5}}).settings
    share = _share(settings, 2)
    assert share["hosts"]["feeds.example.org"] == {"concurrency": 4, "min_interval": 1.0}  # 2 x 4 at once, 2/s in all
    pool = AnalysisPool(2, fetch=settings)
    pool._workers = [object(), object()]
    assert len(pool._for_host("https://feeds.example.org/a")) == 2  # both serve it
    assert len(pool._for_host("https://other.example.org/a")) == 2  # the default 2: one each


def test_hosts_are_validated_with_the_line(tmp_path):
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("hosts:\n  rsshub.example.org: {concurrency: 8}\n  https://bad.example/x: {concurrency: 2}\n")
    with pytest.raises(ConfigError, match=r"yaml:2: hosts:.*not a host name"):
        load_config(cfg)
    cfg.write_text("hosts:\n  RSSHub.example.org: {concurrency: 0}\n")
    with pytest.raises(ConfigError, match="concurrency"):
        load_config(cfg)
    cfg.write_text("hosts:\n  RSSHub.example.org: {concurrency: 8, min_interval: 0.5}\n")
    assert load_config(cfg).host_limits() == {"rsshub.example.org": {"concurrency": 8, "min_interval": 0.5}}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_run_once_polls_one_host_with_the_limit_set_for_it(busy, tmp_path, workers):
    busy.hold = 6
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text(f"hosts:\n  '{busy.host}': {{concurrency: 6}}\nwatchers:\n"
                   + "".join(f"  - name: f{i}\n    url: http://{busy.host}/feed/{i}\n" for i in range(18)))
    out = subprocess.run([sys.executable, "-m", "monitor", "--db", f"sqlite:///{tmp_path / 'm.db'}", "--config", str(cfg),
                          "run", "--once", "--workers", workers], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "MONITOR_ALERT_URLS": ""})
    assert out.returncode == 0, out.stderr
    assert busy.most == 6, busy.most


def test_all_hosts_together_stay_under_max_connections():
    first = Busy(delay=0.3)
    servers = [first, Busy(delay=0.3, together=first), Busy(delay=0.3, together=first)]
    try:
        async def go():
            async with Fetcher(max_connections=3) as f:  # 3 hosts x 2 at once would be 6
                await asyncio.gather(*(f.fetch(f"http://{b.host}/feed/{i}") for b in servers for i in range(4)))
        asyncio.run(go())
        assert first.total_most == 3 and all(b.most >= 1 for b in servers)
    finally:
        for b in servers:
            b.close()


def test_a_pool_per_host_closed_once_idle_past_the_keep_alive_expiry():
    a, b = Busy(delay=0.01), Busy(delay=0.01)
    try:
        async def go():
            pools = HostPools(lambda host: 2, max_connections=10, keepalive_expiry=0.2)
            async with httpx.AsyncClient(transport=pools) as client:
                got = await asyncio.gather(*(client.get(f"http://{s.host}/f{i}") for s in (a, b) for i in range(3)))
                open_then = len(pools)
                await asyncio.sleep(0.3)
                await client.get(f"http://{a.host}/again")  # both pools idle past 0.2 s: closed, a's made anew
                return [r.status_code for r in got], open_then, len(pools)
        codes, open_then, open_after = asyncio.run(go())
        assert codes == [200] * 6 and open_then == 2 and open_after == 1
    finally:
        a.close()
        b.close()


def test_a_pool_closed_as_idle_is_never_one_a_request_is_using(monkeypatch):
    """Requests that start together after every pool went idle: the first one closes the idle
    pools (closing yields to the others), and none of the others may be handed a pool being
    closed (its connection would break off under it). Pools stand-in: each records whether it
    was closed while a request was in it."""
    import monitor.sources.http as http

    class Pool:
        def __init__(self, **kw):
            self.in_flight, self.closed_under_a_request = 0, False

        async def handle_async_request(self, request):
            self.in_flight += 1
            await asyncio.sleep(0.05)
            self.in_flight -= 1
            return httpx.Response(200, content=b"ok")

        async def aclose(self):
            await asyncio.sleep(0)  # closing sockets yields to other tasks
            self.closed_under_a_request |= self.in_flight > 0

    made: list[Pool] = []
    monkeypatch.setattr(http.httpx, "AsyncHTTPTransport", lambda **kw: made.append(Pool(**kw)) or made[-1])

    async def go():
        pools = HostPools(lambda host: 2, max_connections=20, keepalive_expiry=0.1)
        async with httpx.AsyncClient(transport=pools) as client:
            hosts = [f"http://h{i}.test/" for i in range(5)]
            await asyncio.gather(*(client.get(h) for h in hosts))
            await asyncio.sleep(0.25)  # every pool idle past the expiry
            got = await asyncio.gather(*(client.get(h) for h in hosts for _ in range(2)))
            return [r.status_code for r in got]
    assert asyncio.run(go()) == [200] * 10
    assert len(made) >= 10 and not any(p.closed_under_a_request for p in made)


def test_a_hosts_poll_goes_to_the_worker_whose_share_of_that_host_is_free():
    """Two workers, a host's default limit of 2 shared one each. Worker A holds a slow poll of
    host H, both hold slow polls of host O, so both are equally busy; a fast poll of H must go
    to B (its share of H is free), not wait 2 s behind A's slow one."""
    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            time.sleep(2.0 if "slow" in self.path else 0.0)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Slow) for _ in range(2)]
    for srv in servers:
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    h, o = (f"http://127.0.0.1:{srv.server_address[1]}" for srv in servers)
    from monitor.workers import PollJob

    async def go():
        async with AnalysisPool(2, fetch=Fetcher.defaults()) as pool:
            tasks = []
            for url in (f"{h}/slow", f"{o}/slow1", f"{o}/slow2", f"{o}/slow3"):
                tasks.append(asyncio.create_task(pool.poll(PollJob(url, url))))
                await asyncio.sleep(0.05)  # handed out in this order
            start = time.monotonic()
            fast = await pool.poll(PollJob("fast", f"{h}/fast"))
            took = time.monotonic() - start
            await asyncio.gather(*tasks)
            return fast.fetch.status, took
    try:
        status, took = asyncio.run(go())
        assert status == 200 and took < 1.5, took
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()
