"""Seniority of a role from its text (seniority.yaml): how much a departure counts toward a wave.
(Organisation records are the store's: monitor.db.store.orgs.)"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from monitor.parse.lang import to_simplified


@lru_cache(maxsize=1)
def _levels() -> list[tuple[str, float, re.Pattern]]:
    text = resources.files("monitor.events").joinpath("seniority.yaml").read_text("utf-8")
    return [(e["level"], float(e["weight"]), re.compile(e["re"], re.I)) for e in yaml.safe_load(text)]


def seniority(role: str | None) -> tuple[str, float]:
    """(level, weight) of a role: co-founder, c-level, vp, director, staff, or unknown (1.0)."""
    if role:
        text = to_simplified(role)
        for level, weight, rx in _levels():
            if rx.search(text):
                return level, weight
    return "unknown", 1.0
