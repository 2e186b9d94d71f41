"""Find the people and organisations a sentence names: capitalised runs for Latin script;
jieba's name tags (checked against family names), `·`-joined transliterations, names after a
role word and Latin names for Chinese. Candidates only: the engine decides who departed."""
from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, NamedTuple

from monitor.detect.patterns import Rules

_U = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
_L = "a-zß-öø-ÿāăąćčďđēėęěğģīįıķĺļľłńņňōőœŕřśşšţťūůűųźżž"
_TOK = (rf"(?:(?:Mc|Mac|O['’]|D['’])[{_U}][{_L}]+|[{_U}][{_L}]+[{_U}]{{2,}}(?![{_L}])|[{_L}][{_U}]{{2,}}(?![{_L}])|[{_U}][{_L}]*[{_U}][{_L}]+|(?:[{_U}]\.){{1,3}}\s?[{_U}][{_L}]+"
        rf"|[{_U}][{_L}]+(?:-[{_U}]?[{_L}]+)*|[{_U}]\.|[{_U}](?=\s+[{_U}][{_L}]))")
_PARTICLE = r"(?:de|van|von|der|den|da|di|du|le|la|bin|al|el|dos|das)"
_SUFFIX = r"(?:Jr\.?|Sr\.?|II|III|IV|QC)"
NAME_RX = re.compile(
    rf"(?<![\w.]){_TOK}(?:\s*\({_TOK}\))?(?:(?:,?\s+{_SUFFIX}(?![{_L}])|\s+(?:{_TOK}|{_PARTICLE}(?=\s+[{_U}])))(?:\s*\({_TOK}\))?){{0,4}}"
)
# organisation tokens may be acronyms and carry & . -
_ORG_TOK = rf"(?:[{_U}0-9][\w&.\-’']*|[a-z][A-Z][\w]*)"
ORG_RX = re.compile(rf"{_ORG_TOK}(?:\s+(?:{_ORG_TOK}|of|and|&|for|de|du)(?=\s+[{_U}0-9]|$|\b))*")

_HAN = "\u4e00-\u9fff\u3400-\u4dbf"
_DOT_NAME = re.compile(rf"[{_HAN}]{{1,6}}(?:[·・•⋅‧･\-－‐][{_HAN}]{{1,8}})+")
_ZH_LATIN_NAME = re.compile(rf"{_TOK}(?:\s*\({_TOK}\))?(?:\s+{_TOK}(?:\s*\({_TOK}\))?){{1,3}}")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    is_org: bool = False
    alias: str | None = None  # "(Raj Jegannathan)" after a Chinese name
    source: str = "name"  # how it was found (a feature of the learned decision)


_HONORIFIC_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Dr|Sir|Dame|Lord|Lady|Prof)\.?\s+$")
_HAN_RUN = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,4}(?:[·・][\u4e00-\u9fff]{1,8})*(?![\u4e00-\u9fff])")
_FUNCTION_WORD = re.compile(r"\b(?:Of|The|A|An|And|Or|To|In|On|At|As|For|From|By|With|After|Over|Amid|Says|Said|"
                            r"Resigns|Quits|Retires|Leaves|Exits|Steps|Down|Out|Up|Named|Names|Is|Was|Will|"
                            r"Its|His|Her|Their|New|Chief|Chairman|President|Executive|Officer|Director|Minister|"
                            r"Fires|Fired|Sacks|Sacked|Ousts|Ousted|Replaced|Successor|Succeed|Succeeds|Resignation|"
                            r"Departure|Retirement|Vice|Senior|Head|Board|Ceo|Cfo|Coo)\b")
_HEADLINE_WORDS = {"out", "up", "down", "off", "back", "in", "at", "as", "to", "of", "for", "on", "from", "with",
                   "after", "over", "amid", "and", "or", "the", "says", "said", "quits", "resigns", "leaves",
                   "exits", "steps", "retires", "departs", "named", "names", "is", "was", "will", "to", "joins",
                   "fired", "ousted", "sacked", "axed", "dismissed", "removed", "replaced", "expelled", "quit",
                   "resign", "retire", "leave", "leaving", "exit", "exiting", "depart", "departing", "departure",
                   "resignation", "retirement", "announces", "set", "being", "gets", "has", "have"}


# words that start a sentence and never a name ("In Texas, two …", "Every Third Wheel …")
_LEADING = {"in", "to", "at", "on", "by", "of", "or", "if", "so", "not", "now", "here", "there", "why", "how",
            "what", "who", "where", "when", "is", "was", "will", "can", "could", "should", "would", "every",
            "all", "some", "this", "that", "these", "those", "his", "her", "their", "its", "our", "my", "your",
            "do", "does", "did", "has", "have", "had", "no", "yes", "after", "before", "during", "despite"}


def _lower_tokens(s: str) -> list[str]:
    return [t.strip(".").lower() for t in re.split(r"\s+", s) if t]


