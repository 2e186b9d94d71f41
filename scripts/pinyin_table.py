"""Write monitor/events/pinyin.txt: the toneless readings pypinyin gives each character of
U+3400–U+9FFF (CJK Extension A and the Unified Ideographs), one line per code point in order,
readings comma-separated, an empty line for a character pypinyin cannot read.

Person keys (monitor.events.names) read names from this table: pypinyin's own single-character
dictionary costs 12.5 MB in every process that meets a Chinese name, the table ~0.3 MB.
tests/events/test_pinyin_table.py checks that the two agree.

    python scripts/pinyin_table.py
"""
from __future__ import annotations

import os
from pathlib import Path

FIRST, LAST = 0x3400, 0x9FFF
OUT = Path(__file__).resolve().parents[1] / "monitor" / "events" / "pinyin.txt"


def lines() -> list[str]:
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin import Style, pinyin

    out = []
    for cp in range(FIRST, LAST + 1):
        readings = pinyin(chr(cp), style=Style.NORMAL, heteronym=True)[0]
        out.append("" if readings == [chr(cp)] else ",".join(readings))
    return out


if __name__ == "__main__":
    OUT.write_text("\n".join(lines()) + "\n", encoding="utf-8")
    print(OUT, OUT.stat().st_size, "bytes")
