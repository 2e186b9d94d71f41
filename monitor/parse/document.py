"""A Document's bytes -> Articles, by format (text, HTML page, RSS/Atom/RDF, JSON Feed, JSONL),
sniffed from its name, content type or first bytes. Whatever cannot be read comes back as a
Skipped with the reason."""
from __future__ import annotations

from pathlib import PurePath

from monitor.parse.feeds import FeedError, parse_feed, parse_json_feed
from monitor.parse.html import parse_page
from monitor.parse.jsonl import parse_jsonl
from monitor.parse.text import UndecodableError, decode_utf8, looks_binary, parse_text
from monitor.records import Article, Document, Skipped

# File ending -> format
FORMATS = {
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html",
    ".xml": "feed", ".rss": "feed", ".atom": "feed", ".rdf": "feed",
    ".json": "jsonfeed",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}


def sniff_format(doc: Document) -> str | None:
    """The document's format from its name, else from its content type, else from its first bytes."""
    fmt = FORMATS.get(PurePath(doc.name.split("?")[0]).suffix.lower())
    if fmt:
        return fmt
    ct = (doc.content_type or "").lower()
    if "json" in ct:
        return "jsonfeed"
    if any(t in ct for t in ("rss", "atom", "rdf", "xml")):
        return "feed"
    if "html" in ct:
        return "html"
    head = doc.data[:512].lstrip().lower()
    if head.startswith(b"{"):
        return "jsonfeed"
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf")):
        return "feed"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def parse_document(doc: Document, *, tz: str | None = None) -> list[Article | Skipped]:
    """All Articles in `doc`; a Skipped (with the reason) for the document or for bad parts of it."""
    if not doc.data.strip():
        return [Skipped(doc.name, "empty file")]
    if looks_binary(doc.data):
        return [Skipped(doc.name, "binary data, not text")]
    fmt = sniff_format(doc)
    try:
        if fmt == "text":
            title, text = parse_text(doc.data)
            if not title and not text:
                return [Skipped(doc.name, "no text")]
            return [Article(title=title, text=text, url=doc.url, source=doc.name)]
        if fmt == "html":
            art = parse_page(doc.data, url=doc.url, source=doc.name)
            return [art] if art else [Skipped(doc.name, "HTML page without readable text")]
        if fmt == "feed":
            return list(parse_feed(doc.data, headers=doc.headers, source=doc.name, tz=tz))
        if fmt == "jsonfeed":
            return list(parse_json_feed(doc.data, source=doc.name, tz=tz))
        if fmt == "jsonl":
            return list(parse_jsonl(decode_utf8(doc.data).splitlines(), source=doc.name))
    except (UndecodableError, FeedError) as e:
        return [Skipped(doc.name, str(e))]
    return [Skipped(doc.name, f"unsupported format ({PurePath(doc.name).suffix or 'no file ending'})")]
