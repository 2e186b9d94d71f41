"""Feeds -> Articles: RSS 0.9x/1.0/2.0 and Atom via feedparser (bytes only, never a URL), and
JSON Feed 1.0/1.1, which feedparser does not read."""
from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone

import feedparser

from monitor.parse.dates import parse_date
from monitor.parse.text import html_to_text
from monitor.records import Article


class FeedError(ValueError):
    """The bytes are not a feed we can read."""


def _struct_to_dt(st: time.struct_time | None) -> datetime | None:
    if not st:
        return None
    try:
        return datetime(*st[:6], tzinfo=timezone.utc)
    except (ValueError, TypeError):
        return None


def _entry_date(entry, tz: str | None) -> datetime | None:
    raw = entry.get("published") or entry.get("updated") or entry.get("created")
    # feedparser misreads Chinese and naive dates (2025年06月03日 -> some November); prefer ours
    # for anything without an explicit zone or in a format feedparser has no handler for.
    ours = parse_date(raw, tz) if raw else None
    if ours is not None:
        return ours
    return _struct_to_dt(entry.get("published_parsed") or entry.get("updated_parsed"))


def parse_feed(data: bytes, *, headers: dict[str, str] | None = None, source: str, tz: str | None = None) -> list[Article]:
    """RSS/Atom/RDF bytes -> Articles. Raises FeedError when nothing feed-like is in them."""
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers or {},
        sanitize_html=False,  # we never render feed HTML: it becomes text, escaped on output
        resolve_relative_uris=False,
    )
    articles = []
    for e in parsed.entries:
        content = e.get("content") or []
        body = max((c.get("value", "") for c in content), key=len, default="") or e.get("summary", "")
        title = html_to_text(e.get("title", "")) if "<" in e.get("title", "") else e.get("title", "")
        articles.append(
            Article(
                title=title.strip(),
                text=html_to_text(body),
                url=e.get("link"),
                published=_entry_date(e, tz),
                source=source,
                external_id=e.get("id") or e.get("link"),
            )
        )
    # a malformed feed keeps what could be recovered from it; with nothing recovered it is an error
    articles = [a for a in articles if a.title or a.text]
    if not articles:
        if parsed.bozo:
            raise FeedError(f"not a readable feed ({type(parsed.bozo_exception).__name__}: {parsed.bozo_exception})")
        if not parsed.get("version"):
            raise FeedError("not a feed (no RSS/Atom/RDF root element)")
    return articles


def parse_json_feed(data: bytes, *, source: str, tz: str | None = None) -> list[Article]:
    """JSON Feed 1.0/1.1 -> Articles. Raises FeedError for invalid JSON or another JSON shape."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FeedError(f"invalid JSON ({e})") from None
    if not isinstance(doc, dict) or "jsonfeed.org/version" not in str(doc.get("version", "")):
        raise FeedError("JSON, but not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an items list")
    articles = []
    for it in items:
        if not isinstance(it, dict):
            continue
        text = it.get("content_text") or html_to_text(str(it.get("content_html") or "")) or str(it.get("summary") or "")
        articles.append(
            Article(
                title=str(it.get("title") or ""),
                text=str(text),
                url=it.get("url") or it.get("external_url"),
                published=parse_date(it.get("date_published") or it.get("date_modified"), tz),
                source=source,
                external_id=str(it["id"]) if it.get("id") is not None else None,
            )
        )
    return articles
