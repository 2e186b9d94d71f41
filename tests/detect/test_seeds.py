"""The seed articles: every departing person found, nobody else, in either Chinese script."""
from __future__ import annotations

import opencc
import pytest

from monitor.detect import classify
from monitor.events.names import person_keys
from monitor.parse import parse_document
from monitor.records import Article, Document
from tests.conftest import SEEDS

SEED_000 = {"Raj Jegannathan": "Tesla", "Simon Zhai": "xAI", "吴宇怀": "xAI", "Jimmy Ba": "xAI",
            "杨恪": "xAI", "Yifei Zhou": "xAI"}
SEED_001 = {"Ayush Jaiswal", "Shayan Salehian", "Simon Zhai", "Yuhuai Wu", "Jimmy Ba", "Vahid Kazemi",
            "Hang Gao", "Roland Gavrilescu", "Chace Lee", "Andrew Ma", "Radhakrishnan Venkataramani"}
NOT_DEPARTING = ["Elon Musk", "马斯克", "Hinton", "Rebecca Bellan", "Russell Brandom", "Tim Fernholz", "Drew Baglino"]


def seed(name: str) -> Article:
    [art] = parse_document(Document(str(SEEDS / name), (SEEDS / name).read_bytes()))
    return art


def found(deps, name: str):
    keys = person_keys(name)
    return [d for d in deps if keys & set().union(*(person_keys(n) for n in [d.person, *d.aliases]))]


def test_seed_000_simplified():
    is_dep, score, deps = classify(seed("000_933a80888b7179b2.txt"))
    assert is_dep and score >= 0.8
    for person, org in SEED_000.items():
        [d] = found(deps, person)
        assert d.org in (org, "特斯拉" if org == "Tesla" else org), (person, d.org)
        assert d.evidence and len(d.evidence) < 600
    assert len(deps) == len(SEED_000)
    raj = found(deps, "Raj Jegannathan")[0]
    assert raj.role == "副总裁" and "Raj Jegannathan" in [raj.person, *raj.aliases]


def test_seed_001_traditional_lists_eleven_people():
    is_dep, _, deps = classify(seed("001_711f6961cf9a6ed6.txt"))
    assert is_dep
    for person in SEED_001:
        [d] = found(deps, person)
        assert d.org == "xAI", (person, d.org)
    assert len(deps) == len(SEED_001)
    # dates come from the timeline ("2 月 6 日:"), in the year before the reference time
    assert found(deps, "Ayush Jaiswal")[0].date.month == 2 and found(deps, "Ayush Jaiswal")[0].date.day == 6


@pytest.mark.parametrize("name", ["000_933a80888b7179b2.txt", "001_711f6961cf9a6ed6.txt"])
def test_nobody_else(name):
    _, _, deps = classify(seed(name))
    for who in NOT_DEPARTING:
        assert not [d for d in deps if who in d.person or any(who in a for a in d.aliases)], who


def test_traditional_and_simplified_give_the_same_people():
    simp = seed("000_933a80888b7179b2.txt")
    trad = Article(title=opencc.OpenCC("s2t").convert(simp.title), text=opencc.OpenCC("s2t").convert(simp.text))
    a = sorted(sorted(person_keys(d.person))[0] for d in classify(simp)[2])
    b = sorted(sorted(person_keys(d.person))[0] for d in classify(trad)[2])
    assert a == b
