"""Detector throughput on the development set, per language, one core, dictionaries loaded once.

Usage: .venv/bin/python bench/detect_bench.py [EVAL_DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from monitor.detect import classify
from monitor.parse.jsonl import article_from_obj


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("eval_dir", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval-dev"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    by_lang = defaultdict(list)
    for f in sorted(Path(args.eval_dir).glob("*.jsonl")):
        for line in f.read_text("utf-8").splitlines():
            row = json.loads(line)
            try:
                by_lang["zh" if row["lang"].startswith("zh") else "en"].append(
                    article_from_obj({k: row.get(k) for k in ("id", "title", "text")}, source=row["id"]))
            except ValueError:
                pass
    t0 = time.perf_counter()
    from monitor.records import Article

    classify(Article(title="内政部长张三宣布离职", text=""))  # loads jieba, OpenCC and the patterns once
    classify(Article(title="Chief executive John Smith resigned", text=""))
    print(f"warm-up (dictionaries, patterns): {time.perf_counter() - t0:.2f} s")
    print(f"{'language':8} {'articles':>8} {'chars/article':>14} {'articles/s':>11} {'ms/article':>11}")
    for lang, arts in sorted(by_lang.items()):
        best = float("inf")
        for _ in range(args.repeat):
            t = time.process_time()
            for a in arts:
                classify(a)
            best = min(best, time.process_time() - t)
        chars = sum(len(a.title) + len(a.text) for a in arts) / len(arts)
        print(f"{lang:8} {len(arts):8} {chars:14.0f} {len(arts) / best:11.0f} {1000 * best / len(arts):11.2f}")


if __name__ == "__main__":
    main()
