"""Learn the pair decision's weights from labelled JSONL (eval-dev format) and measure how well it
generalises: k-fold cross-validation and leave-one-source-out (train without a source, test on
it). Pure Python logistic regression (AdaGrad, L2), deterministic: the same files give the same
weights byte for byte.

A pair is labelled 1 when its item is a departure and the mention is one of the departing people
(containment, any script), or, for a role-only candidate, when the item has a departure without
a name; every other pair is 0."""
from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from monitor.detect import pairs
from monitor.detect.engine import Traced, TracedOrg, detect
from monitor.parse.jsonl import article_from_obj

# Never trained on: measurement-only sources whose terms forbid it (DuEE, THUCNews).
NO_TRAIN = re.compile(r"duee|thucnews|zh-thuc", re.I)


def trainable_row(row: dict) -> bool:
    """May a shipped model learn from this labelled row (not uncertain, and its source's licence
    allows it)?"""
    return not row.get("uncertain") and not NO_TRAIN.search(source_of(row))


def trainable(item: "Item") -> bool:
    """trainable_row(), of a featurised item."""
    return trainable_row(item.row)
MIN_COUNT = 2  # a feature seen in fewer training pairs gets no weight
# What the hand-written rules already know, as priors: a weight is pulled towards its prior,
# not towards 0, so a negative cue seen a few times in training still counts against a pair.
PRIORS = {"neg=rumor": -1.5, "neg=denial": -1.5, "neg=call_to_resign": -1.5, "neg=death": -1.5,
          "neg=suspension": -1.0, "neg=layoff": -1.0, "neg=company_exit": -1.0, "neg=place": -1.0,
          "neg=hedge": -0.5, "neg=refuted": -1.0, "neg=background": -0.3, "rule": 1.0}
PRIOR_L2 = 0.01  # how firmly: data must outweigh it
NEGATIVE_CUE = ("neg=", "event:neg=")


@dataclass
class Item:
    row: dict
    group: str  # the item's source, for leave-one-source-out
    pairs: list[tuple[list[str], int]]
    bars: list[float]  # per pair, the score it needs (engine._bar)
    words: list[int] = field(default_factory=list)  # per pair, which departure word of the item it is about
    # per departing person found, its organisation candidates: [(features, is the gold org)]
    orgs: list[list[tuple[list[str], int]]] = field(default_factory=list)


def source_of(row: dict) -> str:
    """The source an item comes from, from its id (en-reuters-00173 -> en-reuters)."""
    sid = re.sub(r"[-_]?\d+$", "", str(row.get("id", "?")))
    sid = re.sub(r"^(en|zh)-feed-.*", r"\1-feed", sid)  # every saved feed: one source
    return re.sub(r"-[a-d]$", "", sid) or "?"  # labellers' halves of one source


def _same(a: str, b: str) -> bool:
    from monitor.detect.evaluate import _same_person

    return _same_person(a, b)


def _same_org(a: str, b: str) -> bool:
    from monitor.detect.evaluate import _same_org as same

    return same(a, b)


def featurise(rows: Iterable[dict]) -> list[Item]:
    """Run the candidate stage over each labelled item and label its pairs."""
    items = []
    for row in rows:
        if row.get("uncertain"):
            continue  # the labeller could not tell: neither learned from nor scored
        try:
            art = article_from_obj({k: row.get(k) for k in ("id", "title", "text", "url", "published")},
                                   source=str(row.get("id", "")))
        except ValueError:
            continue
        trace: list[Traced] = []
        org_trace: list[TracedOrg] = []
        detect(art, trace=trace, org_trace=org_trace)
        gold = row.get("label") == "departure"
        golds = [d for d in row.get("departures") or [] if isinstance(d, dict)]
        named = [d["person"] for d in golds if d.get("person")]
        role_only = gold and any(not d.get("person") for d in golds)
        roles = [d["role"].casefold() for d in golds if gold and isinstance(d.get("role"), str) and d["role"].strip()]
        out = []
        for t in trace:
            if t.mention is None:  # a role word: right when the item has a departure without a name,
                # or it is a departing person's role ("Netflix Chief Communications Officer Fired",
                # the name in the next sentence): the departure is found, if not the name
                y = role_only or _role_of(t.role, roles)
            else:
                y = gold and any(_same(t.mention, g) for g in named)
            out.append((t.features, int(y)))
        groups: dict[tuple[str, str], list[tuple[list[str], int]]] = defaultdict(list)
        for o in org_trace:  # candidates of a person who is leaving, with a gold organisation
            gold_org = next((d.get("org") for d in golds if (o.person is None and not d.get("person")) or (
                o.person and d.get("person") and _same(o.person, d["person"]))), None)
            if gold and gold_org:
                groups[(o.person or "", gold_org)].append((o.features, int(_same_org(o.org, gold_org))))
        orgs = [g for g in groups.values() if any(y for _, y in g)]
        ids: dict[tuple, int] = {}
        words = [ids.setdefault(t.word, len(ids)) for t in trace]
        items.append(Item(row, source_of(row), out, [t.bar for t in trace], words=words, orgs=orgs))
    return items


