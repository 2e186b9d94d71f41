"""/metrics is valid Prometheus text and has every series the README lists, with values that
follow from the watcher rows: watchers by last fetch status and polls among them."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from sqlalchemy import func
from sqlmodel import Session, select

from monitor.db.models import ArticleRow, MentionRow, WatcherRow

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> tuple[dict[str, str], dict[tuple[str, frozenset], float]]:
    """Prometheus text format 0.0.4, strictly: each family's TYPE before its samples, once."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[tuple[str, frozenset], float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types and kind in {"counter", "gauge", "summary", "histogram", "untyped"}, line
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        name, labels = m.group(1), frozenset(LABEL.findall(m.group(3) or ""))
        family = re.sub(r"_(sum|count|bucket)$", "", name) if name not in types else name
        assert family in types, f"{name} has no TYPE"
        assert (name, labels) not in samples, f"duplicate {line!r}"
        samples[(name, labels)] = float(m.group(4))
    return types, samples


def test_watcher_series(client, seeded):
    now = datetime.now(timezone.utc)
    with Session(seeded) as s:
        s.add(WatcherRow(name="ok", url="https://a.test/feed", last_status=200, polls=5, last_check=now, last_success=now,
                         items_seen=7, fetch_seconds_total=1.5, status_counts=json.dumps({"200": 4, "304": 1})))
        s.add(WatcherRow(name="ok2", url="https://b.test/feed", last_status=304, polls=2, last_check=now, last_success=now,
                         fetch_seconds_total=0.25, status_counts=json.dumps({"200": 1, "304": 1})))
        s.add(WatcherRow(name="gone", url="https://c.test/feed", last_status=404, polls=3, consecutive_failures=3,
                         last_check=now, last_error="HTTP 404", status_counts=json.dumps({"404": 3})))
        s.add(WatcherRow(name="down", url="https://d.test/feed", last_status=None, polls=2, consecutive_failures=1,
                         last_check=now, last_error="connect: refused", status_counts=json.dumps({"200": 1, "error": 1})))
        s.add(WatcherRow(name="new", url="https://e.test/feed"))
        s.commit()
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    types, samples = parse(r.text)

    def value(name, **labels):
        return samples[(name, frozenset(labels.items()))]

    # every series the README's /metrics line promises, in order: articles, departures detected,
    # events, deliveries by status, outbox depth, watchers by last fetch status, polls, entries,
    # failing watchers
    with Session(seeded) as s:
        articles = s.exec(select(func.count()).select_from(ArticleRow)).one()
        mentions = s.exec(select(func.count()).select_from(MentionRow)).one()
    assert types["monitor_articles_total"] == "counter" and value("monitor_articles_total") == articles > 0
    assert types["monitor_departures_detected_total"] == "counter" and value("monitor_departures_detected_total") == mentions >= 15
    assert types["monitor_events_created_total"] == "counter" and value("monitor_events_created_total") == 15
    assert types["monitor_deliveries"] == "gauge"
    assert types["monitor_outbox_queue_depth"] == "gauge" and value("monitor_outbox_queue_depth") == 0
    assert types["monitor_watchers"] == "gauge"
    assert {dict(k[1])["status"]: v for k, v in samples.items() if k[0] == "monitor_watchers"} == {
        "200": 1, "304": 1, "404": 1, "error": 1, "never": 1}
    assert types["monitor_polls_total"] == "counter" and value("monitor_polls_total") == 12
    assert types["monitor_fetches_total"] == "counter"
    assert {dict(k[1])["status"]: v for k, v in samples.items() if k[0] == "monitor_fetches_total"} == {
        "200": 6, "304": 2, "404": 3, "error": 1}
    assert value("monitor_fetch_latency_seconds_count") == 12 and value("monitor_fetch_latency_seconds_sum") == 1.75
    assert types["monitor_entries_parsed_total"] == "counter" and value("monitor_entries_parsed_total") == 7
    assert types["monitor_watchers_failing"] == "gauge" and value("monitor_watchers_failing") == 2


def test_watcher_series_with_no_watchers(client):
    types, samples = parse(client.get("/metrics").text)
    assert types["monitor_watchers"] == "gauge" and not any(k[0] == "monitor_watchers" for k in samples)
    assert samples[("monitor_polls_total", frozenset())] == 0
