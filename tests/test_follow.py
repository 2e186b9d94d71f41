"""Reading the whole story (monitor.follow), end to end against a loopback site: a feed item whose
title has a departure word but whose people are only in the article is followed to its page and
the departures found there become events and alerts; robots.txt is honoured; a page watcher reads
its listing's new article links; and each kind of bad page (50 MB, a redirect loop, a login wall,
GBK without a charset, a listing of 5,000 links) is bounded, logged and read from the summary,
without costing the other watchers anything.

The pages: the seed articles' real text (seeds/) inside page markup written here, and real saved
pages (tests/data/pages/, with their provenance). Feed and listing markup is made up here."""
from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from monitor.config import ChannelConfig, Config, WatcherConfig
from monitor.daemon import poll_once
from monitor.db.models import SeenEntryRow, WatcherRow
from monitor.db.store import list_events, watcher_status
from monitor.follow import MAX_PER_POLL, MIN_PAGE_CHARS
from monitor.sources.http import Fetcher
from monitor.sources.robots import Robots
from tests.conftest import ROOT, SEEDS, json_bodies

PAGES = ROOT / "tests" / "data" / "pages"
ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n"


def seed(name: str) -> tuple[str, str]:
    """A seed article's (first line, the rest)."""
    lines = (SEEDS / name).read_text("utf-8").split("\n")
    return lines[0].strip(), "\n".join(lines[1:]).strip()


