"""Measure the detector on labelled JSONL (../shared/eval-dev format): precision, recall and F1
per language, false-positive rate on each kind of hard negative, person/org exact match on
true positives; the keyword rule a user would otherwise set up is scored beside it."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.detect import classify
from monitor.events.names import org_key, person_keys
from monitor.parse.jsonl import article_from_obj
from monitor.parse.lang import to_simplified

# The Google-Alerts-style rule users have today: any departure word anywhere.
KEYWORD_RULE = re.compile(
    r"resign|step(?:s|ped|ping)? down|retir|quit|leav(?:e|es|ing)|left|depart|fired|ousted|sacked|"
    r"离职|辞职|辭職|離職|卸任|退休|离开|離開|请辞|請辭|辞任|辭任|下台|下臺", re.I)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    by_lang: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    baseline: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    hard_neg: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # kind -> [fp, n]
    person: list[int] = field(default_factory=lambda: [0, 0])  # [exact, n] on true positives
    org: list[int] = field(default_factory=lambda: [0, 0])
    clean: list[int] = field(default_factory=lambda: [0, 0])  # [matched names with nothing else in them, matched]
    whole: list[int] = field(default_factory=lambda: [0, 0])  # [matched names not cut short, matched]
    org_clean: list[int] = field(default_factory=lambda: [0, 0])  # [matched orgs with nothing else in them, matched]
    errors: list[dict] = field(default_factory=list)


def _same_person(pred: str | None, gold: str | None) -> bool:
    if pred is None or gold is None:  # a role-only departure matches only a role-only one
        return pred is None and gold is None
    a, b = to_simplified(pred).lower(), to_simplified(gold).lower()
    return a in b or b in a or bool(person_keys(pred) & person_keys(gold))


def _clean_name(pred: str, gold: str) -> bool:
    """The reported name holds nothing but the name: it is within what the label writes (which
    may carry a title: "董事长袁娜"), so "叶华俊递交" for 叶华俊 is not clean, though it matches."""
    a, b = to_simplified(pred).lower(), to_simplified(gold).lower()
    return a in b or bool(person_keys(pred) & person_keys(gold)) and not b in a


def _whole_name(pred: str, gold: str) -> bool:
    """The reported name is not cut short: it holds the labelled name, or the label is a title and
    the name ("董事长袁娜" for 袁娜; "英国首相特拉斯" is not whole as 拉斯)."""
    a, b = to_simplified(pred).lower(), to_simplified(gold).lower()
    if b in a or re.search(r"[\u4e00-\u9fff]", a) and person_keys(pred) & person_keys(gold):
        return True  # (keys only for Han names, the same name in another script or spelling: a
        # Latin key is the surname alone, and "Altman" for Sam Altman is cut short)
    if not b.endswith(a):
        return False
    title = b[:-len(a)]
    return bool(_TITLE_END.search(title))


_TITLE_END = re.compile(r"(?:长|总|裁|理|监|事|席|任|人|官|员|师|练|帅|头|手|将|相|统|使|卿|书|记|部|司|局|队|的|、"
                        r"|\b(?:chief|officer|president|chairman|director|executive|ceo|cfo|coach|minister|head)"
                        r"|\b(?:mr|mrs|ms|dr|sir|dame|lord|lady|prof)\.?)\s*$", re.I)


def _same_org(pred: str | None, gold: str | None) -> bool:
    if not gold:
        return True
    if not pred:
        return False
    a, b = org_key(pred), org_key(gold)
    return bool(a and b) and (a in b or b in a)


def evaluate(rows: Iterable[dict]) -> Report:
    rep = Report()
    for row in rows:
        lang = row.get("lang") or "?"
        gold = row.get("label") == "departure"
        try:
            art = article_from_obj({k: row.get(k) for k in ("id", "title", "text", "url", "published")}, source=row.get("id", ""))
            pred, score, deps = classify(art)
        except ValueError:  # an empty item: nothing to detect
            pred, score, deps = False, 0.0, []
        rep.by_lang[lang].add(gold, pred)
        rep.baseline[lang].add(gold, bool(KEYWORD_RULE.search(f"{row.get('title', '')} {row.get('text', '')}")))
        nk = row.get("negative_kind")
        if not gold and nk and nk != "unrelated":
            rep.hard_neg[nk][1] += 1
            rep.hard_neg[nk][0] += int(pred)
        if gold and pred:
            for g in row.get("departures") or []:
                match = next((d for d in deps if _same_person(d.person, g["person"])), None)
                rep.person[1] += 1
                rep.person[0] += int(match is not None)
                if match is not None and match.person and g["person"]:
                    for tally, good, error in ((rep.clean, _clean_name, "name with more than the name"),
                                               (rep.whole, _whole_name, "name cut short")):
                        ok = good(match.person, g["person"])
                        tally[0], tally[1] = tally[0] + int(ok), tally[1] + 1
                        if not ok:
                            rep.errors.append({"id": row.get("id"), "error": error, "gold": g["person"],
                                               "got": match.person, "title": row.get("title", "")[:120]})
                if g.get("org"):
                    rep.org[1] += 1
                    ok = match is not None and _same_org(match.org, g.get("org"))
                    rep.org[0] += int(ok)
                    if ok:
                        rep.org_clean[1] += 1
                        rep.org_clean[0] += int(org_key(match.org) in org_key(g["org"]))
                    if match is not None and not ok:
                        rep.errors.append({"id": row.get("id"), "error": "wrong org", "gold": g["org"],
                                           "got": match.org, "person": match.person, "title": row.get("title", "")[:120]})
                if match is None:
                    rep.errors.append({"id": row.get("id"), "error": "wrong person", "gold": g["person"],
                                       "got": [d.person for d in deps], "title": row.get("title", "")[:120]})
        if gold != pred:
            rep.errors.append({"id": row.get("id"), "error": "missed" if gold else f"false positive ({nk})",
                               "score": score, "got": [f"{d.person} [{d.pattern}]" for d in deps],
                               "title": row.get("title", "")[:120],
                               "evidence": deps[0].evidence[:200] if deps else (row.get("text") or "")[:200]})
    return rep


def read_jsonl(paths: list[str]) -> Iterable[dict]:
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)
