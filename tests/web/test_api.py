"""The web surface over a seeded store: filters and search in any script, event pages with every
source, escaping, a valid Atom feed with stable ids, the OpenAPI schema, CSV, health, metrics,
and the token."""
from __future__ import annotations

import feedparser
import jsonschema
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.web.app import create_app


def people(client, **params):
    return [e["person"] for e in client.get("/api/events", params=params).json()["events"]]


def test_filters_and_search_in_any_script(client):
    assert len(people(client)) == 15
    assert people(client, org="特斯拉") == ["Raj Jegannathan"]
    assert len(people(client, org="xAI")) == 13
    for q in ("吴宇怀", "吳宇懷", "Yuhuai"):
        assert "吴宇怀" in people(client, q=q), q
    assert people(client, q="杨恪") == ["杨恪"]  # two characters: by substring
    assert "Jimmy Ba" in people(client, q="Jimmy")
    assert people(client, q="nobody-like-this") == []
    page1 = client.get("/api/events", params={"limit": 5}).json()
    assert len(page1["events"]) == 5 and page1["next_page"] == 2
    assert client.get("/api/events", params={"since": "not a date"}).status_code == 422


def test_event_page_shows_every_source(client):
    [jimmy] = client.get("/api/events", params={"person": "Jimmy Ba"}).json()["events"]
    html = client.get(f"/events/{jimmy['id']}").text
    assert "000_933a80888b7179b2.txt" in html and "001_711f6961cf9a6ed6.txt" in html
    assert client.get("/events/99999").status_code == 404


def test_hostile_text_is_escaped(client):
    for path in ["/events", "/events?q=Eve"]:
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Corp</b>" not in html
        assert "&lt;b&gt;Corp&lt;/b&gt;" in html
    [eve] = client.get("/api/events", params={"q": "Eve Evil"}).json()["events"]
    page = client.get(f"/events/{eve['id']}").text
    assert "&lt;script&gt;alert" in page and "<script>" not in page


def test_atom_is_valid_and_ids_stable(client, seeded):
    body = client.get("/events.atom").content
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 15 and feed.version == "atom10"
    ids = {e.id for e in feed.entries}
    again = feedparser.parse(client.__class__(create_app(seeded)).get("/events.atom").content)  # a "restart"
    assert {e.id for e in again.entries} == ids
    one = feedparser.parse(client.get("/events.atom", params={"org": "Tesla"}).content)
    assert [e.title for e in one.entries] == ["Raj Jegannathan left Tesla"]
    assert any("<b>Corp</b>" in e.title for e in feed.entries)  # markup as text: the XML stayed valid


def test_openapi_schema_describes_the_response(client):
    spec = client.get("/openapi.json").json()
    assert "/api/events" in spec["paths"]
    schema = {"$ref": "#/components/schemas/EventPage", "components": spec["components"]}
    jsonschema.validate(client.get("/api/events").json(), schema)
    bad = client.get("/api/events").json()
    bad["events"][0]["mentions"] = "many"
    try:
        jsonschema.validate(bad, schema)
        raise AssertionError("a wrong response validated")
    except jsonschema.ValidationError:
        pass


def test_csv_health_metrics(client):
    csv_text = client.get("/events.csv").text
    assert csv_text.splitlines()[0].startswith("id,person,aliases,org") and len(csv_text.strip().splitlines()) == 16
    assert client.get("/healthz").json() == {"ok": True}
    metrics = client.get("/metrics").text
    assert "monitor_events_created_total 15" in metrics and "# TYPE monitor_outbox_queue_depth gauge" in metrics


def test_token(seeded):
    from fastapi.testclient import TestClient

    c = TestClient(create_app(seeded, token="s3cret"))
    assert c.get("/events").status_code == 401
    assert c.get("/events", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.get("/api/events?token=s3cret").status_code == 200
    assert c.get("/healthz").status_code == 200


def test_serve_refuses_public_bind_without_token(monkeypatch):
    monkeypatch.delenv("MONITOR_TOKEN", raising=False)
    res = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "MONITOR_TOKEN" in res.output
