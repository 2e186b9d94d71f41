"""Escaping and cutting of untrusted text for each target format, and which format a target
speaks. Slack: <!channel>, <@U…>, <url|text> and mrkdwn markers neutralised; Markdown:
specials backslash-escaped; HTML: entities."""
from __future__ import annotations

import html
import re

MAX_FIELD = 300
MAX_EVIDENCE = 600
MAX_SOURCES = 10
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")

KIND_WORDS = {
    "resigned": "resigned from", "retired": "retired from", "fired": "was pushed out of",
    "stepped_down": "stepped down at", "left": "left", "term_ended": "ended a term at",
}


def fmt_for_url(url: str, configured: str | None = None) -> str:
    """'slack', 'html', 'markdown' or 'text': how a target reads what it is sent."""
    u = url.lower()
    if u.startswith("slack://") or "hooks.slack.com" in u:
        return "slack"
    if configured:
        return configured
    return "html" if u.startswith(("mailto://", "mailtos://")) else "text"


def cut(text: str | None, limit: int = MAX_FIELD) -> str:
    text = _CTRL.sub("", text or "").replace("\r", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str, fmt: str) -> str:
    """Neutralise what the target would interpret."""
    if fmt == "slack":
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"([*_~`])", "\u200b\\1\u200b", text)  # no bold/italic/code injection
    if fmt == "markdown":
        return _MD_SPECIAL.sub(r"\\\1", text)
    if fmt == "html":
        return html.escape(text, quote=True)
    return text
