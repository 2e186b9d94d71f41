"""Typical headlines and leads, in English, Simplified and Traditional Chinese (made up for this
test: tests/detect/headlines.tsv), in every form issue 13 lists: who left, the organisation as
written, the role and the kind — or, for the negatives, no departure at all."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.detect import classify
from monitor.detect.evaluate import _same_person
from monitor.parse.lang import to_simplified
from monitor.records import Article

ROWS = [line.split("\t") for line in (Path(__file__).parent / "headlines.tsv").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")]
PARAMS = [pytest.param(r[:5], id=r[0][:40], marks=[pytest.mark.xfail(strict=True, reason=r[5])] if len(r) > 5 and r[5] else [])
          for r in ROWS]


def _article(text: str) -> Article:
    title, _, body = text.replace("\\n", "\n").partition("\n")
    return Article(title=title, text=body)


def test_there_are_enough_and_most_pass():
    assert len(ROWS) >= 150
    misses = sum(1 for r in ROWS if len(r) > 5 and r[5])
    assert misses <= len(ROWS) // 4, f"{misses} known misses"


@pytest.mark.parametrize("row", PARAMS)
def test_headline(row):
    text, person, *rest = row + [""] * (5 - len(row))
    org, role, kind = rest[:3]
    is_dep, _, deps = classify(_article(text))
    if person == "-":
        assert not is_dep, [(d.person, d.org, d.pattern) for d in deps]
        return
    assert is_dep, "not a departure"
    if person == "ROLE":
        [d] = [d for d in deps if d.person is None] or [None]
        assert d is not None, [(d.person, d.org) for d in deps]
    else:
        found = [d for d in deps if _same_person(d.person, person)]
        assert found, [d.person for d in deps]
        d = found[0]
        assert d.person is not None and len(d.person) <= len(person) + 2, d.person  # no glued-on words
        assert to_simplified(person).lower() in to_simplified(d.person).lower(), d.person  # nor cut short
    if org:
        assert d.org == org, d.org
    if role:
        assert d.role and (role in d.role or d.role in role), d.role
    if kind:
        assert d.kind == kind, d.kind
