"""kind: sec-8k watchers against a loopback EDGAR stand-in: the list of new 8-K filings, their index
pages, main documents and exhibits, served from real filings saved in tests/data/sec/ (see its
README: accession numbers and sources), to events and alerts; EDGAR's rules (a declared
User-Agent, 10 requests a second); bad input bounded. The bad-input tests serve small made-up
pages in EDGAR's layout (no real filing is that broken)."""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ChannelConfig, Config, ConfigError, HostConfig, WatcherConfig, load_config
from monitor.daemon import poll_once
from monitor.db.store import list_events
from monitor.sources import sec
from tests.conftest import ROOT, SHARED, json_bodies

DATA = next((p for p in (ROOT / "tests" / "data" / "sec", SHARED / "sec-8k") if (p / "lists").is_dir()),
            ROOT / "tests" / "data" / "sec")
needs_filings = pytest.mark.skipif(not (DATA / "lists").is_dir(), reason=(
    "the saved EDGAR filings are not here (tests/data/sec/README.md says which, and where they come from)"))
AGENT = "Monitor Tests monitor-tests@example.org"
# ticker -> CIK, as EDGAR's company_tickers.json gives them
TICKERS = {"0": {"cik_str": 1326801, "ticker": "META", "title": "Meta Platforms, Inc."},
           "1": {"cik_str": 19617, "ticker": "JPM", "title": "JPMORGAN CHASE & CO"},
           "2": {"cik_str": 1045810, "ticker": "NVDA", "title": "NVIDIA CORP"}}
JPM, META, NVDA, ADBE, EXELON, BLK = ("0000019617-26-000241", "0001628280-25-058337", "0001045810-26-000024",
                                      "0000796343-23-000044", "0000950137-05-004969", "0001193125-23-048785")


class Edgar:
    """A loopback EDGAR: the list the test sets, the saved filings by path, and the test's own
    pages (`pages`: path -> bytes, or an HTTP status). Like EDGAR, it answers 403 to a client
    whose User-Agent gives no contact e-mail (`strict`)."""

    def __init__(self, root: Path = DATA):
        self.root, self.list, self.pages, self.strict = root, b"", {}, True
        self.requests: list[tuple[float, str, str]] = []  # (time, path, User-Agent)
        edgar = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body=b"", ctype="text/html"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                agent = self.headers.get("User-Agent", "")
                edgar.requests.append((time.monotonic(), path, agent))
                if edgar.strict and "@" not in agent:
                    return self.send(403, b"<h1>Your Request Originates from an Undeclared Automated Tool</h1>")
                page = edgar.pages.get(path)
                if callable(page):
                    return page(self)
                if isinstance(page, int):
                    return self.send(page, b"no")
                if page is not None:
                    return self.send(200, page)
                if path == "/cgi-bin/browse-edgar":
                    return self.send(200, edgar.list.replace(b"https://www.sec.gov", edgar.base.encode()),
                                     "application/atom+xml")
                if path == "/files/company_tickers.json":
                    return self.send(200, json.dumps(TICKERS).encode(), "application/json")
                file = edgar.root / path.lstrip("/")
                if path.startswith("/Archives/") and ".." not in path and file.is_file():
                    return self.send(200, file.read_bytes(), "text/plain" if path.endswith(".txt") else "text/html")
                return self.send(404, b"<h1>Not Found</h1>")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.base = f"http://{self.host}"
        self.url = self.base + "/cgi-bin/browse-edgar?action=getcurrent&type=8-K&count=100&output=atom"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def use(self, name: str) -> None:
        self.list = (self.root / "lists" / name).read_bytes()

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def edgar():
    e = Edgar()
    yield e
    e.close()


def config(edgar: Edgar, *watchers: WatcherConfig, channels=(), pause: float = 0.0) -> Config:
    return Config(channels=list(channels), sec_user_agent=AGENT,
                  watchers=list(watchers) or [WatcherConfig(name="edgar", kind="sec-8k", url=edgar.url)],
                  hosts={edgar.host: HostConfig(concurrency=2, min_interval=pause)})


