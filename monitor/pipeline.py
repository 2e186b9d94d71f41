"""The one path every article takes, from backfill or from the daemon:
Document -> parse -> detect (monitor.analysis, no database) -> store (events + outbox)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from monitor.db.store import ingest_many, update_waves
from monitor.records import Analysed, Article, Departure, Document, Skipped

log = logging.getLogger(__name__)


@dataclass
class Summary:
    documents: int = 0
    articles: int = 0
    duplicates: int = 0
    departures: int = 0
    new_events: int = 0
    new_event_ids: list[int] = field(default_factory=list)
    merged_mentions: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def process_articles(engine: Engine, articles: list[Article], summary: Summary,
                     route: Callable[[Departure, Article], list[str]] | None = None,
                     seen: list[tuple[str, str]] = ()) -> None:
    """Detect departures in `articles` and store them all in one transaction (with `seen`, the
    watcher entry marks that say they were processed)."""
    from monitor.analysis import analyse_articles  # the parsers and the detector load on first use:
    # the daemon's poller stores what its workers analysed and never needs them

    store_analysed(engine, analyse_articles(articles), summary, route, seen)


def store_analysed(engine: Engine, items: Analysed, summary: Summary,
                   route: Callable[[Departure, Article], list[str]] | None = None,
                   seen: list[tuple[str, str]] = ()) -> None:
    """Store analysed articles (monitor.analysis) in one transaction, then update the waves of
    the organisations they touched."""
    results = ingest_many(engine, items, route, seen)
    touched = set().union(*(r.org_keys for r in results)) if results else set()
    if touched:
        update_waves(engine, touched, getattr(route, "waves", None))
    for res in results:
        if not res.new_article:
            summary.duplicates += 1
            continue
        summary.articles += 1
        summary.departures += res.departures
        summary.new_events += len(res.new_events or [])
        summary.new_event_ids += res.new_events or []
        summary.merged_mentions += res.merged_mentions


BATCH = 500  # articles stored per transaction: progress moves within a big file


def process_documents(engine: Engine, items: Iterable[Document | Skipped],
                      route: Callable[[Departure, Article], list[str]] | None = None,
                      report: Callable[[int, str, int, int, int], None] | None = None) -> Summary:
    """Parse, detect and store everything in `items`, a file's articles BATCH to a transaction;
    what cannot be used is listed, not raised. `report(item number, name, bytes done, articles
    done, new events)` is called before each item and after each batch."""
    from monitor.parse import parse_document

    summary, done, articles, n, name = Summary(), 0, 0, 0, ""
    for n, item in enumerate(items, 1):
        name = item.name
        if report:
            report(n, name, done, articles, summary.new_events)
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            continue
        summary.documents += 1
        size = len(item.data)
        try:
            parsed = parse_document(item)
        except Exception as e:  # a parser bug on one file must not stop the rest
            log.debug("parse failed for %s", item.name, exc_info=True)
            summary.skipped.append(Skipped(item.name, f"could not be parsed ({type(e).__name__}: {e})"))
            done += size
            continue
        summary.skipped.extend(p for p in parsed if isinstance(p, Skipped))
        found = [p for p in parsed if isinstance(p, Article)]
        for start in range(0, len(found), BATCH):
            batch = found[start:start + BATCH]
            process_articles(engine, batch, summary, route)
            articles += len(batch)
            if report:
                report(n, name, done + size * (start + len(batch)) // len(found), articles, summary.new_events)
        done += size
    if report:
        report(n, name, done, articles, summary.new_events)
    return summary
