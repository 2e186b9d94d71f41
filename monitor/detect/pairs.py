"""The learned decision: is this person the one leaving? For every (mention, departure word) pair
in a sentence, `features` describes the pair (the departure word and its rule, where the mention
stands, the words between, role and organisation words, negative cues, what the hand-written rule
concluded) and `Decision` scores it with logistic weights learned from labelled text
(`monitor train`, monitor/detect/train.py): one *joint* logistic model over every feature of the
pair. `monitor train --factored` adds a second reading, averaged with the first: does this
departure word report a departure here (the *event* features: the word, its rule, what stands
around it, negative cues) and is this mention the one leaving (the *who* features: everything that
depends on the mention), the geometric mean of the two. Apart, each part learns from the examples
that concern it: the event part one example per departure word (the joint model learns "退休" and
"exits" as negative, since most candidates near them are not the person), the who part only the
candidates of words that do report a departure. The weights are data files, one per language
family (model/pairs.en.tsv, model/pairs.zh.tsv: English and Chinese share few features, and one
family can be retrained without the other's text): one feature and its weight a line, the
factored parts' features prefixed event: or who:."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FAMILIES = ("en", "zh")


def weights_file(family: str, stem: str = "pairs") -> str:
    """The package-relative weights file of a language family: model/pairs.en.tsv, model/orgs.zh.tsv."""
    if family not in FAMILIES:
        raise ValueError(f"unknown language family {family!r} (one of {', '.join(FAMILIES)})")
    return f"model/{stem}.{family}.tsv"


def family(lang: str) -> str:
    """en, or zh for any Chinese script."""
    return "zh" if str(lang).startswith("zh") else "en"

_EN_TOKEN = re.compile(r"[a-z][a-z'’\-]*|\d+|[,;:\"“”()]")
_PUNCT = re.compile(r"[,;:!?。，；：、]")
_QUOTE = re.compile(r"[\"“”「」『』]")


@dataclass(frozen=True)
class Pair:
    """What the engine knows of one (mention, departure word) pair: positions in the sentence's
    normalised text, where the mention came from, and the rule engine's own reading."""

    lang: str  # "en" or "zh"
    text: str  # the sentence (Simplified for Chinese)
    m_start: int
    m_end: int
    t_start: int
    t_end: int
    trigger: str  # trigger id (en.resign, zh.cizhi, ...)
    slot: str  # the trigger's person slot: subject/object/possessive/speaker
    source: str  # how the mention was found: name, org-shaped, guess, role, antecedent, ...
    rule: str | None  # how the rule engine attached this mention to this trigger, if it did
    negatives: tuple[str, ...]  # negative cues around the trigger: "kind:scope"
    persons_between: int  # other person mentions between mention and trigger
    role_before: bool  # a role word ends right before the mention ("CFO Amy Hood")
    title: bool  # the sentence is the article's title
    first: bool  # the mention is the first person named in the sentence
    succession: bool  # the sentence speaks of a successor or an appointment
    surname: bool = False  # Chinese: the mention starts with a family name
    translit: bool = False  # Chinese: every character is a transliteration character
    extra: tuple[str, ...] = ()  # what the name finder says of the mention itself
    title_silent: bool = False  # a body sentence of an article whose title speaks of no departure


def _bucket(n: int) -> str:
    for limit, name in ((0, "0"), (1, "1"), (2, "2"), (4, "3-4"), (8, "5-8"), (16, "9-16"), (40, "17-40")):
        if n <= limit:
            return name
    return "41+"


def _chars(s: str) -> list[str]:
    """Chinese text as its characters and character pairs."""
    chars = [c for c in s if not c.isspace()]
    return chars + [a + b for a, b in zip(chars, chars[1:])]


