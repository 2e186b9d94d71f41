"""Write the English name lists the name finder reads (monitor/detect/patterns/en_given_names.txt,
en_surnames.txt) from the US Census Bureau's 1990 name-frequency files (dist.male.first,
dist.female.first, dist.all.last: a US government work, public domain; copies ship in the
`names` package's sdist on PyPI, names-0.3.0/names/).

    python scripts/census_names.py DIR [--surnames 20000]
"""
from __future__ import annotations

import argparse
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "monitor" / "detect" / "patterns"
HEAD = ("# {what}: US Census Bureau, 1990 name-frequency files ({files}), public domain;\n"
        "# written by scripts/census_names.py, most frequent first, lower case. Read by monitor/detect/names.py.\n")


def read(path: Path) -> list[str]:
    return [line.split()[0].lower() for line in path.read_text("ascii").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--surnames", type=int, default=20000, help="how many of the most frequent surnames")
    a = ap.parse_args()
    given = list(dict.fromkeys(read(a.dir / "dist.male.first") + read(a.dir / "dist.female.first")))
    surnames = read(a.dir / "dist.all.last")[: a.surnames]
    (OUT / "en_given_names.txt").write_text(
        HEAD.format(what="given names", files="dist.male.first, dist.female.first") + "\n".join(given) + "\n", "utf-8")
    (OUT / "en_surnames.txt").write_text(
        HEAD.format(what=f"the {len(surnames):,} most frequent surnames", files="dist.all.last") + "\n".join(surnames) + "\n",
        "utf-8")
    print(len(given), "given names,", len(surnames), "surnames")


if __name__ == "__main__":
    main()
