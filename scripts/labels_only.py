"""Copy labelled JSONL without its text: for sources whose licence allows measuring but not
keeping their text (see data/labels/README.md). The labels, the exact source locator and a hash
of the text stay, so the item can be found and checked again.

Usage: python scripts/labels_only.py SRC.jsonl... --out data/labels/measure-only/
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

DROP = ("title", "text")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for f in args.files:
        rows = []
        for line in f.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            body = f"{row.get('title') or ''}\n{row.get('text') or ''}"
            row = {k: v for k, v in row.items() if k not in DROP}
            row["text_sha256"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
            rows.append(json.dumps(row, ensure_ascii=False))
        (args.out / f.name).write_text("\n".join(rows) + "\n", "utf-8")
        print(f"{f.name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