def features(p: Pair) -> list[str]:
    """The pair's features, as strings: a feature present has value 1."""
    lang = p.lang
    before = p.m_end <= p.t_start
    lo, hi = (p.m_end, p.t_start) if before else (p.t_end, p.m_start)
    gap = p.text[lo:hi] if hi > lo else ""
    dist = len(_EN_TOKEN.findall(gap.lower())) if lang == "en" else len(gap.strip())
    pos = "before" if before else "after"
    f = [
        "bias", f"trig={p.trigger}", f"slot={p.slot}", f"pos={pos}", f"slot={p.slot}|pos={pos}",
        f"dist={_bucket(dist)}", f"trig={p.trigger}|pos={pos}", f"src={p.source}", f"src={p.source}|pos={pos}",
        f"pos={pos}|dist={_bucket(dist)}",
    ]
    # English reads no words of its own around the pair (between, before, after, before the
    # departure word): learned from a few thousand items they memorise ("financial",
    # "starbucks'", "five", "boeing" weighed against a departure); without them leave-one-source-out
    # F1 is 0.735 instead of 0.726 and hard negatives called departures 67 instead of 89 of 979.
    # Chinese keeps its characters (the Chinese weights were learned with them).
    if lang != "en":
        gtoks = _chars(gap)
        f += [f"gap:{t}" for t in dict.fromkeys(gtoks[:12] + gtoks[-12:])]
    if _PUNCT.search(gap):
        f.append(f"gap_punct|pos={pos}")
    if _QUOTE.search(gap):
        f.append("gap_quote")
    if p.persons_between:
        f.append(f"persons_between={min(p.persons_between, 2)}")
    if p.rule:
        f += ["rule", f"rule={p.rule}", f"rule|trig={p.trigger}"]
    else:
        f.append(f"norule|trig={p.trigger}")
    f += [f"neg={n}" for n in p.negatives]
    f += [f"neg={n.split(':')[0]}" for n in dict.fromkeys(p.negatives)]
    for flag, name in ((p.role_before, "role_before"), (p.title, "title"), (p.first, "first_person"),
                       (p.succession, "succession"), (p.surname, "surname"), (p.translit, "translit"),
                       (p.title_silent and lang == "en", "title_silent")):
        if flag:
            f.append(name)
    # Chinese: the characters around the pair (before the mention, after the trigger, right
    # before the departure word: "被", "宣布")
    if lang == "en":
        word = p.text[p.t_start:p.t_end].strip().lower()
    else:
        ctx = p.text[max(0, min(p.m_start, p.t_start) - 6):min(p.m_start, p.t_start)]
        left = list(p.text[max(0, p.m_start - 2):p.m_start]) + [f"ctx{a}{b}" for a, b in zip(ctx, ctx[1:])]
        right = list(p.text[p.t_end:p.t_end + 2])
        right = right + (["".join(right)] if len(right) == 2 else [])
        f += [f"left:{t}" for t in left] + [f"right:{t}" for t in right]
        word = p.text[p.t_start:p.t_end].strip()
        lo = max(0, p.t_start - 25, p.m_end if p.m_end <= p.t_start else 0)
        near = p.text[max(lo, p.t_start - 2):p.t_start].strip()
        f += [f"tl:{c}" for c in near] + ([f"tl:{near}"] if len(near) == 2 else [])
    f.append(f"word={word}")
    # Chinese: nothing after the departure word but the end of the clause ("…李长庚退休"): the
    # word is the verb of the sentence, not a noun's modifier (退休金). English learned it as a
    # sign against ("… has resigned."), from the calls to resign, and reads it no more.
    after = p.text[p.t_end:p.t_end + 2].strip()
    if lang != "en" and (not after or _PUNCT.match(after) or after[:1] in ".!?…)）」』\"”"):
        f += ["right:$", f"right:$|trig={p.trigger}"]
    if not p.text[:min(p.m_start, p.t_start)].strip():
        f.append("left:^")
    f += p.extra
    if lang == "en":
        f.append(f"mtoks={min(len(p.text[p.m_start:p.m_end].split()), 4)}")
    return f


class Model:
    """Logistic weights over features."""

    def __init__(self, weights: dict[str, float]):
        self.weights = weights

    def score(self, feats: list[str]) -> float:
        z = sum(self.weights.get(x, 0.0) for x in feats)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def explain(self, feats: list[str], top: int = 5) -> list[tuple[str, float]]:
        """The features that weighed most in a score, for `--errors` and reviews."""
        scored = [(x, self.weights.get(x, 0.0)) for x in feats]
        return sorted(scored, key=lambda kv: -abs(kv[1]))[:top]

    @classmethod
    def parse(cls, text: str) -> Model:
        w = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition("\t")
                w[name] = float(value)
        return cls(w)

    def dump(self, header: str = "") -> str:
        lines = [f"# {h}" for h in header.splitlines()]
        lines += [f"{k}\t{v:.4f}" for k, v in sorted(self.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))]
        return "\n".join(lines) + "\n"


_EVENT = ("trig=", "word=", "right:", "neg=", "tl:")


def is_event(feature: str) -> bool:
    """Does the feature describe the departure word alone (the event part), not the mention?"""
    return (feature.startswith(_EVENT) and not (feature.startswith("trig=") and "|" in feature)) or \
        feature in ("title", "succession")


def split(feats: list[str]) -> tuple[list[str], list[str]]:
    """A pair's features as (event part, who part), each with its own bias."""
    event = ["bias"] + [f for f in feats if is_event(f)]
    return event, [f for f in feats if not is_event(f)]


class Decision:
    """The pair decision: the joint model, averaged with the factored one (event x who) when
    the weights have it."""

    PARTS = ("joint", "event", "who")

    def __init__(self, joint: Model, event: Model | None = None, who: Model | None = None):
        self.joint, self.event, self.who = joint, event or Model({}), who or Model({})
        self.factored = bool(self.event.weights or self.who.weights)

    def score(self, feats: list[str]) -> float:
        if not self.factored:
            return self.joint.score(feats)
        event, who = split(feats)
        return (self.joint.score(feats) + math.sqrt(self.event.score(event) * self.who.score(who))) / 2

    def explain(self, feats: list[str], top: int = 5) -> list[tuple[str, float]]:
        event, who = split(feats)
        scored = [(x, self.joint.weights.get(x, 0.0)) for x in feats]
        if self.factored:
            scored += [(f"event:{x}", self.event.weights.get(x, 0.0)) for x in event]
            scored += [(f"who:{x}", self.who.weights.get(x, 0.0)) for x in who]
        return sorted(scored, key=lambda kv: -abs(kv[1]))[:top]

    @classmethod
    def parse(cls, text: str) -> Decision:
        parts: dict[str, list[str]] = {p: [] for p in cls.PARTS}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                part, _, rest = line.partition(":")
                if part in ("event", "who"):
                    parts[part].append(rest)
                else:
                    parts["joint"].append(line)
        return cls(*(Model.parse("\n".join(parts[p])) for p in cls.PARTS))

    def dump(self, header: str = "") -> str:
        lines = [f"# {h}" for h in header.splitlines()]
        for part, m in zip(("", "event:", "who:"), (self.joint, self.event, self.who)):
            lines += [f"{part}{k}\t{v:.4f}" for k, v in sorted(m.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))]
        return "\n".join(lines) + "\n"


@lru_cache(maxsize=len(FAMILIES))
def model(family: str) -> Decision:
    """The shipped weights of a language family (an empty model scores every pair 0.5 until
    `monitor train` writes them)."""
    f = resources.files("monitor.detect").joinpath(weights_file(family))
    return Decision.parse(f.read_text("utf-8")) if f.is_file() else Decision(Model({}))
