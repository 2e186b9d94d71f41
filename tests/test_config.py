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
