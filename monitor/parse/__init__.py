"""Parse stage: a Document's bytes -> Articles, by format (text, HTML page, RSS/Atom/RDF,
JSON Feed, JSONL). Whatever cannot be read comes back as a Skipped with the reason.

`parse_document` and the rest of monitor.parse.document are loaded on first use, so a process
that only needs a helper such as monitor.parse.lang (the daemon's poller: it parses nothing
itself) does not load feedparser and lxml."""
from __future__ import annotations

import importlib


def __getattr__(name: str):
    document = importlib.import_module("monitor.parse.document")
    try:
        return getattr(document, name)
    except AttributeError:
        raise AttributeError(f"module 'monitor.parse' has no attribute {name!r}") from None