# ------------------------------------------------------------------ EDGAR's rules
def test_a_sec_watcher_without_a_user_agent_is_refused_before_anything_runs(tmp_path, monkeypatch, db_url):
    monkeypatch.delenv("MONITOR_SEC_USER_AGENT", raising=False)
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("watchers:\n  - name: news\n    url: https://news.example/rss\n"
                   "  - name: edgar\n    kind: sec-8k\n    tickers: [TSLA]\n", "utf-8")
    with pytest.raises(ConfigError, match=r"watchers.yaml:4: .*edgar.*sec_user_agent.*MONITOR_SEC_USER_AGENT"):
        load_config(cfg)
    out = CliRunner().invoke(app, ["--db", db_url, "--config", str(cfg), "run", "--once"])
    assert out.exit_code == 2 and "sec_user_agent" in out.output
    cfg.write_text(cfg.read_text("utf-8") + "sec_user_agent: just a name\n", "utf-8")
    with pytest.raises(ConfigError, match=r"watchers.yaml:7: .*no contact e-mail"):  # the line of sec_user_agent
        load_config(cfg)
    monkeypatch.setenv("MONITOR_SEC_USER_AGENT", AGENT)
    cfg.write_text(cfg.read_text("utf-8").replace("sec_user_agent: just a name\n", ""), "utf-8")
    w = load_config(cfg).watchers[1]
    assert (w.user_agent, w.url) == (AGENT, "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K"
                                            "&count=100&output=atom")


def test_www_sec_gov_gets_ten_requests_a_second_unless_hosts_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_SEC_USER_AGENT", AGENT)
    cfg = tmp_path / "watchers.yaml"
    cfg.write_text("watchers:\n  - name: edgar\n    kind: sec-8k\n    ciks: ['0001318605']\n", "utf-8")
    config = load_config(cfg)
    assert config.host_limits() == {"www.sec.gov": {"concurrency": 2, "min_interval": 0.1}}
    assert config.watchers[0].ciks == ["1318605"]
    cfg.write_text(cfg.read_text("utf-8") + "hosts:\n  www.sec.gov: {concurrency: 1, min_interval: 0.5}\n", "utf-8")
    assert load_config(cfg).host_limits() == {"www.sec.gov": {"concurrency": 1, "min_interval": 0.5}}
    cfg.write_text("watchers:\n  - name: news\n    url: https://news.example/rss\n", "utf-8")
    assert load_config(cfg).host_limits() == {}  # no watcher on EDGAR: nothing added
    with pytest.raises(ValueError, match="kind: sec-8k only"):
        WatcherConfig(name="x", url="https://news.example/rss", ciks=["1"])


def test_edgar_answering_403_fails_that_watcher_with_what_to_set_and_the_others_go_on(engine, edgar):
    from tests.test_daemon import Farm, watcher  # a feed beside it

    farm = Farm()
    try:
        edgar.pages["/cgi-bin/browse-edgar"] = 403  # EDGAR turned us away
        cfg = config(edgar, WatcherConfig(name="edgar", kind="sec-8k", url=edgar.url), watcher(farm, "/feed", "news"))
        sec_out, feed_out = asyncio.run(poll_once(engine, cfg))
    finally:
        farm.close()
    assert sec_out.status == "failed" and "403" in sec_out.error and "sec_user_agent" in sec_out.error
    assert AGENT in sec_out.error and feed_out.status == "new"


