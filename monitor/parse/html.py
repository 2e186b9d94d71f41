"""An HTML article page -> Article (trafilatura: main text, title, date; boilerplate dropped)."""
from __future__ import annotations

from monitor.parse.dates import parse_date
from monitor.parse.text import clean, html_to_text
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
