"""Every Atom entry satisfies RFC 4287 §4.1.1 (content or an alternate link), links to its first
source article (or to its own event page), and carries person, organisation, role, kind, date and
evidence as escaped text: hostile markup and characters XML cannot hold never break the feed."""
from __future__ import annotations

import re
from html import escape
import xml.etree.ElementTree as ET
from datetime import date

import feedparser

from monitor.db.store import ingest
from monitor.records import Article, Departure

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def rfc4287_problems(body: bytes) -> list[str]:
    """The RFC 4287 rules a reader relies on: feed id/title/updated (once each), an author for the
    feed or every entry, every entry with id/title/updated once and content or an alternate link,
    at most one alternate link per entry, dates in RFC 3339."""
    root = ET.fromstring(body)
    problems = []
    assert root.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        if len(root.findall(A + tag)) != 1:
            problems.append(f"feed: {len(root.findall(A + tag))} <{tag}>")
    if not RFC3339.match(root.findtext(A + "updated") or ""):
        problems.append(f"feed: updated {root.findtext(A + 'updated')!r}")
    feed_author = root.find(A + "author") is not None
    for entry in root.findall(A + "entry"):
        name = entry.findtext(A + "id")
        for tag in ("id", "title", "updated"):
            if len(entry.findall(A + tag)) != 1:
                problems.append(f"{name}: {len(entry.findall(A + tag))} <{tag}>")
        if not RFC3339.match(entry.findtext(A + "updated") or ""):
            problems.append(f"{name}: updated {entry.findtext(A + 'updated')!r}")
        alternates = [ln for ln in entry.findall(A + "link") if ln.get("rel", "alternate") == "alternate"]
        if entry.find(A + "content") is None and not alternates:
            problems.append(f"{name}: neither <content> nor an alternate link")
        if len(alternates) > 1:
            problems.append(f"{name}: {len(alternates)} alternate links")
        if not feed_author and entry.find(A + "author") is None:
            problems.append(f"{name}: no author")
    return problems


def test_feed_passes_rfc4287_and_feedparser(client):
    body = client.get("/events.atom").content
    assert rfc4287_problems(body) == []
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    api = {e["id"]: e for e in client.get("/api/events", params={"limit": 500}).json()["events"]}
    assert len(feed.entries) == len(api) == 15
    for entry in feed.entries:
        event = api[int(entry.id.rsplit("/", 1)[1])]
        assert entry.link, entry.id
        assert entry.summary_detail.type == "text/plain"
        assert event["person"] in entry.summary and event["org"] in entry.summary, entry.id
        [content] = entry.content
        assert content.type == "text/html", entry.id
        assert escape(event["person"]) in content.value and escape(event["org"]) in content.value, entry.id


def test_alternate_is_first_source_article_or_event_page(client):
    root = ET.fromstring(client.get("/events.atom").content)
    api = {e["id"]: e for e in client.get("/api/events", params={"limit": 500}).json()["events"]}
    seen_page = seen_article = False
    for entry in root.findall(A + "entry"):
        event = api[int(entry.findtext(A + "id").rsplit("/", 1)[1])]
        [alt] = [ln.get("href") for ln in entry.findall(A + "link") if ln.get("rel", "alternate") == "alternate"]
        web = [s for s in event["sources"] if s.startswith(("http://", "https://"))]
        if web:
            assert alt == web[0]
            seen_article = True
        else:  # the seeds are files: their events link to their own page, absolute
            assert alt == f"http://testserver/events/{event['id']}"
            seen_page = True
    assert seen_page and seen_article


def test_content_is_escaped_html_with_every_field(client, seeded):
    nasty = "Mallory\x0b <i>Q</i> & \x1b[31mCo"  # \x0b and \x1b may not appear in XML 1.0 at all
    ingest(seeded, Article(title="x", text="", url="https://evil.test/2?a=1&b=<2>"),
           [Departure(person="Zed Zulu", org=nasty, role="chief <u>scientist</u>", kind="resigned",
                      date=date(2026, 3, 4), evidence='He said "bye" <script>alert(1)</script>', confidence=0.9)])
    body = client.get("/events.atom").content
    assert rfc4287_problems(body) == []
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    root = ET.fromstring(body)
    [zed] = [e for e in root.findall(A + "entry") if "Zed Zulu" in e.findtext(A + "title")]
    content = zed.find(A + "content")
    assert content is not None and content.get("type") == "html"
    html = content.text  # the HTML a reader renders, after one XML unescape
    for field in ("Zed Zulu", "chief &lt;u&gt;scientist&lt;/u&gt;", "resigned", "2026-03-04",
                  "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;i&gt;Q&lt;/i&gt; &amp;"):
        assert field in html, field
    assert "<script" not in html and "<i>" not in html and "<u>" not in html
    assert "\x0b" not in html and "\x1b" not in html
    [alt] = [ln.get("href") for ln in zed.findall(A + "link") if ln.get("rel") == "alternate"]
    assert alt == "https://evil.test/2?a=1&b=<2>"  # XML-escaped in the feed, the same URL once parsed
    # the hostile seed item: markup stays text in both the title and the content
    [eve] = [e for e in root.findall(A + "entry") if "Eve Evil" in e.findtext(A + "title")]
    assert "&lt;b&gt;Corp&lt;/b&gt;" in eve.find(A + "content").text
    [feve] = [e for e in feed.entries if "Eve Evil" in e.title]
    assert "Eve Evil" in feve.summary and "Corp" in feve.summary and feve.link == "https://evil.test/1"


def test_role_only_event_reads_by_its_role(client, seeded):
    ingest(seeded, Article(title="y", text="", url="https://news.test/3"),
           [Departure(person=None, org="Initech", role="head of AI", evidence="The head of AI left Initech.",
                      confidence=0.9)])
    feed = feedparser.parse(client.get("/events.atom", params={"org": "Initech"}).content)
    assert feed.bozo == 0
    assert [e.title for e in feed.entries] == ["The head of AI left Initech"]
