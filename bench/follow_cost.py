"""What following links to the article costs (monitor.follow), on the corpus's real feeds.

Every feed of ../shared/corpus/real-feeds (read in place) is analysed as a worker analyses a
feed's first poll (every item new), with the decision the daemon makes for `follow: candidates`
and `follow: always`; it counts the extra requests that would follow: one GET per followed link,
and one robots.txt per host (cached a day per worker process, so at most one per host and worker a
day). Nothing is fetched: the corpus has no saved page behind any of its feeds' links (checked
here too, against ../shared/corpus/html-pages by canonical URL).

    .venv/bin/python bench/follow_cost.py
"""
from __future__ import annotations

import gzip
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"

from monitor.analysis import analyse_feed  # noqa: E402
from monitor.parse.links import canonical_link, canonical_url  # noqa: E402
from monitor.records import FeedJob  # noqa: E402


def group(name: str) -> str:
    return "zh" if name.startswith("zh") else "en" if name.startswith(("en", "json")) else "other"


def main() -> None:
    feeds = sorted(p for p in (CORPUS / "real-feeds").iterdir() if p.name != "MANIFEST.tsv")
    saved = set()
    for page in (CORPUS / "html-pages").glob("*.html"):
        html = page.read_text("utf-8", errors="replace")
        if url := canonical_link(html, "https://saved.invalid/x"):
            saved.add(canonical_url(url))
    rows: dict[str, Counter] = {}
    t0 = time.process_time()
    for path in feeds:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)  # as a server sends it with Content-Encoding: gzip
        c = rows.setdefault(group(path.name), Counter())
        for mode in ("candidates", "always"):
            res = analyse_feed(FeedJob(path.stem, f"https://{path.stem}.invalid/feed", data, follow=mode))
            if res.error:
                c["unreadable feeds"] += mode == "candidates"
                continue
            hosts = {urlsplit(f.url).netloc for f in res.to_follow}
            if mode == "candidates":
                c["feeds"] += 1
                c["items"] += res.entries
                c["prefilter"] += res.candidates
                c["followed"] += len(res.to_follow)
                c["robots"] += len(hosts)
                c["saved pages"] += sum(f.key in saved for f in res.to_follow)
                c["with link"] += sum(1 for a, _ in res.items if a.url and re.match(r"https?://", a.url))
            else:
                c["always"] += len(res.to_follow)
                c["always robots"] += len(hosts)
    cpu = time.process_time() - t0
    total = sum(rows.values(), Counter())
    print(f"{len(feeds)} corpus feeds, analysed twice in {cpu:.1f} s CPU\n")
    print("| feeds | items | prefilter passes | followed (candidates) | + robots.txt | extra requests / 1,000 items "
          "| prefilter alone / 1,000 | follow: always / 1,000 | followed links with a saved page |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c in [*sorted(rows.items()), ("all", total)]:
        per = lambda n: f"{1000 * n / c['items']:.0f}" if c["items"] else "-"  # noqa: E731
        print(f"| {name} ({c['feeds']}) | {c['items']:,} | {c['prefilter']:,} | {c['followed']:,} | {c['robots']:,} | "
              f"{per(c['followed'] + c['robots'])} ({per(c['followed'])} pages + {per(c['robots'])} robots.txt) | "
              f"{per(c['prefilter'])} | {per(c['always'] + c['always robots'])} | {c['saved pages']} |")
    seeds()
    page_cpu()


def page_cpu() -> None:
    """CPU to read a followed page (main text, date, canonical URL, then detection), on the
    corpus's 16 saved article pages, 3 rounds after a warm-up."""
    import statistics

    from monitor.analysis import analyse_articles
    from monitor.parse.html import parse_article

    pages = [p.read_bytes() for p in sorted((CORPUS / "html-pages").glob("*.html"))]
    for page in pages[:2]:
        analyse_articles([parse_article(page, url="https://saved.invalid/a")])
    times = []
    for _ in range(3):
        for page in pages:
            t = time.process_time()
            art = parse_article(page, url="https://saved.invalid/a")
            analyse_articles([art] if art else [])
            times.append(time.process_time() - t)
    print(f"\nreading a page: {len(pages)} saved pages (mean {sum(map(len, pages)) / len(pages) / 1024:.0f} KB): "
          f"median {statistics.median(times) * 1000:.0f} ms CPU, mean {statistics.mean(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms")


def seeds() -> None:
    """No corpus feed links to a saved page, so recall cannot be measured on the corpus. The seed
    articles show what following buys: each read as a feed gives it (its title and first 200
    characters) and whole (what a followed page gives)."""
    from monitor.analysis import analyse_articles
    from monitor.records import Article

    print("\n| seed article | departures from title + 200 characters | departures from the whole article |")
    print("|---|---|---|")
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        title, _, body = path.read_text("utf-8").partition("\n")
        body = body.strip()
        short = analyse_articles([Article(title=title.strip(), text=body[:200])])[0][1]
        whole = analyse_articles([Article(title=title.strip(), text=body)])[0][1]
        show = lambda deps: f"{len(deps)}: " + ", ".join(f"{d.person} ({d.org})" for d in deps)  # noqa: E731
        print(f"| {path.name} | {show(short)} | {show(whole)} |")


if __name__ == "__main__":
    main()