def article_page(title: str, body: str, *, canonical: str | None = None, date: str = "2026-02-13",
                 charset: str | None = "utf-8") -> str:
    """Page markup (made up here) around an article's real text, as a news site lays it out."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
    head = (f'<meta charset="{charset}">' if charset else "") + f"<title>{html.escape(title)} | Example News</title>"
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    head += f'<meta property="article:published_time" content="{date}T09:00:00Z">'
    nav = "".join(f'<li><a href="/{s}/">{s}</a></li>' for s in ("world", "business", "tech", "login"))
    return (f"<!doctype html><html><head>{head}</head><body><header><nav><ul>{nav}</ul></nav></header>"
            f"<main><article><h1>{html.escape(title)}</h1><time datetime='{date}'>{date}</time>{paras}</article></main>"
            f"<footer><p>© Example News. All rights reserved.</p></footer></body></html>")


LOGIN_WALL = ("<!doctype html><html><head><title>Sign in</title></head><body><form action='/session' method='post'>"
              "<label>Email <input name='email'></label><label>Password <input name='pw' type='password'></label>"
              "<button>Sign in</button></form></body></html>").encode()


class Site:
    """A loopback news site: routes the test sets (path -> bytes, or (status, headers, bytes)),
    robots.txt, a 50 MB page, a redirect loop; counts the hits of every path."""

    def __init__(self):
        self.routes: dict[str, object] = {"/robots.txt": (200, {"Content-Type": "text/plain"}, ROBOTS)}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.slow = True
        site = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = self.path.split("#")[0]
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                if path == "/huge":  # 50 MB of page, sent without a length: only the cap stops it
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
                    try:
                        self.wfile.write(b"<html><body>")
                        for _ in range(50 * 1024 * 1024 // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return None
                if path.startswith("/slow/") and site.slow:  # answers after 3 s
                    time.sleep(3)
                if path in ("/loop", "/loop2"):
                    return self.send(302, headers={"Location": "/loop2" if path == "/loop" else "/loop"})
                if path.startswith("/a/"):  # the 5,000-link listing's articles: any of them
                    n = path.rsplit("/", 1)[-1]
                    body = article_page(f"Story {n}", f"Story number {n} of the long listing. " * 20)
                    return self.send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})
                route = site.routes.get(path.split("?")[0])
                if route is None:
                    return self.send(404, b"not here")
                if isinstance(route, bytes):
                    route = (200, {"Content-Type": "text/html; charset=utf-8"}, route)
                code, headers, body = route
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if code == 200 and self.headers.get("If-None-Match") == etag:
                    return self.send(304, headers={"ETag": etag})
                return self.send(code, body, {**headers, "ETag": etag} if code == 200 else headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self, path: str, *items: tuple[str, str, str]) -> None:
        """An RSS feed at `path` of (title, summary, link path) items (made-up feed markup)."""
        xml = "".join(f"<item><title>{html.escape(t)}</title><description>{html.escape(s)}</description>"
                      f"<link>{self.base}{p}</link><guid>{html.escape(p)}</guid>"
                      f"<pubDate>Fri, 13 Feb 2026 08:00:00 GMT</pubDate></item>" for t, s, p in items)
        self.routes[path] = (200, {"Content-Type": "application/rss+xml"},
                             f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>News</title>"
                             f"<link>{self.base}/</link>{xml}</channel></rss>".encode())

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


EN_TITLE, EN_BODY = seed("001_711f6961cf9a6ed6.txt")
ZH_TITLE, ZH_BODY = seed("000_933a80888b7179b2.txt")
# the TechCrunch story's real headline and first sentence, as a feed gives them: no name in either
TC_TITLE = "Elon Musk suggests spate of xAI exits have been push, not pull"
TC_LEDE = ("At least nine engineers, including two co-founders, have announced their exits from xAI in the past "
           "week, fueling online speculation")


def run(engine, config: Config, **kw):
    return asyncio.run(poll_once(engine, config, **kw))


def row(engine, name: str) -> WatcherRow:
    with Session(engine) as s:
        return s.exec(select(WatcherRow).where(WatcherRow.name == name)).one()


def test_a_candidate_item_is_followed_to_its_article_and_the_people_in_its_body_become_events_and_alerts(
        engine, site, http_endpoint):
    host, rec = http_endpoint
    site.routes["/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY, canonical=f"{site.base}/tc/xai-exits").encode()
    # the Chinese article in GBK, declared nowhere (neither HTTP nor <meta>): charset-normalizer reads it
    site.routes["/2026/02/12/tesla-xai"] = (200, {"Content-Type": "text/html"},
                                            article_page(ZH_TITLE, ZH_BODY, charset=None).encode("gb18030"))
    site.feed("/feed", (TC_TITLE, TC_LEDE, "/2026/02/13/xai-exits"), (ZH_TITLE, "", "/2026/02/12/tesla-xai"),
              ("Quarterly results beat forecasts", "Revenue rose 4%.", "/2026/02/13/results"))
    config = Config(channels=[ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])],
                    watchers=[WatcherConfig(name="news", url=site.base + "/feed")])
    from monitor.analysis import analyse_articles
    from monitor.records import Article

    summary_only = analyse_articles([Article(title=TC_TITLE, text=TC_LEDE), Article(title=ZH_TITLE, text="")])
    assert [d.person for _, deps in summary_only for d in deps] == []  # nobody is named without the article

    [out] = run(engine, config, workers=1)  # fetched, followed and read in a worker process
    assert (out.status, out.followed, out.fallbacks) == ("new", 2, 0)
    assert site.hits.get("/2026/02/13/results") is None  # no departure trigger: not followed
    assert site.hits["/robots.txt"] == 1  # asked once for the host, then cached
    events = list_events(engine)
    names = {n for e in events for n in [e["person"], *e["aliases"]]}
    assert {"Shayan Salehian", "Vahid Kazemi", "Jimmy Ba", "拉杰·杰根纳坦", "吴宇怀"} <= names, names
    assert len(events) == 14  # the seeds' 14 departures, as `make run` finds them in the whole articles
    tc = next(e for e in list_events(engine) if e["person"] == "Shayan Salehian")
    assert tc["org"] == "xAI" and tc["sources"] == [f"{site.base}/tc/xai-exits"]  # the page's canonical URL
    alerts = json_bodies(rec)
    assert len(alerts) == 14 and any("Raj Jegannathan" in a["title"] for a in alerts)
    st = watcher_status(engine, config)[0]
    assert (st["followed"], st["follow_failures"], st["follow_error"]) == (2, 0, None)

    # the feed changes every item's bytes (a new summary): the items are new to the digests, but
    # their links were followed already: not fetched again, nothing stored or alerted twice
    site.feed("/feed", (TC_TITLE, TC_LEDE + " (updated)", "/2026/02/13/xai-exits"),
              (ZH_TITLE, "更新", "/2026/02/12/tesla-xai"))
    [out] = run(engine, config)
    assert out.status == "new" and out.followed == 0 and out.new_events == 0
    assert site.hits["/2026/02/13/xai-exits"] == 1 and site.hits["/2026/02/12/tesla-xai"] == 1
    assert len(json_bodies(rec)) == len(alerts)


def test_follow_never_reads_only_the_feed_and_always_follows_every_item(engine, site):
    site.routes["/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.routes["/2026/02/13/results"] = article_page("Results", "Revenue rose 4% in the quarter. " * 10).encode()
    site.feed("/feed", (TC_TITLE, TC_LEDE, "/2026/02/13/xai-exits"),
              ("Quarterly results beat forecasts", "Revenue rose 4%.", "/2026/02/13/results"))
    [out] = run(engine, Config(watchers=[WatcherConfig(name="n", url=site.base + "/feed", follow="never")]))
    assert out.followed == 0 and site.hits.get("/2026/02/13/xai-exits") is None and list_events(engine) == []
    [out] = run(engine, Config(watchers=[WatcherConfig(name="a", url=site.base + "/feed", follow="always")]))
    assert out.followed == 2 and site.hits["/2026/02/13/results"] == 1
    assert "Shayan Salehian" in {e["person"] for e in list_events(engine)}


def test_robots_txt_forbidding_a_page_leaves_the_summary_and_says_so(engine, site, caplog):
    site.routes["/private/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.feed("/feed", (TC_TITLE, TC_LEDE, "/private/2026/02/13/xai-exits"))
    config = Config(watchers=[WatcherConfig(name="news", url=site.base + "/feed")])
    with caplog.at_level(logging.WARNING, logger="monitor.sources.robots"):
        [out] = run(engine, config)
    assert site.hits.get("/private/2026/02/13/xai-exits") is None
    assert (out.status, out.followed, out.fallbacks) == ("new", 0, 1)
    assert any("robots.txt of 127.0.0.1" in r.getMessage() and "forbids /private/2026/02/13/xai-exits" in r.getMessage()
               for r in caplog.records)
    assert "robots.txt" in watcher_status(engine, config)[0]["follow_error"]
    with Session(engine) as s:  # the item was read (from its summary) and is marked seen
        assert len(s.exec(select(SeenEntryRow)).all()) == 1


def test_robots_rules_per_agent_and_unreadable_robots(site):
    async def go():
        async with Fetcher() as f:
            robots = Robots(f)
            ok = await robots.allowed(site.base + "/2026/a-story")
            no = await robots.allowed(site.base + "/private/x")
            site.routes["/robots.txt"] = (503, {}, b"busy")
            stale = await robots.allowed(site.base + "/private/x")  # cached: not asked again
            other = Robots(f)
            unreadable = await other.allowed(site.base + "/2026/a-story")
            return ok, no, stale, unreadable, robots.fetches
    ok, no, stale, unreadable, fetches = asyncio.run(go())
    assert ok == (True, "") and not no[0] and "forbids /private/x" in no[1] and not stale[0] and fetches == 1
    assert not unreadable[0] and "could not be read (HTTP 503)" in unreadable[1]  # RFC 9309: 5xx forbids for now
    site.routes.pop("/robots.txt")  # a 404: everything allowed

    async def missing():
        async with Fetcher() as f:
            return await Robots(f).allowed(site.base + "/private/x")
    assert asyncio.run(missing()) == (True, "")


def test_bad_pages_fall_back_to_the_summary_each_bounded_and_the_other_watchers_lose_nothing(engine, site, caplog):
    """A 50 MB page (the size cap), a redirect loop, a 403, a login wall (no main text), a page
    that is not HTML: each item is read from its summary, the failures are counted and the last
    one said; a good watcher polled beside them gets its events."""
    summary = "Jane Roe resigned as chief executive of Globex Corporation on Friday, the company said."  # made up
    site.routes["/403"] = (403, {"Content-Type": "text/html"}, b"<html><body>Subscribers only</body></html>")
    site.routes["/wall"] = LOGIN_WALL
    site.routes["/pdf"] = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 ...")
    bad = [(f"Globex chief executive resigns ({p})", summary, p) for p in ("/huge", "/loop", "/403", "/wall", "/pdf")]
    site.feed("/bad", *bad)
    site.routes["/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.feed("/good", (TC_TITLE, TC_LEDE, "/2026/02/13/xai-exits"))
    config = Config(watchers=[WatcherConfig(name="bad", url=site.base + "/bad"),
                              WatcherConfig(name="good", url=site.base + "/good")])
    t = time.monotonic()
    bad_out, good_out = run(engine, config, workers=1)
    assert time.monotonic() - t < 60
    assert (bad_out.status, bad_out.followed, bad_out.fallbacks) == ("new", 0, 5)
    assert good_out.followed == 1 and "Shayan Salehian" in {e["person"] for e in list_events(engine)}
    # the summaries were read: Jane Roe's departure is there, once, from five items
    [roe] = [e for e in list_events(engine) if e["person"] == "Jane Roe"]
    assert roe["org"].startswith("Globex") and roe["mentions"] == 5
    st = {s["name"]: s for s in watcher_status(engine, config)}
    assert st["bad"]["follow_failures"] == 5 and st["bad"]["last_error"] is None  # the poll itself succeeded
    assert st["bad"]["follow_error"]  # the last failure, with its URL and reason
    reasons = row(engine, "bad").follow_error
    assert reasons.startswith(site.base)
    assert site.hits["/huge"] == 1 and site.hits["/loop"] + site.hits["/loop2"] <= 7  # 5 redirects at most


@pytest.mark.parametrize("path, reason", [
    ("/huge", "response too large"), ("/loop", "too many redirects"), ("/403", "HTTP 403"),
    ("/wall", "a login or consent wall"), ("/pdf", "not an HTML page (application/pdf)"),
])
def test_each_bad_page_says_why(engine, site, path, reason):
    site.routes["/403"] = (403, {}, b"no")
    site.routes["/wall"] = LOGIN_WALL
    site.routes["/pdf"] = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 ...")
    site.feed("/feed", ("Globex chief executive resigns", "Jane Roe resigned as chief executive of Globex.", path))
    config = Config(watchers=[WatcherConfig(name="w", url=site.base + "/feed")])
    [out] = run(engine, config)
    assert out.fallbacks == 1
    err = watcher_status(engine, config)[0]["follow_error"]
    assert err.startswith(f"{site.base}{path}: ") and reason in err, err


def test_a_saved_page_gives_its_canonical_url_and_date_and_a_gbk_page_without_charset_is_read():
    from monitor.parse.html import parse_article

    nyt = parse_article((PAGES / "en-nytimes-sudan-sanctions.html").read_bytes(), url="http://127.0.0.1:1/x?utm_source=rss")
    assert nyt.url == "https://www.nytimes.com/2017/01/13/world/africa/sudan-sanctions.html"
    assert nyt.published.date().isoformat() == "2017-01-13" and "Sudan" in nyt.title and len(nyt.text) > 3000
    raw = (PAGES / "zh-bbc-chinese-hk.html").read_bytes().decode("utf-8")
    import re

    gbk = re.sub(r"<meta[^>]*charset[^>]*>", "", raw, flags=re.I).encode("gbk", errors="xmlcharrefreplace")
    assert not re.search(rb"<meta[^>]*charset", gbk, re.I)
    bbc = parse_article(gbk, url="http://127.0.0.1:1/zh/hk")
    assert bbc.title == "港特首梁振英就住宅违建事件道歉" and "梁振英" in bbc.text
    wall = parse_article(LOGIN_WALL, url="http://127.0.0.1:1/wall")  # a form's labels: too little to be an article
    assert wall is None or len(wall.text) < MIN_PAGE_CHARS


# ------------------------------------------------------------------ page watchers
def listing(base: str, paths: list[str]) -> bytes:
    """A listing page (made-up markup): article links among navigation, tags, login, an external
    site, and the same article again under tracking parameters, a fragment and a trailing slash."""
    links = "".join(f'<li><h2 class="headline"><a href="{p}">Story at {p}</a></h2></li>' for p in paths)
    nav = ('<a href="/">Home</a><a href="/tag/ai">AI</a><a href="/category/business/">Business</a>'
           '<a href="/login?next=/">Log in</a><a href="/page/2">Next page</a><a href="https://other.example/2026/02/13/x-y-z">x</a>'
           '<a href="mailto:tips@example.com">Tips</a>')
    again = "".join(f'<a href="{p}?utm_source=home&utm_medium=web#comments">again</a><a href="{p}/">again</a>' for p in paths)
    return (f"<!doctype html><html><head><title>Latest</title></head><body><nav>{nav}</nav>"
            f"<main><ul>{links}</ul><aside>{again}</aside></main></body></html>").encode()


def test_a_page_watcher_reads_its_listings_new_article_links(engine, site, http_endpoint):
    host, rec = http_endpoint
    site.routes["/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.routes["/news/2026/02/12/tesla-xai-exits"] = article_page(ZH_TITLE, ZH_BODY).encode()
    site.routes["/news/"] = listing(site.base, ["/2026/02/13/xai-exits", "2026/02/12/tesla-xai-exits"])  # relative to /news/
    config = Config(channels=[ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])],
                    watchers=[WatcherConfig(name="site", url=site.base + "/news/", kind="page")])
    [out] = run(engine, config, workers=1)
    assert (out.status, out.entries, out.followed) == ("new", 2, 2)
    # relative links resolved against the listing; each article fetched once, under its own link
    assert site.hits["/2026/02/13/xai-exits"] == 1 and site.hits["/news/2026/02/12/tesla-xai-exits"] == 1
    assert not any(p.startswith(("/tag", "/category", "/login", "/page")) for p in site.hits)
    names = {n for e in list_events(engine) for n in [e["person"], *e["aliases"]]}
    assert {"Shayan Salehian", "拉杰·杰根纳坦"} <= names
    assert len(json_bodies(rec)) == len(list_events(engine))

    [out] = run(engine, config)  # the listing unchanged: a 304, nothing fetched
    assert out.status == "not-modified"
    site.routes["/2026/02/14/results"] = article_page("Results", "Revenue rose 4% in the quarter. " * 10).encode()
    site.routes["/news/"] = listing(site.base, ["/2026/02/14/results", "/2026/02/13/xai-exits",
                                                "2026/02/12/tesla-xai-exits"])
    [out] = run(engine, config)
    assert (out.status, out.entries, out.followed) == ("new", 1, 1)  # only the new link
    assert site.hits["/2026/02/13/xai-exits"] == 1 and site.hits["/2026/02/14/results"] == 1
    assert len(json_bodies(rec)) == len(list_events(engine))  # nothing twice


def test_a_page_watchers_links_rule_picks_the_links(engine, site):
    site.routes["/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.routes["/2026/02/14/results"] = article_page("Results", "Revenue rose 4% in the quarter. " * 10).encode()
    site.routes["/news"] = listing(site.base, ["/2026/02/13/xai-exits", "/2026/02/14/results"])
    for rule, fetched in [("li:first-child h2.headline", ["/2026/02/13/xai-exits"]),
                          ("re:/results$", ["/2026/02/14/results"])]:
        site.hits.clear()
        name = "css" if not rule.startswith("re:") else "re"
        [out] = run(engine, Config(watchers=[WatcherConfig(name=name, url=site.base + "/news", kind="page", links=rule)]))
        assert out.followed == 1 and [p for p in site.hits if p.startswith("/2026")] == fetched


def test_a_listing_of_5000_links_is_read_50_a_poll_in_page_order(engine, site):
    site.routes["/all"] = listing(site.base, [f"/a/{n:05d}" for n in range(5000)])
    config = Config(watchers=[WatcherConfig(name="big", url=site.base + "/all", kind="page")])
    [first] = run(engine, config)
    read1 = sorted(p for p in site.hits if p.startswith("/a/"))
    assert first.entries == MAX_PER_POLL and read1 == [f"/a/{n:05d}" for n in range(MAX_PER_POLL)]
    [second] = run(engine, config)  # the same listing: the next 50, not a 304
    read2 = sorted(p for p in site.hits if p.startswith("/a/"))
    assert second.status == "new" and second.entries == MAX_PER_POLL
    assert read2 == [f"/a/{n:05d}" for n in range(2 * MAX_PER_POLL)] and all(v == 1 for p, v in site.hits.items() if p.startswith("/a/"))
    assert row(engine, "big").items_seen == 2 * MAX_PER_POLL
    assert len(row(engine, "big").link_digests) == 2 * MAX_PER_POLL * 8


def test_a_listing_forbidden_by_robots_fails_the_poll_with_the_reason(engine, site):
    site.routes["/private/news"] = listing(site.base, ["/2026/02/13/xai-exits"])
    [out] = run(engine, Config(watchers=[WatcherConfig(name="p", url=site.base + "/private/news", kind="page")]))
    assert out.status == "failed" and "robots.txt of 127.0.0.1" in out.error and "forbids /private/news" in out.error
    assert site.hits.get("/private/news") is None


def test_pages_not_fetched_within_the_time_budget_wait_for_the_next_poll(engine, site, monkeypatch):
    import monitor.follow

    monkeypatch.setattr(monitor.follow, "BUDGET", 1.0)
    site.routes["/slow/2026/02/13/xai-exits"] = article_page(TC_TITLE, EN_BODY).encode()
    site.routes["/2026/02/14/results"] = article_page("Results", "Revenue rose 4% in the quarter. " * 10).encode()
    site.routes["/news"] = listing(site.base, ["/slow/2026/02/13/xai-exits", "/2026/02/14/results"])
    config = Config(watchers=[WatcherConfig(name="p", url=site.base + "/news", kind="page")])
    t = time.monotonic()
    [first] = run(engine, config)
    assert time.monotonic() - t < 3 and (first.entries, first.followed) == (1, 1)  # the slow page was given up
    assert list_events(engine) == []
    site.slow = False
    [second] = run(engine, config)  # the same listing: read again for the link left over
    assert (second.status, second.entries, second.followed) == ("new", 1, 1)
    assert site.hits["/2026/02/14/results"] == 1 and "Shayan Salehian" in {e["person"] for e in list_events(engine)}
