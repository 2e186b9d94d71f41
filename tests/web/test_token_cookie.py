"""A browser opened with ?token= keeps working: the token moves into an HttpOnly, SameSite=Strict
cookie and out of the URL (a 303 to the same page without it), and every page, /docs, the
OpenAPI schema and the API then accept the cookie. A wrong or missing token is still a 401."""
from __future__ import annotations

import warnings

import feedparser
import pytest

from monitor.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note on httpx
    from fastapi.testclient import TestClient

TOKEN = "s3cret-Token"


def attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    first, *rest = [p.strip() for p in set_cookie.split(";")]
    attrs = {}
    for p in rest:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return first, attrs


@pytest.fixture
def app(seeded):
    return create_app(seeded, token=TOKEN)


def test_token_in_url_becomes_a_cookie_and_leaves_the_url(app):
    c = TestClient(app, follow_redirects=False)
    r = c.get("/events", params={"org": "xAI", "token": TOKEN, "q": "a b"})
    assert r.status_code == 303
    assert r.headers["location"] == "/events?org=xAI&q=a+b"
    pair, attrs = attributes(r.headers["set-cookie"])
    assert pair == f"monitor_token={TOKEN}"
    assert "httponly" in attrs and attrs["samesite"].lower() == "strict" and attrs["path"] == "/"
    assert "secure" not in attrs  # plain http: a Secure cookie would never come back
    r = c.get("/events/1?token=" + TOKEN)
    assert r.status_code == 303 and r.headers["location"] == "/events/1"
    # served over https, the cookie is Secure
    r = TestClient(app, base_url="https://testserver", follow_redirects=False).get("/events?token=" + TOKEN)
    assert r.status_code == 303 and "secure" in attributes(r.headers["set-cookie"])[1]


def test_browser_follows_redirect_then_clicks_around_with_the_cookie(app):
    c = TestClient(app)  # follows the 303 and keeps the cookie, as a browser does
    r = c.get("/events?token=" + TOKEN)
    assert r.status_code == 200 and "token=" not in str(r.url)
    [jimmy] = c.get("/api/events", params={"person": "Jimmy Ba"}).json()["events"]
    for path in ["/events", "/events?org=xAI", f"/events/{jimmy['id']}", "/orgs/xAI", "/watchers", "/docs", "/openapi.json",
                 "/api/events", "/events.csv", "/events.atom", "/metrics"]:
        assert c.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/events", "/events/1", "/orgs/xAI", "/docs", "/openapi.json", "/api/events"])
def test_cookie_alone_is_enough_and_must_be_right(app, path):
    assert TestClient(app, cookies={"monitor_token": TOKEN}).get(path).status_code == 200
    assert TestClient(app, cookies={"monitor_token": "wrong"}).get(path).status_code == 401
    assert TestClient(app, cookies={"monitor_token": ""}).get(path).status_code == 401
    assert TestClient(app).get(path).status_code == 401


def test_wrong_token_in_url_is_refused_and_sets_nothing(app):
    r = TestClient(app, follow_redirects=False).get("/events?token=nope")
    assert r.status_code == 401 and "set-cookie" not in r.headers


def test_api_feed_and_bearer_accept_the_token_without_redirect(app):
    c = TestClient(app, follow_redirects=False)
    for path in ["/api/events", "/events.csv", "/events.atom", "/openapi.json", "/metrics"]:
        r = c.get(path, params={"token": TOKEN})
        assert r.status_code == 200 and "set-cookie" not in r.headers, path
    assert c.get("/events", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.get("/events", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200  # the scheme is case-insensitive
    r = c.get("/events", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert c.get("/events", headers={"Authorization": TOKEN}).status_code == 401  # no scheme: not a bearer token
    assert c.get("/healthz").status_code == 200
    feed = feedparser.parse(c.get("/events.atom", params={"token": TOKEN, "org": "xAI"}).content)
    assert TOKEN not in feed.feed.get("links", [{}])[0].get("href", "")  # the self link does not publish the token
    assert all(TOKEN not in ln.href for e in feed.entries for ln in e.links)


def test_no_token_configured_needs_nothing(seeded):
    c = TestClient(create_app(seeded), follow_redirects=False)
    r = c.get("/events?token=anything")
    assert r.status_code == 200 and "set-cookie" not in r.headers