# ------------------------------------------------------------------ real filings, end to end
@needs_filings
def test_real_filings_to_events_and_alerts_each_filing_read_once(engine, edgar, http_endpoint):
    host, rec = http_endpoint
    cfg = config(edgar, channels=[ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])], pause=0.1)
    edgar.use("getcurrent-8k-1.atom")  # JPM and Meta departures, NVIDIA pay, Adobe results, Exelon appointment
    [out] = asyncio.run(poll_once(engine, cfg, workers=1))  # read and analysed in a worker process
    assert (out.status, out.entries, out.candidates, out.new_events) == ("new", 5, 4, 2)
    events = {e["person"]: e for e in list_events(engine)}
    assert set(events) == {"Dina Powell McCormick", "Marianne Lake"}
    meta, jpm = events["Dina Powell McCormick"], events["Marianne Lake"]
    assert (meta["org"], meta["kind"], meta["announced_at"]) == ("Meta", "resigned", "2025-12-19")  # orgs.yaml's name
    assert "member of the Board" in meta["role"] and "effective immediately" in meta["evidence"]
    assert meta["sources"] == [f"{edgar.base}/Archives/edgar/data/1326801/000162828025058337/meta-20251219.htm"]
    assert (jpm["org"], jpm["kind"], jpm["announced_at"]) == ("JPMorgan Chase & Co", "retired", "2026-06-25")
    titles = [a["title"] for a in json_bodies(rec)]
    assert len(titles) == 2 and any("Dina Powell McCormick" in t and "Meta" in t for t in titles)
    assert any("Marianne Lake" in t and "JPMorgan" in t for t in titles)
    paths = edgar.paths()
    assert all(agent == AGENT for _, _, agent in edgar.requests)  # every request says who we are
    assert "/Archives/edgar/data/19617/000001961726000241/jpmcpressrelease06252026.htm" in paths  # exhibit 99.1
    assert not any("/796343/" in p for p in paths)  # Adobe's 8-K lists no Item 5.02: never read
    # Exelon's index page is not saved (404 here): its complete submission text file is read, an
    # appointment (Thomas J. Ridge elected a director) and no departure
    assert "/Archives/edgar/data/1109357/000095013705004969/0000950137-05-004969.txt" in paths
    starts = sorted(t for t, p, _ in edgar.requests)
    # the host's pause holds within a poll (arrivals jitter by a connection's set-up: their mean is 0.1 s)
    assert (starts[-1] - starts[0]) / (len(starts) - 1) >= 0.09 and len(starts) >= 8

    edgar.requests.clear()
    edgar.use("getcurrent-8k-2.atom")  # BlackRock added (its entry names no items); the rest already read
    [out] = asyncio.run(poll_once(engine, cfg))
    assert (out.status, out.entries, out.candidates, out.new_events) == ("new", 1, 1, 0)
    assert sorted(edgar.paths()) == sorted(["/cgi-bin/browse-edgar",
                                            "/Archives/edgar/data/1364742/000119312523048785/0001193125-23-048785-index.htm",
                                            "/Archives/edgar/data/1364742/000119312523048785/d435686d8k.htm"])
    edgar.requests.clear()
    [out] = asyncio.run(poll_once(engine, cfg))  # the same list again
    assert out.status == "unchanged" and edgar.paths() == ["/cgi-bin/browse-edgar"]
    assert len(list_events(engine)) == 2 and len(rec.requests) == 2


@needs_filings
def test_tickers_narrow_the_list_to_their_filers(engine, edgar):
    edgar.use("getcurrent-8k-1.atom")
    cfg = config(edgar, WatcherConfig(name="edgar", kind="sec-8k", url=edgar.url, tickers=["meta"]))
    [out] = asyncio.run(poll_once(engine, cfg))
    assert (out.entries, out.candidates, out.new_events) == (5, 1, 1)
    assert [e["person"] for e in list_events(engine)] == ["Dina Powell McCormick"]
    assert not any("/19617/" in p or "/1045810/" in p for p in edgar.paths())


@needs_filings
def test_the_real_list_of_all_forms_is_read_as_edgar_writes_it():
    data = (DATA / "lists" / "getcurrent-all-2025-12-12-start100.atom").read_bytes()
    entries = sec.parse_list(data, "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent")
    soda = next(e for e in entries if e.accession == "0001493152-25-027589")
    assert (soda.form, soda.company, soda.ciks, soda.items) == ("8-K", "JONES SODA CO.", {"1083522"},
                                                                 ["5.02", "8.01", "9.01"])
    assert soda.index_url.endswith("/1083522/000149315225027589/0001493152-25-027589-index.htm")
    assert sec.company_name(soda.company) == "Jones Soda Co."
    assert len({e.accession for e in entries}) == len(entries)  # an issuer and its reporting owner: one filing
    assert [e.company for e in entries if e.items and "5.02" in e.items][:3] == ["Velo3D, Inc.", "JONES SODA CO.",
                                                                           "Angel Studios, Inc."]


