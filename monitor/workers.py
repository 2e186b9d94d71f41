"""Worker processes for the CPU-bound half of polling (monitor.analysis: parse + detect), so that
the daemon's event loop keeps fetching and storing while feeds are read on the other cores.

Each worker is `python -m monitor.workers`: it imports only the parse stage and the detector
(no database, no HTTP client) and answers length-prefixed pickled FeedJobs on stdin with
FeedResults on stdout, one at a time. The parent (AnalysisPool) hands a job to an idle worker;
a worker that dies or takes longer than `timeout` is replaced, and that one job fails (the
watcher backs off as for any unreadable feed) instead of taking the daemon down with it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import struct
import sys

from monitor.records import FeedJob, FeedResult

log = logging.getLogger(__name__)
_LEN = struct.Struct("!I")
JOB_TIMEOUT = 120.0


class WorkerError(RuntimeError):
    """A worker died or overran its time on a job."""


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @classmethod
    async def start(cls) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor.workers", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024)
        return cls(proc)

    async def run(self, job: FeedJob, timeout: float) -> FeedResult:
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(_LEN.pack(len(data)) + data)
        await self.proc.stdin.drain()
        async with asyncio.timeout(timeout):
            size = _LEN.unpack(await self.proc.stdout.readexactly(_LEN.size))[0]
            return pickle.loads(await self.proc.stdout.readexactly(size))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # it may have died (and been reaped) already
            self.proc.kill()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.kill()
                await self.proc.wait()


class AnalysisPool:
    """`size` worker processes; `await pool.analyse(job)` runs a job on the next idle one."""

    def __init__(self, size: int, *, timeout: float = JOB_TIMEOUT):
        self.size = size
        self.timeout = timeout
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()

    async def __aenter__(self) -> AnalysisPool:
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            w = await _Worker.start()
            self._workers.add(w)
            self._idle.put_nowait(w)
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(w.stop() for w in self._workers), return_exceptions=True)
        self._workers.clear()

    async def analyse(self, job: FeedJob) -> FeedResult:
        worker = await self._idle.get()
        try:
            result = await worker.run(job, self.timeout)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, BrokenPipeError, pickle.UnpicklingError) as e:
            log.error("analysis worker failed on %s (%s): starting a new one", job.url, type(e).__name__)
            worker.kill()
            await worker.proc.wait()
            self._workers.discard(worker)
            worker = await _Worker.start()
            self._workers.add(worker)
            return FeedResult(error=f"the analysis worker {'timed out' if isinstance(e, TimeoutError) else 'died'} on this body")
        except BaseException:  # cancelled mid-job: the worker's answer would be out of step
            worker.kill()
            self._workers.discard(worker)
            worker = await _Worker.start()
            self._workers.add(worker)
            raise
        finally:
            self._idle.put_nowait(worker)
        return result


class InlinePool:
    """The same interface without processes: analysis in a thread of this process."""

    async def __aenter__(self) -> InlinePool:
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    async def analyse(self, job: FeedJob) -> FeedResult:
        from monitor.analysis import analyse_feed  # here only: the pool's parent need not load the parsers

        return await asyncio.to_thread(analyse_feed, job)


def pool(size: int) -> AnalysisPool | InlinePool:
    """`size` worker processes; 0 analyses in this process."""
    return AnalysisPool(size) if size > 0 else InlinePool()


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2))


def serve() -> None:
    """A worker's loop: jobs on stdin, results on stdout, until stdin closes."""
    from monitor.analysis import analyse_feed

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which closes stdin
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    inp, out = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() of a library goes to stderr, not into the answers
    sys.stdout = sys.stderr
    while header := inp.read(_LEN.size):
        job: FeedJob = pickle.loads(inp.read(_LEN.unpack(header)[0]))
        try:
            result = analyse_feed(job)
        except Exception as e:  # a parser bug on one body answers with an error, the loop goes on
            log.exception("analysis failed for %s", job.url)
            result = FeedResult(error=f"could not be analysed ({type(e).__name__}: {e})")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_LEN.pack(len(data)) + data)
        out.flush()


if __name__ == "__main__":
    serve()
