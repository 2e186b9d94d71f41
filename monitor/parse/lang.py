"""Decide a text's language and Chinese script, and convert Traditional to Simplified (OpenCC).

The detector never trusts a declared language: it decides from the characters themselves.
"""
from __future__ import annotations

import re
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SAMPLE = 4000  # characters looked at: enough to decide, cheap on long pages


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


# Full-width forms (，；：！？（） and full-width letters/digits) -> ASCII, one character for one,
# so that patterns match either and offsets into the text stay valid.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_width(text: str) -> str:
    return text.translate(_FOLD)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified (phrase-aware). Simplified and non-Chinese text pass unchanged."""
    return _t2s().convert(text) if _HAN.search(text) else text


def detect_language(text: str) -> str:
    """'zh-Hans', 'zh-Hant' or 'en' (any other Latin-script text counts as 'en' for detection)."""
    sample = text[:_SAMPLE]
    han = _HAN.findall(sample)
    latin = len(_LATIN.findall(sample))
    # A Chinese character carries a word's meaning; ~4 Latin letters make a word.
    if len(han) < 2 or len(han) * 4 < latin * 0.5:
        return "en"
    chars = "".join(han)
    changed = sum(1 for a, b in zip(chars, to_simplified(chars)) if a != b)
    return "zh-Hant" if changed >= max(2, 0.02 * len(chars)) else "zh-Hans"
