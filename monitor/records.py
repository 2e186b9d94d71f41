"""The typed records that pass between stages: Document (bytes from a source), Article (parsed),
Departure (detected mention), Skipped (an input that was refused, with the reason), and the
daemon's FeedJob / FeedResult (a fetched body sent to analysis, and what came back)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime

# Caps on untrusted text: a title or body longer than this is cut (and the cut logged), never
# trusted whole. The detector reads a body in windows of MAX_TEXT_CHARS: a long one loses nothing.
MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 200_000
MAX_BODY_CHARS = 10_000_000
log = logging.getLogger(__name__)

KINDS = ("resigned", "retired", "fired", "stepped_down", "left", "term_ended")


@dataclass(frozen=True)
class Document:
    """Raw bytes from a source, with what is known of them before parsing."""

    name: str  # file path or URL: what a person recognises
    data: bytes
    content_type: str | None = None  # e.g. from HTTP headers; None for files
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """An input that could not be used, and why (shown in summaries, never a traceback)."""

    name: str
    reason: str


@dataclass
class Article:
    """One news item, as text. Produced by parse, consumed by detect."""

    title: str
    text: str
    url: str | None = None
    published: datetime | None = None  # timezone-aware (UTC) when known
    language: str | None = None  # "en", "zh-Hans", "zh-Hant", ...; detected when not given
    source: str = ""  # file name or watcher name
    external_id: str | None = None  # id in the source (JSONL id, feed guid)

    def __post_init__(self) -> None:
        self.title = (self.title or "")[:MAX_TITLE_CHARS]
        if len(self.text or "") > MAX_BODY_CHARS:
            log.warning("%s: text of %s characters cut at %s", self.url or self.source or self.title[:80],
                        f"{len(self.text):,}", f"{MAX_BODY_CHARS:,}")
        self.text = (self.text or "")[:MAX_BODY_CHARS]
        self.url = (self.url or "").strip()[:2048] or None
        self.external_id = (self.external_id or "").strip()[:2048] or None

    @cached_property
    def content_hash(self) -> str:
        """Identity of the content: the same text from two places is one article (whitespace
        runs and case do not count). Computed once, where the article is parsed: it travels with
        the article to the process that stores it."""
        norm = " ".join(f"{self.title}\n{self.text}".split()).lower()
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass
class Departure:
    """One person leaving one organisation, as one text says it. Produced by detect."""

    person: str | None  # as written; None when the text names only a role (R3)
    org: str | None = None
    role: str | None = None
    kind: str = "left"  # one of KINDS
    date: date | None = None  # effective or announced date, when the text states it
    evidence: str = ""  # the sentence it was read from, as written
    confidence: float = 0.0
    aliases: list[str] = field(default_factory=list)  # other spellings in the same text
    pattern: str = ""  # id of the pattern that fired (traceable to where it was learned)


Analysed = list[tuple[Article, list[Departure]]]  # each article with the departures it reports


@dataclass
class FeedJob:
    """A fetched body to analyse for one watcher (monitor.analysis.analyse_feed)."""

    watcher: str
    url: str
    data: bytes
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tz: str | None = None
    known: bytes | None = None  # digests of the items of the watcher's previous body
    final_url: str | None = None  # after redirects: the link of a page without one


@dataclass
class FeedResult:
    """What analysing a FeedJob gave. Its articles come without their text: the store keeps
    none, and their content_hash was taken from it before it was dropped."""

    items: Analysed = field(default_factory=list)
    entries: int = 0  # new items (all items of a body that could not be split)
    candidates: int = 0  # of those, the ones parsed (a departure word in their raw text)
    digests: bytes | None = None  # of every item in the body, for the next poll
    error: str | None = None  # the body could not be read as a feed or page


@dataclass
class FilingsJob:
    """New SEC filings' Item 5.02 texts to analyse for one watcher (monitor.sources.sec): each
    article with the filer's name, which is the organisation of every departure it reports."""

    watcher: str
    url: str
    articles: list[tuple[Article, str]] = field(default_factory=list)  # (article, filer's name)
    entries: int = 0  # new filings in the list
    candidates: int = 0  # of those, the ones read (Item 5.02)
    digests: bytes | None = None  # of the accession numbers the next poll need not read again
