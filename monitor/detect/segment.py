"""Split text into paragraphs and sentences (English and Chinese punctuation), and a long text
into overlapping windows the detector reads one at a time."""
from __future__ import annotations

import re

_ZH_STOPS = "\u3002!?;\uff01\uff1f\uff1b"  # 。 ! ? ; and their full-width forms
_ZH_CLOSE = "\u300d\u201d\u300f\"\u2019)\uff09"  # 」 ” 』 " ’ ) ）
_ZH_END = re.compile(rf"(?<=[{_ZH_STOPS}])(?![{_ZH_CLOSE}])|(?<=[{_ZH_STOPS}][{_ZH_CLOSE}])")
_EN_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Inc|Corp|Co|Ltd|No|Gen|Gov|Sen|Rep|Prof|Rev|Hon|Mt|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|[A-Z])\.)$")


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def sentences(paragraph: str, chinese: bool) -> list[str]:
    if chinese:
        parts = [s.strip() for s in _ZH_END.split(paragraph)]
        return [s for s in parts if s]
    out: list[str] = []
    for piece in _EN_END.split(paragraph):
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]


def windows(text: str, size: int, overlap: int = 2_000) -> list[str]:
    """`text` cut into pieces of at most `size` characters, each ending at a line break (else a
    sentence end, else anywhere) and starting `overlap` characters before the previous one ended,
    at a line break: a sentence on a boundary is whole in one piece. Short text is one piece."""
    out, start = [], 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind("\n", start + size // 2, end - 1) + 1  # just after the line break
        if cut <= 0:
            ends = [m.end() for m in re.finditer(rf"[.!?{_ZH_STOPS}]\s*", text[start + size // 2:end])]
            cut = start + size // 2 + ends[-1] if ends else end
        out.append(text[start:cut])
        back = text.find("\n", max(start + 1, cut - overlap), cut)
        start = back + 1 if back >= 0 else cut
    out.append(text[start:])
    return out
