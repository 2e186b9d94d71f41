"""CPU per conditional GET answered 304: monitor's Fetcher.fetch against a bare httpx
`client.get` on the same client and the same loopback farm (bench/farm.py, round 2), 20 at once.
It shows how much of a 304 poll is httpx itself.

Usage: .venv/bin/python bench/fetch_bench.py [N] [REPEAT]   (default: 1000 feeds, 3 repeats)
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from monitor.sources.http import Fetcher  # noqa: E402
from poll_bench import start_farm  # noqa: E402


async def measure(n: int, port: int, repeat: int) -> None:
    urls = [f"http://127.0.0.1:{port}/feed/{i}" for i in range(n)]
    gate = asyncio.Semaphore(20)
    async with Fetcher(per_host=n, deadline=30.0, max_connections=20) as f:
        async def fetch(u, etag=None):
            async with gate:
                return await f.fetch(u, etag=etag)

        async def bare(u, etag):
            async with gate:
                return (await f.client.get(u, headers={"If-None-Match": etag} if etag else {})).status_code

        etags = [r.headers.get("etag") for r in await asyncio.gather(*(fetch(u) for u in urls))]
        httpx.post(f"http://127.0.0.1:{port}/round2")
        for _ in range(repeat):
            for name, one in (("Fetcher.fetch", fetch), ("httpx client.get", bare)):
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.gather(*(one(u, e) for u, e in zip(urls, etags)))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                print(f"{name:17s} {cpu / n * 1000:5.2f} ms CPU per request, {n / wall:5.0f} requests/s", flush=True)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    farm = start_farm(n, 18950)
    try:
        asyncio.run(measure(n, 18950, repeat))
    finally:
        farm.terminate()
        farm.wait()
