"""Leave-one-source-out, end to end: for each source of one language family, learn the pair and
organisation weights (and, for English, the lower-case word list) without it, run the whole
detector (`classify`: the article-level steps, person and organisation included) on its items,
and report detection, person, organisation and hard negatives per source and pooled. The
figures of the README's "English retrained" section come from it. `monitor eval --loso` is the
quick version: it scores the pair decision alone.

    python scripts/loso_end_to_end.py en data/labels/*.jsonl ../shared/eval-dev/*.jsonl ../labels/measure/*.jsonl [--joint] [--errors FILE]

(~2 minutes for English on an idle core.)"""
from __future__ import annotations

import argparse
import json
from collections import Counter

from monitor.detect import affiliation, names, pairs
from monitor.detect import train as tr
from monitor.detect.evaluate import evaluate, read_jsonl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", choices=pairs.FAMILIES)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--joint", action="store_true", help="the joint decision only (default: --factored, as shipped for en)")
    ap.add_argument("--errors", metavar="FILE", help="also write every held-out error (as `monitor eval --errors`) to FILE")
    a = ap.parse_args()
    # items marked uncertain are neither learned from nor scored, as in `monitor eval`
    rows = [r for r in read_jsonl(a.files) if pairs.family(r.get("lang", "")) == a.family and not r.get("uncertain")]
    groups = sorted({tr.source_of(r) for r in rows})
    total: Counter = Counter()
    errors = open(a.errors, "w", encoding="utf-8") if a.errors else None
    print(f"{'source':22} {'items':>5} {'dep':>4}  {'P':>5} {'R':>5} {'F1':>5}  person  org    hard neg.")
    for g in groups:
        train_rows = [r for r in rows if tr.source_of(r) != g]
        names.use_en_words(tr.en_vocabulary(r for r in train_rows if tr.trainable_row(r)) if a.family == "en" else None)
        items = [it for it in tr.featurise(train_rows) if tr.trainable(it)]
        decision, orgs = tr.fit_decision(items, factored=not a.joint), tr.fit(items, orgs=True)
        pairs.model = lambda _family=None, d=decision: d  # the detector reads these weights now
        affiliation.model = lambda _family=None, o=orgs: o
        test = [r for r in rows if tr.source_of(r) == g]
        rep = evaluate(test)
        if errors:
            errors.writelines(json.dumps({"source": g, **e}, ensure_ascii=False) + "\n" for e in rep.errors)
        c = Counter()
        for counts in rep.by_lang.values():
            c.update({k: getattr(counts, k) for k in ("tp", "fp", "fn")})
        c.update(pe=rep.person[0], pn=rep.person[1], oe=rep.org[0], on=rep.org[1],
                 hf=sum(v[0] for v in rep.hard_neg.values()), hn=sum(v[1] for v in rep.hard_neg.values()))
        total.update(c)
        _row(g, len(test), c)
    names.use_en_words(None)
    _row("all (pooled)", len(rows), total)


def _row(name: str, n: int, c: Counter) -> None:
    p = c["tp"] / max(1, c["tp"] + c["fp"])
    r = c["tp"] / max(1, c["tp"] + c["fn"])
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{name:22} {n:5} {c['tp'] + c['fn']:4}  {p:.3f} {r:.3f} {f:.3f}  {c['pe'] / max(1, c['pn']):.3f}   "
          f"{c['oe'] / max(1, c['on']):.3f}  {c['hf']}/{c['hn']}", flush=True)


if __name__ == "__main__":
    main()
