"""Alert messages from Jinja2 templates, one default set per format (text, markdown, slack,
html); a channel may override the title and body. Templates are trusted; the fields are not:
for HTML Jinja2 autoescapes them, for the other formats every field is escaped for the target
before the template sees it, and cut to size.

Fields: person, aliases, org, role, kind, verb ("resigned from", …), announced_at,
first_seen_at, confidence, evidence, sources (list), mentions; a digest gets `events` (a list
of those) and `count`.
"""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from monitor.alerts.format import KIND_WORDS, MAX_EVIDENCE, MAX_SOURCES, cut, escape
from monitor.events.names import unnamed

DEFAULTS = {
    "text": {
        "title": "Departure: {{ person }} {{ verb }} {{ org or 'an organisation' }}",
        "body": (
            "{{ person }} {{ verb }} {{ org or 'an organisation' }}.\n"
            "{% if aliases %}Also written: {{ aliases | join(', ') }}\n{% endif %}"
            "{% if role %}Role: {{ role }}\n{% endif %}"
            "{% if announced_at %}Date: {{ announced_at }}\n{% endif %}"
            "Confidence: {{ '%.2f' % confidence }}\n"
            "{% if evidence %}Evidence: “{{ evidence }}”\n{% endif %}"
            "{% if sources %}Sources:\n{% for s in sources %}  - {{ s }}\n{% endfor %}{% endif %}"
        ),
    },
    "markdown": {
        "title": "Departure: {{ person }} {{ verb }} {{ org or 'an organisation' }}",
        "body": (
            "**{{ person }}** {{ verb }} **{{ org or 'an organisation' }}**\n\n"
            "{% if aliases %}- Also written: {{ aliases | join(', ') }}\n{% endif %}"
            "{% if role %}- Role: {{ role }}\n{% endif %}"
            "{% if announced_at %}- Date: {{ announced_at }}\n{% endif %}"
            "- Confidence: {{ '%.2f' % confidence }}\n"
            "{% if evidence %}\n> {{ evidence }}\n{% endif %}"
            "{% if sources %}\nSources:\n{% for s in sources %}- {{ s }}\n{% endfor %}{% endif %}"
        ),
    },
    "slack": {
        "title": "Departure: {{ person }} {{ verb }} {{ org or 'an organisation' }}",
        "body": (
            "*{{ person }}* {{ verb }} *{{ org or 'an organisation' }}*\n"
            "{% if aliases %}Also written: {{ aliases | join(', ') }}\n{% endif %}"
            "{% if role %}Role: {{ role }}\n{% endif %}"
            "{% if announced_at %}Date: {{ announced_at }}\n{% endif %}"
            "Confidence: {{ '%.2f' % confidence }}\n"
            "{% if evidence %}> {{ evidence }}\n{% endif %}"
            "{% for s in sources %}• {{ s }}\n{% endfor %}"
        ),
    },
    "html": {
        "title": "Departure: {{ person }} {{ verb }} {{ org or 'an organisation' }}",
        "body": (
            "<p><b>{{ person }}</b> {{ verb }} <b>{{ org or 'an organisation' }}</b>.</p><ul>"
            "{% if aliases %}<li>Also written: {{ aliases | join(', ') }}</li>{% endif %}"
            "{% if role %}<li>Role: {{ role }}</li>{% endif %}"
            "{% if announced_at %}<li>Date: {{ announced_at }}</li>{% endif %}"
            "<li>Confidence: {{ '%.2f' % confidence }}</li></ul>"
            "{% if evidence %}<blockquote>{{ evidence }}</blockquote>{% endif %}"
            "{% if sources %}<p>Sources:</p><ul>{% for s in sources %}<li>{{ s }}</li>{% endfor %}</ul>{% endif %}"
        ),
    },
}
UPDATE = {
    "title": "More sources: {{ person }} {{ verb }} {{ org or 'an organisation' }}",
    "body": "{{ mentions }} reports now.{% for s in sources %}\n  - {{ s }}{% endfor %}",
}
DIGEST = {
    "title": "{{ count }} departure{{ '' if count == 1 else 's' }}",
    "text": ("{% for e in events %}- {{ e.person }} {{ e.verb }} {{ e.org or 'an organisation' }}"
             "{% if e.role %} ({{ e.role }}){% endif %}{% if e.announced_at %}, {{ e.announced_at }}{% endif %}"
             "{% if e.sources %}: {{ e.sources[0] }}{% endif %}\n{% endfor %}"),
    "html": ("<ul>{% for e in events %}<li><b>{{ e.person }}</b> {{ e.verb }} {{ e.org or 'an organisation' }}"
             "{% if e.role %} ({{ e.role }}){% endif %}{% if e.announced_at %}, {{ e.announced_at }}{% endif %}"
             "{% if e.sources %}: {{ e.sources[0] }}{% endif %}</li>{% endfor %}</ul>"),
}


