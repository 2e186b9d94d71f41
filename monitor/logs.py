"""How the program logs: its own lines (a new event, a round's summary, failures) always; the
libraries' chatter (APScheduler's "Running job …", httpx's request lines) only with -v. One set-up
for every command and both database engines."""
from __future__ import annotations

import logging


def configure(verbose: bool = False, *, service: bool = False) -> None:
    """`service`: a long-running command (`monitor run`): time-stamped lines, and the program's
    INFO lines (new events, summaries) shown without -v. `verbose`: every library's INFO too."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if service else "%(levelname)s %(name)s: %(message)s"
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "monitor", False)]
    if not root.handlers:  # a host that set up logging itself (a test runner) keeps its handlers
        logging.basicConfig(format=fmt)
        ours = root.handlers[-1:]
        ours[0].monitor = True
    for h in ours:
        h.setFormatter(logging.Formatter(fmt))
    # the libraries' loggers keep no level of their own: they follow the root's (WARNING unless -v)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("monitor").setLevel(logging.INFO if service else logging.NOTSET)
