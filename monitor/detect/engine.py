"""The rule engine: runs a language's pattern file over an article's sentences and returns who
left what. For every trigger it finds the person in the slot the pattern names (subject before
it, object after it, possessive, or the speaker of a first-person quote), rejects it when a
negative cue (rumour, denial, call to resign, death, ...) governs it, and reads organisation,
role and date around it. Article-level steps: pronouns resolve to the last person named,
surnames to the full name used elsewhere in the article, and a departure said of a group
("two co-founders left xAI:", "以下员工…离开 xAI:") opens a list whose items name the people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from monitor.detect import affiliation as aff
from monitor.detect import names as nm
from monitor.detect import pairs
from monitor.detect.patterns import Rules, Trigger, load_rules, org_aliases
from monitor.detect.segment import paragraphs, sentences, windows
from monitor.parse.dates import date_in_text
from monitor.parse.lang import detect_language, fold_width, to_simplified
from monitor.records import MAX_TEXT_CHARS as WINDOW, Article, Departure

THRESHOLD = 0.5
# Chinese spans (names no finder recognised) are candidates in a title, or in an item this short:
# headlines glue verbs to names, while in a long body a span is mostly noise (a recogniser's
# name, or the rule engine's pick, is required there).
SHORT = 400
# A long article's body mentions old exits, successors and places left in passing, and the
# labelled text (mostly headlines and leads) teaches little about them: there a pair must score
# higher. Chosen on the corpus feeds' articles (bench/README.md).
BODY_THRESHOLD = 0.9
# Negative cues that veto a departure word outright; the others (death, suspension, layoff,
# company exit, place, hedge, background, ...) are features the decision weighs. Measured by
# 5-fold cross-validation on every labelled file: vetoing these three beats vetoing all cues
# (en F1 0.828 vs 0.810) and none (zh-Hant 0.784 vs 0.754). not_job (a lawsuit dismissed) and
# company_exit_stake (quits his stake) are senses of the word that are never a job; place (left
# Brazil for a meeting, retired hurt) likewise.
VETO = {"rumor", "denial", "call_to_resign", "place", "not_job", "company_exit_stake"}
# clause boundaries in the folded text: , ; : 、 and a space between two Chinese characters
_CLAUSE_END = re.compile(r"[,;:\u3001]|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
MAX_GAP = 120

_PRON = {"en": re.compile(r"\b(?:he|she)\b", re.I), "zh": re.compile(r"(?:他|她)(?!们)|其")}
# a possessive pronoun right before the departure word ("announces his (planned) resignation")
_POSSESSIVE_PRON = {"en": re.compile(r"\b(?:his|her)\s+(?:[a-z]+\s+)?$", re.I)}
_FIRST_PERSON = {"en": re.compile(r"\bI\b"), "zh": re.compile(r"我(?!们)")}
_SPEECH = {
    "en": re.compile(r"\b(?:wrote|writes|said|says|posted|tweeted|announced|told|added|explained)\b|[:]\s*[\"“']?|[\"“]", re.I),
    "zh": re.compile(r"写道|表示|说|称|发文|发帖|宣布|透露|声明|[:]|[「“\"\u300c\u201c]"),
}
_COORD = {
    "en": re.compile(r"\s*(?:,\s*[^,;]{0,80}?)?\s*(?:,|and|&)\s*(?:[a-z\-]+\s+){0,5}", re.I),
    "zh": re.compile(r"\s*(?:、|和|与|及|以及|,|,)\s*(?:[\u4e00-\u9fff]{0,8}?)"),
}
_ITEM = {
    "en": re.compile(r"^\s*(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\s*[:—-]|(?:first|another|the other|also|one)\b|the\s+(?:trio|pair|duo|two|three|four|five|six|executives|officials|directors)\s+(?:are|were|include|included)\b)", re.I),
    "zh": re.compile(r"^\s*(?:\d{1,2}\s*月\s*\d{1,2}\s*日\s*[::]|(?:另一位|其中一位|其一|一位是|一位|第[一二三四五六七八九十]位|还有))"),
}
_SUCCESSION = re.compile(
    r"succe(?:ed|ssor|ssion)|replac|\bnam(?:es|ed|ing)\b|appoint|\belect(?:s|ed)?\b|\bnew\s+(?:\w+\s+)?(?:chairman|president|chief|ceo|"
    r"governor|captain|head|director|minister|manager|coach|leader)|\bto\s+(?:lead|head|be)\b|restructur|shake-?up|reshuffle|promot|"
    r"接任|接替|继任|交接|新任|出任|任命", re.I)
_HAN_ONLY = re.compile(r"[\u4e00-\u9fff]+")
_MIXED = {"zh": re.compile(r"[A-Za-z]{3}"), "en": re.compile(r"[\u4e00-\u9fff]")}  # the other script is there
_EN_NOT_ORG = {"the", "a", "an", "his", "her", "its", "their", "chief", "president", "chairman"}
# what stands before a participle used as an adjective ("the sacked chairman", "pays ousted chief")
_ATTRIBUTIVE = re.compile(r"(?:^|\b(?:the|a|an|his|her|its|their|this|that|of|for|with|by|to|pays|paid|as|and)|['’]s)\W*$", re.I)
_KIND_WORDS = {"resignation": "resigned", "retirement": "retired", "ouster": "fired", "dismissal": "fired",
               "firing": "fired", "sacking": "fired", "removal": "fired", "departure": "left", "exit": "left",
               "last day": "left", "sacked": "fired", "fired": "fired", "ousted": "fired", "resigned": "resigned",
               "retiring": "retired"}


@dataclass(frozen=True)
class Traced:
    """One scored (mention, departure word) pair: the mention (None for a role-only candidate),
    its features and its probability. `monitor train` learns from these."""

    mention: str | None
    features: list[str]
    p: float
    bar: float = THRESHOLD  # the score it needs to count: higher in a long article's body
    word: tuple = ()  # which departure word: (sentence, start), shared by its pairs
    role: str | None = None  # a role-only candidate's role word ("Chief Communications Officer")


@dataclass(frozen=True)
class TracedOrg:
    """One organisation candidate for one departing person, with its features (for training)."""

    person: str | None  # None: a role-only candidate
    org: str
    features: list[str]


@dataclass
class _Sentence:
    orig: str
    norm: str  # Simplified Chinese (or the same English text)
    para: int
    first_in_para: bool
    _cands: list[nm.Mention] | None = None


@dataclass
class _Ctx:
    lang: str
    rules: Rules
    ref: datetime | None  # the article's date: relative days and dates without a year are read against it
    known: dict[str, str]  # short name -> full name (surnames, last parts of ·-names)
    known_orgs: set[str]
    active: list[Trigger]  # the triggers whose words occur in the article
    found: list[Departure] = field(default_factory=list)
    prev: list[_Sentence] = field(default_factory=list)
    enum: dict | None = None  # open list of departures said of a group
    title_signal: bool = False  # the title speaks of a departure or a succession
    has_title: bool = False
    short: bool = False  # a headline-sized item: every sentence is read like a title
    trace: list[Traced] | None = None  # every scored pair, when training asks for them
    org_trace: list[TracedOrg] | None = None  # every organisation candidate, likewise
    org_rank: list[int] = field(default_factory=list)  # per found departure: how directly its org is tied (0 best)

    def cands(self, s: _Sentence) -> list[nm.Mention]:
        if s._cands is None:
            finder = nm.zh_candidates if self.lang == "zh" else nm.en_candidates
            s._cands = finder(s.norm, self.rules, set(self.known), self.known_orgs)
        return s._cands


# ------------------------------------------------------------------ public
def detect(article: Article, lang: str | None = None, trace: list[Traced] | None = None,
           org_trace: list[TracedOrg] | None = None) -> list[Departure]:
    """Every departure the article reports (several per article when it lists several people).
    `lang` is the language detect_language found in the article's text, if already known (a
    declared language is never trusted). `trace` collects every scored pair (for training).
    A text longer than WINDOW is read in overlapping windows (each with the title), nothing cut."""
    if len(article.text) <= WINDOW:
        return _detect(article, lang, trace, org_trace)
    found: dict[str, Departure] = {}
    for part in windows(article.text, WINDOW):
        piece = Article(title=article.title, text=part, url=article.url, published=article.published)
        for d in _detect(piece, lang, trace, org_trace):
            best = found.setdefault(_person_key(d), d)
            if best is not d:
                best.confidence = max(best.confidence, d.confidence)
                best.org, best.role, best.date = best.org or d.org, best.role or d.role, best.date or d.date
    # the title's role-only reading, from a window without the name
    return _named_over_role_only(list(found.values()))


def _named_over_role_only(found: list[Departure]) -> list[Departure]:
    """An article that names who left: its role-only readings are them."""
    return [d for d in found if d.person] if any(d.person for d in found) else found


def _person_key(d: Departure) -> str:
    if d.person is None:
        return "role:" + to_simplified(f"{d.org or ''}/{d.role or ''}").lower()
    return re.sub(r"\s+|\(.*?\)", "", to_simplified(d.person)).lower()


def _detect(article: Article, lang: str | None, trace: list[Traced] | None,
            org_trace: list[TracedOrg] | None) -> list[Departure]:
    text = f"{article.title}\n{article.text}"
    lang = lang or detect_language(text)
    family = "zh" if lang.startswith("zh") else "en"
    # mixed text ("xAI co-founder 吴宇怀 resigns") is read in the other family when its own has no
    # departure word
    for family in (family, "en" if family == "zh" else "zh"):
        rules = load_rules(family)
        norm = fold_width(to_simplified(text)) if family == "zh" else text
        active = rules.candidates(norm)  # a substring test per trigger word: cheap
        if any(t.regex.search(norm) for t in active):
            break
        if not _MIXED[family].search(text):
            return []  # no departure word anywhere: nothing to read closely
    else:
        return []
    ctx = _Ctx(family, rules, article.published, {}, set(org_aliases()), active,
               has_title=bool(article.title), trace=trace, org_trace=org_trace,
               short=len(article.title) + len(article.text) <= SHORT)
    units = _units(article, family)
    _prescan_names(ctx, units)
    if article.title and units:
        t = units[0].norm
        ctx.title_signal = bool(_SUCCESSION.search(t)) or any(tr.regex.search(t) for tr in ctx.active)
    for i, s in enumerate(units):
        _sentence(ctx, s)
        ctx.prev = units[max(0, i - 2): i + 1]
    found = _merge(ctx)
    if family == "en" and article.title:
        _name_from_lead(ctx, units, found)
    for d in found:
        d.org = _zh_clean_org(d.org, rules) if family == "zh" else _en_clean_org(d.org, rules, d.person)
        if family == "zh" and d.org is None and d.person:  # 联创股份董事王璟辞职: the words before the roles
            norm = fold_width(to_simplified(d.evidence))
            at = norm.find(fold_width(to_simplified(d.person)))
            if at > 0 and len(norm) == len(d.evidence):
                before = _zh_clean_org(_zh_org_before_roles(ctx, norm[max(0, at - 40):at]), rules)
                if before:
                    k = norm.rfind(before, 0, at)
                    d.org = d.evidence[k:k + len(before)] if k >= 0 else before
    if any(d.org is None for d in found):
        subject = _subject_org(ctx, units) if family == "en" else _zh_clean_org(_zh_subject(units), rules)
        for d in found:
            d.org = d.org or subject
    for d in found:
        d.role = _tidy_role(d.role, d.org, rules)
    return found


def _name_from_lead(ctx: _Ctx, units: list[_Sentence], found: list[Departure]) -> None:
    """A headline that says only the role ("Fort Worth Police Officer … Resigns") and a lead that
    names the holder with that role ("Police have identified the officer as Aaron Dean", "state
    Sen. Mike Folmer", "National Police Agency Chief Itaru Nakamura"): the departure is theirs. The
    role's head word (or its abbreviation) must stand right before the name: a lead that names
    someone else (the victim, a critic) leaves the departure role-only."""
    if len(found) != 1 or found[0].person is not None or not found[0].role or units[0].para != 0:
        return
    head = re.findall(r"[a-z]+", found[0].role.casefold())[-1:]
    lead = [u for u in units if u.para == 1][:2]
    for s in lead:
        for c in _persons(ctx, s):
            if len(c.text.split()) < 2 or not _inside(c, s.norm):
                continue
            before = re.findall(r"[a-z]+", s.norm[max(0, c.start - 40):c.start].casefold())[-4:]
            if head and any(w == head[0] or (len(w) >= 3 and head[0].startswith(w)) for w in before):
                found[0].person, found[0].evidence = c.text, f"{found[0].evidence} {s.orig}"[:500]
                return
    # a title that names nobody, a first sentence that names one person and starts with them
    # ("Jonathan Friedland had used the word …"): the story's subject
    names = [c for c in _persons(ctx, lead[0]) if len(c.text.split()) >= 2] if lead else []
    if len(names) == 1 and not lead[0].norm[:names[0].start].strip(" \"'“‘") \
            and not any(len(c.text.split()) >= 2 for c in _persons(ctx, units[0])):
        found[0].person, found[0].evidence = names[0].text, f"{found[0].evidence} {lead[0].orig}"[:500]


def _subject_org(ctx: _Ctx, units: list[_Sentence]) -> str | None:
    """The company an English article is about, for a departure whose sentence names none
    ("Chairman and Chief Executive Duane L. Burnham will retire from the medical-care giant"):
    the organisation named most often in its first sentences, by a company-like name
    ("Abbott Laboratories", "McKesson Corp.") or one known."""
    suffixes = set(ctx.rules.lexicon.get("org_suffixes", ()))
    seen: dict[str, int] = {}
    for s in units[:6]:
        for c in ctx.cands(s):
            text = c.text.strip(" .,")
            last = text.split()[-1].lower().strip(".") if text else ""
            company = (last in suffixes and len(text.split()) > 1) or text.lower() in ctx.known_orgs
            if c.is_org and company and text.lower() not in aff.GENERIC:
                seen[text] = seen.get(text, 0) + 1
    return max(seen, key=lambda t: seen[t]) if seen else None


def _en_clean_org(org: str | None, rules: Rules, person: str | None = None) -> str | None:
    """An English organisation reading without a trailing function word ("Sally Beauty Corporation
    and"); None when it is the board, "the Company", a month or weekday, a role or a chain of roles
    ("Executive Board and C.E.O"), a place as an adjective ("Houston-based") or the departing
    person's own surname: the article's subject company then stands for it."""
    if not org:
        return org
    org = re.sub(r"(?:[\s,]+(?:and|of|the|&|for|at|in))+\s*$", "", org.strip(" ,;:")).strip()
    words = org.lower().replace(".", "").split()
    suffixes = set(rules.lexicon.get("org_suffixes", ()))
    if not words or org.lower().strip(".") in aff.GENERIC or words[0] in aff._CALENDAR \
            or len(words) == 1 and words[0] in suffixes or org.lower() in rules.lexicon.get("not_orgs_alone", ()) \
            or org.lower().endswith("-based"):  # "Houston-based": where, not who
        return None
    if person and org.lower() in person.lower().replace(",", " ").split():
        return None  # the departing person's own surname ("Dye" for Donald H. Dye)
    if rules.role.fullmatch(org) or re.search(r"\b(?:board|c\.?e\.?o)\b", org, re.I) and \
            all(w in aff.GENERIC or rules.role.fullmatch(w) or w in ("and", "of", "the", "executive", "ceo") for w in words):
        return None
    return org


_ZH_ANNOUNCER = re.compile(r"([A-Za-z\u4e00-\u9fff*]{2,16}?)(?:\([^()]{2,30}\))?\s*(?:今日|今天|近日|日前|昨日|昨天|晚间|早间|[\d月日晚早]){0,8}"
                           r"(?:发布|发出|披露|发)?(?:公告|宣布|公布|官宣|声明)")


def _zh_subject(units: list[_Sentence]) -> str | None:
    """The company a Chinese article is about, for a departure whose sentence names none or only
    "公司": a listed company (江苏吴中(600200)), the one a filing's title leads with (石化机械:),
    or the one that announces (中国联通发布公告称), in its first sentences; as the article writes it."""
    for s in units[:3]:
        name = _zh_company(s.norm, len(s.norm))
        if not name:
            for m in _ZH_ANNOUNCER.finditer(s.norm[:80]):
                cand = _ZH_LEAD.split(m.group(1))[-1].lstrip("*")
                if len(cand) >= 2 and cand not in _ZH_GENERIC_ORG and not _ZH_NOT_ORG_WORDS.search(cand):
                    name = cand
                    break
        if name:
            return _as_written(s, name)
    return None


def _zh_clean_org(org: str | None, rules: Rules) -> str | None:
    """A Chinese organisation reading without the date or time word before it (近日江苏吴中 ->
    江苏吴中) nor the verbs after it (黄蜂将裁掉 -> 黄蜂); None when it is only 公司 / 董事会 (the
    article's subject then stands for it) or a piece of the sentence's verbs (会于近日收到公司)."""
    if not org:
        return org
    simple = to_simplified(org)
    lead = re.match(r"(?:近日|今日|今天|今年|日前|昨日|昨天|目前|此前|随后|晚间|早间|刚出任|原)+", simple)
    if lead and len(simple) - lead.end() >= 2:
        org, simple = org[lead.end():], simple[lead.end():]
    head = re.match(r"(?:辞任|卸任|离任|担任|离开|退出|辞去|任)", simple)
    if head and len(simple) - head.end() >= 2:  # the departure word before it (辞任万泰生物), or its tail
        org, simple = org[head.end():], simple[head.end():]
    if "的" in simple:  # 十分大口氣的數碼通: what follows 的 is the name, else what precedes it
        k = simple.rindex("的")
        right = simple[k + 1:]
        org, simple = (org[k + 1:], right) if len(right) >= 2 and right not in rules.lexicon["org_role_pieces"] else (org[:k], simple[:k])
    junk = rules.lexicon_rx("org_noise").search(simple)
    if junk:  # 黄蜂将裁掉 -> 黄蜂; 会于近日收到公司 -> nothing
        org, simple = org[:junk.start()], simple[:junk.start()]
        org, simple = (org, simple) if len(simple) >= 2 and not re.search(r"[于在已的了]$", simple) else ("", "")
    lead = re.match(r"[了在从于把被将对向]+", simple)
    if lead and len(simple) - lead.end() >= 2:  # 了球队, 在蔚来: a particle or preposition before it
        org, simple = org[lead.end():], simple[lead.end():]
    # 公司副总经, 俱乐: the start of a role word (副总经理) or of an organisation word, cut off
    words = [*rules.lexicon.get("roles", ()), *rules.lexicon.get("org_suffixes", ())]
    cut = max((k for w in words for k in (3, 2) if len(w) > k and len(simple) > k and simple.endswith(w[:k])), default=0)
    if cut:
        org, simple = org[:-cut], simple[:-cut]
    if not simple or simple in _ZH_GENERIC_ORG or simple in rules.lexicon["org_role_pieces"]:
        return None
    return org


def _tidy_role(role: str | None, org: str | None, rules: Rules) -> str | None:
    """The role as a job title: without the organisation it names ("chief science officer and
    co-founder of Anthropic" -> "chief science officer and co-founder"), never a degree or an
    honorific (博士, 老将)."""
    if not role:
        return None
    if org and len(org) > 1:
        o = re.escape(org)
        role = re.sub(rf"(?:\s*,)?\s*(?:\b(?:of|at|for|with|in)\s+)?(?:the\s+)?{o}(?:'s|’s)?(?![\w]).*$|^{o}(?:'s|’s)?\s*", "",
                      role, flags=re.I).strip(" ,")
    if not role or to_simplified(role) in rules.lexicon.get("not_roles", ()):
        return None
    return role


# ------------------------------------------------------------------ steps
def _units(article: Article, family: str) -> list[_Sentence]:
    zh = family == "zh"
    out: list[_Sentence] = []
    paras = ([article.title] if article.title else []) + paragraphs(article.text)
    for pi, para in enumerate(paras):
        for si, sent in enumerate(sentences(para, zh)):
            norm = fold_width(to_simplified(sent) if zh else sent)
            out.append(_Sentence(sent, norm, pi, si == 0))
    return out


def _prescan_names(ctx: _Ctx, units: list[_Sentence]) -> None:
    """Full names used anywhere in the article, so that a later surname resolves to them."""
    if ctx.lang == "zh":
        for s in units:
            for a, b in nm.dot_names(s.norm, ctx.rules):
                full = s.norm[a:b]
                ctx.known.setdefault(full.split("·")[-1], full)
        return
    for s in units:
        for m in nm.en_candidates(s.norm, ctx.rules, set(), ctx.known_orgs):
            toks = m.text.split()
            if not m.is_org and len(toks) >= 2:
                last = toks[-1] if not re.fullmatch(r"(?:Jr|Sr|II|III|IV|QC)\.?", toks[-1]) else toks[-2]
                ctx.known.setdefault(last, m.text)


def _sentence(ctx: _Ctx, s: _Sentence) -> None:
    rules = ctx.rules
    if ctx.enum is not None:
        _enum_item(ctx, s)
    # only the triggers whose words the sentence holds (the article held them somewhere)
    folded = s.norm.casefold()
    hits = [(t, m) for t in ctx.active if t.words is None or any(w in folded for w in t.words)
            for m in t.regex.finditer(s.norm)]
    if not hits:
        return
    hits.sort(key=lambda h: h[1].start())
    spans = [(h.start(), h.end()) for _, h in hits]
    for trig, m in hits:
        negs = _negatives(rules, s.norm, m, ctx.lang)
        if VETO & {n.split(":")[0] for n in negs}:
            continue  # a rumour, denial, call to resign ... governs the word: nothing to decide
        rule = _person(ctx, s, trig, m)
        cands = [(c, how) for c, how in _pair_candidates(ctx, s, trig, m, rule)
                 if how or not _nearer_word(c, m, spans)]
        scored = [(_score(ctx, s, trig, m, c, how, negs), c, how) for c, how in cands]
        if ctx.org_trace is not None:  # training: every person's organisation candidates
            for _, c, _ in scored:
                if _inside(c, s.norm):
                    _choose_org(ctx, s, c, m, _heuristic_org(ctx, s, trig, m, c, None)[1])
        kept: list[nm.Mention] = []
        bar = _bar(ctx, s)
        for p, c, how in sorted(scored, key=lambda x: -x[0]):
            if p < bar:
                break
            if any(c.start < k.end and c.end > k.start and _inside(c, s.norm) and _inside(k, s.norm) for k in kept):
                continue  # an overlapping span scored higher: one name per place
            kept.append(c)
            _emit(ctx, s, trig, m, c, how or "model", conf=p)
        if rule is None and not negs and _collective_before(ctx, s.norm, m):
            ctx.enum = {"trig": trig, "org": _real(_org_object(ctx, s, m)) or _org_after(ctx, s.norm, m),
                        "budget": 2, "date": _date(ctx, s.norm)}


def _headline_like(ctx: _Ctx, s: _Sentence) -> bool:
    """The title (or, without one, the first paragraph), or any sentence of a short item."""
    return ctx.short or s.para == 0


def _bar(ctx: _Ctx, s: _Sentence) -> float:
    """The score a pair needs: THRESHOLD where it reads like a headline, BODY_THRESHOLD in the rest
    of a long article."""
    return THRESHOLD if _headline_like(ctx, s) else BODY_THRESHOLD


def _pair_candidates(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match,
                     rule: tuple[nm.Mention, str] | None) -> list[tuple[nm.Mention, str | None]]:
    """Who might be leaving by this departure word: the people named in the sentence (nearest
    first), a name guessed right before it (Chinese), the rule's own pick (a pronoun's antecedent,
    a speaker), the people coordinated with it, and a role word with no name (R3: role only)."""
    persons = [_clip(c, m, s.norm) for c in _persons(ctx, s)]
    persons = named = [c for c in persons if c is not None]
    if ctx.lang == "en":  # a single capitalised word may be a surname: the decision tells
        persons = named + [c for c in ctx.cands(s) if c.source == "single" and (c.end <= m.start() or c.start >= m.end())]
    near = sorted(persons, key=lambda c: min(abs(c.end - m.start()), abs(c.start - m.end())))[:5]
    out: list[tuple[nm.Mention, str | None]] = []
    ruled: dict[tuple[int, int], tuple[nm.Mention, str]] = {}
    if rule:
        for c, how in [rule, *((c, "coordinated") for c in _coordinated(ctx, s, rule[0]))]:
            c = _clip(c, m, s.norm) if _inside(c, s.norm) else c
            if c is not None:
                ruled.setdefault((c.start, c.end), (c, how))
    for c in near:
        out.append((c, ruled.pop((c.start, c.end), (None, None))[1]))
    if ctx.lang == "zh" and _headline_like(ctx, s):  # spans only there (see SHORT)
        taken = {(c.start, c.end) for c, _ in out} | set(ruled)
        for a, b in nm.zh_spans(s.norm, m.start(), m.end(), trig.person == "object"):
            if (a, b) not in taken and not ctx.rules.role.search(s.norm[a:b]) and not nm.loose_ends(s.norm[a:b]):
                out.append((nm.Mention(a, b, s.norm[a:b], source="span"), None))
    out += list(ruled.values())
    role = _role_only(ctx, s, trig, m, named)  # "Georgia Professor Quits": a lone word before a role is no name for it
    if role:
        out.append((role, None))
    return out


def _nearer_word(c: nm.Mention, m: re.Match, spans: list[tuple[int, int]]) -> bool:
    """Another departure word stands between the mention and this one: the mention belongs to
    that nearer word ("杰根纳坦离职这天,就有两位元老官宣离开xAI")."""
    lo, hi = (c.end, m.start()) if c.end <= m.start() else (m.end(), c.start)
    return any(lo <= a and b <= hi and (a, b) != (m.start(), m.end()) for a, b in spans)


def _clip(c: nm.Mention, m: re.Match, norm: str) -> nm.Mention | None:
    """A name the finder ran into the departure word (拉杰·杰根纳坦官宣|离职) ends where it starts;
    one that starts inside it is none."""
    if c.end <= m.start() or c.start >= m.end():
        return c
    if c.start < m.start() and m.start() - c.start >= 2:
        return nm.Mention(c.start, m.start(), norm[c.start:m.start()], c.is_org, c.alias, c.source)
    return None


def _role_only(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match, persons: list[nm.Mention]) -> nm.Mention | None:
    """The role word nearest a departure word with no name attached to it ("Tesla's head of AI
    departs", "某银行行长辞职", "sacks its coach"): a candidate for a departure without a person.
    In English it stands where the word's person would: before a verb whose subject leaves ("steps
    down as CEO" is the named subject's role; "retired judge", "outgoing president" are someone
    else's past), after one whose object does, unless that is a participle before its noun
    ("the sacked chairman", "Fired Trump Official's warning")."""
    norm, reach = s.norm, (12 if ctx.lang == "zh" else 40)
    if ctx.lang == "en" and trig.person == "object" and _ATTRIBUTIVE.search(norm[:m.start()]) \
            and norm[m.start():m.end()].lower().endswith("ed"):
        return None
    best = None
    for r in ctx.rules.role.finditer(norm, max(0, m.start() - reach * 2), min(len(norm), m.end() + reach)):
        if ctx.lang == "en" and ((r.end() <= m.start()) != (trig.person != "object")
                                 or re.search(r"\bas\s+(?:\w+\s+)?$", norm[m.end():r.start()])):
            continue  # ("Tom Baker sacked as chairman": the named subject's role)
        named = any(0 <= c.start - r.end() <= 2 or 0 <= r.start() - c.end <= 1
                    or c.start <= r.start() < c.end for c in persons)  # or inside: "Romanian President Klaus Iohannis"
        between = any(c.start >= min(r.end(), m.start()) and c.end <= max(r.start(), m.end()) for c in persons)
        dist = m.start() - r.end() if r.end() <= m.start() else r.start() - m.end()
        if (named or between) and ctx.lang == "en" or dist < 0 or dist > reach:
            continue  # (Chinese names are too often missed to rule a role out: a feature says it)
        if best is None or dist < best[0]:
            best = (dist, r)
    if best is None:
        return None
    r = best[1]
    return nm.Mention(r.start(), r.end(), r.group(0), source="role")


def _score(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match, c: nm.Mention, how: str | None,
           negs: tuple[str, ...]) -> float:
    norm = s.norm
    persons = _persons(ctx, s)
    inside = _inside(c, norm)  # an antecedent stands elsewhere
    lo, hi = (c.end, m.start()) if c.end <= m.start() else (m.end(), c.start)
    lex = ctx.rules.lexicon
    role_before = inside and bool(re.search("(?:" + ctx.rules.role.pattern + r")\s*[,，]?\s*$",
                                            norm[max(0, c.start - 40):c.start], ctx.rules.role.flags))
    pair = pairs.Pair(
        lang=ctx.lang, text=norm if inside else "", m_start=c.start if inside else 0, m_end=c.end if inside else 0,
        t_start=m.start() if inside else 0, t_end=m.end() if inside else 0, trigger=trig.id, slot=trig.person,
        source=c.source if inside else f"{c.source}|elsewhere", rule=how, negatives=negs,
        persons_between=sum(1 for o in persons if o.start >= lo and o.end <= hi and o is not c),
        role_before=role_before, title=s.para == 0 and ctx.has_title, first=bool(persons) and persons[0] is c,
        succession=bool(_SUCCESSION.search(norm)),
        surname=ctx.lang == "zh" and c.text[:1] in lex.get("surnames", ""),
        translit=ctx.lang == "zh" and all(ch in lex.get("translit_chars", "") for ch in c.text),
        extra=tuple(_mention_features(ctx, s, c, persons) if inside else ()),
        title_silent=ctx.has_title and not ctx.title_signal and s.para > 0,
    )
    feats = pairs.features(pair)
    p = pairs.model(pairs.family(ctx.lang)).score(feats)
    if ctx.trace is not None:
        role = c.source == "role"
        ctx.trace.append(Traced(None if role else c.text, feats, p, _bar(ctx, s), (s.para, s.norm, m.start()),
                                c.text if role else None))
    return p


def _mention_features(ctx: _Ctx, s: _Sentence, c: nm.Mention, persons: list[nm.Mention]) -> list[str]:
    if c.source == "role":
        named = any(0 <= o.start - c.end <= 2 or 0 <= c.start - o.end <= 1 for o in persons)
        return ["role_named"] if named else []
    if ctx.lang == "zh":
        return nm.zh_span_features(s.norm, c.start, c.end, ctx.rules)
    return nm.en_span_features(s.norm, c.start, c.end) if c.source != "han" else []


def _inside(c: nm.Mention, norm: str) -> bool:
    """Does the mention stand in this sentence (not a pronoun's antecedent from another)? Case
    aside: an ALL-CAPS headline's names are found in title case."""
    return c.end <= len(norm) and norm[c.start:c.end].lower() == c.text.lower()


def _negatives(rules: Rules, norm: str, m: re.Match, lang: str) -> tuple[str, ...]:
    """Every negative cue (rumour, denial, call to resign, death, ...) around a departure word,
    as "kind:scope": features of the learned decision, no longer vetoes."""
    start, end = m.start(), m.end()
    near = 60 if lang == "en" else 12
    bounds = [b.end() for b in _CLAUSE_END.finditer(norm, 0, start)]
    clause_start = bounds[-1] if bounds else 0
    first = _CLAUSE_END.search(norm)
    first_comma = first.start() if first else len(norm)
    scopes = {
        "left": norm[:start],
        "clause": norm[clause_start:start],
        "start": norm[:first_comma],
        "near_left": norm[max(0, start - near):start],
        "right": norm[end:],
        "object": norm[end:end + 20],
        "sentence": norm,
    }
    return tuple(f"{kind}:{scope}" for kind, by_scope in rules.negatives.items()
                 for scope, rx in by_scope.items() if rx.search(scopes[scope]))


def _persons(ctx: _Ctx, s: _Sentence) -> list[nm.Mention]:
    return [c for c in ctx.cands(s) if not c.is_org]


def _person(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match) -> tuple[nm.Mention, str] | None:
    rules, norm = ctx.rules, s.norm
    persons = _persons(ctx, s)
    if trig.needs_org_object and _org_object(ctx, s, m) is _NO_OBJECT:
        return None
    if trig.person == "subject":
        before = [c for c in persons if c.end <= m.start()]
        for c in reversed(before[-3:]):
            gap = norm[c.end:m.start()]
            if len(gap) <= MAX_GAP and rules.gap.fullmatch(gap):
                # "Poindexter, who resigned last November, refused to testify": background
                return c, "relative" if ctx.lang == "en" and re.search(r"\bwho\b", gap, re.I) else "direct"
        if ctx.lang == "zh":
            guess = nm.guess_name_before(norm, m.start(), rules, ctx.known_orgs)
            if guess:
                return nm.Mention(guess[0], guess[1], norm[guess[0]:guess[1]]), "direct"
        me = list(_FIRST_PERSON[ctx.lang].finditer(norm, 0, m.start()))
        if me and rules.gap.fullmatch(norm[me[-1].end():m.start()]):  # 恩里克声明:我已决定辞职
            speaker = _speaker(ctx, s, persons, me[-1].start())
            if speaker:
                return speaker, "speaker"
        if ctx.lang == "zh":  # 即将离任的欧洲央行行长德拉吉: the person after "trigger 的 … role"
            for c in [c for c in persons if c.start >= m.end()][:1]:
                between = norm[m.end():c.start]
                if re.fullmatch(r"的[^,;:!?。]{0,24}", between) and re.search(rules.role.pattern + r"$", between):
                    return c, "direct"
        pron = list(_PRON[ctx.lang].finditer(norm, 0, m.start()))
        if pron:
            p = pron[-1]
            if rules.gap.fullmatch(norm[p.end():m.start()]):
                ante = [c for c in persons if c.end <= p.start()]
                if ante:
                    return ante[-1], "pronoun"
                prev = _previous_subject(ctx, s)
                if prev:
                    return prev, "pronoun"
        return None
    if trig.person == "object":
        for c in [c for c in persons if c.start >= m.end()][:2]:
            gap = norm[m.end():c.start]
            if len(gap) <= MAX_GAP and rules.object_gap.fullmatch(gap):
                return c, "direct"
        if ctx.lang == "zh" and re.match(r"\s*其", norm[m.end():]):  # 免去其…职务: 其 is the subject
            before = [c for c in persons if c.end <= m.start()]
            if before:
                return before[0], "pronoun"
        return None
    if trig.person == "possessive":
        for c in persons:
            if 0 <= m.start() - c.end <= 2:
                return c, "direct"
        # "Keir Starmer announces his resignation", "Leon Botstein, president of Bard College,
        # announces his retirement": his/her is the subject's
        own = _POSSESSIVE_PRON.get(ctx.lang) and _POSSESSIVE_PRON[ctx.lang].search(norm, 0, m.start())
        if own:
            for c in reversed([c for c in persons if c.end <= own.start()][-3:]):
                gap = norm[c.end:own.start()]
                if len(gap) <= MAX_GAP and rules.gap.fullmatch(gap):
                    return c, "pronoun"
        return None
    speaker = _speaker(ctx, s, persons, m.start())
    return (speaker, "speaker") if speaker else None


def _speaker(ctx: _Ctx, s: _Sentence, persons: list[nm.Mention], pos: int) -> nm.Mention | None:
    """The person whose words (a quote, or "Name: ...") stand at `pos`. When a pronoun says who
    speaks ("…包括 Grok Imagine,他写道:「我…」"), that is the sentence's subject."""
    before = [c for c in persons if c.end <= pos]
    for c in reversed(before[-2:]):
        between = s.norm[c.end:pos]
        speech = _SPEECH[ctx.lang].search(between)
        if not speech or any(o.start >= c.end and o.end <= pos for o in persons):
            continue
        if _PRON[ctx.lang].search(between[:speech.start()]):
            return before[0]
        return c
    return None


def _previous_subject(ctx: _Ctx, s: _Sentence) -> nm.Mention | None:
    """The first person named in the previous sentence (a pronoun's usual antecedent)."""
    for p in reversed(ctx.prev[:-1] if ctx.prev and ctx.prev[-1] is s else ctx.prev):
        ps = _persons(ctx, p)
        if ps:
            return ps[0]
    return None


def _coordinated(ctx: _Ctx, s: _Sentence, person: nm.Mention) -> list[nm.Mention]:
    """'A and B have left', 'A、B离职': the people joined to the subject before it."""
    out = []
    persons = [c for c in _persons(ctx, s) if c.end <= person.start]
    cur = person
    for c in reversed(persons):
        if _COORD[ctx.lang].fullmatch(s.norm[c.end:cur.start]):
            out.append(c)
            cur = c
        else:
            break
    return out


def _collective_before(ctx: _Ctx, norm: str, m: re.Match) -> bool:
    left = norm[max(0, m.start() - 40):m.start()]
    if ctx.lang == "zh":
        return any(re.search(rx, left) for rx in ctx.rules.lexicon.get("collectives", []))
    return bool(re.search(r"\b(?:(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|following|these)\s+(?:\w+\s+){0,2}(?:engineers|employees|executives|staff|researchers|co-?founders|people|members|officials|directors|bosses)|trio|duo|pair)\b", left, re.I))


def _enum_item(ctx: _Ctx, s: _Sentence) -> None:
    enum = ctx.enum
    if not _ITEM[ctx.lang].match(s.norm):
        if s.first_in_para:
            enum["budget"] -= 1
            if enum["budget"] < 0:
                ctx.enum = None
        return
    enum["budget"] = 2
    persons = _persons(ctx, s)
    if not persons:
        return
    trig = enum["trig"]
    d = _date(ctx, s.norm) or enum["date"]
    many = ctx.lang == "en" and re.match(r"\s*the\s+\w+\s+(?:are|were|include|included)\b", s.norm, re.I)
    for p in persons if many else persons[:1]:
        if ctx.trace is not None:
            ctx.trace.append(Traced(p.text, ["bias", "list", f"trig={trig.id}"], 0.85))
        _emit(ctx, s, trig, None, p, "list", org=enum["org"], when=d)


# ------------------------------------------------------------------ extraction
# Chinese readings whose span is already the name's own: a role, a Latin name, a name known from
# the article, 陈某 (a dotted name may still carry a verb after it: 唐纳德·特朗普递交)
_WHOLE_NAMES = {"role", "latin", "known", "withheld"}


def _emit(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match | None, c: nm.Mention, how: str,
          org: str | None = None, when: date | None = None, conf: float | None = None) -> None:
    inside = _inside(c, s.norm)
    if ctx.lang == "zh" and inside and c.source not in _WHOLE_NAMES:
        readings = [(o.start, o.end, o.source) for o in ctx.cands(s) if not o.is_org]
        a, b = c.start, c.end
        for _ in range(2):  # (a role cut off the front may leave a part of the name: 后卫阿米尔|-辛顿)
            a, b = nm.zh_complete_name(s.norm, a, b, ctx.rules, readings)
            a, b = nm.zh_name_span(s.norm, a, b, ctx.rules, tail_only=c.source == "dot")
        if (a, b) != (c.start, c.end) and b - a >= 2:
            c = replace(c, start=a, end=b, text=s.norm[a:b])
    person = s.orig[c.start:c.end] if inside and len(s.orig) == len(s.norm) else c.text
    person = person.strip()
    if len(person) < 2:
        return
    if c.source == "role":  # R3: a departure said of a role, with no name
        if org is None and m is not None:
            org = _choose_org(ctx, s, c, m, _heuristic_org(ctx, s, trig, m, c, None)[1], emitting=True)
        ctx.org_rank.append(4)
        ctx.found.append(Departure(person=None, org=_as_written(s, org), role=person, kind=_kind(trig, m), date=_date(ctx, s.norm),
                                   evidence=s.orig[:500], confidence=round(min(conf or 0.5, 0.99), 3),
                                   pattern=trig.id))
        return
    aliases = [c.alias] if c.alias else []
    full = ctx.known.get(person) or ctx.known.get(to_simplified(person)) \
        or (ctx.known.get(person.title()) if person.isupper() else None)  # CRAXI in a wire headline: Bettino Craxi
    if full and full != person:
        aliases.append(person)
        person = full
    if m is not None:
        org_rank, org = _heuristic_org(ctx, s, trig, m, c, org)
        if inside and org_rank > 0:
            org = _choose_org(ctx, s, c, m, org, emitting=True)
        when = when or _date(ctx, s.norm)
    else:
        org_rank, org = (0, org) if org else (4, _org_near(ctx, s, c))
    if conf is None:
        relative = 0.9 if ctx.title_signal else 0.5  # background unless the title is about it
        conf = trig.confidence * {"direct": 1.0, "pronoun": 0.9, "speaker": 0.95, "list": 0.85,
                                  "relative": relative}.get(how, 1.0)
    ctx.org_rank.append(org_rank)
    ctx.found.append(Departure(
        person=person, org=_as_written(s, org), role=_as_written(s, _role(ctx, s, c, m) if inside else None),
        kind=_kind(trig, m), date=when,
        evidence=s.orig[:500], confidence=round(min(conf, 0.99), 3), aliases=aliases, pattern=trig.id,
    ))


def _heuristic_org(ctx: _Ctx, s: _Sentence, trig: Trigger, m: re.Match, c: nm.Mention,
                   given: str | None) -> tuple[int, str | None]:
    """The hand-written reading of the organisation, and how directly the text ties it to this
    departure (0 best): given (a list's header), the word's object (离开 xAI, or the actor of an
    object trigger: "Aston Martin sacks chief Andy Palmer"), between person and word, after the
    word, near the person."""
    obj = _real(_org_object(ctx, s, m)) if trig.needs_org_object else None
    if trig.person == "object":
        actor = [a for a in ctx.cands(s) if a.end <= m.start() and m.start() - a.end <= 20
                 and (ctx.lang == "en" or a.is_org) and not (a.start < c.end and c.start < a.end)]
        obj = obj or (actor[-1].text if actor else None)
    ranked = [lambda: given, lambda: obj, lambda: _org_between(ctx, s, c, m),
              lambda: _org_after(ctx, s.norm, m), lambda: _org_near(ctx, s, c)]
    return next(((i, o) for i, f in enumerate(ranked) if (o := f())), (9, None))


def _choose_org(ctx: _Ctx, s: _Sentence, c: nm.Mention, m: re.Match, heuristic: str | None,
                emitting: bool = False) -> str | None:
    """The learned choice among the organisation candidates around the person (the hand-written
    reading is one of its features); the hand-written reading when there is no model yet."""
    norm, rules = s.norm, ctx.rules
    if ctx.lang == "en":
        cands = aff.en_candidates(norm, c, ctx.cands(s), rules)
    else:
        cands = aff.zh_candidates(norm, c, m.start(), m.end(), ctx.cands(s), rules)
    if heuristic and not any(x.text == heuristic for x in cands):
        at = norm.find(heuristic)
        if at >= 0:
            cands.append(aff.candidate(at, at + len(heuristic), heuristic, "heuristic"))
    known = ctx.known_orgs
    scored = []
    for x in cands:
        feats = aff.features(ctx.lang, norm, x, c, m.start(), m.end(), rules, heuristic, x.text.lower() in known)
        scored.append((aff.model(pairs.family(ctx.lang)).score(feats), x.text))
        if ctx.org_trace is not None and not emitting:
            ctx.org_trace.append(TracedOrg(None if c.source == "role" else c.text, x.text, feats))
    if not aff.model(pairs.family(ctx.lang)).weights:
        return heuristic
    best = max(scored, default=(0.0, None))
    if best[0] < aff.THRESHOLD:
        return None
    at = norm.find(best[1])
    if ctx.lang == "zh" and at >= 0 and re.match(r"[部局厅署处]长", norm[at + len(best[1]):]):
        return best[1] + norm[at + len(best[1])]  # 内政部长: the ministry is 内政部
    # "MidCon chairman …" and "MidCon Corp, a subsidiary of …": the fuller name as written
    fuller = [t for p, t in scored if p >= aff.THRESHOLD / 2 and t.startswith(best[1] + " ")]
    return max(fuller, key=len) if fuller else best[1]


def _as_written(s: _Sentence, text: str | None) -> str | None:
    """An organisation or role read in the normalised (Simplified) sentence, as the article
    writes it: 台積電 stays 台積電 (the events' merge key folds scripts)."""
    if not text or len(s.orig) != len(s.norm):
        return text
    at = s.norm.lower().find(text.lower())  # (an ALL-CAPS headline was read in title case)
    return s.orig[at:at + len(text)] if at >= 0 else text


def _kind(trig: Trigger, m: re.Match | None) -> str:
    if trig.kind_from_word and m is not None:
        word = m.group(0).lower()
        return next((k for w, k in _KIND_WORDS.items() if w in word), trig.kind)
    return trig.kind


_NO_OBJECT = "\0no-object"


def _org_object(ctx: _Ctx, s: _Sentence, m: re.Match) -> str | None:
    """The organisation right after a leave-verb (离开xAI, leaves Invesco); None when the object
    is a workplace without a name (离开公司); _NO_OBJECT when there is no organisation there
    (a place, a market, nothing)."""
    after = s.norm[m.end():]
    lex = ctx.rules.lexicon
    if ctx.lang == "en":
        o = nm.ORG_RX.match(after.lstrip())
        if not o:
            return _NO_OBJECT
        text = o.group(0).strip(" .,'’")
        first = text.split()[0].lower()
        if text.lower() in set(lex.get("places", ())) or {text.lower(), first} & (set(lex["not_names"]) - ctx.known_orgs):
            return _NO_OBJECT
        return text
    stripped = after.lstrip(" 了")
    offset = len(after) - len(stripped)
    for c in ctx.cands(s):
        if c.is_org and c.start - m.end() <= offset + 1 and c.start >= m.end():
            return c.text
    w = re.match(r"(?:其所在的|所在的|原)?(公司|团队|岗位|职位|东家|老东家|战队|球队|俱乐部|董事会|管理层|本公司|集团|单位|工作岗位|政坛|内阁|政府)", stripped)
    if w:
        return None if w.group(1) not in ("集团", "内阁", "政府") else w.group(1)
    o = re.match(r"[A-Za-z][\w.&-]*(?:\s+[A-Z][\w.&-]*)*", stripped)
    if o:
        return o.group(0)
    # any other noun phrase up to the clause's end or next verb: 离开魅族, 退出德云社
    o = re.match(r"([\u4e00-\u9fff]{2,8}?)(?=$|[\s,,。;;!?!?、::)）」”]|后|之后|以后|前|时|的|并|而|去|加盟|加入|转投|投奔|创业|，)", stripped)
    bad_ends = tuple(lex.get("not_org_suffixes", ()))
    if o and not set(lex.get("not_orgs", ())) & {o.group(1), o.group(1)[-2:]} \
            and not any(o.group(1)[:k].endswith(bad_ends) for k in range(2, len(o.group(1)) + 1)):
        return o.group(1)
    return _NO_OBJECT


def _real(org: str | None) -> str | None:
    return None if org == _NO_OBJECT else org


def _org_between(ctx: _Ctx, s: _Sentence, c: nm.Mention, m: re.Match) -> str | None:
    """An organisation between the person and the trigger: 从特斯拉离职, 在 xAI 的最后一天."""
    orgs = [o for o in ctx.cands(s) if o.is_org and o.start >= c.end and o.end <= m.start()]
    if ctx.lang == "zh":
        orgs = [o for o in orgs if re.search(r"(?:在|从|自|于)\s*$", s.norm[max(c.end, o.start - 3):o.start])]
    else:
        orgs = [o for o in orgs if re.search(r"\b(?:at|from|of)\s+(?:the\s+)?$", s.norm[max(c.end, o.start - 9):o.start])]
    return orgs[-1].text if orgs else None


def _org_after(ctx: _Ctx, norm: str, m: re.Match) -> str | None:
    after = norm[m.end():m.end() + 80]
    if ctx.lang == "en":
        # "quits as WTO chief", "steps down as Tesla's CFO"
        as_ = "" if m.group(0).lower().rstrip().endswith(" as") else r"as\s+"  # "quits as" has it
        o = re.match(r"\s*" + as_ + r"(?:the\s+)?(" + nm.ORG_RX.pattern + r")(?:'s|’s)?\s+(?:" + ctx.rules.role.pattern + ")", after)
        if o and o.group(1).lower() not in _EN_NOT_ORG:
            return o.group(1).strip(" .,")
        o = re.match(r"\s*(?i:as\s+(?:the\s+)?(?:[a-z\- ]{0,40}?\s+)?(?:of|at)|from|at|with)\s+(?i:the\s+|its\s+)?(" + nm.ORG_RX.pattern + ")", after)
        if o and o.group(1).split()[0].lower() not in _EN_NOT_ORG:
            return o.group(1).strip(" .,")
        # further on, the post it ends: "Steps Down After 10 Years As New York Governor"
        o = re.search(r"\b(?i:as)\s+(?:the\s+)?(" + nm.ORG_RX.pattern + r")(?:'s|’s)?\s+(?:" + ctx.rules.role.pattern + r")\b", after[:60])
        return o.group(1).strip(" .,") if o and o.group(1).split()[0].lower() not in _EN_NOT_ORG else None
    o = re.match(r"\s*(?:了)?\s*(?:在)?([A-Za-z][\w.&-]*|[\u4e00-\u9fff]{2,10}?)(?=" + ctx.rules.role.pattern + ")", after)
    if o and not ctx.rules.role.fullmatch(o.group(1)):
        return o.group(1)
    return None


def _org_near(ctx: _Ctx, s: _Sentence, c: nm.Mention) -> str | None:
    norm = s.norm
    role_rx = ctx.rules.role.pattern
    if ctx.lang == "en":
        # "Johnston Press chief Ashley Highfield", "Jaguar Land Rover's Ralf Speth"
        for o in reversed([o for o in ctx.cands(s) if o.end <= c.start and o is not c]):
            if re.fullmatch(r"(?:['’]s)?\s+(?:(?:" + role_rx + r"|and|of|the)\s+)*", norm[o.end:c.start], re.I):
                return o.text
            break
        # "MidCon Corp, a subsidiary of Occidental Petroleum Corp, said William C. Terpstra ..."
        said = re.match(r"\s*(?:The\s+)?(" + nm.ORG_RX.pattern + r")(?:\s*<[^>]*>)?\s*(?:,[^,]{0,90},\s*)?(?:said|says|announced|reported)\b", norm)
        if said and said.end() <= c.start and said.group(1).lower() not in _EN_NOT_ORG:
            return said.group(1)
    else:
        org = _zh_org_before_roles(ctx, norm[max(0, c.start - 40):c.start]) or _zh_company(norm, c.start)
        if org:
            return org
    orgs = [o for o in ctx.cands(s) if o.is_org and o.end <= c.start and c.start - o.end <= 60]
    known = [o for o in orgs if o.text.lower() in ctx.known_orgs]
    if known or orgs:
        return (known or orgs)[-1].text
    gap_from = re.search(r"从\s*([^,,。;;的]{1,20}?)\s*(?:正式|已|已经)?\s*(?:离职|辞职|退休|离开|卸任|离任)", s.norm[c.end:])
    if ctx.lang == "zh" and gap_from:
        return gap_from.group(1).strip()
    return None


_ZH_GENERIC_ORG = {"公司", "集团", "董事会", "该公司", "本公司", "其公司", "监事会", "股东大会"}
_ZH_NOT_ORG_WORDS = re.compile(r"收到|提交|递交|发布|公告|公布|宣布|表示|消息|声明|报道|透露|称|讯|^[日月年]")
_ZH_LEAD = re.compile(r"近日|今日|日前|昨日|今天|昨天|消息|讯|网|报道|公告|获悉|据悉|[\d月日年,:\s]")
_STOCK_CODE = re.compile(r"\((?:\d{4,6}|[A-Z]{2,6})(?:\.[A-Z]{2})?(?:-HK)?\)")


def _zh_org_before_roles(ctx: _Ctx, window: str) -> str | None:
    """茅台电商公司原董事长聂永, 石化机械公司董事、总经理张三: the words before the chain of roles
    that ends right before the person."""
    roles = list(ctx.rules.role.finditer(window))
    if not roles or window[roles[-1].end():].strip():
        return None
    start = roles[-1].start()
    for r in reversed(roles[:-1]):
        if re.fullmatch(r"[兼、和及与/\s]*", window[r.end():start]):
            start = r.start()
        else:
            break
    duty = re.search(r"(?:负责|主管|分管|掌管|领导)[^,;。]{0,20}的\s*$", window[:start])
    if duty:  # 负责AI Infra的副总裁, 豪声电子分管生产的副总经理: a responsibility; the organisation is before it
        start = duty.start()
    pre = re.sub(r"(?:的|原|前|现任|时任|新任|\s)+$", "", window[:start])
    pre = _STOCK_CODE.sub("", pre)
    run = re.search(r"([A-Za-z][\w.&\-]*|[\u4e00-\u9fff]{2,12})$", pre)
    if not run:
        return None
    org = re.split(r"[的是在从与及、]|收到|公布|宣布|表示|称|据|由", run.group(1))[-1]
    org = _ZH_LEAD.split(org)[-1] if _ZH_LEAD.search(org) else org
    if len(org) < 2 or org in _ZH_GENERIC_ORG or ctx.rules.role.fullmatch(org) or _ZH_NOT_ORG_WORDS.search(org) \
            or re.search("(?:" + ctx.rules.role.pattern + ")$", org):
        return None
    return org


def _zh_company(norm: str, before: int) -> str | None:
    """The company a filing is about: the name before a stock code (南京聚隆(300644)) or before a
    leading colon (石化机械:董事长袁建强辞职)."""
    found = None
    for m in _STOCK_CODE.finditer(norm, 0, before):
        run = re.search(r"([A-Za-z\u4e00-\u9fff]{2,16})$", norm[:m.start()])
        if run:
            name = _ZH_LEAD.split(run.group(1))[-1]
            if len(name) >= 2 and not _ZH_NOT_ORG_WORDS.search(name):
                found = name
    if found:
        return found
    lead = re.match(r"\s*[【\[]?([A-Za-z\u4e00-\u9fff]{2,10})\s*:", norm)
    if lead and lead.end() <= before and not _ZH_NOT_ORG_WORDS.search(lead.group(1)):
        return lead.group(1)
    return None


def _role(ctx: _Ctx, s: _Sentence, c: nm.Mention, m: re.Match | None) -> str | None:
    norm = s.norm
    window = norm[max(0, c.start - (40 if ctx.lang == "zh" else 60)):c.start]
    before = list(ctx.rules.role.finditer(window))
    if ctx.lang == "zh":
        before = [r for r in before if not window.startswith("会", r.end())]  # 董事会: the board, no role
        after_name = re.match(r"的?(" + ctx.rules.role.pattern + ")", norm[c.end:c.end + 16])
        if after_name and (not before or len(window) - before[-1].end() > 2):
            return after_name.group(1)  # 解除李强总经理职务, 撤销王刚副总裁职务
    if before and (ctx.lang == "en" or len(window) - before[-1].end() <= 12):
        if ctx.lang == "en":
            # the run of role words right before the name: "president and chief operating officer"
            run = re.search(r"((?:" + ctx.rules.role.pattern + r")(?:\s+(?:and|&|of|for)\s+(?:the\s+)?(?:" +
                            ctx.rules.role.pattern + r"|[\w ]{0,20}))*)\s*$", window.rstrip(" ,"), re.I)
            if run:
                return run.group(1).strip()
        else:  # a chain of roles: 共同创办人兼推理负责人
            first = before[-1]
            for r in reversed(before[:-1]):
                if re.fullmatch(r"\s*(?:(?:兼|、|和|及|与|/)[\u4e00-\u9fffA-Za-z/ ]{0,4}?)?", window[r.end():first.start()]):
                    first = r
                else:
                    break
            return window[first.start():before[-1].end()]
    after = norm[c.end:c.end + 80]
    if ctx.lang == "en":
        ap = re.match(r"\s*,\s*(?:\d+\s*,\s*)?(?:the\s+|a\s+|an\s+|its\s+)?((?:" + ctx.rules.role.pattern + r")[^,;]{0,60}?)\s*(?:,|\b(?:has|have|had|is|was|will|to)\b)", after, re.I)
        if ap:
            return ap.group(1).strip()
        if m is not None:
            asr = re.match(r"\s*as\s+(?:the\s+)?((?:[\w\-]+\s+){0,3}?(?:" + ctx.rules.role.pattern + r")(?:\s+and\s+(?:" + ctx.rules.role.pattern + r"))?)", norm[m.end():], re.I)
            if asr:
                return asr.group(1).strip()
    elif m is not None:  # 请辞内政部长, 辞去董事长职务
        r = re.match(r"\s*了?\s*[^,,。;;!?!?]{0,10}?(" + ctx.rules.role.pattern + ")", norm[m.end():m.end() + 24])
        if r:
            return r.group(1)
    return None


def _date(ctx: _Ctx, norm: str) -> date | None:
    return date_in_text(norm, ctx.lang, ctx.ref)


def _merge(ctx: _Ctx) -> list[Departure]:
    """One Departure per person in an article: the most confident, completed from the others."""
    by_key: dict[str, Departure] = {}
    order: list[str] = []
    rank = {id(d): r for d, r in zip(ctx.found, ctx.org_rank)}
    for d in ctx.found:
        key = _person_key(d)
        if key not in by_key:
            by_key[key] = d
            order.append(key)
            continue
        best = by_key[key]
        if d.confidence > best.confidence + 0.05:  # the earlier reading, unless a later one is clearly surer
            d, best = best, d
            by_key[key] = best
        else:
            best.confidence = max(best.confidence, d.confidence)
        if d.org and (not best.org or rank[id(d)] < rank[id(best)]):
            best.org = d.org  # the reading that ties the organisation more directly
            rank[id(best)] = rank[id(d)]
        best.role = best.role or d.role
        best.date = best.date or d.date
        best.aliases = list(dict.fromkeys(best.aliases + d.aliases + ([d.person] if d.person != best.person else [])))
    for k in list(order):  # 吴宇 inside 吴宇怀: a span cut short of a name the article also has
        longer = [o for o in order if o != k and k in o and by_key[o].person]
        if by_key[k].person and longer and _HAN_ONLY.fullmatch(k):
            keep = by_key[longer[0]]
            keep.org, keep.role, keep.date = keep.org or by_key[k].org, keep.role or by_key[k].role, keep.date or by_key[k].date
            order.remove(k)
    out = [by_key[k] for k in order]
    out = _named_over_role_only(out)
    orgs = [d.org for d in out if d.org]
    if orgs:
        common = max(dict.fromkeys(orgs), key=orgs.count)  # a tie: the first named (a set's order varies by process)
        for d in out:
            if d.org is None:
                d.org = common
    return out