@lru_cache(maxsize=2)
def _env(html: bool) -> Environment:
    return Environment(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=False)


def fields(event: dict, fmt: str) -> dict:
    """The event's fields, cut to size; escaped for `fmt` unless Jinja2 escapes them (html)."""
    esc = (lambda v: v) if fmt == "html" else (lambda v: escape(v, fmt))
    f = {k: esc(cut(str(event.get(k)))) if event.get(k) is not None else None
         for k in ("person", "org", "role", "announced_at", "first_seen_at")}
    if f["person"] is None:  # a role-only departure: "The head of AI left Tesla"
        f["person"] = esc(cut(unnamed(event.get("role")), 120))
    f["kind"] = event.get("kind") or "left"
    f["verb"] = KIND_WORDS.get(f["kind"], "left")
    f["confidence"] = float(event.get("confidence") or 0)
    f["mentions"] = int(event.get("mentions") or 0)
    f["evidence"] = esc(cut(event.get("evidence"), MAX_EVIDENCE)) if event.get("evidence") else None
    f["aliases"] = [esc(cut(a, 80)) for a in (event.get("aliases") or [])[:10]]
    f["sources"] = [esc(cut(s, 300)) for s in (event.get("sources") or [])[:MAX_SOURCES]]
    return f


def _render(tpl: str, fmt: str, ctx: dict) -> str:
    return _env(fmt == "html").from_string(tpl).render(**ctx).strip()


def render_event(event: dict, fmt: str, title_tpl: str | None = None, body_tpl: str | None = None) -> tuple[str, str]:
    d = DEFAULTS[fmt]
    f = fields(event, fmt)
    title = _render(title_tpl or d["title"], "text" if fmt == "html" else fmt, f)
    return cut(str(Markup(title).striptags()) if fmt == "html" else title, 250), _render(body_tpl or d["body"], fmt, f)


def render_update(event: dict, fmt: str) -> tuple[str, str]:
    f = fields(event, fmt)
    return cut(_render(UPDATE["title"], "text" if fmt == "html" else fmt, f), 250), _render(UPDATE["body"], fmt, f)


def render_digest(events: list[dict], fmt: str) -> tuple[str, str]:
    ctx = {"events": [fields(e, fmt) for e in events], "count": len(events)}
    body_tpl = DIGEST["html"] if fmt == "html" else DIGEST["text"]
    return _render(DIGEST["title"], "text", ctx), _render(body_tpl, fmt, ctx)


WAVE = {
    "title": "{{ 'Wave' if kind == 'new' else 'Wave grows' }}: {{ org }}: {{ size }} departures in {{ days }} days"
             "{% if times_usual >= 2 %}, {{ times_usual }}× its usual rate{% endif %}"
             "{% if co_founders %}, incl. {{ co_founders | length }} co-founder{{ '' if co_founders | length == 1 else 's' }}{% endif %}",
    "text": ("{% for m in members %}- {{ m.person }}{% if m.role %} ({{ m.role }}){% endif %}, {{ m.date or m.counted_on }}"
             "{% if m.sources %}: {{ m.sources[0] }}{% endif %}\n{% endfor %}"),
    "html": ("<ul>{% for m in members %}<li><b>{{ m.person }}</b>{% if m.role %} ({{ m.role }}){% endif %}, "
             "{{ m.date or m.counted_on }}{% if m.sources %}: {{ m.sources[0] }}{% endif %}</li>{% endfor %}</ul>"),
}


def render_wave(wave: dict, fmt: str, kind: str = "new") -> tuple[str, str]:
    """The message for a wave that opened (kind "new") or grew ("update")."""
    esc = (lambda v: v) if fmt == "html" else (lambda v: escape(v, fmt))
    members = [{"person": esc(cut(m["person"] or unnamed(m.get("role")), 80)), "role": esc(cut(m["role"], 80)) if m.get("role") else None,
                "date": m.get("date"), "counted_on": m["counted_on"],
                "sources": [esc(cut(s, 300)) for s in m.get("sources", [])[:1]]} for m in wave["members"][:40]]
    ctx = {**{k: wave[k] for k in ("size", "days", "times_usual")}, "kind": kind, "org": escape(cut(wave["org"]), "text"),
           "co_founders": wave["co_founders"], "members": members}
    title = _render(WAVE["title"], "text", ctx)
    return cut(title, 250), _render(WAVE["html"] if fmt == "html" else WAVE["text"], fmt, ctx)
