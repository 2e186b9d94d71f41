"""`monitor learn`: propose new patterns from labelled examples, for a person to review.

Phrases (Chinese character n-grams, English word n-grams) are counted per labelled item. A
trigger proposal is a phrase that appears in departures and (almost) never in other items,
ranked by how many departures the current detector misses that contain it. A negative-cue
proposal is a phrase typical of one kind of hard negative (death, rumour, ...) and absent from
departures. Names and organisations of the labelled departures are never proposed: the detector
must generalise, not memorise. Output is YAML in the shape of patterns/<lang>.yaml, each entry
with its support counts and the example it was learned from.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from monitor.detect import classify
from monitor.detect.patterns import load_rules
from monitor.parse.jsonl import article_from_obj
from monitor.parse.lang import detect_language, fold_width, to_simplified

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z'\-]*")
_STOP = set("the a an of to in on at for and or but is was are were be been has have had it its his her their "
            "he she they this that with as by from said says will would after over new".split())
MAX_CHARS = 3000


@dataclass
class _Stats:
    pos: Counter = field(default_factory=Counter)  # phrase -> departures containing it
    neg: Counter = field(default_factory=Counter)  # phrase -> other items containing it
    missed: Counter = field(default_factory=Counter)  # phrase -> departures the detector misses
    by_kind: dict = field(default_factory=lambda: defaultdict(Counter))  # hard-negative kind -> phrase -> n
    first: dict = field(default_factory=dict)  # phrase -> first departure id
    first_neg: dict = field(default_factory=dict)  # (kind, phrase) -> first example id
    names: set = field(default_factory=set)  # names and orgs of the labelled departures
    items: Counter = field(default_factory=Counter)


def _phrases(text: str, family: str, common: set[str] | None = None) -> set[str]:
    """Candidate phrases; English n-grams only of words also seen in lower case (no names)."""
    if family == "zh":
        out = set()
        for run in _HAN_RUN.findall(text):
            for n in (2, 3, 4):
                out.update(run[i:i + n] for i in range(len(run) - n + 1))
        return out
    words = _WORD.findall(text.lower())
    out = set()
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if gram[0] in _STOP or gram[-1] in _STOP or (common is not None and not all(w in common for w in gram)):
                continue
            out.add(" ".join(gram))
    return out


def _mask_known(norm: str, family: str) -> str:
    """Blank out what the current triggers already match: proposals are new phrasings."""
    for t in load_rules(family).triggers:
        norm = t.regex.sub(lambda m: " " * len(m.group(0)), norm)
    return norm


def collect(rows: Iterable[dict]) -> dict[str, _Stats]:
    rows = list(rows)
    common = {w for r in rows for w in _WORD.findall(f"{r.get('title') or ''} {r.get('text') or ''}")}
    stats: dict[str, _Stats] = defaultdict(_Stats)
    for row in rows:
        title, text = row.get("title") or "", row.get("text") or ""
        raw = f"{title}\n{text}"[:MAX_CHARS]
        if not raw.strip():
            continue
        family = "zh" if detect_language(raw).startswith("zh") else "en"
        st = stats[family]
        norm = fold_width(to_simplified(raw) if family == "zh" else raw)
        phrases = _phrases(_mask_known(norm, family), family, common)
        is_dep = row.get("label") == "departure"
        st.items["departure" if is_dep else "other"] += 1
        if is_dep:
            for d in row.get("departures") or []:
                for v in (d.get("person"), d.get("org")):
                    if v:
                        st.names.add(fold_width(to_simplified(v)).lower())
            try:
                detected = classify(article_from_obj({"title": title, "text": text}, source=str(row.get("id"))))[0]
            except ValueError:
                detected = False
            for p in phrases:
                st.pos[p] += 1
                st.first.setdefault(p, row.get("id"))
                if not detected:
                    st.missed[p] += 1
        else:
            kind = row.get("negative_kind") or "unrelated"
            for p in phrases:
                st.neg[p] += 1
                if kind != "unrelated":
                    st.by_kind[kind][p] += 1
                    st.first_neg.setdefault((kind, p), row.get("id"))
    return stats


def _is_name(phrase: str, names: set[str]) -> bool:
    return any(phrase in n or n in phrase for n in names if n)


def _dedupe(ranked: list[tuple[str, tuple]]) -> list[tuple[str, tuple]]:
    """Drop a phrase inside a longer kept one with the same counts (离职 inside 宣布离职)."""
    kept: list[tuple[str, tuple]] = []
    for p, key in ranked:
        if any((p in q or q in p) and key == k for q, k in kept):
            continue
        kept.append((p, key))
    return kept


def propose(stats: dict[str, _Stats], *, min_support: int = 3, min_precision: float = 0.85,
            top: int = 20) -> dict:
    """Trigger and negative-cue proposals per language family."""
    out: dict = {}
    for family, st in sorted(stats.items()):
        rules = load_rules(family)
        known = [t.regex for t in rules.triggers]
        cands = []
        for p, pos in st.pos.items():
            neg = st.neg[p]
            precision = (pos + 1) / (pos + neg + 2)
            if pos < min_support or precision < min_precision or st.missed[p] == 0:
                continue
            if _is_name(p, st.names) or any(rx.search(p) for rx in known):
                continue
            cands.append((p, (st.missed[p], pos, neg)))
        cands.sort(key=lambda c: (-c[1][0], -c[1][1], c[1][2], -len(c[0])))
        triggers = []
        for p, (missed, pos, neg) in _dedupe(cands)[:top]:
            triggers.append({
                "id": f"{family}.learned.{len(triggers) + 1}",
                "re": re.escape(p) if family == "zh" else r"\b" + re.escape(p) + r"\b",
                "person": "subject",
                "kind": "left",
                "confidence": round(min(0.9, (pos + 1) / (pos + neg + 2)), 2),
                "learned_from": str(st.first.get(p)),
                "support": {"departures": pos, "other": neg, "missed_now": missed},
            })
        negatives: dict = {}
        for kind, counter in sorted(st.by_kind.items()):
            kc = []
            for p, n in counter.items():
                if n < min_support or st.pos[p] > 0 or _is_name(p, st.names):
                    continue
                kc.append((p, (n, st.neg[p])))
            kc.sort(key=lambda c: (-c[1][0], -len(c[0])))
            picked = _dedupe(kc)[: max(3, top // 4)]
            if picked:
                negatives[kind] = [{"re": re.escape(p), "learned_from": str(st.first_neg.get((kind, p))),
                                    "support": {kind: n, "departures": 0}} for p, (n, _) in picked]
        out[family] = {"items": dict(st.items), "triggers": triggers, "negatives": negatives}
    return out


def render(proposals: dict, sources: list[str]) -> str:
    head = ("# Pattern proposals from `monitor learn` on: " + ", ".join(sources) + "\n"
            "# Review each entry: set `person` (subject/object/possessive/speaker) and `kind`, then copy\n"
            "# the ones you accept into monitor/detect/patterns/<lang>.yaml. `support` counts labelled\n"
            "# items containing the phrase; `missed_now` the departures the current detector misses.\n")
    return head + yaml.safe_dump(proposals, allow_unicode=True, sort_keys=False, width=120)
