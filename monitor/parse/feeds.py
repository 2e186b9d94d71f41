"""Feeds -> Articles: RSS 0.9x/1.0/2.0 and Atom via feedparser (bytes only, never a URL), and
JSON Feed 1.0/1.1, which feedparser does not read."""
from __future__ import annotations

import hashlib
import io
import json
import re
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


# <item ...> ... </item> (RSS, RDF) and <entry ...> ... </entry> (Atom), without a namespace prefix
_OPEN = re.compile(rb"<(item|entry)[\s>]")
_CLOSE = {b"item": b"</item>", b"entry": b"</entry>"}
DIGEST_SIZE = 8
MAX_DIGESTS = 2000


def split_entries(data: bytes) -> tuple[bytes, list[bytes], bytes] | None:
    """A feed body as (head, item chunks, tail), found by their tags, so that items already seen
    in the previous body can be dropped BEFORE parsing. None when the layout is not plainly a
    run of items (nested or unclosed tags, an item inside CDATA): the caller parses everything."""
    chunks, pos, head_end = [], 0, None
    while (m := _OPEN.search(data, pos)) is not None:
        end = data.find(_CLOSE[m.group(1)], m.end())
        if end < 0:
            return None
        end += len(_CLOSE[m.group(1)])
        between = data[pos:m.start()]
        if head_end is None:
            head_end = m.start()
        elif between.strip():  # something other than whitespace between two items
            return None
        chunk = data[m.start():end]
        if _OPEN.search(chunk, 1) or b"<![CDATA[" in chunk and (b"<item" in chunk[1:] or b"<entry" in chunk[1:]):
            return None
        chunks.append(chunk)
        pos = end
    if head_end is None:
        return None
    return data[:head_end], chunks, data[pos:]


def entry_digest(chunk: bytes) -> bytes:
    return hashlib.blake2b(chunk, digest_size=DIGEST_SIZE).digest()


def only_new_entries(data: bytes, known: bytes | None) -> tuple[bytes | None, bytes | None]:
    """(the feed with only the items not in `known`, the digests of all its items). The first is
    None when every item is known; the feed comes back whole when it cannot be split or nothing
    is known; the second is None when it cannot be split."""
    parts = split_entries(data)
    if parts is None:
        return data, None
    head, chunks, tail = parts
    digests = [entry_digest(c) for c in chunks]
    all_digests = b"".join(digests[:MAX_DIGESTS])
    if not known:
        return data, all_digests
    seen = {known[i:i + DIGEST_SIZE] for i in range(0, len(known), DIGEST_SIZE)}
    new = [c for c, d in zip(chunks, digests) if d not in seen]
    if not new:
        return None, all_digests
    if len(new) == len(chunks):
        return data, all_digests
    return head + b"\n".join(new) + tail, all_digests


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
