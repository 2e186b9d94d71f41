"""JSON Lines -> Articles: one article per line with optional id, title, text, url, published, lang.

A bad line is reported with its line number; the good lines around it are kept.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from monitor.parse.dates import parse_date
from monitor.records import Article, Skipped


def article_from_obj(obj: object, *, source: str) -> Article:
    """One JSON object -> Article. Raises ValueError naming what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    title, text = obj.get("title") or "", obj.get("text") or ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise ValueError("title and text must be strings")
    if not title.strip() and not text.strip():
        raise ValueError("neither title nor text")
    published = obj.get("published")
    return Article(
        title=title.strip(),
        text=text.strip(),
        url=obj.get("url") if isinstance(obj.get("url"), str) else None,
        published=parse_date(published) if isinstance(published, str) else None,
        language=obj.get("lang") if isinstance(obj.get("lang"), str) else None,
        source=source,
        external_id=str(obj["id"]) if obj.get("id") is not None else None,
    )


def parse_jsonl(lines: Iterator[str] | list[str], *, source: str) -> Iterator[Article | Skipped]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield article_from_obj(json.loads(line), source=source)
        except (json.JSONDecodeError, ValueError) as e:
            yield Skipped(f"{source}:{n}", f"line {n}: {e}")
