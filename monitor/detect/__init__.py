"""Detect stage: Article -> Departures. The rules are data (patterns/*.yaml); engine.py runs them.

`classify` is the stateless verdict used by `monitor classify` and `monitor eval`. The engine (and
the name finder, the weights) load on first use: a process that needs only the pattern files —
the daemon's poller, which reads organisation spellings from them — never loads the detector.
"""
from __future__ import annotations

import importlib

from monitor.records import Article, Departure


def classify(article: Article, lang: str | None = None) -> tuple[bool, float, list[Departure]]:
    """(is it a departure announcement, score in [0, 1], the departures above the threshold).
    `lang`: the language already detected in the article's text, if known."""
    from monitor.detect.engine import THRESHOLD, detect

    found = [d for d in detect(article, lang) if d.confidence >= THRESHOLD]
    score = max((d.confidence for d in found), default=0.0)
    return bool(found), score, found


def __getattr__(name: str):
    if name in ("THRESHOLD", "detect"):
        return getattr(importlib.import_module("monitor.detect.engine"), name)
    raise AttributeError(f"module 'monitor.detect' has no attribute {name!r}")


__all__ = ["THRESHOLD", "classify", "detect"]
