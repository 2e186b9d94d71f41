"""Errors a person can read: an unknown event or organisation (or path) is a 404 page in the look
of the other pages for a browser (Accept: text/html), and {"detail": ...} JSON for an API client."""
from __future__ import annotations

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}


@pytest.mark.parametrize("path,detail", [("/events/999", "no such event"), ("/orgs/Nope", "no such organisation"),
                                         ("/no/such/page", "Not Found")])
def test_not_found_is_a_page_for_browsers_and_json_for_api_clients(client, path, detail):
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<header><b>monitor</b>" in r.text and '<a href="/events">Departures</a>' in r.text  # base.html
    assert "<h1>Not found</h1>" in r.text and detail in r.text
    for headers in (API, {}, {"Accept": "*/*"}):
        r = client.get(path, headers=headers)
        assert r.status_code == 404 and r.json() == {"detail": detail}