@needs_filings
def test_item_502_of_real_filings():
    def section(path):
        return sec.item_502(sec.filing_text((DATA / "Archives/edgar/data" / path).read_bytes()))
    meta = section("1326801/000162828025058337/meta-20251219.htm")
    assert meta.startswith("(b) On December 19, 2025, Dina Powell McCormick notified Meta") and "SIGNATURE" not in meta
    jpm = section("19617/000001961726000241/jpm-20260624.htm")
    assert "Marianne Lake" in jpm and "Item 9.01" not in jpm and "Exhibit 99.1" in jpm
    assert section("796343/000079634323000044/adbe-20230315.htm") is None  # results of operations: no 5.02
    sub = sec.parse_submission((DATA / "Archives/edgar/data/1109357/000095013705004969/0000950137-05-004969.txt")
                               .read_bytes(), "https://www.sec.gov/x/0000950137-05-004969.txt")
    assert sub.company == "EXELON CORP" and sub.items == ["5.02"]
    assert sec.item_502(sec.filing_text(sub.documents[0].data)).startswith("On April 26, 2005, the board of directors")


# ------------------------------------------------------------------ bad input (made-up pages in EDGAR's layout)
def _entry(acc: str, cik: int, name: str, items: list[str] | None) -> str:
    lines = "".join(f"\n&lt;br&gt;Item {i}: x" for i in items or [])
    return (f"<entry><title>8-K - {name} ({cik:010d}) (Filer)</title><link rel='alternate' type='text/html' "
            f"href='https://www.sec.gov/Archives/edgar/data/{cik}/{acc.replace('-', '')}/{acc}-index.htm'/>"
            f"<summary type='html'> &lt;b&gt;Filed:&lt;/b&gt; 2025-03-03 &lt;b&gt;AccNo:&lt;/b&gt; {acc}{lines}</summary>"
            f"<updated>2025-03-03T16:05:00-05:00</updated><category scheme='https://www.sec.gov/' label='form type' "
            f"term='8-K'/><id>urn:tag:sec.gov,2008:accession-number={acc}</id></entry>")


def _list(*entries: str) -> bytes:
    return ("<?xml version='1.0' encoding='ISO-8859-1' ?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>Latest Filings</title>{''.join(entries)}</feed>").encode()


def _index(name: str, docs: list[tuple[str, str]], items="Item 5.02: Departure of Directors") -> bytes:
    rows = "".join(f"<tr><td>{i + 1}</td><td>{t}</td><td><a href='{href}'>{href}</a></td><td>{t}</td><td>1</td></tr>"
                   for i, (t, href) in enumerate(docs))
    return (f"<html><body><div class='infoHead'>Items</div><div class='info'>{items}</div>"
            f"<table class='tableFile' summary='Document Format Files'><tr><th>Seq</th></tr>{rows}</table>"
            f"<span class='companyName'>{name} (Filer) <acronym>CIK</acronym>: 1</span></body></html>").encode()


def _doc(item_text: str) -> bytes:
    return (f"<html><body><p>FORM 8-K</p><p>Acme Widgets, Inc.</p><p>(Exact name of registrant as specified in its "
            f"charter)</p>{item_text}<p>SIGNATURES</p><p>Pursuant to the requirements ...</p></body></html>").encode()


def test_a_departure_told_in_the_exhibit_the_item_points_to(engine, edgar):
    a = "/Archives/edgar/data/1111/000111111125000001/"
    edgar.list = _list(_entry("0001111111-25-000001", 1111, "ACME WIDGETS INC", ["5.02", "9.01"]))
    edgar.pages.update({
        a + "0001111111-25-000001-index.htm": _index("ACME WIDGETS INC", [
            ("8-K", "/ix?doc=" + a + "acme-8k.htm"), ("EX-99.1", a + "ex99.htm"), ("EX-99.2", a + "ex992.htm"),
            ("EX-99.3", a + "ex993.htm"), ("GRAPHIC", a + "logo.jpg")]),
        a + "acme-8k.htm": _doc("<p>Item 5.02 Departure of Directors or Certain Officers.</p><p>The information in "
                                "the press release attached as Exhibit 99.1 is incorporated herein by reference.</p>"
                                "<p>Item 9.01 Financial Statements and Exhibits.</p>"),
        a + "ex99.htm": b"<html><body><p>Acme Widgets, Inc. announced today that John Smith will step down as Chief "
                        b"Executive Officer, effective March 31, 2025.</p></body></html>",
        a + "ex992.htm": b"<html><body><p>Quarterly dividend declared.</p></body></html>",
    })
    [out] = asyncio.run(poll_once(engine, config(edgar)))
    [ev] = list_events(engine)
    assert (ev["person"], ev["org"], ev["announced_at"]) == ("John Smith", "Acme Widgets, Inc", "2025-03-31")
    assert ev["sources"] == [edgar.base + a + "ex99.htm"]
    assert a + "ex993.htm" not in edgar.paths() and a + "logo.jpg" not in edgar.paths()  # a few exhibits at most


