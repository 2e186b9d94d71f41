"""Feeds -> Articles: RSS 0.9x/1.0/2.0 and Atom via feedparser (bytes only, never a URL), and
JSON Feed 1.0/1.1, which feedparser does not read."""
from __future__ import annotations

import hashlib
import html
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser

from monitor.parse.dates import parse_date
from monitor.parse.lang import fold_width
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


@dataclass
class NewEntries:
    """What `only_new_entries` found: the body to parse (None: nothing to parse), the digests of
    every item (None: the body could not be split), how many items were new, and how many of
    those `keep` passed (the ones in `data`)."""
    data: bytes | None
    digests: bytes | None
    new: int | None = None  # None: not split, so not counted before parsing
    kept: int | None = None


def only_new_entries(data: bytes, known: bytes | None, keep: Callable[[bytes], bool] | None = None,
                     content_type: str | None = None) -> NewEntries:
    """The feed with only the items not in `known` (the digests of the previous body's items)
    and, with `keep` (a test of an item's raw text: see item_texts), only those it passes. The
    body comes back whole when it cannot be split or every item stays; `data` is None when none
    does."""
    parts = split_entries(data)
    if parts is None:
        return NewEntries(data, None)
    head, chunks, tail = parts
    digests = [entry_digest(c) for c in chunks]
    all_digests = b"".join(digests[:MAX_DIGESTS])
    seen = {known[i:i + DIGEST_SIZE] for i in range(0, len(known), DIGEST_SIZE)} if known else set()
    new = [c for c, d in zip(chunks, digests) if d not in seen]
    if keep is not None:
        encodings = declared_encodings(head, content_type)
        kept = [c for c in new if keep(item_texts(c, encodings))]
    else:
        kept = new
    out = NewEntries(None, all_digests, len(new), len(kept))
    if kept:
        out.data = data if len(kept) == len(chunks) else head + b"\n".join(kept) + tail
    return out


_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._\-]+)", re.I)
# markup, not text to the detector: CDATA markers (first: "<![CDATA[" is no tag) and tags as an
# HTML parser reads them ("a < b" is text)
_MARKUP = re.compile(r"<!\[CDATA\[|\]\]>|<[A-Za-z/!?][^<>]*>")
# full-width letters, digits and hyphen: the part of fold_width that can change a departure word's
# match (the words hold no other punctuation: tests/parse/test_prefilter.py checks)
_FULL_WIDTH = re.compile("[\uff0d\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def declared_encodings(head: bytes, content_type: str | None) -> list[str]:
    """The encodings a feed's bytes may be in: the HTTP charset, the XML declaration's, UTF-8."""
    out = []
    if content_type and (m := _CHARSET.search(content_type)):
        out.append(m.group(1))
    if m := _XML_ENCODING.search(head[:500]):
        out.append(m.group(1).decode("ascii"))
    out.append("utf-8")
    return list(dict.fromkeys(e.lower() for e in out))


def item_texts(chunk: bytes, encodings: list[str]) -> list[str] | None:
    """An item's raw text as the detector could read it, in every reading that could matter, for
    a substring test of departure words: decoded with each encoding that decodes it, CDATA
    markers dropped, entities unescaped (twice as well, when entities remain: double-escaped
    HTML), tags and ALL whitespace removed (so "re<b>sign</b>ed", "step<br>down" and "step
    down" read "resigned", "stepdown"; the words are matched without their spaces too),
    full-width forms folded as the detector folds them, and case-folded. None when no encoding decodes it (the
    caller then keeps the item: the test must never hide one)."""
    out = []
    for enc in encodings:
        try:
            text = chunk.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        once = html.unescape(text) if "&" in text else text
        for t in (once, html.unescape(once)) if "&" in once else (once,):
            t = "".join(_MARKUP.sub("", t).split())
            if not t.isascii() and _FULL_WIDTH.search(t):
                t = fold_width(t)
            out.append(t.lower() if t.isascii() else t.casefold())
    return out or None


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
