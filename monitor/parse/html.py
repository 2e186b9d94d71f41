"""An HTML article page -> Article (trafilatura: main text, title, date; boilerplate dropped):
`parse_page` for a saved file (backfill), `parse_article` for a page fetched from a link (its
bytes decoded by the HTTP charset too, its canonical URL taken, nothing but the main text)."""
from __future__ import annotations

from monitor.parse.dates import parse_date
from monitor.parse.links import canonical_link
from monitor.parse.text import clean, decode_html, html_to_text
from monitor.records import Article


def parse_page(data: bytes, *, url: str | None, source: str) -> Article | None:
    """The page's main text; None when the page has no readable text at all."""
    import trafilatura  # ~25 MB: loaded by the first page, never by a feed-only poller

    doc = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False)
    if doc is not None and (doc.text or doc.title):
        return Article(
            title=clean(doc.title or ""),
            text=clean(doc.text or ""),
            url=url or doc.url,
            published=parse_date(doc.date),
            source=source,
        )
    # Not an article layout (a list page, a fragment): fall back to all visible text.
    text = html_to_text(data.decode("utf-8", errors="replace"))
    if not text:
        return None
    title, _, body = text.partition("\n")
    return Article(title=title.strip(), text=body.strip(), url=url, source=source)


def parse_article(data: bytes, *, url: str, content_type: str | None = None, source: str = "") -> Article | None:
    """A fetched article page's main text, title, date and own URL (its canonical link, else
    `url`, the address it was fetched from after redirects). None when trafilatura finds no main
    text: a login wall, a consent page, a list of links, an error page. (Unlike parse_page, no
    fallback to all the visible text: a caller that has the feed's summary is better off with it.)"""
    import trafilatura

    html = decode_html(data, content_type)
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return None
    return Article(
        title=clean(doc.title or ""),
        text=clean(doc.text),
        url=canonical_link(html, url) or url,
        published=parse_date(doc.date),
        source=source,
    )
