"""In a real browser (headless Chromium, driven by Playwright): the events page over the seeded
store, filtering by organisation, searching a Chinese and an English name, opening an event page
with both seed sources; a hostile feed title renders as text and runs nothing."""
from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Chromium for the browser tests: `make browser-deps` (apt-get install chromium)")
    pytest.skip("no Chromium on this machine (make browser-deps installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(seeded):
    import uvicorn

    from monitor.web.app import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(seeded), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 15
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


@pytest.fixture
def page(tmp_path):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page()
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        yield pg
        browser.close()


def rows(page) -> list[str]:
    return page.locator("#events tr.event a.person").all_inner_texts()


def test_events_page_filters_search_and_event_sources(server, page):
    page.goto(f"{server}/events")
    assert len(rows(page)) == 15
    assert page.locator(".banner").count() == 0  # the seeds' xAI wave ended in February: no live-wave banner
    page.fill("input[name=org]", "xAI")
    page.click("button[type=submit]")
    page.wait_for_url("**/events?*org=xAI*")
    assert len(rows(page)) == 13 and "Raj Jegannathan" not in rows(page)

    page.goto(f"{server}/events")
    page.fill("input[name=q]", "吴宇怀")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=*")
    assert "吴宇怀" in rows(page)

    page.goto(f"{server}/events")
    page.fill("input[name=q]", "Jimmy")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=Jimmy*")
    assert rows(page) == ["Jimmy Ba"]
    page.click("text=Jimmy Ba")
    page.wait_for_selector("#mentions")
    sources = page.inner_text("#mentions")
    assert "000_933a80888b7179b2.txt" in sources and "001_711f6961cf9a6ed6.txt" in sources
    assert page.locator("#mentions tr.mention").count() == 2


def test_hostile_title_renders_as_text(server, page):
    page.goto(f"{server}/events?q=Eve")
    page.click("text=Eve Evil")
    page.wait_for_selector("#evidence")
    assert "<script>alert" in page.inner_text("#evidence")  # shown, as text
    assert page.locator("img").count() == 0 and page.locator("script").count() == 0
    time.sleep(0.3)
    assert page.dialogs == []  # nothing ran
