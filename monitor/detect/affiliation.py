"""Which organisation a departing person leaves: every organisation-shaped candidate around the
person and the departure word (capitalised runs, known organisations, the words before a role
word, the actor of 官宣 / 解雇, the object of 离开 / leaves, the article title's subject), each
described by where it stands and what surrounds it ("Microsoft CFO Amy Hood": a role word
follows it, then the person), and scored by logistic weights learned from labelled organisations
(model/orgs.<family>.tsv, written by `monitor train` beside the pair weights). The hand-written readings
(engine._org_*) are features too. A role word is never an organisation."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from monitor.detect import names as nm
from monitor.detect.pairs import Model, weights_file
from monitor.detect.patterns import Rules

THRESHOLD = 0.35  # below it the article does not say which organisation (org stays empty)

# never an organisation by itself: what the board or an exchange listing stands for
GENERIC = {"board", "the board", "board of directors", "company", "the company", "co", "inc", "corp", "ltd",
           "group", "nyse", "nasdaq", "amex", "director-general", "government"}
_CALENDAR = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
             "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
             "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today"}
_EN_WORD = re.compile(r"[A-Za-z][\w'’&.\-]*|[,;:()]")
_ZH_ANCHOR_AFTER = re.compile(r"(?:离开|退出|辞去|辞任|卸任|告别|加盟|从|在|自|于|任)$")
_HAN = "\u4e00-\u9fff"
_ANCHOR = re.compile(r"(?:离开|退出|辞去|从|在|自|任)")  # what an organisation follows: 离开 xAI, 从特斯拉
_STOCK_OR_SAYS = re.compile(r"[（(](?:\d{4,6}|[A-Z]{2,6})(?:\.[A-Z]{2})?[)）]|(?:发布|发出|披露)?公告|宣布|表示|称")


def candidate(start: int, end: int, text: str, source: str) -> nm.Mention:
    """An organisation candidate: a Mention whose source says how it was found (mention, span, heuristic)."""
    return nm.Mention(start, end, text, is_org=True, source=source)


def en_candidates(sentence: str, person: nm.Mention, cands: list[nm.Mention], rules: Rules) -> list[nm.Mention]:
    out = []
    for c in cands:
        if c.start < person.end and person.start < c.end:
            continue
        text = re.sub(r"['’]s$", "", c.text).strip(" .,")
        if len(text) < 2 or rules.role.fullmatch(text) or text.lower().strip(".") in GENERIC:
            continue
        out.append(candidate(c.start, c.start + len(text), text, "mention" if c.is_org else "person"))
    return out


def zh_candidates(sentence: str, person: nm.Mention, t_start: int, t_end: int, cands: list[nm.Mention],
                  rules: Rules) -> list[nm.Mention]:
    """Organisation mentions, and spans of 2-8 characters that end where a role word, the person
    or the departure word begins, or start where 离开 / 从 / 在 / the departure word ends."""
    out = [candidate(c.start, c.end, c.text, "mention") for c in cands
           if c.is_org and not (c.start < person.end and person.start < c.end)]
    ends = {person.start, t_start} | {r.start() for r in rules.role.finditer(sentence, max(0, person.start - 24), person.start)}
    ends |= {r.start() for r in rules.role.finditer(sentence, t_end, min(len(sentence), t_end + 16))}
    # a listed company (金陵饭店（601007）…) and the one that announces (中国联通发布公告称…)
    ends |= {m.start() for m in _STOCK_OR_SAYS.finditer(sentence, 0, person.start)}
    starts = {t_end} | {m.end() for m in _ANCHOR.finditer(sentence, max(0, t_end - 2), t_end + 3)}
    seen = {(c.start, c.end) for c in out}
    run = re.compile(rf"[{_HAN}A-Za-z0-9&·]+")
    for e in ends:
        for n in range(2, 9):
            a = e - n
            if a >= 0 and (a, e) not in seen and run.fullmatch(sentence[a:e]) and not rules.role.search(sentence[a:e]):
                seen.add((a, e))
                out.append(candidate(a, e, sentence[a:e], "span"))
    for a in starts:
        for n in range(2, 9):
            e = a + n
            if e <= len(sentence) and (a, e) not in seen and run.fullmatch(sentence[a:e]) \
                    and not rules.role.search(sentence[a:e]):
                seen.add((a, e))
                out.append(candidate(a, e, sentence[a:e], "span"))
    return [c for c in out if not (c.start < person.end and person.start < c.end) and not nm.loose_ends(c.text)]


_CLOSED = frozenset("from at of the a an for with by to in on and as 's ’s , ; : ( ) who after".split())


def _closed(word: str) -> str:
    """A function word or punctuation as itself, any other word as "W"."""
    return word if word in _CLOSED else "W"


def features(lang: str, sentence: str, cand: nm.Mention, person: nm.Mention, t_start: int, t_end: int,
             rules: Rules, heuristic: str | None, known: bool) -> list[str]:
    before = cand.end <= person.start
    f = ["o:bias", f"o:src={cand.source}", "o:before" if before else "o:after",
         "o:before_word" if cand.end <= t_start else "o:after_word"]
    if heuristic and cand.text.strip() == heuristic.strip():
        f.append("o:heuristic")
    if known:
        f.append("o:known")
    if lang == "en":
        left = _EN_WORD.findall(sentence[max(0, cand.start - 30):cand.start].lower())[-2:]
        right = _EN_WORD.findall(sentence[cand.end:cand.end + 30].lower())[:2]
        gap = sentence[cand.end:person.start] if before else sentence[person.end:cand.start]
        dist = len(_EN_WORD.findall(gap))
        # the words around it as grammar only (from, at, of, 's, a comma): the content words
        # ("retirement", "manager", "davie") were learned as memorised, not general, weights
        f += [f"o:l={_closed(w)}" for w in left] + [f"o:r={_closed(w)}" for w in right]
        f.append(f"o:dist={min(dist, 6) if dist < 6 else '6+' if dist < 15 else '15+'}")
        toks = cand.text.split()
        last = toks[-1].lower().strip('.,') if toks else ""
        f.append(f"o:last={last if last in rules.lexicon.get('org_suffixes', ()) else 'word' if last else ''}")
        f.append(f"o:ntoks={min(len(toks), 4)}")
        if re.match(r"\s*(?:['’]s\s+)?(?:" + rules.role.pattern + r")", sentence[cand.end:cand.end + 60], re.I):
            f.append("o:role_follows")
            if before and re.fullmatch(r"(?:['’]s)?\s+(?:(?:" + rules.role.pattern + r")[\s,]*(?:and\s+|of\s+)?)+",
                                       gap, re.I):
                f.append("o:role_then_person")
        if cand.text.isupper():
            f.append("o:acronym")
            if not sentence[:cand.start].strip() and re.match(r"\s*(?:,|--|—|-|\()", sentence[cand.end:]):
                f.append("o:dateline")  # "HOUSTON, March 3 -": where, not who
        if toks and toks[0].lower().strip(".") in _CALENDAR:
            f.append("o:calendar")
        if re.search(r"(?:" + rules.role.pattern + r")\s+(?:of|at|for)\s+(?:the\s+)?$", sentence[max(0, cand.start - 60):cand.start], re.I):
            f.append("o:of_role")  # "Attorney General of Mexico", "President of Bulgaria"
        f += ["o:" + x for x in nm.en_span_features(sentence, cand.start, cand.end)]
    else:
        left = sentence[max(0, cand.start - 2):cand.start]
        right = sentence[cand.end:cand.end + 2]
        f += [f"o:l={left[-1:]}", f"o:l2={left}", f"o:r={right[:1]}", f"o:r2={right}"]
        gap = sentence[cand.end:person.start] if before else sentence[person.end:cand.start]
        n = len(gap.strip())
        f.append(f"o:dist={n if n < 4 else '4-8' if n <= 8 else '9-20' if n <= 20 else '21+'}")
        f.append(f"o:len={min(len(cand.text), 8)}")
        f.append(f"o:last={cand.text[-1]}")
        if rules.role.match(sentence, cand.end):
            f.append("o:role_follows")
            if before and re.fullmatch(r"(?:[的原前现新]?(?:" + rules.role.pattern + r")[兼、和及与/\s]*)+", gap):
                f.append("o:role_then_person")
        if cand.start == t_end or _ZH_ANCHOR_AFTER.search(sentence[:cand.start]):
            f.append("o:object_of_word")
        if cand.end == t_start or re.match(r"(?:官宣|宣布|正式|已|将)", sentence[cand.end:cand.end + 2]):
            f.append("o:actor")
        if re.fullmatch(r"[A-Za-z][\w&.\-]*", cand.text):
            f.append("o:latin")
        follows = _STOCK_OR_SAYS.match(sentence, cand.end)
        if follows:
            f.append("o:stock_code" if follows.group(0)[0] in "（(" else "o:announcer")
        f += [x.replace("z:", "o:z:") for x in nm.zh_span_features(sentence, cand.start, cand.end, rules)
              if x.startswith(("z:common", "z:stop", "z:word", "z:tag", "z:freq", "z:start_", "z:end_"))]
    return f


@lru_cache(maxsize=2)
def model(family: str) -> Model:
    f = resources.files("monitor.detect").joinpath(weights_file(family, "orgs"))
    return Model.parse(f.read_text("utf-8")) if f.is_file() else Model({})
