"""How the program logs: its own lines (a new event, a round's summary, failures) always; the
libraries' chatter (APScheduler's "Running job …", httpx's request lines) only with -v. One set-up
for every command and both database engines."""
from __future__ import annotations

import logging

LIBRARIES = ("apscheduler", "httpx", "httpcore", "alembic", "apprise", "asyncio", "urllib3")


def configure(verbose: bool = False, *, service: bool = False) -> None:
    """`service`: a long-running command (`monitor run`): time-stamped lines, and the program's
    INFO lines (new events, summaries) shown without -v. `verbose`: every library's INFO too."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if service else "%(levelname)s %(name)s: %(message)s"
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=fmt)
    else:
        for h in root.handlers:
            h.setFormatter(logging.Formatter(fmt))
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("monitor").setLevel(logging.INFO if (verbose or service) else logging.WARNING)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
