"""Routing by tags and filters, templates per format with hostile text, digests (also one
missed while down), "more sources" updates, and the alerts commands."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select
from typer.testing import CliRunner

from monitor.alerts.routing import route
from monitor.alerts.sender import send_due
from monitor.cli import app
from monitor.config import ChannelConfig, ChannelFilter
from monitor.db.models import DeliveryRow
from monitor.db.store import ingest
from monitor.records import Article, Departure
from tests.conftest import json_bodies

HOSTILE = "<!channel> <@U024BE7LH> <https://evil.test|click> <script>alert(1)</script> *bold* [x](https://evil.test)"


def dep(person="Jimmy Ba", org="xAI", conf=0.9, kind="left"):
    return Departure(person=person, org=org, kind=kind, confidence=conf, evidence=f"{person} left {org}.")


def art(n, title=None, lang="en"):
    return Article(title=title or f"story {n}", text=f"text {n}", url=f"https://news.test/{n}", language=lang)


def rows(engine):
    with Session(engine) as s:
        return [(d.channel, d.kind, d.status) for d in s.exec(select(DeliveryRow).order_by(DeliveryRow.id))]


def test_routing_by_tags(engine):
    chans = [ChannelConfig(name="tech", urls=["json://x/a"], tags=["tech"]),
             ChannelConfig(name="zh", urls=["json://x/b"], tags=["zh"]),
             ChannelConfig(name="everything", urls=["json://x/c"]),
             ChannelConfig(name="all-tag", urls=["json://x/d"], tags=["all"])]
    ingest(engine, art(1), [dep("Jimmy Ba")], route(chans, ["tech"]))
    ingest(engine, art(2), [dep("Hang Gao")], route(chans, None))  # backfill
    assert [r[0] for r in rows(engine)] == ["tech", "everything", "all-tag", "everything", "all-tag"]


def test_filters_any_spelling(engine):
    chans = [ChannelConfig(name="big-labs", urls=["json://x/a"],
                           filter=ChannelFilter(orgs=["特斯拉", "OpenAI", "xAI"], kinds=["left", "resigned"])),
             ChannelConfig(name="zh-only", urls=["json://x/b"], filter=ChannelFilter(languages=["zh-Hans"])),
             ChannelConfig(name="one-person", urls=["json://x/c"], filter=ChannelFilter(persons=["吴宇怀"])),
             ChannelConfig(name="sure", urls=["json://x/d"], filter=ChannelFilter(min_confidence=0.95))]
    r = route(chans)
    ingest(engine, art(1), [dep("Raj Jegannathan", "Tesla, Inc.")], r)
    ingest(engine, art(2), [dep("Someone Else", "Acme")], r)
    ingest(engine, art(3, lang="zh-Hans"), [dep("Yuhuai Wu", "xAI", kind="fired")], r)
    assert [r[0] for r in rows(engine)] == ["big-labs", "zh-only", "one-person"]


def test_hostile_text_in_html_mail_and_slack_shaped_webhook(engine, smtp_server, http_endpoint):
    port, mails = smtp_server
    host, rec = http_endpoint
    chans = [ChannelConfig(name="mail", urls=[f"mailto://127.0.0.1:{port}?from=m@example.com&to=a@example.com"]),
             ChannelConfig(name="slackish", urls=[f"json://{host}/hook?:message=text"], format="slack")]
    ingest(engine, art(1, title=HOSTILE), [Departure(person="Eve " + HOSTILE[:40], org="Acme", confidence=0.9,
                                                     evidence=HOSTILE)], route(chans))
    res = send_due(engine, chans)
    assert res.sent == 2, res.errors
    import email

    msg = email.message_from_string(mails[0]["data"])
    html = next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    [post] = json_bodies(rec)
    text = post["text"]  # Slack-shaped: the message under "text"
    for live in ("<!channel>", "<@U024BE7LH>", "<https://evil.test|click>", "*bold*"):
        assert live not in text
    assert "&lt;!channel&gt;" in text


def test_digest_one_message_per_window_and_after_downtime(engine, http_endpoint):
    host, rec = http_endpoint
    chans = [ChannelConfig(name="daily", urls=[f"json://{host}/d"], digest="hourly")]
    t0 = datetime.now(timezone.utc).replace(minute=5, second=0, microsecond=0)
    assert send_due(engine, chans, now=t0).digests == 0  # the first window starts
    for i, who in enumerate(["Ann Able", "Ben Baker", "Cat Cole"]):
        ingest(engine, art(i), [dep(who, "Acme")], route(chans))
    assert send_due(engine, chans, now=t0 + timedelta(minutes=30)).sent == 0  # window not over
    res = send_due(engine, chans, now=t0 + timedelta(hours=5))  # down for hours: sent at next run
    assert (res.digests, res.sent) == (1, 3)
    [msg] = json_bodies(rec)
    assert msg["title"] == "3 departures"
    assert all(n in msg["message"] for n in ["Ann Able", "Ben Baker", "Cat Cole"])
    assert send_due(engine, chans, now=t0 + timedelta(hours=7)).digests == 0  # nothing new: no message
    assert len(rec.requests) == 1


def test_updates_at_most_once_a_day(engine, http_endpoint):
    host, rec = http_endpoint
    chans = [ChannelConfig(name="hook", urls=[f"json://{host}/u"], updates=True),
             ChannelConfig(name="quiet", urls=[f"json://{host}/q"])]
    r = route(chans)
    ingest(engine, art(1), [dep()], r)
    ingest(engine, art(2), [dep()], r)
    ingest(engine, art(3), [dep()], r)
    assert rows(engine) == [("hook", "new", "pending"), ("quiet", "new", "pending"), ("hook", "update", "pending")]
    send_due(engine, chans)
    titles = [b["title"] for b in json_bodies(rec)]
    assert titles[0].startswith("Departure: Jimmy Ba") and titles[2].startswith("More sources: Jimmy Ba")
    assert "3 reports now" in json_bodies(rec)[2]["message"]


def test_custom_templates(engine, http_endpoint):
    host, rec = http_endpoint
    chans = [ChannelConfig(name="hook", urls=[f"json://{host}/t"], title_template="{{ org }}: {{ person }} out",
                           body_template="{{ kind }} | {{ sources | join(' ') }}")]
    ingest(engine, art(1), [dep()], route(chans))
    send_due(engine, chans)
    [b] = json_bodies(rec)
    assert (b["title"], b["message"]) == ("xAI: Jimmy Ba out", "left | https://news.test/1")


def test_alerts_commands(tmp_path, db_url, http_endpoint, monkeypatch):
    import monitor.alerts.sender as sender

    host, rec = http_endpoint
    cfg = tmp_path / "w.yaml"
    cfg.write_text(f"channels:\n  - name: hook\n    urls: ['json://{host}/c']\n")
    runner = CliRunner()
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "alerts", "test"])
    assert res.exit_code == 0 and "hook: ok" in res.output
    assert "monitor test message" in json_bodies(rec)[0]["title"]
    res = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "alerts", "test", "--channel", "nope"])
    assert res.exit_code == 2 and "no channel named 'nope'" in res.output
    # a dead letter, re-queued by `alerts retry`, then delivered
    from monitor.db.store import open_engine

    eng = open_engine(db_url)
    chans = [ChannelConfig(name="hook", urls=[f"json://{host}/c"])]
    ingest(eng, art(1), [dep()], route(chans))
    rec.always_fail = True
    monkeypatch.setattr(sender, "MAX_ATTEMPTS", 1)
    send_due(eng, chans)
    assert rows(eng)[0][2] == "dead"
    out = runner.invoke(app, ["--db", db_url, "--config", str(cfg), "alerts", "status"]).output
    assert "dead" in out and "500" in out  # the status shows the dead letter and why
    rec.always_fail = False
    assert "re-queued: 1" in runner.invoke(app, ["--db", db_url, "--config", str(cfg), "alerts", "retry"]).output
    assert "sent: 1" in runner.invoke(app, ["--db", db_url, "--config", str(cfg), "alerts", "send"]).output
