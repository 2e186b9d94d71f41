"""Render an event as an alert (title, body) for a target format, with every untrusted string
(names, evidence, titles, URLs from feeds) escaped for that target and cut to size."""
from __future__ import annotations

import html
import re

MAX_FIELD = 300
MAX_EVIDENCE = 600
MAX_SOURCES = 10
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

KIND_WORDS = {
    "resigned": "resigned from", "retired": "retired from", "fired": "was pushed out of",
    "stepped_down": "stepped down at", "left": "left", "term_ended": "ended a term at",
}


def fmt_for_url(url: str) -> str:
    """'slack', 'html' or 'text': how a target interprets what it is sent."""
    u = url.lower()
    if u.startswith("slack://") or "hooks.slack.com" in u:
        return "slack"
    return "text"


def cut(text: str | None, limit: int = MAX_FIELD) -> str:
    text = _CTRL.sub("", text or "").replace("\r", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str, fmt: str) -> str:
    """Neutralise what the target would interpret: Slack's <!channel>, <@U…>, <url|text> and
    mrkdwn markers; HTML tags."""
    if fmt == "slack":
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"([*_~`])", "\u200b\\1\u200b", text)  # no bold/italic/code injection
    if fmt == "html":
        return html.escape(text, quote=True)
    return text


def render(event: dict, fmt: str = "text") -> tuple[str, str]:
    """(title, body) of an alert for a new departure event."""
    e = {k: escape(cut(str(v)) if v is not None else "", fmt) for k, v in event.items() if isinstance(v, (str, int, float)) or v is None}
    verb = KIND_WORDS.get(event.get("kind") or "left", "left")
    org = e.get("org") or "an organisation"
    title = cut(f"Departure: {e['person']} {verb} {org}", 250)
    lines = [f"{e['person']} {verb} {org}."]
    aliases = [escape(cut(a, 80), fmt) for a in event.get("aliases") or []]
    if aliases:
        lines.append("Also written: " + ", ".join(aliases[:10]))
    if e.get("role"):
        lines.append(f"Role: {e['role']}")
    if e.get("announced_at"):
        lines.append(f"Date: {e['announced_at']}")
    lines.append(f"Confidence: {float(event.get('confidence') or 0):.2f}")
    if event.get("evidence"):
        lines.append(f"Evidence: “{escape(cut(event['evidence'], MAX_EVIDENCE), fmt)}”")
    sources = [escape(cut(s, 300), fmt) for s in (event.get("sources") or [])[:MAX_SOURCES]]
    if sources:
        lines.append("Sources:")
        lines.extend(f"  - {s}" for s in sources)
    return title, "\n".join(lines)