# ---------------------------------------------------------------- English
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def en_candidates(sentence: str, rules: Rules, known: set[str], known_orgs: set[str]) -> list[Mention]:
    """Capitalised runs, titles stripped, each marked person or organisation."""
    lex = rules.lexicon
    titles, honor = set(lex["titles"]), set(lex["honorifics"])
    suffixes, not_names = set(lex["org_suffixes"]), set(lex["not_names"])
    out: list[Mention] = []
    # Chinese names inside English text: "xAI co-founder 吴宇怀 resigns"
    out += [Mention(m.start(), m.end(), m.group(0), source="han") for m in _HAN_RUN.finditer(sentence)]
    letters = len(_ASCII_LETTER.findall(sentence))
    upper = sum(map(str.isupper, sentence))
    # ALL-CAPS wire headlines and all-lower-case ones ("bruton leaves cannons for kings"): case
    # tells nothing about names, so read them in title case, function words lowered
    caps = upper > 0.6 * max(1, letters) or (upper == 0 and letters >= 12)
    if caps:
        titled = _FUNCTION_WORD.sub(lambda w: w.group(0).lower(), sentence.title())
        if len(titled) != len(sentence):
            return out
        sentence = titled
    src = "caps" if caps else "name"
    if caps or _title_case(sentence):  # "Judges Dismiss All Ethics Complaints Against Brett Kavanaugh"
        sentence = truecase(sentence, frozenset(suffixes), frozenset(known_orgs))
        src = "caps" if caps else "titlecase"
    for m in NAME_RX.finditer(sentence):
        text, start = m.group(0), m.start()
        toks = text.split()
        # title case: "Chris Lattner Out at Tesla" — a function word ends the name
        cut = next((i for i, t in enumerate(toks) if i and t.lower() in _HEADLINE_WORDS), None)
        if cut is not None:
            toks = toks[:cut]
            text = " ".join(toks)
        honorific = bool(_HONORIFIC_BEFORE.search(sentence, 0, start))  # "Mr. Griffin": the match began after "Mr."
        while toks and toks[0].lower() in _LEADING and start == m.start() and not sentence[:start].strip(" \"'“‘"):
            start = sentence.index(toks[0], start) + len(toks[0])  # "In Texas, …", "To Donald Trump …"
            toks = toks[1:]
        while toks and toks[0].strip(".").lower() in titles:
            honorific = honorific or toks[0].strip(".").lower() in honor
            start = sentence.index(toks[0], start) + len(toks[0])
            toks = toks[1:]
        if not toks:
            continue
        start = sentence.index(toks[0], start)
        if tail := _role_tail(toks, rules):  # "Georgetown Law Professor Fired": a role, no name
            if rest := " ".join(toks[:-tail]):
                out.append(Mention(start, start + len(rest), rest, is_org=True, source="org"))
            continue
        if cut := _org_before_name(toks, suffixes, sentence[:start]):  # "President of Peru Gustavo Adrianzén"
            head = " ".join(toks[:cut])
            out.append(Mention(start, start + len(head), head, is_org=True, source="org"))
            start, toks = sentence.index(toks[cut], start + len(head)), toks[cut:]
        text = " ".join(toks)
        low = _lower_tokens(text)
        if low[-1] in suffixes or text.lower() in known_orgs or low[0] in known_orgs:
            out.append(Mention(start, start + len(text), text, is_org=True))
            continue
        if all(t in not_names for t in low):
            if text.lower() in known_orgs or len(text) > 2:
                out.append(Mention(start, start + len(text), text, is_org=True))
            continue
        real = [t for t in low if t not in (_PARTICLE,) and len(t) > 1]
        initials = re.fullmatch(rf"(?:[{_U}]\.){{1,3}}\s?[{_U}][{_L}]+", text)  # J.R.Moman
        if (len(toks) >= 2 and len(real) >= 2 and not any(t in not_names for t in low[-1:])) or initials:
            out.append(Mention(start, start + len(text), text, source=src))
        elif len(toks) == 1 and (honorific or text in known):
            out.append(Mention(start, start + len(text), text, source="known" if text in known else "honorific"))
        else:  # one capitalised word: an organisation, or a surname ("Reichman resigned")
            out.append(Mention(start, start + len(text), text, is_org=True, source="single" if len(toks) == 1 else "org"))
    # acronym organisations (WTO, IBM) are organisation candidates too
    for m in re.finditer(r"\b[A-Z][A-Z&]{1,6}\b", sentence):
        if caps or rules.role.fullmatch(m.group(0)):
            continue  # CFO, CEO: a role, never an organisation
        if m.group(0).lower() not in not_names or m.group(0).lower() in known_orgs:
            out.append(Mention(m.start(), m.end(), m.group(0), is_org=True))
    out.sort(key=lambda x: x.start)
    return out


def _org_before_name(toks: list[str], suffixes: set[str], before: str) -> int:
    """How many of a capitalised run's first words are an organisation or place run into the name
    after it: up to a company suffix ("Acme Corp John Smith"), or, after "… of", up to a known
    given name that starts the rest ("Prime Minister of Peru Gustavo Adrianzén"); 0 when none.
    The name left must have two words."""
    low = [t.strip(".,").lower() for t in toks]
    for i, t in enumerate(low[:-2]):
        if t in suffixes and i:
            return i + 1
    if len(toks) >= 3 and re.search(r"\bof\s+(?:the\s+)?$", before):
        given = en_lexicons()[0]
        for i in range(1, len(toks) - 1):
            if low[i] in given:
                return 0 if any(t in given or t in _NAME_PARTICLES for t in low[:i]) else i
    return 0


_NAME_PARTICLES = frozenset("abu bin ibn al el de del della di da van von der le la mac st saint".split())


