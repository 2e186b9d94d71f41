"""Masking of Apprise URLs and the tokens inside them, for every log line and stored error."""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, unquote, urlsplit


def secrets_of(url: str) -> set[str]:
    """The parts of an Apprise URL that may be secret: credentials, path tokens, query values."""
    out: set[str] = set()
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    for v in (parts.username, parts.password):
        if v and len(v) >= 3:
            out |= {v, unquote(v)}
    for seg in parts.path.split("/"):
        if len(seg) >= 6:
            out |= {seg, unquote(seg)}
    for k, v in parse_qsl(parts.query):
        if len(v) >= 6 and k.lower() not in ("to", "from", "format", "name"):
            out.add(v)
    if parts.scheme not in ("json", "xml", "form", "mailto", "mailtos") and len(parts.netloc) >= 6:
        out.add(parts.netloc)  # slack://TOKEN_A/TOKEN_B/...: the "host" is a token
    return out


def mask(text: str, urls: list[str]) -> str:
    """`text` with every URL and every secret inside them replaced by ***."""
    for url in sorted(urls, key=len, reverse=True):
        text = text.replace(url, mask_url(url))
    for s in sorted(set().union(*(secrets_of(u) for u in urls)) if urls else (), key=len, reverse=True):
        text = text.replace(s, "***")
    return text


def mask_url(url: str) -> str:
    """scheme://host/*** : enough to recognise the channel, nothing to reuse."""
    m = re.match(r"^([a-z0-9+.\-]+)://(?:[^@/]*@)?([^/?#]*)", url, re.I)
    if not m:
        return "***"
    scheme, host = m.groups()
    if scheme.lower() not in ("json", "xml", "form", "mailto", "mailtos", "http", "https"):
        host = "***"
    return f"{scheme}://{host}/***"


_SECRET_URLS: set[str] = set()
_SECRETS: list[str] = []  # the registered URLs and every secret in them, longest first
_base_factory = logging.getLogRecordFactory()


def _masking_factory(*args, **kwargs):
    """Every log record, from any library (Apprise, urllib3, ...), with registered URLs masked."""
    record = _base_factory(*args, **kwargs)
    if _SECRETS:
        msg = record.getMessage()
        if any(s in msg for s in _SECRETS):
            record.msg, record.args = mask(msg, sorted(_SECRET_URLS)), ()
    return record


logging.setLogRecordFactory(_masking_factory)


def register(urls: list[str]) -> None:
    """Mask these URLs (and the tokens in them) in every log line from now on."""
    new = {u for u in urls if u} - _SECRET_URLS
    if new:
        _SECRET_URLS.update(new)
        _SECRETS[:] = sorted(_SECRET_URLS | set().union(*(secrets_of(u) for u in _SECRET_URLS)), key=len, reverse=True)
