"""Detect stage: Article -> Departures. The rules are data (patterns/*.yaml); engine.py runs them.

`classify` is the stateless verdict used by `monitor classify` and `monitor eval`.
"""
from __future__ import annotations

from monitor.detect.engine import THRESHOLD, detect
from monitor.records import Article, Departure


def classify(article: Article, lang: str | None = None) -> tuple[bool, float, list[Departure]]:
    """(is it a departure announcement, score in [0, 1], the departures above the threshold).
    `lang`: the language already detected in the article's text, if known."""
    found = [d for d in detect(article, lang) if d.confidence >= THRESHOLD]
    score = max((d.confidence for d in found), default=0.0)
    return bool(found), score, found


__all__ = ["THRESHOLD", "classify", "detect"]
