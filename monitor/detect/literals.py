"""The literal words a regex cannot match without: a substring prefilter for the triggers.

`needs(pattern)` reads the compiled pattern's syntax tree and returns strings, case-folded, at
least one of which occurs in every text the pattern matches (None when it finds no such set, e.g.
for `\\w+`). `str.__contains__` over a case-folded text is some 50 times faster than Python's
regex engine scanning the same text, so an article without any of a trigger's words skips it.
The derivation only ever widens (a lookaround is dropped, an unknown piece ends a literal run),
so the prefilter can let a text through needlessly but never hide a match.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from itertools import product
from pathlib import Path

from re import _constants as C  # noqa: N812 - the regex module's own syntax tree (CPython 3.11+)
from re import _parser

MAX_SET = 64  # alternatives tracked before a piece counts as "unknown"
Info = tuple[frozenset[str] | None, frozenset[str] | None]  # (exact strings, required strings)
_EMPTY: Info = (frozenset({""}), None)  # zero-width: \b, ^, lookarounds
_UNKNOWN: Info = (None, None)


def needs(pattern: re.Pattern, spaceless: bool = False) -> tuple[str, ...] | None:
    """Case-folded strings, one of which every match of `pattern` contains; None if unknown.
    `spaceless`: the strings a match's text holds once all its whitespace is removed, as the feed
    prefilter reads an item ("steps down" -> "stepsdown", and a positive lookahead's words
    joined on: "out(?=\\s+at)" -> "outat"), far rarer than the words alone ("out")."""
    global _RARITY
    _RARITY = _rarity if spaceless else None
    try:
        _, req = _seq(list(_parser.parse(pattern.pattern, pattern.flags).data), spaceless)
    except Exception:  # an unusual construct: no prefilter for this pattern, never an error
        return None
    finally:
        _RARITY = None
    if not req or "" in req:
        return None
    folded = {s.casefold() for s in req}
    # a string that contains another one adds nothing: the shorter one occurs wherever it does
    return tuple(sorted(s for s in folded if not any(o != s and o in s for o in folded)))


_RARITY = None  # while `needs(spaceless=True)` runs: how rare a string is in text (higher: rarer)


def _score(strings: frozenset[str]) -> tuple[float, ...]:
    if _RARITY is not None:
        return (min(map(_RARITY, strings)) - len(strings) / 1000,)
    return min(map(len, strings)), -len(strings)


def _rarity(s: str) -> float:
    """How rare a prefilter string is: Chinese by jieba's word frequencies (被 and 遭 are far more
    common than 解雇 or 炒), other text by its length."""
    if not re.search(r"[\u4e00-\u9fff]", s):
        return float(len(s))
    if len(s) == 1:
        return 3.0  # one character: in countless words (辞 of 辞典, 裁 of 总裁)
    import math

    from monitor.detect.names import _jieba

    freq = _jieba().tokenizer.FREQ
    return 12.0 - math.log10(1 + max(freq.get(s, 0), min((freq.get(ch, 0) for ch in s), default=0)))


def _best(*cands: frozenset[str] | None) -> frozenset[str] | None:
    good = [c for c in cands if c and "" not in c]
    return max(good, key=_score) if good else None


def _seq(items: list, sp: bool = False) -> Info:
    acc: frozenset[str] | None = frozenset({""})  # exact strings of the run so far
    req: frozenset[str] | None = None
    exact_all = True
    for item in items:
        if sp and item[0] is C.ASSERT and item[1][0] == 1:  # a lookahead: what follows the run
            ahead, _ = _seq(list(item[1][1]), sp)
            if ahead is not None and acc is not None and len(acc) * len(ahead) <= MAX_SET:
                req = _best(req, frozenset(a + b for a, b in product(acc, ahead)))
                exact_all = False  # (what the run needs is now more than its exact strings)
            continue
        if sp and item[0] is C.BRANCH and acc is not None and acc != _EMPTY[0]:
            # the run before an alternation joined to each alternative that is exact (the parser
            # factors "被炒|被裁|被…解雇" into 被 + (炒|裁|…解雇): 被炒 is far rarer than 被)
            joint: set[str] = set()
            for alt in item[1][1]:
                ae, ar = _seq(list(alt), sp)
                if ae is not None and "" not in ae and len(acc) * len(ae) <= MAX_SET:
                    joint.update(a + b for a, b in product(acc, ae))
                elif ar:
                    joint.update(ar)
                else:
                    joint = set()
                    break
            if joint:
                req = _best(req, frozenset(joint))
        e, r = _node(item, sp)
        if e is not None and acc is not None and len(acc) * len(e) <= MAX_SET:
            acc = frozenset(a + b for a, b in product(acc, e))
            continue
        exact_all = False
        req = _best(req, acc, r, e)
        acc = e if e is not None else frozenset({""})
    req = _best(req, acc)
    return (acc if exact_all else None), req


def _space(o, v) -> bool:
    return (o is C.CATEGORY and v is C.CATEGORY_SPACE) or (o is C.LITERAL and chr(v).isspace())


def _node(item, sp: bool = False) -> Info:
    op, av = item
    if op is C.LITERAL:
        return (_EMPTY[0] if sp and chr(av).isspace() else frozenset({chr(av)})), None
    if op is C.IN:
        if sp and any(_space(o, v) for o, v in av) and all(o is C.LITERAL or _space(o, v) for o, v in av):
            return frozenset("" if _space(o, v) else chr(v) for o, v in av), None  # [\s-]: "" or "-"
        if all(o is C.LITERAL for o, _ in av) and len(av) <= 8:
            return frozenset(chr(v) for _, v in av), None
        return _UNKNOWN
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return _EMPTY
    if op is C.SUBPATTERN:
        return _seq(list(av[-1]), sp)
    if op is C.BRANCH:
        infos = [_seq(list(alt), sp) for alt in av[1]]
        exacts = [e for e, _ in infos]
        exact = frozenset().union(*exacts) if all(e is not None for e in exacts) else None
        if exact is not None and len(exact) > MAX_SET:
            exact = None
        reqs = [_best(r, e) for e, r in infos]
        req = frozenset().union(*reqs) if all(reqs) else None
        return exact, req
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        e, r = _seq(list(sub), sp)
        if hi == 0 or e == _EMPTY[0]:  # (whitespace, read spaceless, repeated: still nothing)
            return _EMPTY
        if lo == 0:
            return (e | {""} if e is not None and hi == 1 else None), None
        return (e if lo == hi == 1 else None), _best(r, e)
    return _UNKNOWN


# ------------------------------------------------------------------ the feed prefilter
# Every word some trigger needs (both languages; the Chinese ones in Simplified and in the
# Traditional forms OpenCC gives), case-folded: an item whose raw text holds none of them cannot
# be reported by the detector, so the daemon never parses it. The file is data, generated from
# the triggers (`make words`); a test keeps it in step with them.
WORDS_FILE = "patterns/departure_words.txt"
_TRADITIONAL = ("s2t", "s2tw", "s2hk", "s2twp")


def departure_words_from_rules() -> list[str] | None:
    """The words, from the trigger patterns (None: some trigger needs no word, no prefilter)."""
    import unicodedata

    import opencc

    from monitor.detect.patterns import load_rules

    words: set[str] = set()
    for family in ("en", "zh"):
        for t in load_rules(family).triggers:
            spaceless = needs(t.regex, spaceless=True)
            if spaceless is None:
                return None
            # item_texts folds letters and digits only: a string with other punctuation ("won't",
            # which a text may write "won’t") is replaced by its longest run without it
            words.update(max(re.findall(r"[\w-]+", w) or [w], key=len) for w in spaceless)
    converters = [opencc.OpenCC(c) for c in _TRADITIONAL]
    out = set()
    for w in words:
        for v in [w, *(c.convert(w) for c in converters)]:
            out.add(unicodedata.normalize("NFKC", v).casefold())
    # a word containing another adds nothing: the shorter one occurs wherever it does
    return sorted(w for w in out if not any(o != w and o in w for o in out))


@lru_cache(maxsize=1)
def departure_words() -> tuple[str, ...] | None:
    text = resources.files("monitor.detect").joinpath(WORDS_FILE).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return None if lines == ["*"] else tuple(lines)


@lru_cache(maxsize=1)
def _automaton():
    """Every departure word without its spaces (item_texts removes them from the text), in one
    Aho-Corasick automaton: one pass over an item's text, whatever the number of words."""
    import ahocorasick

    words = departure_words()
    if words is None:
        return None
    a = ahocorasick.Automaton()
    for w in words:
        key = re.sub(r"\s+", "", w)
        a.add_word(key, key)
    a.make_automaton()
    return a


def might_report(texts: list[str] | None) -> bool:
    """Whether an item whose raw text readings are `texts` (monitor.parse.feeds.item_texts) could
    hold a departure the detector reports: some departure word in some reading. Unreadable
    (None) or no prefilter: yes."""
    a = _automaton()
    if texts is None or a is None:
        return True
    return any(next(a.iter(t), None) is not None for t in texts if t)


def write_departure_words() -> int:
    words = departure_words_from_rules()
    path = resources.files("monitor.detect").joinpath(WORDS_FILE)
    header = "# generated by `make words` from patterns/*.yaml (monitor.detect.literals): do not edit\n"
    Path(str(path)).write_text(header + "\n".join(words if words is not None else ["*"]) + "\n", "utf-8")
    return len(words or [])
