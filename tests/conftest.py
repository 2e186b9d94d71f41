"""Shared fixtures: a fresh SQLite store, loopback SMTP and HTTP servers that record what they get."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture
def engine(db_url: str):
    from monitor.db.store import open_engine

    eng = open_engine(db_url)
    yield eng
    eng.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """What a loopback HTTP endpoint received; `fail_first` makes the first N requests answer 500."""

    def __init__(self, fail_first: int = 0, always_fail: bool = False, delay: float = 0.0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.delay = delay  # seconds before answering (a slow receiver)


@pytest.fixture
def http_endpoint():
    """Start a loopback HTTP server; yields (base_url, recorder)."""
    rec = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            rec.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            if rec.delay:
                import time

                time.sleep(rec.delay)
            failing = rec.always_fail or len(rec.requests) <= rec.fail_first
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"127.0.0.1:{server.server_address[1]}", rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback; yields (port, list of received messages)."""
    from aiosmtpd.controller import Controller

    received: list[dict] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                             "data": envelope.content.decode("utf-8", "replace")})
            return "250 OK"

    port = free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, received
    ctl.stop()


def json_bodies(rec: Recorder) -> list[dict]:
    return [json.loads(r["body"]) for r in rec.requests]
