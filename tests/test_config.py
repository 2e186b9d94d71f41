"""watchers.yaml: env expansion, disabled channels, MONITOR_ALERT_URLS, line-numbered errors."""
from __future__ import annotations

import pytest

from monitor.config import ConfigError, active_channels, load_config
from tests.conftest import ROOT


def test_shipped_example_is_valid_and_needs_no_secrets(monkeypatch):
    for var in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_HOST", "ALERT_EMAIL", "SLACK_WEBHOOK_URL", "MONITOR_ALERT_URLS"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(ROOT / "watchers.yaml", required=True)
    assert len(cfg.watchers) >= 4 and {c.name for c in cfg.channels} >= {"email", "slack-talent-moves"}
    assert active_channels(cfg) == []  # no variables set: every channel disabled, none half-configured


def test_env_expansion_and_env_channel(tmp_path, monkeypatch):
    p = tmp_path / "w.yaml"
    p.write_text("channels:\n  - name: hook\n    urls: ['json://${HOOK_HOST}/x?k=${KEY:-dflt}']\n")
    monkeypatch.setenv("HOOK_HOST", "127.0.0.1:8000")
    monkeypatch.setenv("MONITOR_ALERT_URLS", "json://127.0.0.1:1/a  mailto://u:p@127.0.0.1:2?to=x@example.com")
    chans = active_channels(load_config(p))
    assert [(c.name, c.urls) for c in chans] == [
        ("hook", ["json://127.0.0.1:8000/x?k=dflt"]),
        ("env", ["json://127.0.0.1:1/a", "mailto://u:p@127.0.0.1:2?to=x@example.com"]),
    ]


@pytest.mark.parametrize("text,expected", [
    ("channels:\n  - name: ok\n    urls: [x]\n  - name: 'bad name!'\n    urls: [y]\n", ":4: channels[1].name"),
    ("watchers:\n  - name: a\n    url: https://a.test/feed\n    interval: 5 minutes\n", ":4: watchers[0].interval"),
    ("watchers:\n  - name: a\n    url: https://a.test/feed\n    colour: red\n", ":4: watchers[0].colour"),
    ("watchers:\n  - name: a\n    url: [unclosed\n", "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at line 3)"),
    ("- just\n- a list\n", ":1: the top level must be a mapping"),
])
def test_errors_name_line_and_field(tmp_path, text, expected):
    p = tmp_path / "w.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert f"{p}{expected}" in str(e.value) or (expected.startswith("invalid") and expected in str(e.value))


def test_missing_file(tmp_path):
    assert load_config(tmp_path / "none.yaml").channels == []
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.yaml", required=True)


OPML = b"""<?xml version="1.0"?><opml version="2.0"><body>
  <outline text="News">
    <outline text="Feed A" xmlUrl="https://a.test/rss"/>
    <outline title="Gopher" text="ignored" xmlUrl="gopher://b.test/feed"/>
    <outline text="Just a page" htmlUrl="https://c.test/"/>
    <outline text="Blank url" xmlUrl="  "/>
  </outline>
  <outline text="Feed A, second copy" xmlUrl="https://a.test/rss"/>
</body></opml>"""


def test_opml_import_reports_every_outline_it_skips():
    from monitor.config import read_opml

    feeds = read_opml(OPML, interval="1h")
    assert [(w.name, w.url, w.interval) for w in feeds.watchers] == [("feed-a", "https://a.test/rss", "1h")]
    assert [(s.name, s.reason) for s in feeds.skipped] == [
        ("Gopher (gopher://b.test/feed)", "not an http:// or https:// URL"),
        ("Just a page", "no xmlUrl: a link or a heading, not a feed"),
        ("Blank url", "no xmlUrl: a link or a heading, not a feed"),
        ("Feed A, second copy (https://a.test/rss)", "the same feed as Feed A"),
    ]


@pytest.mark.parametrize("interval", ["5minutes", "", "1 week", "m5"])
def test_opml_import_refuses_a_bad_interval_before_reading_feeds(interval):
    from monitor.config import read_opml

    with pytest.raises(ConfigError, match=r"interval .*must be a number with s, m, h or d \(e.g. 15m\)"):
        read_opml(OPML, interval=interval)


def test_a_disabled_channel_is_warned_about_once_not_on_every_read(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("HOOK_ONCE_TOKEN", raising=False)
    cfg = tmp_path / "w.yaml"
    cfg.write_text("channels:\n  - name: once\n    urls: ['json://127.0.0.1/${HOOK_ONCE_TOKEN}']\n")
    for _ in range(3):  # the daemon reads the file again at start and on every change
        load_config(cfg)
    assert caplog.text.count("channel once: disabled") == 1


@pytest.mark.parametrize("line, error", [
    ("    interval: 0m", "at least 1s"),
    ("    url: https://bad host/rss", "no spaces"),
])
def test_a_zero_interval_and_a_spaced_url_are_refused(tmp_path, line, error):
    cfg = tmp_path / "w.yaml"
    body = {"interval": "    url: https://example.org/rss\n    interval: 0m\n",
            "url": "    url: https://bad host/rss\n"}["interval" if "interval" in line else "url"]
    cfg.write_text("watchers:\n  - name: w\n" + body)
    with pytest.raises(ConfigError, match=error):
        load_config(cfg)


def test_watcher_kind_follow_and_links(tmp_path):
    cfg = tmp_path / "w.yaml"
    cfg.write_text("watchers:\n  - name: f\n    url: https://a.test/rss\n"
                   "  - name: p\n    url: https://b.test/news/\n    kind: page\n    links: 'h2.title > a'\n"
                   "  - name: q\n    url: https://c.test/\n    kind: page\n    links: 're:/news/\\d{4}/'\n    follow: never\n")
    f, p, q = load_config(cfg).watchers
    assert (f.kind, f.follow, f.links) == ("feed", "candidates", None)
    assert (p.kind, p.links) == ("page", "h2.title > a")
    assert (q.links, q.follow) == (r"re:/news/\d{4}/", "never")


@pytest.mark.parametrize("extra, error", [
    ("    kind: blog\n", ":4: watchers[0].kind: Input should be 'feed', 'page' or 'sec-8k'"),
    ("    follow: sometimes\n", ":4: watchers[0].follow"),
    ("    kind: page\n    links: 'a[href'\n", ":5: watchers[0].links: Value error, not a CSS selector"),
    ("    kind: page\n    links: 're:(unclosed'\n", ":5: watchers[0].links: Value error, not a regular expression"),
    ("    links: 'a'\n", ":2: watchers[0]: Value error, links: applies to kind: page only"),
])
def test_watcher_kind_follow_and_links_errors(tmp_path, extra, error):
    cfg = tmp_path / "w.yaml"
    cfg.write_text("watchers:\n  - name: w\n    url: https://a.test/\n" + extra)
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert f"{cfg}{error}" in str(e.value)