def _role_tail(toks: list[str], rules: Rules) -> int:
    """How many of a capitalised run's last words are a role ("Catholic School Principal",
    "Netflix Chief Communications Officer"): 0 when none, or when they read as a surname after
    a given name ("John Dean", "Mark Host")."""
    for n in (3, 2, 1):
        if len(toks) >= max(n, 2) and rules.role.fullmatch(" ".join(toks[-n:])):
            given, surnames, _ = en_lexicons()
            if n == 1 and len(toks) == 2 and toks[0].lower() in given and toks[1].lower() in surnames:
                return 0
            return n
    return 0


# ---------------------------------------------------------------- Chinese
# jieba's dictionary holds 349,046 words and its part-of-speech tagger (jieba.posseg) a character
# HMM over 256 tag states: together ~145 MB. Names need less. The segmenter keeps the words seen
# at least JIEBA_MIN_FREQ times in jieba's corpus, every name and organisation word (nt, nrt,
# nrfg) and the rarer words that hold a name (人工智慧 holds 智慧): ~59,000 words. A word gets its
# dictionary tag; a word the dictionary lacks (the segmenter's 4-state HMM groups unknown
# characters, which is how new names come out) is tagged a possible name, and zh_candidates
# keeps those that start with a family name or are transliterations. ~40 MB instead of ~145;
# development-set zh-Hans F1 0.901 instead of 0.908 with the full tagger.
JIEBA_MIN_FREQ = 100
_KEEP_TAGS = {"nt", "nrt", "nrfg"}
_NAME_TAGS = {"nr", "nrt", "nrfg"}


class Word(NamedTuple):
    word: str
    flag: str


def compact_dictionary(src: Path, min_freq: int = JIEBA_MIN_FREQ) -> Path:
    """jieba's dictionary without its rare common words, written once to a cache directory."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "monitor"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        cache = Path(tempfile.gettempdir())
    out = cache / f"jieba-dict-{min_freq}-{src.stat().st_size}-v4.txt"
    if not out.exists():
        def rows():
            with src.open(encoding="utf-8") as f:
                yield from (p for p in (line.split() for line in f) if len(p) == 3)

        def common(f: str, t: str) -> bool:
            return int(f) >= min_freq or t in _KEEP_TAGS

        names = {w for w, f, t in rows() if t in _NAME_TAGS and common(f, t)}

        def holds_name(w: str) -> bool:  # 人工智慧 holds 智慧, which the dictionary tags nr
            return any(w[i:j] in names for i in range(len(w)) for j in range(i + 2, len(w) + (i > 0)))

        # a rarer word that holds a kept name stays, or the name would be cut out of it
        kept = [f"{w} {f} {t}\n" for w, f, t in rows() if common(f, t) or holds_name(w)]
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        tmp.replace(out)  # atomic: a concurrent process reads the whole file or makes its own
    return out


def _prefix_dict(path: Path) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's prefix dictionary of the compact dictionary (word or word prefix -> frequency, and
    the total) with the name tags we use, cached beside it. The cache is read whole and unmarshalled
    from bytes: jieba's own cache, unmarshalled from the open file, takes 5x as long (~0.2 s in
    every worker that meets Chinese text)."""
    import marshal

    import jieba

    cache = path.with_name(f"{path.stem}-py{sys.version_info[0]}{sys.version_info[1]}.marshal")
    try:
        freq, total, tags = marshal.loads(cache.read_bytes())
        return freq, total, tags
    except (OSError, EOFError, ValueError, TypeError):
        pass  # none yet, or unreadable: build it
    with path.open("rb") as f:
        freq, total = jieba.Tokenizer.gen_pfdict(f)
    with path.open(encoding="utf-8") as f:
        tags = {w: t for w, _, t in (line.split() for line in f) if t in _TAGS_USED}
    try:
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((freq, total, tags)))
        tmp.replace(cache)  # atomic, as compact_dictionary's file
    except OSError:
        pass  # a read-only cache: build it again next time
    return freq, total, tags


class _Tagger:
    """jieba's segmenter over the compact dictionary, with the dictionary's tags."""

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        path = compact_dictionary(Path(jieba.__file__).parent / "dict.txt")
        self.tokenizer = jieba.Tokenizer(dictionary=str(path))
        # what Tokenizer.initialize() would build, from our own cache (see _prefix_dict)
        self.tokenizer.FREQ, self.tokenizer.total, self.tags = _prefix_dict(path)
        self.tokenizer.initialized = True

    def cut(self, sentence: str) -> Iterator[Word]:
        for w in self.tokenizer.cut(sentence, HMM=True):
            if w in self.tags:
                yield Word(w, self.tags[w])
            elif _ASCII_WORD.fullmatch(w):
                yield Word(w, "eng")
            elif w not in self.tokenizer.FREQ and _HAN_WORD.fullmatch(w):
                yield Word(w, "nr")  # not in the dictionary: grouped by the HMM, possibly a name
            else:
                yield Word(w, "x")


_TAGS_USED = {"nr", "nrfg", "nrt", "nt"}
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.&\-]*")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


@lru_cache(maxsize=1)
def _jieba() -> _Tagger:
    return _Tagger()


_NAME_STOP = re.compile(r"(?:宣布|官宣|辞|离|卸|退|请|已|也|将|于|在|因|被|的|等|和|与|及|则|是|表示|称|日前|近日|今|昨|正式|不再)")


