"""A loopback feed farm: N feeds made from the real feeds of ../shared/corpus/real-feeds, each made
distinct (its titles and links carry the feed number), served with ETags by one asyncio process.

Round 1 serves every feed; `POST /round2` switches to round 2, where ~10 % of feeds gain an item
(new ETag) and the rest answer 304 to a conditional GET. While it runs, `POST /add/N` (body: JSON
{"guid", "title", "text"}) adds an item to feed N at once (new ETag); `GET /added` answers, per
guid, the feed, when it was added and when a GET first served it (unix times). 1 % of feeds are slow (2 s), 1 % fail
(HTTP 500). Run: python bench/farm.py N PORT [ADDRESSES] (prints "ready" when listening); with
ADDRESSES = 100 it answers on 127.0.0.1 … 127.0.0.100, and feed i lives at 127.0.0.(1 + i % 100).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-feeds"
SKIP = ("json-", "xx-", "en-gzip")


def base_feeds() -> list[bytes]:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf") and not p.name.startswith(SKIP))
    return [p.read_bytes() for p in files]


def make_distinct(data: bytes, i: int) -> bytes:
    tag = f"F{i} ".encode()
    data = re.sub(rb"(<title[^>]*>)(?!<!\[CDATA\[)", lambda m: m.group(1) + tag, data)
    data = re.sub(rb"(<title[^>]*><!\[CDATA\[)", lambda m: m.group(1) + tag, data)
    data = re.sub(rb"(<(?:link|guid|id)[^>]*>)(https?://[^<]+)", lambda m: m.group(1) + m.group(2) + f"#f{i}".encode(), data)
    data = re.sub(rb'(<link[^>]*href=")([^"]+)', lambda m: m.group(1) + m.group(2) + f"#f{i}".encode(), data)
    return data


def extra_item(data: bytes, i: int) -> bytes:
    item = (f"<item><title>F{i} round-2 story</title><link>https://farm.test/{i}/r2</link>"
            f"<guid>https://farm.test/{i}/r2</guid><description>new</description></item>").encode()
    if b"</channel>" in data:
        return data.replace(b"</channel>", item + b"</channel>", 1)
    entry = (f"<entry><title>F{i} round-2 story</title><id>https://farm.test/{i}/r2</id>"
             f"<link href='https://farm.test/{i}/r2'/><summary>new</summary></entry>").encode()
    return data.replace(b"</feed>", entry + b"</feed>", 1)


class Farm:
    def __init__(self, n: int):
        bases = base_feeds()
        self.n = n
        self.round = 1
        self.bodies = [make_distinct(bases[i % len(bases)], i) for i in range(n)]
        self.round2 = {i: extra_item(self.bodies[i], i) for i in range(0, n, 10)}  # ~10 % change
        # 1 % slow, 1 % failing, spread over the publisher addresses (feed i is on 127.0.0.(1 + i % 100)):
        # every 100th feed would put them all on one host, whose 2-at-a-time limit then serialises them
        self.slow = set(range(5, n, 101))
        self.failing = set(range(7, n, 103))
        self.hits: dict[int, int] = {}  # GET /feed/N per feed since the last POST /reset
        self.changed: dict[int, bytes] = {}  # feeds that gained items through POST /add: their body now
        self.added: dict[str, dict] = {}  # guid -> {"feed", "added_at", "served_at"}
        self.unserved: dict[int, list[str]] = {}  # feed -> guids added and not served yet

    def body(self, i: int) -> bytes:
        if i in self.changed:
            return self.changed[i]
        return self.round2.get(i, self.bodies[i]) if self.round == 2 else self.bodies[i]

    def add(self, i: int, guid: str, title: str, text: str) -> dict:
        """An item more in feed i, from now on (RSS or Atom, as the feed is; XML-escaped)."""
        from email.utils import formatdate
        from xml.sax.saxutils import escape

        data = self.body(i)
        t, link = escape(title), escape(f"https://farm.test/{i}/{guid}")
        if b"</channel>" in data:
            item = (f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><pubDate>{formatdate(usegmt=True)}"
                    f"</pubDate><description>{escape(text)}</description></item>").encode()
            data = data.replace(b"</channel>", item + b"</channel>", 1)
        else:
            import datetime as dt

            when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            item = (f"<entry><title>{t}</title><id>{link}</id><link href=\"{link}\"/><updated>{when}</updated>"
                    f"<summary>{escape(text)}</summary></entry>").encode()
            data = data.replace(b"</feed>", item + b"</feed>", 1)
        self.changed[i] = data
        self.added[guid] = {"feed": i, "added_at": time.time(), "served_at": None}
        self.unserved.setdefault(i, []).append(guid)
        return self.added[guid]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
                sent = await reader.readexactly(int(headers["content-length"])) if int(headers.get("content-length", 0)) else b""
                status, body, extra = self.route(method, path, headers, sent)
                if path.startswith("/feed/") and int(path.split("/")[2]) in self.slow:
                    await asyncio.sleep(2)
                hdrs = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nContent-Type: application/xml\r\n{extra}\r\n"
                writer.write(hdrs.encode() + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def route(self, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[str, bytes, str]:
        if method == "POST" and path == "/round2":
            self.round = 2
            return "200 OK", b"round 2", ""
        if method == "POST" and path == "/reset":
            self.hits = {}
            return "200 OK", b"reset", ""
        if method == "GET" and path == "/hits":
            return "200 OK", json.dumps(self.hits).encode(), ""
        if method == "GET" and path == "/added":
            return "200 OK", json.dumps(self.added).encode(), ""
        m = re.fullmatch(r"/add/(\d+)", path)
        if method == "POST" and m and int(m.group(1)) < self.n:
            item = json.loads(body or b"{}")
            return "200 OK", json.dumps(self.add(int(m.group(1)), item["guid"], item["title"], item.get("text", ""))).encode(), ""
        m = re.fullmatch(r"/feed/(\d+)", path)
        if not m or int(m.group(1)) >= self.n:
            return "404 Not Found", b"", ""
        i = int(m.group(1))
        self.hits[i] = self.hits.get(i, 0) + 1
        if i in self.failing:
            return "500 Internal Server Error", b"", ""
        body = self.body(i)
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if headers.get("if-none-match") == etag:
            return "304 Not Modified", b"", f"ETag: {etag}\r\n"
        for guid in self.unserved.pop(i, ()):  # the poll that sees the added items
            self.added[guid]["served_at"] = time.time()
        return "200 OK", body, f"ETag: {etag}\r\n"


def addresses(count: int) -> list[str]:
    """The loopback addresses the farm answers on: 127.0.0.1 … 127.0.0.COUNT (all of 127/8 is
    loopback), so that it stands for COUNT publishers, each with its own per-host limit."""
    return [f"127.0.0.{k}" for k in range(1, count + 1)]


def feed_url(i: int, port: int, count: int = 1) -> str:
    return f"http://127.0.0.{1 + i % count}:{port}/feed/{i}"


async def main(n: int, port: int, count: int = 1) -> None:
    farm = Farm(n)
    server = await asyncio.start_server(farm.handle, addresses(count), port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1))
