"""What a worker process loads, and when: analyses every corpus feed (../shared/corpus/real-feeds,
every item new, in name order) as a worker does (monitor.analysis.analyse_feed, with pkg_resources
kept out as monitor.workers does) and prints, for each feed that made the process load a heavy
module or grow by 3 MB or more, the growth of peak RSS and the top-level modules it loaded.

Usage: .venv/bin/python bench/worker_modules.py [CORPUS_DIR]
"""
from __future__ import annotations

import resource
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from monitor.workers import without_pkg_resources  # noqa: E402

without_pkg_resources()
from monitor.analysis import analyse_feed  # noqa: E402
from monitor.records import FeedJob  # noqa: E402

HEAVY = ("jieba", "opencc", "pypinyin", "dateparser", "trafilatura", "pkg_resources")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(corpus: Path) -> None:
    print(f"after import: {peak_mb():.0f} MB")
    for path in sorted(p for p in corpus.iterdir() if p.suffix not in (".tsv", ".md")):
        before, mb = set(sys.modules), peak_mb()
        result = analyse_feed(FeedJob(path.name, f"http://127.0.0.1/{path.name}", path.read_bytes()))
        loaded = sorted({m.split(".")[0] for m in set(sys.modules) - before if not m.startswith("_")})
        heavy = [m for m in loaded if m in HEAVY]
        if heavy or peak_mb() - mb >= 3:
            print(f"{path.name}: {len(result.items)} candidates, +{peak_mb() - mb:.0f} MB -> {peak_mb():.0f} MB; "
                  f"loaded {', '.join(heavy) or 'nothing heavy'}")
    print(f"at the end: {peak_mb():.0f} MB; heavy modules loaded: "
          f"{', '.join(m for m in HEAVY if sys.modules.get(m) is not None) or 'none'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "corpus" / "real-feeds")
