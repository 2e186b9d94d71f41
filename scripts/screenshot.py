"""docs/events.png: the events page over a store filled from the seeds, in headless Chromium.

Usage: .venv/bin/python scripts/screenshot.py [OUT.png]   (make screenshot)
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from monitor.db.store import open_engine  # noqa: E402
from monitor.pipeline import process_documents  # noqa: E402
from monitor.sources.files import iter_documents  # noqa: E402
from monitor.web.app import create_app  # noqa: E402


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{tmp}/shot.db")
        process_documents(engine, iter_documents([str(ROOT / "seeds")]))
        srv = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=8765, log_level="warning"))
        threading.Thread(target=srv.run, daemon=True).start()
        while not srv.started:
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto("http://127.0.0.1:8765/events")
            page.screenshot(path=out, full_page=True)
            browser.close()
        srv.should_exit = True
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "events.png"))