def followed_by_trigger(sentence: str, end: int, rules: Rules) -> bool:
    """Does a departure trigger follow position `end`, past allowed fillers?"""
    rest = sentence[end:]
    g = rules.gap.match(rest)
    after = rest[g.end():] if g else rest
    return any(t.regex.match(after) for t in rules.triggers)


def _name_length(sentence: str, start: int, chars: str, rules: Rules) -> int:
    """How many of the 2-3 characters after a role word are the name: the length after which a
    trigger follows (past allowed fillers), else the part before a function word."""
    for length in (3, 2):
        if length <= len(chars) and not _NAME_STOP.search(chars[:length]) \
                and followed_by_trigger(sentence, start + length, rules):
            return length
    cut = _NAME_STOP.split(chars)[0]
    return len(cut) if 2 <= len(cut) <= 3 else 0


def _extend(sentence: str, start: int, end: int, longest: int, rules: Rules) -> int:
    """jieba cuts names short (李家|超, 利文斯|顿) or long (于良辞|任): move the end by up to two
    characters when a trigger then follows and did not before."""
    if followed_by_trigger(sentence, end, rules):
        return end
    if end - start == 3 and followed_by_trigger(sentence, end - 1, rules):
        return end - 1
    for extra in (1, 2):
        tail = sentence[end:end + extra]
        if end - start + extra > longest or len(tail) < extra or not re.fullmatch(rf"[{_HAN}]+", tail) \
                or _NAME_STOP.search(tail):
            break
        if followed_by_trigger(sentence, end + extra, rules):
            return end + extra
    return end


def guess_name_before(sentence: str, trigger_start: int, rules: Rules, known_orgs: set[str]) -> tuple[int, int] | None:
    """A Chinese name no tagger found, right before a trigger: 2-3 characters starting with a family
    name, after a boundary (punctuation, date, role, 的), with only fillers up to the trigger."""
    surnames = rules.lexicon["surnames"]
    not_names = set(rules.lexicon.get("not_names", ()))
    for length in (3, 2, 4):
        for start in range(max(0, trigger_start - length - 12), trigger_start - length + 1):
            name = sentence[start:start + length]
            if not re.fullmatch(rf"[{_HAN}]+", name) or name[0] not in surnames or name in not_names \
                    or name.lower() in known_orgs or _org_shaped(name, tuple(rules.lexicon["org_suffixes"])) \
                    or _NAME_STOP.search(name) or name.endswith(tuple(rules.lexicon.get("not_name_suffixes", ()))):
                continue
            before = sentence[max(0, start - 8):start]
            if not (start == 0 or re.search(r"[\s\d,,。;;::、()()「」“”\"的是日天年月前后了]$", before)
                    or rules.role.search(before[-4:] if before else "") and re.search(rules.role.pattern + "$", before)):
                continue
            if rules.gap.fullmatch(sentence[start + length:trigger_start]):
                return start, start + length
    translit = rules.lexicon.get("translit_chars", "")
    for end in range(trigger_start, max(0, trigger_start - 14), -1):
        if not rules.gap.fullmatch(sentence[end:trigger_start]):
            continue
        start = end
        while start > 0 and sentence[start - 1] in translit and end - start < 6:
            start -= 1
        if end - start >= 3 and sentence[start:end] not in not_names | known_orgs \
                and not re.search(r"[从在于自到和与]$", sentence[:start]):
            return start, end
    return None


def _org_shaped(word: str, suffixes: tuple[str, ...]) -> bool:
    """A word ending in an organisation suffix with a name before it (腾讯公司, not 公司 or 部署)."""
    return bool(word) and any(len(word) >= len(suf) + (2 if len(suf) == 1 else 1)
                              for suf in _suffix_ends(suffixes).get(word[-1], ()) if word.endswith(suf))


