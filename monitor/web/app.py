"""The web app (FastAPI + Jinja2 with autoescape). Read-only; binds to loopback unless a token
(MONITOR_TOKEN) protects it. Every untrusted string is escaped by the templates or the Atom writer."""
from __future__ import annotations

import hmac
import html
import json
import math
import re
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.alerts.format import KIND_WORDS
from monitor.config import load_config
from monitor.db.models import ArticleRow, DeliveryRow, EventRow, MentionRow, WatcherRow
from monitor.db.store import events_to_csv, list_events, list_orgs, list_waves
from monitor.events.names import unnamed
from monitor.parse.dates import parse_date
from monitor.records import KINDS

PAGE = 50
MAX_PAGE = 1_000_000  # far past any store, and (page - 1) * limit still fits the database's integer
COOKIE = "monitor_token"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["who"] = lambda e: e["person"] or unnamed(e.get("role"))  # role-only: "The head of AI"


class EventOut(BaseModel):
    id: int
    person: str
    aliases: list[str]
    org: str | None
    role: str | None
    kind: str
    announced_at: str | None
    first_seen_at: str
    confidence: float
    mentions: int
    sources: list[str]
    evidence: str


class EventPage(BaseModel):
    events: list[EventOut]
    page: int
    next_page: int | None


def create_app(engine: Engine, config_path: str | None = None, token: str | None = None) -> FastAPI:
    app = FastAPI(title="monitor", description="Departures of named people from organisations, detected in news and feeds.",
                  version="0.1.0")

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        """With a token, every request but /healthz carries it: `Authorization: Bearer`, the
        monitor_token cookie, or `?token=`. A page opened with a right ?token= answers with a 303
        to itself without it and sets the cookie (HttpOnly, SameSite=Strict), so that the links,
        the filter form and /docs work in a browser and the token stays out of history and logs."""
        if not token or request.url.path == "/healthz":
            return await call_next(request)
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        in_url = request.query_params.get("token", "")
        given = [bearer.strip() if scheme.lower() == "bearer" else "", request.cookies.get(COOKIE, ""), in_url]
        if not any(g and hmac.compare_digest(g.encode(), token.encode()) for g in given):
            return PlainTextResponse("a token is required (Authorization: Bearer …, the monitor_token cookie, or ?token=…)",
                                     status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if in_url and request.method == "GET" and _is_page(request.url.path) \
                and hmac.compare_digest(in_url.encode(), token.encode()):
            clean = request.url.remove_query_params("token")
            res = RedirectResponse(clean.path + (f"?{clean.query}" if clean.query else ""), status_code=303)
            res.set_cookie(COOKIE, token, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
            return res
        return await call_next(request)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        """A browser (Accept: text/html) gets an error page; an API client the usual {"detail": …}."""
        if "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        title = {404: "Not found", 422: "Not a valid request"}.get(exc.status_code) or HTTPStatus(exc.status_code).phrase
        return TEMPLATES.TemplateResponse(request, "error.html", {"title": title, "detail": exc.detail},
                                          status_code=exc.status_code, headers=getattr(exc, "headers", None))

    def _filters(org, person, kind, lang, since, until, min_confidence, q) -> dict:
        def when(name, v):
            if not v:
                return None
            try:
                dt = parse_date(v)
            except (OverflowError, ValueError):  # a date at the edge of time, moved to UTC, leaves datetime's range
                dt = None
            if dt is None:
                raise HTTPException(422, f"{name}: not a date: {v!r}")
            return dt
        if kind and kind not in KINDS:
            raise HTTPException(422, f"kind must be one of {', '.join(KINDS)} (not {kind!r})")
        try:
            conf = float(min_confidence) if str(min_confidence).strip() else None
        except ValueError:
            conf = math.nan
        if conf is not None and not math.isfinite(conf):
            raise HTTPException(422, f"min_confidence must be a number: {min_confidence!r}")
        return dict(org=org or None, person=person or None, kind=kind or None, language=lang or None,
                    since=when("since", since), until=when("until", until), min_confidence=conf, q=q or None)

    def _query(org, person, kind, lang, since, until, min_confidence, q, page, limit=PAGE):
        rows = list_events(engine, **_filters(org, person, kind, lang, since, until, min_confidence, q),
                           limit=limit + 1, offset=(page - 1) * limit)
        return rows[:limit], (page + 1 if len(rows) > limit else None)

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/events")

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(request: Request, org: str = "", person: str = "", kind: str = "", lang: str = "", since: str = "",
                    until: str = "", min_confidence: str = "", q: str = "", page: int = Query(1, ge=1, le=MAX_PAGE)):
        rows, nxt = _query(org, person, kind, lang, since, until, min_confidence, q, page)
        args = {"org": org, "person": person, "kind": kind, "lang": lang, "since": since, "until": until,
                "min_confidence": min_confidence, "q": q}
        waves = [w for w in list_waves(engine) if w["open"]]
        return TEMPLATES.TemplateResponse(request, "events.html", {"events": rows, "page": page, "next_page": nxt, "f": args,
                                                                   "kinds": KINDS, "waves": waves})

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    def event_page(request: Request, event_id: int):
        rows = list_events(engine, event_ids=[event_id], detail=True)
        if not rows:
            raise HTTPException(404, "no such event")
        return TEMPLATES.TemplateResponse(request, "event.html", {"e": rows[0]})

    @app.get("/orgs/{name}", response_class=HTMLResponse, include_in_schema=False)
    def org_page(request: Request, name: str):
        rows = list_events(engine, org=name, limit=500)
        org = next((o for o in list_orgs(engine) if o["name"] == name or name in o["aliases"]), None)
        if not rows and org is None:
            raise HTTPException(404, "no such organisation")
        return TEMPLATES.TemplateResponse(request, "org.html", {"name": org["name"] if org else name, "org": org, "events": rows,
                                                                "waves": list_waves(engine, org=name)})

    @app.get("/watchers", response_class=HTMLResponse, include_in_schema=False)
    def watchers_page(request: Request):
        from monitor.db.store import watcher_status

        config = load_config(config_path) if config_path else None
        rows = watcher_status(engine, config) if config else []
        return TEMPLATES.TemplateResponse(request, "watchers.html", {"watchers": rows})

    @app.get("/api/events", response_model=EventPage, summary="Departure events, newest first")
    def api_events(org: str = "", person: str = "", kind: str = "", lang: str = "", since: str = "", until: str = "",
                   min_confidence: float = 0.0, q: str = "", page: int = Query(1, ge=1, le=MAX_PAGE),
                   limit: int = Query(PAGE, ge=1, le=500)):
        rows, nxt = _query(org, person, kind, lang, since, until, min_confidence, q, page, limit)
        return {"events": rows, "page": page, "next_page": nxt}

    @app.get("/events.csv", summary="Departure events as CSV (same filters)")
    def events_csv(org: str = "", person: str = "", kind: str = "", lang: str = "", since: str = "", until: str = "",
                   min_confidence: float = 0.0, q: str = ""):
        rows = list_events(engine, **_filters(org, person, kind, lang, since, until, min_confidence, q))
        return Response(events_to_csv(rows), media_type="text/csv; charset=utf-8")

    @app.get("/events.atom", summary="Departure events as an Atom feed (same filters)")
    def events_atom(request: Request, org: str = "", person: str = "", kind: str = "", lang: str = "", since: str = "",
                    until: str = "", min_confidence: float = 0.0, q: str = ""):
        rows = list_events(engine, **_filters(org, person, kind, lang, since, until, min_confidence, q), limit=200)
        page_url = lambda event_id: str(request.url_for("event_page", event_id=event_id))  # noqa: E731
        return Response(_atom(rows, str(request.url.remove_query_params("token")), page_url),
                        media_type="application/atom+xml; charset=utf-8")

    @app.get("/healthz", summary="Liveness: the database answers")
    def healthz():
        with Session(engine) as s:
            s.exec(select(func.count()).select_from(EventRow)).one()
        return {"ok": True}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics():
        return _metrics(engine)

    return app


# What XML 1.0 cannot hold at all, escaped or not (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): dropped from untrusted text, or a single stray byte would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _is_page(path: str) -> bool:
    """An HTML page a person opens (where ?token= becomes a cookie), not the API, CSV or feed."""
    return path in ("/", "/events", "/watchers", "/docs", "/redoc") or path.startswith(("/events/", "/orgs/"))


def _atom(rows: list[dict], self_url: str, page_url) -> str:
    """An Atom 1.0 feed. Entry ids are tag: URIs of the event id: stable across restarts. Each entry
    has an alternate link (its first source article on the web, else its event page, `page_url(id)`),
    and its person, organisation, role, kind, date and evidence as HTML content (RFC 4287 §4.1.1)."""
    def x(v) -> str:
        return xml_escape(_NOT_XML.sub("", str(v or "")), {'"': "&quot;"})

    def h(v) -> str:
        return html.escape(str(v or ""), quote=True)

    updated = max((r["first_seen_at"] for r in rows), default=datetime.now(timezone.utc).isoformat())
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
           "<title>monitor: departures</title>", "<id>tag:monitor.local,2026:events</id>",
           f'<link rel="self" href="{x(self_url)}"/>', f"<updated>{x(updated)}</updated>",
           "<author><name>monitor</name></author>"]
    for r in rows:
        who = r["person"] or unnamed(r.get("role"))
        verb = KIND_WORDS.get(r["kind"], "left")
        title = f"{who} {verb} {r['org'] or 'an organisation'}"
        web = [s for s in r["sources"] if s.startswith(("http://", "https://"))]
        fields = [("Person", who), ("Organisation", r["org"] or "unknown"), ("Role", r["role"] or "unknown"),
                  ("Kind", r["kind"]), ("Date", r["announced_at"] or "not stated")]
        summary = "; ".join(f"{k}: {v}" for k, v in fields) + f". {r['evidence']}"
        content = "".join(f"<p>{k}: {h(v)}</p>" for k, v in fields) + f"<blockquote>{h(r['evidence'])}</blockquote>"
        out += ["<entry>", f"<id>tag:monitor.local,2026:event/{r['id']}</id>", f"<title>{x(title)}</title>",
                f"<updated>{x(r['first_seen_at'])}</updated>", f"<published>{x(r['first_seen_at'])}</published>",
                f'<link rel="alternate" type="text/html" href="{x(web[0] if web else page_url(r["id"]))}"/>',
                f"<summary>{x(summary)}</summary>", f'<content type="html">{x(content)}</content>']
        out += [f'<link rel="related" href="{x(s)}"/>' for s in web[1:]]
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out)