def _role_of(role: str | None, golds: list[str]) -> bool:
    """Is the role word the (casefolded) role of a departing person ("State Senator" of "state
    senator", "Officer" of "chief communications officer")?"""
    r = (role or "").casefold().strip()
    return bool(r) and any(r in g or g in r for g in golds)


_LOWER_WORD = re.compile(r"(?<![\w'’\-])[a-z][a-z'’\-]{2,}(?![\w'’\-])")


def en_vocabulary(rows: Iterable[dict], min_items: int = 1) -> list[str]:
    """The words English training text writes in lower case, in at least `min_items` items:
    ordinary words, which a name rarely is (names.en_span_features). Texts in one case (ABC's
    lower-case headlines, ALL-CAPS wires) say nothing of it and are skipped. One item is enough:
    leave-one-source-out F1 0.716 against 0.709 with two (the more ordinary words known, the
    fewer taken for names in a new source's Title Case)."""
    seen: Counter = Counter()
    for row in rows:
        if pairs.family(row.get("lang", "")) != "en":
            continue
        words: set[str] = set()
        for text in (row.get("title") or "", row.get("text") or ""):
            letters = [c for c in text if c.isalpha()]
            upper = sum(c.isupper() for c in letters)
            if letters and 0 < upper < 0.6 * len(letters):
                words.update(w.replace("’", "'") for w in _LOWER_WORD.findall(text))
        seen.update(words)
    return sorted(w for w, n in seen.items() if n >= min_items)


def trigger_priors() -> dict[str, float]:
    """Each departure word's rule, as a prior of the event part: its pattern's confidence (the
    share of its matches that report a departure, as written in patterns/*.yaml) in log-odds. A
    word seen a few times in training ("bows out", "last day at") keeps what its rule says; the
    data outweighs it where there is enough of it."""
    from monitor.detect.patterns import load_rules

    return {f"trig={t.id}": round(math.log(t.confidence / (1 - t.confidence)), 4)
            for lang in ("en", "zh") for t in load_rules(lang).triggers if 0 < t.confidence < 1}


def fit(items: list[Item], epochs: int = 12, l2: float = 1e-4, rate: float = 0.3, seed: int = 7,
        orgs: bool = False, priors: dict[str, float] | None = None) -> pairs.Model:
    """Logistic weights for the pair decision (or, with orgs, for the organisation choice);
    `priors`: more weights to pull towards (as PRIORS)."""
    data = [p for it in items for g in it.orgs for p in g] if orgs else [p for it in items for p in it.pairs]
    counts = Counter(f for feats, _ in data for f in set(feats))
    keep = {f for f, n in counts.items() if n >= MIN_COUNT}
    data = [([f for f in feats if f in keep], y) for feats, y in data]
    prior = {**PRIORS, **(priors or {})}
    w: dict[str, float] = defaultdict(float, {f: v for f, v in prior.items() if f in keep})
    g2: dict[str, float] = defaultdict(float)
    rng = random.Random(seed)
    order = list(range(len(data)))
    pos = sum(y for _, y in data) or 1
    weight_pos = min(3.0, max(1.0, (len(data) - pos) / pos / 3))  # departures are the rarer class
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = data[i]
            z = sum(w[f] for f in feats)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - y) * (weight_pos if y else 1.0)
            for f in feats:
                grad = g + (PRIOR_L2 if f in prior else l2) * (w[f] - prior.get(f, 0.0))
                g2[f] += grad * grad
                w[f] -= rate * grad / math.sqrt(g2[f] + 1e-8)
                if w[f] > 0 and f.startswith(NEGATIVE_CUE):
                    w[f] = 0.0  # a negative cue only ever counts against (data confounds it otherwise)
    return pairs.Model({f: round(v, 4) for f, v in w.items() if abs(v) >= 1e-3})


def decision_examples(item: Item) -> tuple[list[tuple[list[str], int]], list[tuple[list[str], int]]]:
    """An item's pairs as the two parts' examples. Event: one per departure word, 1 when one of
    its candidates is a departing person (a departure whose person no candidate caught says
    nothing of its words, and is left out). Who: every candidate of a word that reports one."""
    by_word: dict[int, list[tuple[list[str], int]]] = defaultdict(list)
    for pair, word in zip(item.pairs, item.words or range(len(item.pairs))):
        by_word[word].append(pair)
    if item.row.get("label") == "departure" and not any(y for _, y in item.pairs):
        return [], []
    event, who = [], []
    for group in by_word.values():
        y = int(any(y for _, y in group))
        event.append((pairs.split(group[0][0])[0], y))
        if y:
            who += [(pairs.split(feats)[1], yy) for feats, yy in group]
    return event, who


def fit_decision(items: list[Item], factored: bool = False, **kw) -> pairs.Decision:
    """The pair decision: the joint model on every pair and, if `factored`, the factored
    model's two parts, each fitted on its own examples (decision_examples)."""
    if not factored:
        return pairs.Decision(fit(items, **kw))
    parts = [decision_examples(it) for it in items]
    event = [Item(it.row, it.group, e, []) for it, (e, _) in zip(items, parts)]
    who = [Item(it.row, it.group, w, []) for it, (_, w) in zip(items, parts)]
    priors = trigger_priors()
    return pairs.Decision(fit(items, priors=priors, **kw), fit(event, priors=priors, **kw), fit(who, **kw))


