"""The hand-written English readings the learned decision gets as features: whose "his
resignation" it is, and what may stand between a subject and its departure word. The sentences
are made up (unit-test material)."""
from __future__ import annotations

import pytest

from monitor.detect import engine
from monitor.records import Article


def _rules(title: str) -> dict[str, set[str]]:
    trace: list[engine.Traced] = []
    engine.detect(Article(title=title, text=""), trace=trace)
    out: dict[str, set[str]] = {}
    for t in trace:
        out.setdefault(t.mention or "", set()).update(f for f in t.features if f.startswith("rule="))
    return out


@pytest.mark.parametrize("title, person, rule", [
    ("Jane Roe announces her resignation as Globex chief executive", "Jane Roe", "rule=pronoun"),
    ("John Smith, the founder of Initech, confirmed his retirement on Monday", "John Smith", "rule=pronoun"),
    ("Mr. Lumbergh announced his plan to step down as chief executive", "Lumbergh", "rule=direct"),
    ("Jane Roe announced her decision to resign from Globex", "Jane Roe", "rule=direct"),
])
def test_the_subject_is_read_as_the_one_leaving(title, person, rule):
    assert rule in _rules(title).get(person, set())


def test_his_is_not_someone_named_after_it():
    # the pronoun's antecedent stands before it: a name after the departure word gets no rule
    assert not _rules("After his resignation, Globex named Peter Gibbons chairman").get("Peter Gibbons")
