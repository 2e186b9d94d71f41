"""Load a language's pattern file (patterns/<lang>.yaml) into compiled rules, once per process.

The file is data: triggers with the person slot they fill, the fillers allowed between a person
and a trigger, negative cues by kind, and lexicons. Macros `{NAME}` expand to regex pieces;
`{ROLE}` is built from the role lexicon.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from monitor.detect.literals import needs

PERSON_SLOTS = ("subject", "object", "possessive", "speaker")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the pattern files load ~10x faster in every worker


class PatternError(ValueError):
    """A pattern file is malformed (names the file and entry)."""


@dataclass(frozen=True)
class Trigger:
    id: str
    regex: re.Pattern
    person: str
    kind: str
    confidence: float
    learned_from: str
    needs_org_object: bool = False
    kind_from_word: bool = False
    words: tuple[str, ...] | None = None  # literals.needs(regex): one occurs in every match




@dataclass(frozen=True)
class Rules:
    language: str
    triggers: tuple[Trigger, ...]
    gap: re.Pattern  # fullmatch: what may stand between subject and trigger
    object_gap: re.Pattern  # fullmatch: between trigger and object
    negatives: dict[str, dict[str, re.Pattern]]  # kind -> scope -> regex
    role: re.Pattern
    lexicon: dict

    def candidates(self, text: str) -> list[Trigger]:
        """The triggers whose words occur in `text` (case-folded): only these can match in it."""
        folded = text.casefold()
        return [t for t in self.triggers if t.words is None or any(w in folded for w in t.words)]

    def lexicon_rx(self, key: str) -> re.Pattern:
        """A lexicon list (words or regex pieces) as one alternation, compiled once."""
        return _alternation(self.language, key, tuple(self.lexicon.get(key, ())))


@lru_cache(maxsize=64)
def _alternation(language: str, key: str, pieces: tuple[str, ...]) -> re.Pattern:
    return re.compile("(?:" + "|".join(pieces) + ")" if pieces else "(?!)")


def _expand(rx: str, macros: dict[str, str]) -> str:
    return re.sub(r"\{([A-Z_]+)\}", lambda m: macros.get(m.group(1), m.group(0)), rx)


def compile_rules(data: dict, name: str) -> Rules:
    lex = data.get("lexicon", {})
    roles = sorted(lex.get("roles", []), key=len, reverse=True)
    macros = {k: v for k, v in (data.get("macros") or {}).items()}
    role_rx = "(?:" + "|".join(re.escape(r) for r in roles) + ")" if roles else "(?!)"
    if lex.get("role_heads"):  # English: modifiers + head word, as words
        mods = "|".join(re.escape(m) for m in lex.get("role_modifiers", []))
        heads = "|".join(sorted(lex["role_heads"], key=len, reverse=True))
        role_rx = rf"(?:\b(?:{mods})[\s-]+){{0,3}}\b(?:{heads})\b"
    elif lex.get("role_prefixes"):  # Chinese: 执行 / 非执行 / 职工代表 / 财务 … before a role (财务负责人, 非执行董事)
        prefixes = "|".join(sorted((re.escape(p) for p in lex["role_prefixes"]), key=len, reverse=True))
        role_rx = rf"(?:(?:{prefixes}){{0,2}}{role_rx})"
    macros["ROLE"] = role_rx
    flags_default = re.IGNORECASE if name == "en" else 0
    try:
        triggers = []
        for t in data["triggers"]:
            if t.get("person") not in PERSON_SLOTS:
                raise PatternError(f"{name}.yaml: trigger {t.get('id')}: person must be one of {PERSON_SLOTS}")
            if not t.get("learned_from"):
                raise PatternError(f"{name}.yaml: trigger {t.get('id')}: learned_from is required")
            flags = 0 if t.get("case") else flags_default
            regex = re.compile(_expand(t["re"], macros), flags)
            triggers.append(Trigger(
                id=t["id"], regex=regex, person=t["person"], words=needs(regex),
                kind=t["kind"], confidence=float(t["confidence"]), learned_from=str(t["learned_from"]),
                needs_org_object=bool(t.get("needs_org_object")), kind_from_word=bool(t.get("kind_from_word")),
            ))

        def alt(pieces: list[str]) -> str:
            return "(?:" + "|".join(_expand(p, macros) for p in pieces) + ")"

        gap = re.compile(alt(data["gap"]) + "*", flags_default)
        object_gap = re.compile(alt(data["object_gap"]) + "*", flags_default)
        negatives = {
            kind: {scope: re.compile(alt(rxs), flags_default) for scope, rxs in scopes.items()}
            for kind, scopes in (data.get("negatives") or {}).items()
        }
        role = re.compile(role_rx, flags_default)
    except (KeyError, TypeError, re.error) as e:
        raise PatternError(f"{name}.yaml: {type(e).__name__}: {e}") from None
    return Rules(name, tuple(triggers), gap, object_gap, negatives, role, lex)


@lru_cache(maxsize=None)
def load_rules(name: str) -> Rules:
    """Rules for 'en' or 'zh', from the package's pattern files."""
    text = resources.files("monitor.detect").joinpath(f"patterns/{name}.yaml").read_text("utf-8")
    return compile_rules(yaml.load(text, Loader=_LOADER), name)


@lru_cache(maxsize=1)
def org_aliases() -> dict[str, str]:
    """Every known spelling of an organisation (lower-cased) -> its canonical name (orgs.yaml)."""
    text = resources.files("monitor.detect").joinpath("patterns/orgs.yaml").read_text("utf-8")
    out: dict[str, str] = {}
    for names in yaml.load(text, Loader=_LOADER) or []:
        for n in names:
            out[str(n).lower()] = str(names[0])
    return out