def folds(items: list[Item], k: int, seed: int = 7) -> list[list[int]]:
    idx = list(range(len(items)))
    random.Random(seed).shuffle(idx)
    return [idx[i::k] for i in range(k)]


def f1(gold: list[bool], pred: list[bool]) -> tuple[float, float, float, int]:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    pr = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0), sum(gold)


def lang_of(row: dict) -> str:
    return str(row.get("lang") or "?")


def held_out(items: list[Item], split: Callable[[list[Item]], list[tuple[str, list[int]]]],
             threshold: float, factored: bool = False) -> dict[str, dict[str, list]]:
    """Scores of items predicted by models that never saw them: {split name: {lang: [gold, pred]}}.
    Each language family's model learns from its own family's items, as the shipped ones do, and
    the English items held out are read again against the lower-case words of the others only
    (learned with their own words, a new source's Title Case would look more ordinary than it is:
    leave-one-source-out F1 0.754 instead of 0.743)."""
    out: dict[str, dict[str, list]] = {}
    for name, test in split(items):
        test_set = set(test)
        models = {fam: fit_decision([it for i, it in enumerate(items) if i not in test_set and trainable(it)
                                     and family_of(it) == fam], factored)
                  for fam in {family_of(items[i]) for i in test}}
        scored = _read_without(items, test) if any(family_of(items[i]) == "en" for i in test) else items
        by_lang: dict[str, list] = defaultdict(lambda: [[], [], []])
        for i in test:
            model = models[family_of(items[i])]
            hit = any(model.score(f) >= max(bar, threshold) for (f, _), bar in zip(scored[i].pairs, scored[i].bars))
            lang = lang_of(items[i].row)
            by_lang[lang][0].append(items[i].row.get("label") == "departure")
            by_lang[lang][1].append(hit)
            by_lang[lang][2].append(items[i].row.get("negative_kind"))
        out[name] = dict(by_lang)
    return out


def _read_without(items: list[Item], test: list[int]) -> dict[int, Item]:
    """The English items of `test` featurised again with the lower-case words of the other
    items only (the rest as they are)."""
    from monitor.detect import names

    held = set(test)
    names.use_en_words(en_vocabulary(it.row for i, it in enumerate(items) if i not in held and trainable(it)))
    try:
        en = [i for i in test if family_of(items[i]) == "en"]
        again = dict(zip(en, featurise(items[i].row for i in en)))
    finally:
        names.use_en_words(None)
    return {i: again.get(i, items[i]) for i in test}


def family_of(item: Item) -> str:
    """The item's language family (en, zh): which model decides it."""
    return pairs.family(lang_of(item.row))


def kfold_split(k: int) -> Callable[[list[Item]], list[tuple[str, list[int]]]]:
    return lambda items: [(f"fold{j}", f) for j, f in enumerate(folds(items, k))]


def loso_split(items: list[Item]) -> list[tuple[str, list[int]]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        groups[it.group].append(i)
    return sorted(groups.items())


def pooled(results: dict[str, dict[str, list]]) -> dict[str, tuple[float, float, float, int]]:
    """F1 per language over every held-out prediction (each item predicted once)."""
    acc: dict[str, list] = defaultdict(lambda: [[], []])
    for by_lang in results.values():
        for lang, (g, p, _) in by_lang.items():
            acc[lang][0] += g
            acc[lang][1] += p
    return {lang: f1(g, p) for lang, (g, p) in sorted(acc.items())}


def org_held_out(items: list[Item], k: int = 5, threshold: float = 0.35) -> dict[str, tuple[int, int]]:
    """k-fold accuracy of the organisation choice per language: {lang: (right, people)} over the
    departing people found whose gold organisation is among the candidates."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for test in folds(items, k):
        ts = set(test)
        models = {fam: fit([it for i, it in enumerate(items) if i not in ts and trainable(it)
                            and family_of(it) == fam], orgs=True) for fam in pairs.FAMILIES}
        for i in test:
            model = models[family_of(items[i])]
            for group in items[i].orgs:
                best = max(((model.score(f), y) for f, y in group), key=lambda x: x[0])
                a = acc[lang_of(items[i].row)]
                a[0] += int(best[0] >= threshold and best[1] == 1)
                a[1] += 1
    return {lang: (r, n) for lang, (r, n) in sorted(acc.items())}


def hard_negatives(results: dict[str, dict[str, list]]) -> tuple[int, int]:
    """(predicted departure, all) over the held-out hard negatives (every negative_kind but
    unrelated): appointments, deaths, rumours, denials, calls to resign, ..."""
    fp = n = 0
    for by_lang in results.values():
        for _, p, kinds in by_lang.values():
            for pred, kind in zip(p, kinds):
                if kind and kind != "unrelated":
                    n += 1
                    fp += int(pred)
    return fp, n
