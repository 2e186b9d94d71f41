"""The trigger prefilter: the literal words derived from a regex occur in everything it matches."""
from __future__ import annotations

import json
import re

import pytest

from monitor.detect.literals import needs
from monitor.detect.patterns import load_rules
from monitor.parse.lang import fold_width, to_simplified
from tests.conftest import SEEDS, SHARED


@pytest.mark.parametrize("rx,flags,words", [
    (r"\bresign(?:s|ed|ing)?\b", re.I, ("resign",)),
    (r"(?<=[a-z])\s+(?:exit|departure)\b", re.I, ("departure", "exit")),
    (r"\bax(?:es|ed)\b", re.I, ("axed", "axes")),  # not "ax", which "tax" and "max" contain
    (r"\bLeft\b", 0, ("left",)),  # case-folded: the text is folded too
    (r"(?:被|遭)[\u4e00-\u9fff]{0,6}?(?:解雇|开除)", 0, ("开除", "解雇")),  # the longer words win
    (r"(?:离职|离任)(?:了)?", 0, ("离任", "离职")),
    (r"\w+\s+\d", 0, None),  # nothing literal: no prefilter, every text goes through
    (r"(?:quit|\w+day)", 0, ("day", "quit")),
    (r"(?:quit|\w+)", 0, None),  # one branch without a literal: the branch requires nothing
])
def test_words_of_a_pattern(rx, flags, words):
    assert needs(re.compile(rx, flags)) == words


@pytest.mark.parametrize("rx,flags,words", [
    # the feed prefilter reads an item without its whitespace: a phrase's words stay together
    (r"\b(?:step(?:s|ped)?|stood)\s+down\b", re.I, ("stepdown", "steppeddown", "stepsdown", "stooddown")),
    (r"\bout(?=\s+(?:at|as)\b)", re.I, ("outas", "outat")),  # a lookahead's words joined on
    (r"[\s-]for\b", 0, ("for",)),
    # the parser factors 被 out of 被炒|被…解雇: joined back, not 被 alone (in a third of Chinese text)
    (r"(?:被|遭)[\u4e00-\u9fff]{0,6}?(?:解雇|开除)|(?:被|遭)(?:炒|裁)", 0,
     ("开除", "被炒", "被裁", "解雇", "遭炒", "遭裁")),
])
def test_spaceless_words_of_a_pattern(rx, flags, words):
    assert needs(re.compile(rx, flags), spaceless=True) == words


def _texts():
    yield from (p.read_text("utf-8") for p in SEEDS.glob("*.txt"))
    dev = SHARED / "eval-dev"
    for f in sorted(dev.glob("*.jsonl")) if dev.exists() else ():
        for line in f.read_text("utf-8").splitlines():
            item = json.loads(line)
            yield f"{item.get('title') or ''}\n{item['text']}"


def test_no_trigger_match_is_hidden_by_the_prefilter():
    """Over the seeds and every development text: wherever a trigger matches, its words occur."""
    checked = 0
    for text in _texts():
        for family in ("en", "zh"):
            norm = fold_width(to_simplified(text)) if family == "zh" else text
            passed = {t.id for t in load_rules(family).candidates(norm)}
            for t in load_rules(family).triggers:
                if t.regex.search(norm):
                    checked += 1
                    assert t.id in passed, f"{t.id} matches {norm[:80]!r} but its words {t.words} were not found"
    assert checked > (500 if (SHARED / "eval-dev").exists() else 5)  # the seeds alone match a few


def test_the_prefilter_lets_few_plain_texts_through():
    rules = load_rules("en")
    text = "Shares rose 3% on Tuesday after the company reported quarterly results above forecasts."
    assert rules.candidates(text) == []
    passed = {t.id for t in rules.candidates("The chief executive resigned on Monday.")}
    # the words of en.resign, and of the broad triggers that share "resigned" (outgoing, headline
    # passive) or a word with it ("I resigned"; "cut" inside "executive"): a handful, never all
    assert "en.resign" in passed and len(passed) <= 5 < len(rules.triggers)