def _metrics(engine: Engine) -> str:
    lines = []

    def metric(name: str, help_: str, kind: str, samples: list[tuple[dict, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
            lines.append(f"{name}{{{lab}}} {value}" if lab else f"{name} {value}")

    with Session(engine) as s:
        count = lambda model, *w: s.exec(select(func.count()).select_from(model).where(*w)).one()  # noqa: E731
        watchers = s.exec(select(WatcherRow)).all()
        by_status = s.exec(select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)).all()
        metric("monitor_articles_total", "Articles stored.", "counter", [({}, count(ArticleRow))])
        metric("monitor_departures_detected_total", "Departure mentions stored.", "counter", [({}, count(MentionRow))])
        metric("monitor_events_created_total", "Departure events.", "counter", [({}, count(EventRow))])
        metric("monitor_deliveries", "Alert deliveries by status.", "gauge", [({"status": st}, n) for st, n in by_status])
        metric("monitor_outbox_queue_depth", "Deliveries waiting to be sent.", "gauge",
               [({}, count(DeliveryRow, DeliveryRow.status == "pending"))])
    statuses: dict[str, int] = {}
    last: dict[str, int] = {}
    for w in watchers:
        for k, v in json.loads(w.status_counts or "{}").items():
            statuses[k] = statuses.get(k, 0) + v
        status = "never" if not w.polls else "error" if w.last_status is None else str(w.last_status)
        last[status] = last.get(status, 0) + 1
    metric("monitor_watchers", "Watchers by the HTTP status of their last fetch (error: no response; never: not polled yet).",
           "gauge", [({"status": k}, v) for k, v in sorted(last.items())])
    metric("monitor_polls_total", "Polls, all watchers.", "counter", [({}, sum(w.polls for w in watchers))])
    metric("monitor_fetches_total", "Fetches by HTTP status (error: no response).", "counter",
           [({"status": k}, v) for k, v in sorted(statuses.items())])
    lines.append("# HELP monitor_fetch_latency_seconds Time per fetch, all watchers.")
    lines.append("# TYPE monitor_fetch_latency_seconds summary")
    lines.append(f"monitor_fetch_latency_seconds_sum {sum(w.fetch_seconds_total for w in watchers):.6f}")
    lines.append(f"monitor_fetch_latency_seconds_count {sum(w.polls for w in watchers)}")
    metric("monitor_entries_parsed_total", "New feed entries seen.", "counter", [({}, sum(w.items_seen for w in watchers))])
    metric("monitor_candidates_total", "New feed entries parsed and read: a departure word in their raw text.", "counter",
           [({}, sum(w.candidates for w in watchers))])
    metric("monitor_pages_followed_total", "Article pages read in place of a feed's summary (follow:, page watchers).",
           "counter", [({}, sum(w.followed for w in watchers))])
    metric("monitor_follow_failures_total", "Article pages that could not be read (the summary was).", "counter",
           [({}, sum(w.follow_failures for w in watchers))])
    metric("monitor_watchers_failing", "Watchers whose last poll failed.", "gauge",
           [({}, sum(1 for w in watchers if w.consecutive_failures))])
    return "\n".join(lines) + "\n"
