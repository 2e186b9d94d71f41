"""An English departure's organisation is an organisation: never the board, a month, a role, a
place used as an adjective or the departing person's own surname (then the article's subject
company stands for it). Readings are MADE UP for this test."""
from __future__ import annotations

import pytest

from monitor.detect import engine
from monitor.detect.patterns import load_rules

RULES = load_rules("en")


@pytest.mark.parametrize("reading, person, org", [
    ("Acme Corporation", "Jane Roe", "Acme Corporation"),
    ("Globex Holdings, Inc.", "Jane Roe", "Globex Holdings, Inc."),  # its abbreviation's full stop kept
    ("Initech Corporation and", "Jane Roe", "Initech Corporation"),  # a trailing function word dropped
    ("December", "Jane Roe", None),
    ("Jun", "Jane Roe", None),
    ("Board", "Jane Roe", None),
    ("the Company", "Jane Roe", None),
    ("Corporation and", "Jane Roe", None),                # a suffix alone
    ("Executive Board and C.E.O", "Jane Roe", None),      # roles and the board
    ("CFO", "Jane Roe", None),
    ("Houston-based", "Jane Roe", None),
    ("Directors", "Jane Roe", None),
    ("Roe", "Jane Roe", None),                            # the person's own surname
])
def test_clean_org(reading, person, org):
    assert engine._en_clean_org(reading, RULES, person) == org
