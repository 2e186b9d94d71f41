"""Alerts reach a real SMTP server and a loopback HTTP endpoint; failures retry with backoff;
secrets never reach logs; hostile text is neutralised for Slack."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from monitor.alerts.format import escape
from monitor.alerts.templates import render_event
from monitor.alerts.routing import route
from monitor.alerts.sender import send_due
from monitor.config import ChannelConfig
from monitor.db.models import DeliveryRow
from monitor.db.store import ingest, list_events
from monitor.records import Article, Departure
from tests.conftest import json_bodies

ARTICLE = Article(title="Jimmy Ba: last day at xAI", text="Co-founder Jimmy Ba wrote: \"Last day at xAI.\"",
                  url="https://news.test/jimmy-ba")
DEP = Departure(person="Jimmy Ba", org="xAI", role="co-founder", kind="left",
                evidence='Co-founder Jimmy Ba wrote: "Last day at xAI."', confidence=0.9)


def store_one(engine, channels, article=ARTICLE, dep=DEP):
    return ingest(engine, article, [dep], route(channels))


def deliveries(engine):
    with Session(engine) as s:
        return s.exec(select(DeliveryRow).order_by(DeliveryRow.id)).all()


def test_new_event_alerted_by_email_and_webhook(engine, smtp_server, http_endpoint):
    port, mails = smtp_server
    host, rec = http_endpoint
    channels = [
        ChannelConfig(name="mail", urls=[f"mailto://127.0.0.1:{port}?from=monitor@example.com&to=analyst@example.com"]),
        ChannelConfig(name="hook", urls=[f"json://{host}/alerts"]),
    ]
    res = store_one(engine, channels)
    assert len(res.new_events) == 1
    assert [(d.channel, d.status) for d in deliveries(engine)] == [("mail", "pending"), ("hook", "pending")]

    out = send_due(engine, channels)
    assert (out.sent, out.failed, out.dead) == (2, 0, 0), out.errors
    assert len(mails) == 1 and mails[0]["to"] == ["analyst@example.com"]
    assert "Jimmy Ba" in mails[0]["data"] and "xAI" in mails[0]["data"] and "news.test/jimmy-ba" in mails[0]["data"]
    [body] = json_bodies(rec)
    assert body["title"].startswith("Departure: Jimmy Ba left xAI")
    assert "Role: co-founder" in body["message"] and "https://news.test/jimmy-ba" in body["message"]
    assert all(d.status == "sent" and d.delivered_at for d in deliveries(engine))

    # nothing is sent twice; a new mention of the same event alerts nobody
    assert send_due(engine, channels).sent == 0
    other = Article(title="xAI co-founder Jimmy Ba leaves", text="Jimmy Ba left xAI.", url="https://other.test/2")
    res2 = store_one(engine, channels, other, Departure(person="Jimmy Ba", org="xAI", confidence=0.9))
    assert res2.new_events == [] and res2.merged_mentions == 1
    assert len(deliveries(engine)) == 2 and send_due(engine, channels).sent == 0
    assert list_events(engine)[0]["mentions"] == 2


def test_failing_endpoint_retries_with_backoff_then_succeeds(engine, http_endpoint):
    host, rec = http_endpoint
    rec.fail_first = 1
    channels = [ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])]
    store_one(engine, channels)
    first = send_due(engine, channels)
    assert (first.sent, first.failed) == (0, 1)
    [d] = deliveries(engine)
    assert d.status == "pending" and d.attempts == 1 and d.last_error
    assert not re.match(r"\d{4}-\d\d-\d\d", d.last_error), d.last_error  # Apprise's message, not its log line
    assert first.errors and not re.match(r"hook: \d{4}-", first.errors[0]), first.errors
    retry_at = d.next_attempt_at.replace(tzinfo=timezone.utc)
    assert retry_at > datetime.now(timezone.utc) + timedelta(seconds=15)
    assert send_due(engine, channels).sent == 0  # not due yet: nothing sent
    later = send_due(engine, channels, now=retry_at + timedelta(seconds=1))
    assert later.sent == 1 and len(rec.requests) == 2
    [d] = deliveries(engine)
    assert d.status == "sent" and d.attempts == 2


def test_dead_endpoint_is_dead_lettered(engine, http_endpoint, monkeypatch):
    import monitor.alerts.sender as sender

    host, rec = http_endpoint
    rec.always_fail = True
    monkeypatch.setattr(sender, "MAX_ATTEMPTS", 3)
    channels = [ChannelConfig(name="hook", urls=[f"json://{host}/alerts"])]
    store_one(engine, channels)
    now = datetime.now(timezone.utc)
    for i in range(5):
        send_due(engine, channels, now=now + timedelta(days=i))
    [d] = deliveries(engine)
    assert d.status == "dead" and d.attempts == 3 and len(rec.requests) == 3


def test_secrets_never_in_logs_or_stored_errors(engine, caplog):
    token = "xoxb-SECRET-TOKEN-1234567890"
    url = f"json://user:{token}@127.0.0.1:9/hook?apikey={token}"  # port 9: nothing listens
    channels = [ChannelConfig(name="hook", urls=[url])]
    store_one(engine, channels)
    with caplog.at_level(logging.DEBUG):
        res = send_due(engine, channels)
    assert res.failed == 1
    [d] = deliveries(engine)
    assert d.last_error and token not in d.last_error
    assert token not in caplog.text and token not in " ".join(res.errors)


def test_routing_by_confidence(engine):
    channels = [ChannelConfig(name="all", urls=["json://127.0.0.1:9/x"]),
                ChannelConfig(name="sure-only", urls=["json://127.0.0.1:9/y"], min_confidence=0.95)]
    store_one(engine, channels)
    assert [d.channel for d in deliveries(engine)] == ["all"]


def test_hostile_text_is_neutralised_for_slack():
    event = {"person": "<!channel> Eve", "org": "<https://evil.test|click me>", "kind": "left",
             "role": "*boss*", "aliases": ["<@U123>"], "confidence": 0.9, "evidence": "x" * 5000,
             "sources": ["https://ok.test/a"], "announced_at": None}
    title, body = render_event(event, "slack")
    for live in ("<!channel>", "<@U123>", "<https://evil.test|click me>", "*boss*"):
        assert live not in title + body
    assert "&lt;!channel&gt;" in body
    assert len(body) < 2000
    assert escape("<b>x</b>", "html") == "&lt;b&gt;x&lt;/b&gt;"


def test_invalid_url_error_is_masked(engine, caplog):
    token = "T0KEN-abcdef-123456"
    channels = [ChannelConfig(name="bad", urls=[f"nosuchservice://{token}/{token}"])]
    store_one(engine, channels)
    with caplog.at_level(logging.DEBUG):
        res = send_due(engine, channels)
    assert res.failed == 1 and "not a valid Apprise URL" in res.errors[0]
    assert token not in caplog.text and token not in deliveries(engine)[0].last_error


def test_mask_hides_urls_and_their_parts():
    from monitor.alerts.secrets import mask

    url = "slack://TOKENA1234/TOKENB5678/TOKENC9012/#talent"
    mailto = "mailtos://bob:hunter2pass@smtp.example.com?to=a@example.com"
    text = f"failed {url}; auth for bob:hunter2pass rejected; token TOKENB5678 invalid; {mailto}"
    out = mask(text, [url, mailto])
    for secret in ("TOKENA1234", "TOKENB5678", "TOKENC9012", "hunter2pass"):
        assert secret not in out
    assert "smtp.example.com" in out  # the host still tells which channel failed


def test_apprise_debug_lines_are_masked(engine, http_endpoint, caplog):
    host, _ = http_endpoint
    token = "WEBHOOKTOKEN0123456789"
    url = f"json://{host}/api/webhooks/{token}"  # a token in the path, as Discord and Slack use
    channels = [ChannelConfig(name="hook", urls=[url])]
    store_one(engine, channels)
    with caplog.at_level(logging.DEBUG):
        assert send_due(engine, channels).sent == 1
    assert "POST URL" in caplog.text  # Apprise did log the URL it posted to…
    assert token not in caplog.text  # …masked
