"""The typed records that pass between stages: Document (bytes from a source), Article (parsed),
Departure (detected mention) and Skipped (an input that was refused, with the reason)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime

# Caps on untrusted text: a title or body longer than this is cut, never trusted whole.
MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 200_000

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
        self.text = (self.text or "")[:MAX_TEXT_CHARS]
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

    person: str  # as written
    org: str | None = None
    role: str | None = None
    kind: str = "left"  # one of KINDS
    date: date | None = None  # effective or announced date, when the text states it
    evidence: str = ""  # the sentence it was read from, as written
    confidence: float = 0.0
    aliases: list[str] = field(default_factory=list)  # other spellings in the same text
    pattern: str = ""  # id of the pattern that fired (traceable to where it was learned)
