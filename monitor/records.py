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
    follow: str = "never"  # which new items have their link read whole: candidates | always | never
    known_links: bytes | None = None  # digests of the links already followed (monitor.follow)
    kind: str = "feed"  # feed, or page: a listing page whose article links are read (monitor.follow)
    links: str | None = None  # page: the `links:` rule (CSS selector or re:REGEX); None: article-like paths


@dataclass
class FeedResult:
    """What analysing a FeedJob gave. Its articles come without their text: the store keeps
    none, and their content_hash was taken from it before it was dropped."""

    items: Analysed = field(default_factory=list)
    entries: int = 0  # new items (all items of a body that could not be split)
    candidates: int = 0  # of those, the ones parsed (a departure word in their raw text)
    digests: bytes | None = None  # of every item in the body, for the next poll
    error: str | None = None  # the body could not be read as a feed or page
    links: bytes | None = None  # digests of the links followed, for the next poll (None: unchanged)
    followed: int = 0  # article pages fetched and read in place of the feed's summary
    fallbacks: int = 0  # pages that could not be read (the summary, or a listing's headline, was read)
    follow_error: str | None = None  # the last such failure: the URL and why
    more: bool = False  # a listing's new links left for the next poll (cap, or time budget)
    to_follow: list[Follow] = field(default_factory=list)  # links to read whole (monitor.follow fetches them)


@dataclass
class Follow:
    """A link to read whole: a feed item's (`index`: its place in FeedResult.items, whose summary
    it replaces) or a listing page's (`index` None: a new article)."""

    index: int | None
    url: str  # as the feed or listing gives it: what is fetched
    key: str  # its canonical form (monitor.parse.links.canonical_url): what identifies it
    title: str = ""  # the listing's anchor text: the headline when the page cannot be read
    summary_chars: int = 0  # the feed's text for it: a page with less main text is not the article


@dataclass
class ArticlesJob:
    """Article pages fetched for one watcher (monitor.follow), to read in place of what the feed
    or listing said of them (monitor.analysis.analyse_pages). Made and read in the process that
    fetched them: the bodies never travel."""

    watcher: str
    url: str
    result: FeedResult  # the feed's own reading, whose items the pages replace, or an empty one
    pages: list[tuple[Follow, object]] = field(default_factory=list)  # each with its monitor.sources.http.FetchResult
    tz: str | None = None
    kind: str = "feed"  # feed | page
    known_links: bytes | None = None  # the feed watcher's digests of links followed before


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