@lru_cache(maxsize=4)
def _suffix_ends(suffixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The suffixes by their last character: a word is compared only with those it can end in."""
    out: dict[str, list[str]] = {}
    for suf in suffixes:
        out.setdefault(suf[-1], []).append(suf)
    return {k: tuple(v) for k, v in out.items()}


def dot_names(sentence: str, rules: Rules) -> list[tuple[int, int]]:
    """Spans of `·`-joined transliterated names (拉杰·杰根纳坦), a role or 的/是 before them cut off."""
    out = []
    for m in _DOT_NAME.finditer(sentence):
        first = re.split(r"[·・•⋅‧･\-－‐]", m.group(0))[0]
        cut = max((r.end() for r in rules.role.finditer(first)), default=0)
        cut = max(cut, first.rfind("的") + 1, first.rfind("是") + 1, first.rfind("、") + 1)
        end = m.end()
        last = re.split(r"[·・•⋅‧･\-－‐]", m.group(0))[-1]
        if not followed_by_trigger(sentence, end, rules):
            fits = [k for k in range(len(last) - 1, 0, -1) if followed_by_trigger(sentence, end - len(last) + k, rules)]
            end = end - len(last) + (fits[0] if fits else len(_NAME_STOP.split(last)[0]) or len(last))
        if end - m.start() - cut >= 3:
            out.append((m.start() + cut, end))
    return out


def zh_candidates(sentence: str, rules: Rules, known: set[str], known_orgs: set[str]) -> list[Mention]:
    """People and organisations in a Simplified-Chinese sentence."""
    lex = rules.lexicon
    surnames = lex["surnames"]
    org_suffixes = tuple(lex["org_suffixes"])
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, is_org: bool = False, alias: str | None = None, source: str = "name") -> None:
        if any(s < te and e > ts for ts, te in taken):
            return
        taken.append((s, e))
        out.append(Mention(s, e, sentence[s:e], is_org, alias, source))

    def alias_after(e: int) -> str | None:
        m = re.match(rf"\s*[((]\s*({_TOK}(?:\s+{_TOK}){{1,3}})\s*[))]", sentence[e:])
        return m.group(1) if m else None

    not_names = set(lex.get("not_names", ()))
    for s, e in dot_names(sentence, rules):
        add(s, e, alias=alias_after(e), source="dot")
    for name in sorted(known, key=len, reverse=True):  # names already seen in this article
        for m in re.finditer(re.escape(name), sentence):
            add(m.start(), m.end(), source="known")
    for m in re.finditer(rf"[{surnames}]某{{1,2}}", sentence):  # 陈某: a name withheld
        add(m.start(), m.end(), source="withheld")
    for m in _ZH_LATIN_NAME.finditer(sentence):
        low = m.group(0).lower()
        is_org = low in known_orgs or low.split()[-1] in rules.lexicon.get("latin_org_suffixes", ())
        add(m.start(), m.end(), is_org=is_org, source="latin")
    # names right after a role word: 总裁黎大钧, 部长徐国勇日前正式请辞
    for m in rules.role.finditer(sentence):
        n = re.match(rf"[{_HAN}]{{2,3}}", sentence[m.end():])
        if not n or n.group(0)[0] not in surnames or n.group(0) in not_names:
            continue
        length = _name_length(sentence, m.end(), n.group(0), rules)
        if length:
            add(m.end(), m.end() + length, alias=alias_after(m.end() + length), source="after_role")
    pos = 0
    for w in _jieba().cut(sentence):
        s, e = pos, pos + len(w.word)
        pos = e
        if w.word in known_orgs or w.word.lower() in known_orgs:
            add(s, e, is_org=True)
        elif w.word in not_names:
            continue
        elif w.flag in ("nr", "nrfg", "nrt") and 2 <= len(w.word) <= 4 and re.fullmatch(rf"[{_HAN}]+", w.word):
            if w.flag == "nrt" or w.word[0] in surnames:
                foreign = w.flag == "nrt" or all(ch in lex.get("translit_chars", "") for ch in w.word)
                e = _extend(sentence, s, e, 6 if foreign else 4, rules)
                add(s, e, alias=alias_after(e), source="translit" if foreign else "tagged")
        elif w.flag == "nt" or (_org_shaped(w.word, org_suffixes) and re.fullmatch(rf"[{_HAN}]+", w.word)):
            add(s, e, is_org=True)
        elif w.flag == "eng" and (w.word.lower() in known_orgs or re.search(r"[A-Z]", w.word)):
            add(s, e, is_org=True)
    out.sort(key=lambda x: x.start)
    return out


# ---------------------------------------------------------------- Chinese spans
# The finder above misses names it has no rule for (格里芬, 璩静, 莱万, gamer IDs) and glues
# verbs onto others. So the learned decision also sees every short span next to a departure
# word, described by what makes a span a name — family name, transliteration characters, where
# the segmenter puts word boundaries, how common a word it is, the characters around it — and
# picks the one that is leaving, if any.
SPAN_REACH = 7  # span ends (before a trigger) or starts (after it) at most this far away
_SPAN_CHARS = re.compile(rf"[{_HAN}·]+|[A-Za-z][A-Za-z0-9_\-]*")
_STOP_CHARS = re.compile(r"[的了在是和与及这那些们将已也都就不被把从对为于向正并而却还又再其所以等之]")
_BOUNDARY = re.compile(r"[\s,，。;；:：!！?？、()（）「」“”\"'《》【】\[\]]")


@lru_cache(maxsize=2048)
def _segmented(sentence: str) -> tuple[frozenset[int], dict[tuple[int, int], tuple[str, int]]]:
    """Word boundaries of a sentence and, per word span, its dictionary tag and frequency."""
    tagger = _jieba()
    bounds, words, pos = {0}, {}, 0
    for w in tagger.cut(sentence):
        words[(pos, pos + len(w.word))] = (w.flag, tagger.tokenizer.FREQ.get(w.word, 0))
        pos += len(w.word)
        bounds.add(pos)
    return frozenset(bounds), words


def zh_spans(sentence: str, t_start: int, t_end: int, after: bool) -> Iterator[tuple[int, int]]:
    """Spans of 2-6 characters (Han, or a Latin token) ending up to SPAN_REACH characters before a
    trigger, or (object triggers) starting up to SPAN_REACH after it, within the clause."""
    seen = set()
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9_\-]{1,20}", sentence):  # Latin tokens: Canna, TheShy
        if 0 <= t_start - m.end() <= SPAN_REACH + 4 or (after and 0 <= m.start() - t_end <= SPAN_REACH + 4):
            seen.add((m.start(), m.end()))
    lo = max(0, t_start - SPAN_REACH - 6)
    left = sentence[lo:t_start]
    cut = max((b.end() for b in _BOUNDARY.finditer(left)), default=0) + lo
    for e in range(t_start, max(cut, t_start - SPAN_REACH) - 1, -1):
        for n in range(2, 7):
            a = e - n
            if a >= cut and re.fullmatch(rf"[{_HAN}](?:[{_HAN}·]*[{_HAN}])?", sentence[a:e]):
                seen.add((a, e))
    if after:
        right = sentence[t_end:t_end + SPAN_REACH + 6]
        stop = t_end + (min((b.start() for b in _BOUNDARY.finditer(right)), default=len(right)))
        for a in range(t_end, min(stop, t_end + SPAN_REACH) + 1):
            for n in range(2, 7):
                e = a + n
                if e <= stop and re.fullmatch(rf"[{_HAN}](?:[{_HAN}·]*[{_HAN}])?", sentence[a:e]):
                    seen.add((a, e))
    yield from sorted(seen)


# the finder's readings whose boundaries are a name's own (a guess before a trigger is not)
_FINDER_READINGS = {"after_role", "tagged", "translit", "dot", "known", "latin", "withheld"}


def zh_complete_name(sentence: str, a: int, b: int, rules: Rules, readings: list[tuple[int, int, str]]) -> tuple[int, int]:
    """The whole name around a Chinese reading the decision picked, when the pick is part of one:
    a name the finder read that holds it (李彦 in 李彦宏), a transliteration's other characters
    and parts (齐尔 -> 厄齐尔, 阿米尔 -> 阿米尔-辛顿), a family name before two characters after a
    role (董事长|于少波), a third character before the departure word (周健|男辞职)."""
    bounds, words = _segmented(sentence)
    freq = _jieba().tokenizer.FREQ

    def common(pair: str) -> bool:  # 宣布, 达成: a word of their own, not a name's edge
        return len(pair) == 2 and freq.get(pair, 0) >= 100
    # (where the segmenter ends a word: not 杨恪博|士 for 杨恪博士)
    readings = [(x, y, src) for x, y, src in readings if src in _FINDER_READINGS and y in bounds] + \
               [(x, y, "tagged") for (x, y), (flag, _) in words.items() if flag in ("nr", "nrfg", "nrt") and 2 <= y - x <= 4]
    longer = [(x, y) for x, y, _ in readings if x <= a and b <= y and (x, y) != (a, b) and y - x <= 8]
    if longer:
        return min(longer, key=lambda r: r[1] - r[0])
    lex = rules.lexicon
    translit, surnames = lex.get("translit_chars", ""), lex.get("surnames", "")
    n = len(sentence)
    if all(ch in translit for ch in sentence[a:b]):
        # a character is taken unless it makes a common word with the one beyond it: not the 布
        # of 宣布 nor the 达 of 达成 (官宣博|格巴, 罗塞|尼尔: the segmenter's cut is no guide)
        while a > 0 and sentence[a - 1] in translit and b - a < 6 and not common(sentence[max(0, a - 2):a]) \
                and not rules.role.search(sentence[max(0, a - 3):a]):
            a -= 1
        while b < n and sentence[b] in translit and b - a < 6 and not common(sentence[b:b + 2]) \
                and not followed_by_trigger(sentence, b, rules):
            b += 1
        while b + 1 < n and sentence[b] in "-－‐·・" and sentence[b + 1] in translit:  # 阿米尔-辛顿
            b += 2
            while b < n and sentence[b] in translit and not common(sentence[b:b + 2]) and not followed_by_trigger(sentence, b, rules):
                b += 1
        while a > 1 and sentence[a - 1] in "-－‐·・" and sentence[a - 2] in translit:
            a -= 2
            while a > 0 and sentence[a - 1] in translit and not rules.role.search(sentence[max(0, a - 3):a]):
                a -= 1
        return a, b
    jp = set(lex.get("jp_surnames", ()))
    if b - a == 2 and a >= 2 and sentence[a - 2:a] in jp:
        return a - 2, b  # 丰田|章男: a Japanese family name before the given name
    if b - a == 2 and sentence[a:b] in jp and re.fullmatch(rf"[{_HAN}]{{2}}", sentence[b:b + 2]) \
            and not followed_by_trigger(sentence, b, rules) and followed_by_trigger(sentence, b + 2, rules):
        return a, b + 2  # 岸田|文雄辞职
    if b - a == 3 and a >= 1 and sentence[a] in surnames and sentence[a - 1] in surnames \
            and re.fullmatch(rf"[{_HAN}]{{3}}", sentence[a:b]) and (a == 1 or _BOUNDARY.match(sentence[a - 2])
                                                              or re.search("(?:" + rules.role.pattern + r")$", sentence[max(0, a - 9):a - 1])):
        return a - 1, b  # a Hong Kong married name: 特首|林鄭月娥 (husband's family name first)
    if b - a == 2 and re.fullmatch(rf"[{_HAN}]{{2}}", sentence[a:b]):
        role_before = re.search("(?:" + rules.role.pattern + r")$", sentence[max(0, a - 9):a - 1]) if a >= 1 else None
        if a >= 1 and sentence[a - 1] in surnames and (a == 1 or role_before or _BOUNDARY.match(sentence[a - 2])):
            return a - 1, b  # 董事长|于少波
        if sentence[a] in surnames and b < n and re.match(rf"[{_HAN}]", sentence[b]) \
                and not followed_by_trigger(sentence, b, rules) and followed_by_trigger(sentence, b + 1, rules):
            return a, b + 1  # 周健|男辞职
    return a, b


def zh_name_span(sentence: str, start: int, end: int, rules: Rules, tail_only: bool = False) -> tuple[int, int]:
    """The name inside a Chinese person reading sentence[start:end]: a conjunction or the end of a
    role word before it (回应约翰逊, 总理奥尼尔 read as 理奥尼尔), the words of an organisation or a
    time before a family name at a word boundary (中银基金吴域, 前段时间李楠), and a verb or
    particle after it (朱秀明递交) cut off; never below two characters."""
    a, b = start, end
    for m in rules.lexicon_rx("name_tails").finditer(sentence, a + 2, b):
        b = m.start()
        break
    if b - a >= 3 and any(t.regex.match(sentence, b - 1) for t in rules.triggers):
        b -= 1  # the first character of the departure word: 孔蒂下|课, 王赐安辞|任, 金有谦解|约
    elif b - a >= 3 and re.match(r"[自官经]", sentence[b - 1]) and (followed_by_trigger(sentence, b, rules)
                                                                  or followed_by_trigger(sentence, b - 1, rules)):
        b -= 1  # 梅西自宣离队, 莱万官宣, 范宁经…退任
    if a > 0 and sentence[a - 1].isdigit() and sentence[a] in "日月年号" and b - a >= 3:
        a += 1  # 9月10日马云
    if tail_only:
        return a, b
    head = rules.lexicon_rx("name_heads").match(sentence, a, b)
    if head and b - head.end() >= 2:
        a = head.end()
    for r in rules.role.finditer(sentence, max(0, a - 4), min(b, a + 4)):
        if r.start() <= a < r.end() and b - r.end() >= 2:
            a = r.end()  # the role word the span starts with, or inside of
            break
    if b - a > 3:
        bounds, _ = _segmented(sentence)
        jp = set(rules.lexicon.get("jp_surnames", ()))  # (丰田|章男 is one name: 章 is a family name too)
        surnames = rules.lexicon["surnames"]
        for k in (b - 3, b - 2):  # (two characters at least before it: 林|郑月娥 is one name)
            if k >= a + 2 and k in bounds and sentence[k] in surnames and sentence[a:k] not in jp and not all(
                    ch in rules.lexicon.get("translit_chars", "") for ch in sentence[a:b]):
                a = k
                break
    return a, b


def loose_ends(text: str) -> bool:
    """A span that starts or ends with a function character (提出了, 上港与) is no name."""
    return bool(_STOP_CHARS.match(text[:1]) or _STOP_CHARS.match(text[-1:]))


def _freq_bucket(f: int) -> str:
    return "0" if f == 0 else "1-99" if f < 100 else "100-999" if f < 1000 else "1000+"


def zh_span_features(sentence: str, a: int, b: int, rules: Rules) -> list[str]:
    """What makes sentence[a:b] look like a name (or not), as features."""
    text = sentence[a:b]
    lex = rules.lexicon
    bounds, words = _segmented(sentence)
    out = [f"z:len={min(b - a, 7)}"]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", text):
        out.append("z:latin")
        out.append("z:latin_caps" if text[:1].isupper() else "z:latin_lower")
        return out
    translit = lex.get("translit_chars", "")
    share = sum(ch in translit for ch in text) / len(text)
    out.append("z:translit=" + ("all" if share == 1 else "most" if share >= 0.6 else "some" if share else "none"))
    if text[0] in lex.get("surnames", ""):
        out.append("z:surname")
    out.append(f"z:surname|len={min(b - a, 5)}" if text[0] in lex.get("surnames", "") else f"z:nosurname|len={min(b - a, 5)}")
    out += ["z:start_bound" if a in bounds else "z:start_inside", "z:end_bound" if b in bounds else "z:end_inside"]
    if (a, b) in words:
        flag, freq = words[(a, b)]
        out += ["z:word", f"z:tag={flag}", f"z:freq={_freq_bucket(freq)}"]
    inner = [v for (x, y), v in words.items() if a <= x and y <= b]
    if a in bounds and b in bounds and len(inner) > 1 and all(f >= 1000 for _, f in inner):
        out.append("z:common_words")  # made of common words: 目前尚不清楚, 在同一天纷纷
    if _STOP_CHARS.search(text):
        out.append("z:stop_char")
    if "·" in text:
        out.append("z:dot")
    if rules.role.search(text):
        out.append("z:has_role")
    if rules.role.search(sentence[max(0, a - 6):a] + "\0") is not None and re.search(
            "(?:" + rules.role.pattern + r")$", sentence[max(0, a - 8):a]):
        out.append("z:after_role")
    out.append(f"z:last={text[-1]}")
    out.append(f"z:prev={sentence[a - 1] if a else '^'}")
    if text in set(lex.get("not_names", ())):
        out.append("z:not_name")
    return out


# ---------------------------------------------------------------- English name shape
_EN_WORD = re.compile(r"(?<![\w'’\-])[A-Za-z][a-z'’\-]{2,}(?![\w])")


@lru_cache(maxsize=1)
def en_lexicons() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Given names and surnames (US Census 1990, patterns/en_*.txt) and the words the training
    text writes in lower case (model/en_words.txt, written by `monitor train`): what tells a name
    from a capitalised word in a Title Case headline ("Near Libya", "Best Places To Retire")."""
    from importlib import resources

    def words(rel: str) -> frozenset[str]:
        f = resources.files("monitor.detect").joinpath(rel)
        if not f.is_file():
            return frozenset()
        return frozenset(w for w in f.read_text("utf-8").split("\n") if w and not w.startswith("#"))

    vocab = _EN_WORDS_OVERRIDE[0] if _EN_WORDS_OVERRIDE else words(EN_WORDS)
    return words("patterns/en_given_names.txt"), words("patterns/en_surnames.txt"), vocab


EN_WORDS = "model/en_words.txt"
_EN_WORDS_OVERRIDE: list[frozenset[str]] = []


def use_en_words(words: list[str] | None) -> None:
    """Read names against these lower-case words from now on (`monitor train` learns them
    before it featurises, so that its weights and the words it writes agree); None: the
    package's model/en_words.txt again."""
    _EN_WORDS_OVERRIDE[:] = [frozenset(words)] if words is not None else []
    en_lexicons.cache_clear()
    _title_case.cache_clear()


def en_words_file(words: list[str]) -> str:
    return ("# written by `monitor train` (train.en_vocabulary): the words the English training text writes\n"
            "# in lower case; read by names.en_span_features and names.truecase\n" + "\n".join(words) + "\n")


@lru_cache(maxsize=512)
def _title_case(sentence: str) -> bool:
    """Are the sentence's ordinary words capitalised too ("Judges Dismiss All Ethics Complaints")?
    Then capitals say nothing of names. (Asked once per candidate and pair: cached.)"""
    vocab = en_lexicons()[2]
    common = [w for w in _EN_WORD.findall(sentence) if _in_vocab(w.lower(), vocab)]
    return len(common) >= 3 and sum(w[0].isupper() for w in common) >= 0.6 * len(common)


_TC_WORD = re.compile(r"(?<![\w'’\-])[A-Z][a-z'’]*(?:-[A-Za-z][a-z]+)*(?![\w\-])")  # whole words: not DeepMind
_SHORT_WORDS = frozenset("a an as at be by do go he if in is it me my no of on or so to up us we".split())


def truecase(sentence: str, org_suffixes: frozenset[str] = frozenset(), known: frozenset[str] = frozenset()) -> str:
    """A Title Case sentence with its ordinary words in lower case, names kept ("Rudy Giuliani
    Quits Law Firm" -> "Rudy Giuliani quits law firm"): a word the training text writes in lower
    case is lowered unless it starts a name (a given name before a capitalised word that is a
    surname or no ordinary word: "Will Smith", "Mark Kelly") or ends one (a surname after such),
    or is an organisation's suffix after a kept word ("Worthen Bank"), or a known organisation
    (`known`, lower case: "Google", "Shell"). Same length as the sentence."""
    given, surnames, vocab = en_lexicons()
    words = list(_TC_WORD.finditer(sentence))
    out = list(sentence)
    kept = [True] * len(words)
    for i, m in enumerate(words):
        w = m.group(0).lower()
        if w in org_suffixes and i and kept[i - 1] and words[i - 1].end() == m.start() - 1:
            continue  # "Worthen Bank", "Acme Corp"
        if w in known or not (_in_vocab(w, vocab) or w in _SHORT_WORDS):
            continue
        nxt = words[i + 1].group(0).lower() if i + 1 < len(words) and words[i + 1].start() == m.end() + 1 else None
        prv = words[i - 1].group(0).lower() if i and words[i - 1].end() == m.start() - 1 else None
        if (w in given and nxt is not None and (nxt in surnames or not _in_vocab(nxt, vocab))) or \
                (w in surnames and prv in given and kept[i - 1]):
            continue  # "Will Smith", "Mark Kelly": a name's first or last word
        kept[i] = False
        for j in range(m.start(), m.end()):
            out[j] = out[j].lower()
    return "".join(out)


def _in_vocab(word: str, vocab: frozenset[str]) -> bool:
    """The word or its stem (places → place, judged → judge, leaving → leav(e))."""
    return word in vocab or any(word.endswith(x) and (word[:-len(x)] in vocab or word[:-len(x)] + "e" in vocab)
                                for x in ("s", "es", "ed", "ing", "ly"))


def en_span_features(sentence: str, a: int, b: int) -> list[str]:
    """What makes sentence[a:b] look like a person's name (or not), as features: a known given
    name first, a known surname last, how many of its words the text otherwise writes in lower
    case, and whether the sentence is in Title Case (where capitals tell nothing)."""
    given, surnames, vocab = en_lexicons()
    toks = [t.strip(".,'’\"“”()").lower() for t in re.sub(r"['’]s\b", "", sentence[a:b]).split()]
    toks = [t for t in toks if t]
    if not toks or not vocab:
        return []
    common = sum(_in_vocab(t, vocab) for t in toks)
    out = [f"e:given={int(toks[0] in given)}", f"e:common={min(common, 2)}{'/all' if common == len(toks) else ''}"]
    if len(toks) > 1:
        out.append(f"e:sur={int(toks[-1] in surnames)}")
    if _title_case(sentence):
        out += ["e:tc"] + [f"tc|{f}" for f in out]
    return out