def test_bad_filings_are_bounded_and_logged_and_the_good_one_is_still_read(engine, edgar, caplog):
    def big(handler):  # 50 MB, no Content-Length: the Fetcher counts it and stops at its cap
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"<p>" + b"x" * (1 << 20) + b"</p>"
        try:
            for _ in range(50):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    def acc(n):
        return f"000222222225{n:06d}", f"0002222222-25-{n:06d}"
    entries, pages = [], {}
    for n, name in enumerate(["BIG DOC CORP", "NO MAIN DOC CORP", "NO SECTION CORP", "GOOD CORP"], 1):
        folder, accession = acc(n)
        base = f"/Archives/edgar/data/2222/{folder}/"
        entries.append(_entry(accession, 2222, name, ["5.02"]))
        pages[base + f"{accession}-index.htm"] = _index(name, [("8-K", base + "main.htm")] if n != 2 else
                                                        [("EX-99.1", base + "ex.htm")])
    b = "/Archives/edgar/data/2222/"
    pages[b + "000222222225000001/main.htm"] = big
    pages[b + "000222222225000003/main.htm"] = _doc("<p>Item 8.01 Other Events.</p><p>Nothing.</p>")
    pages[b + "000222222225000004/main.htm"] = _doc(
        "<p>Item 5.02 Departure of Directors or Certain Officers.</p><p>On March 1, 2025, Jane Roe resigned as "
        "Chief Financial Officer of Good Corp, effective immediately.</p>")
    edgar.list, edgar.pages = _list(*entries), pages
    with caplog.at_level(logging.WARNING, logger="monitor.sources.sec"):
        [out] = asyncio.run(poll_once(engine, config(edgar)))
    assert (out.status, out.entries, out.new_events) == ("new", 4, 1)
    assert [e["person"] for e in list_events(engine)] == ["Jane Roe"]
    log = caplog.text
    assert "0002222222-25-000001" in log and "too large" in log
    assert "0002222222-25-000002" in log and "lists no main document" in log
    assert "0002222222-25-000002.txt" in " ".join(edgar.paths())  # the complete submission text file, tried
    assert "0002222222-25-000003" in log and "no Item 5.02 section" in log
    edgar.requests.clear()
    [out] = asyncio.run(poll_once(engine, config(edgar)))  # given up for good: none of them is read again
    assert out.status == "unchanged" and edgar.paths() == ["/cgi-bin/browse-edgar"]


def test_a_filing_that_failed_for_now_is_read_on_the_next_poll(engine, edgar):
    a = "/Archives/edgar/data/3333/000333333325000001/"
    edgar.list = _list(_entry("0003333333-25-000001", 3333, "LATER CORP", ["5.02"]))
    edgar.pages[a + "0003333333-25-000001-index.htm"] = 503
    [out] = asyncio.run(poll_once(engine, config(edgar)))
    assert out.new_events == 0 and out.candidates == 0
    edgar.pages[a + "0003333333-25-000001-index.htm"] = _index("LATER CORP", [("8-K", a + "main.htm")])
    edgar.pages[a + "main.htm"] = _doc("<p>Item 5.02 Departure of Directors.</p><p>On March 2, 2025, Richard Roe "
                                       "retired as Chief Operating Officer of Later Corp.</p>")
    [out] = asyncio.run(poll_once(engine, config(edgar)))
    assert (out.candidates, out.new_events) == (1, 1)


def test_effective_dates_and_company_names():
    assert sec.effective_date("will terminate effective April 17, 2023 (the “Separation Date”)") == date(2023, 4, 17)
    assert sec.effective_date("effective as of the close of business on March 31, 2025") == date(2025, 3, 31)
    assert sec.effective_date("she will resign, effective immediately") is None
    assert sec.company_name("TESLA, INC. (0001318605) (Filer)") == "Tesla, Inc."
    assert sec.company_name("CHARTER COMMUNICATIONS, INC. /MO/") == "Charter Communications, Inc."
    assert sec.company_name("Meta Platforms, Inc.") == "Meta Platforms, Inc."
