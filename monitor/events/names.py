"""Keys that make spellings of one person or organisation compare equal.

A person gets several keys: Latin names as their sorted, accent-free tokens (initials and
titles dropped, nickname variants added), Chinese names as pinyin (surname + given name, every
reading of the surname), so that 吴宇怀, 吳宇懷 and 'Yuhuai (Tony) Wu' share 'wu yuhuai'.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from monitor.detect.patterns import org_aliases
from monitor.parse.lang import to_simplified

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_DROP = {"mr", "mrs", "ms", "dr", "sir", "dame", "lord", "lady", "prof", "jr", "sr", "ii", "iii", "iv", "qc"}
_ORG_SUFFIX = re.compile(
    r"(?:[\s,]+(?:inc|corp|corporation|co|company|ltd|limited|plc|llc|group|holdings|sa|ag|nv|gmbh)\.?)+$"
    r"|(?:股份有限公司|有限责任公司|有限公司|公司|集团)$",
    re.I,
)


_PINYIN = Path(__file__).with_name("pinyin.txt")  # scripts/pinyin_table.py, from pypinyin
_PINYIN_FIRST = 0x3400


@lru_cache(maxsize=1)
def _pinyin_table() -> list[str]:
    return _PINYIN.read_text(encoding="utf-8").split("\n")


def _pinyin(han: str) -> list[list[str]]:
    """Every toneless reading of each character (U+3400–U+9FFF; a character with none reads as
    itself). Names are read a character at a time, every reading of the surname, from pypinyin's
    readings written out as a table: pypinyin's own dictionary costs 12.5 MB in a process, the
    table 2 MB, read with the first Chinese name."""
    table = _pinyin_table()
    return [(table[ord(c) - _PINYIN_FIRST] or c).split(",") for c in han]


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _latin_key(tokens: list[str]) -> str | None:
    toks = [t for t in tokens if len(t) > 1 and t not in _DROP]
    return " ".join(sorted(toks)) if toks else None


def person_keys(name: str) -> set[str]:
    """Every key under which `name` may match another spelling of the same person."""
    name = to_simplified(name.strip())
    keys: set[str] = set()
    if _HAN.search(name):
        han = "".join(_HAN.findall(name))
        keys.add("han:" + name.replace(" ", ""))
        if "·" not in name and 2 <= len(han) <= 4 and han == name.replace(" ", ""):
            readings = _pinyin(han)
            given = "".join(r[0] for r in readings[1:])
            for surname in readings[0]:
                keys.add(" ".join(sorted([surname, given])))
            if len(han) == 4:  # two-character surname (欧阳, 司马)
                keys.add(" ".join(sorted(["".join(r[0] for r in readings[:2]), "".join(r[0] for r in readings[2:])])))
        latin = re.sub(r"[\u3400-\u9fff·]+", " ", name)
        if not re.search(r"[A-Za-z]{2}", latin):
            return keys
        name = latin
    plain = _ascii(name).lower()
    nick = re.findall(r"\(([^)]*)\)", plain)
    base = re.sub(r"\([^)]*\)", " ", plain)
    tokens = re.findall(r"[a-z0-9][a-z0-9'\-]*", base)
    if (k := _latin_key(tokens)):
        keys.add(k)
    for n in nick:  # "Yuhuai (Tony) Wu" is also "Tony Wu"
        nt = re.findall(r"[a-z0-9][a-z0-9'\-]*", n)
        if nt and tokens:
            if (k := _latin_key(nt + tokens[-1:])):
                keys.add(k)
    return keys


def canonical_org(org: str | None) -> str | None:
    """The organisation's canonical name (orgs.yaml), else the name as written, trimmed."""
    if not org or not org.strip():
        return None
    org = org.strip(" ,.;:，。")
    known = org_aliases()
    for cand in (org.lower(), to_simplified(org).lower(), _ORG_SUFFIX.sub("", org).strip().lower()):
        if cand in known:
            return known[cand]
    return org


def org_key(org: str | None) -> str:
    """Comparable form of an organisation; '' when unknown."""
    canon = canonical_org(org)
    if not canon:
        return ""
    s = _ORG_SUFFIX.sub("", to_simplified(_ascii(canon))).lower()
    return re.sub(r"[\s.,'’&\-]+", "", s)


def is_latin_full_name(name: str) -> bool:
    """A name in Latin letters with at least two parts ("Jimmy Ba"), the preferred display form."""
    return bool(re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", name)) and not _HAN.search(name)


def display_name(names: list[str]) -> str:
    """The name to show for an event: the first Latin full name if any, else the first name."""
    return next((n for n in names if is_latin_full_name(n)), names[0])


def unnamed(role: str | None) -> str:
    """How a departure whose person is not named (R3) reads: by its role ("The head of AI")."""
    return f"The {role}" if role else "Someone"
