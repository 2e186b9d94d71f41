"""A filter outside its vocabulary (kind), a date that is not one (or that no datetime can hold),
a confidence that is not a number, or a page number past any store is a 422 naming what is
accepted, never a 500 or a silently empty answer."""
from __future__ import annotations

import warnings

import pytest

from monitor.records import KINDS
from monitor.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note on httpx
    from fastapi.testclient import TestClient

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}


@pytest.mark.parametrize("path", ["/api/events", "/events", "/events.csv", "/events.atom"])
def test_unknown_kind_is_422_listing_the_kinds(client, path):
    r = client.get(path, params={"kind": "bogus"}, headers=API)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "bogus" in detail and all(k in detail for k in KINDS), detail
    assert client.get(path, params={"kind": "left"}).status_code == 200
    r = client.get(path, params={"kind": "bogus"}, headers=BROWSER)  # a browser gets it as a page
    assert r.status_code == 422 and "<header><b>monitor</b>" in r.text and "term_ended" in r.text


def test_kind_menu_is_the_kind_vocabulary(client):
    html = client.get("/events").text
    assert all(f'<option value="{k}"' in html for k in KINDS)


@pytest.mark.parametrize("path", ["/api/events", "/events", "/events.csv", "/events.atom"])
@pytest.mark.parametrize("param,value", [("since", "not a date"), ("until", "2026-13-45"),
                                         ("since", "0001-01-01T00:00:00+01:00"), ("until", "9999-12-31T23:59:59-01:00"),
                                         ("min_confidence", "nan"), ("min_confidence", "inf")])
def test_bad_filter_values_are_422_not_500(seeded, path, param, value):
    c = TestClient(create_app(seeded), raise_server_exceptions=False)
    r = c.get(path, params={param: value}, headers=API)
    assert r.status_code == 422, (r.status_code, r.text[:200])
    assert param in str(r.json()["detail"]) or value in str(r.json()["detail"])


@pytest.mark.parametrize("path", ["/api/events", "/events"])
def test_page_past_any_store_is_422_not_500(seeded, path):
    c = TestClient(create_app(seeded), raise_server_exceptions=False)
    assert c.get(path, params={"page": 10**20}, headers=API).status_code == 422
    assert c.get(path, params={"page": 1000}).status_code == 200  # far but possible: an empty page
