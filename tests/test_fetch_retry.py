"""A server that closes a kept-alive connection between two polls: the fetch is retried once on a
new connection; when that fails too, the error says what happened (httpx.ReadError's own text is
empty)."""
from __future__ import annotations

import asyncio
import socket
import threading

from monitor.sources.http import Fetcher

BODY = b"<rss version='2.0'><channel><title>T</title></channel></rss>"
OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: keep-alive\r\n"
      b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class Server:
    """Answers the first request on each connection, then closes it when a second one comes (as
    a server does that dropped an idle connection the client still holds). `answer=False`:
    never answers at all."""

    def __init__(self, answer: bool = True):
        self.answer, self.connections = answer, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        with conn:
            if not self.answer:
                conn.recv(65536)
                return
            conn.recv(65536)
            conn.sendall(OK)
            conn.recv(65536)  # the next request on this connection: dropped unanswered


def test_a_closed_keep_alive_connection_is_retried_on_a_new_one():
    srv = Server()

    async def go():
        async with Fetcher() as f:
            return await f.fetch(srv.url), await f.fetch(srv.url)

    first, second = asyncio.run(go())
    assert first.status == 200 and first.error is None
    assert second.status == 200 and second.error is None and second.body == BODY
    assert srv.connections == 2


def test_a_server_that_never_answers_gives_an_error_with_text():
    srv = Server(answer=False)

    async def go():
        async with Fetcher() as f:
            return await f.fetch(srv.url)

    res = asyncio.run(go())
    assert res.error and res.error.split(":", 1)[1].strip(), res.error  # "RemoteProtocolError: <why>"
    assert srv.connections == 2  # tried twice
