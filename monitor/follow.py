"""Reading the whole story: a feed item's link followed to the article, and a page watcher's
listing read for new article links — in the process that fetched the feed or listing (a worker),
so that article bodies never travel to the database's process.

Which feed items are followed (`follow:` per watcher): `candidates` (the default) — a new item
whose title or summary holds a departure trigger (the detector's own patterns, after the feed
prefilter's words) and whose feed text is not already the article (under FULL_TEXT_CHARS);
`always` — every new item; `never`. A page watcher reads every new link of its listing.

Each link: robots.txt asked first (monitor.sources.robots), then fetched with the watcher's
Fetcher (per-host limits, timeouts, the size cap, redirects), at most MAX_PER_POLL a poll, all
within BUDGET seconds, CHUNK at a time (fetched, then read: memory stays bounded); its main text,
date and canonical URL read by
monitor.analysis.analyse_pages. A page that cannot be read leaves the feed's summary (a listing
link: its headline) in place, counted on the watcher's health. A link once followed is not
fetched again: its canonical form's digest is kept with the watcher (`link_digests`).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

from monitor.records import Analysed, Article, ArticlesJob, FeedJob, FeedResult, Follow

log = logging.getLogger(__name__)
MAX_PER_POLL = 50  # links fetched per poll; a listing's others wait for the next poll
CHUNK = 10  # pages fetched, then read, at a time (at most CHUNK × the 10 MB cap in hand)
BUDGET = 120.0  # seconds for all of a poll's article fetches; what is not done by then waits too
FULL_TEXT_CHARS = 2000  # a feed item with this much text carries the article: not followed
MIN_PAGE_CHARS = 80  # a page whose main text is shorter is not the article (a login wall, a stub)
MAX_FEED_LINKS = 1000  # followed links a feed watcher remembers (the newest)
DIGEST_SIZE = 8
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def link_digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=DIGEST_SIZE).digest()


def _split(blob: bytes | None) -> list[bytes]:
    return [blob[i:i + DIGEST_SIZE] for i in range(0, len(blob or b""), DIGEST_SIZE)]


# ------------------------------------------------------------------ what to follow (CPU, in analysis)
def has_trigger(text: str) -> bool:
    """Whether a departure trigger of the detector matches `text` (not merely one of its words:
    "down" alone is no "stepped down")."""
    from monitor.detect.patterns import load_rules

    if any(t.regex.search(text) for t in load_rules("en").candidates(text)):
        return True
    if _HAN.search(text):
        from monitor.parse.lang import fold_width, to_simplified

        norm = fold_width(to_simplified(text))
        return any(t.regex.search(norm) for t in load_rules("zh").candidates(norm))
    return False


def links_to_follow(items: Analysed, job: FeedJob) -> list[Follow]:
    """The new feed items whose link is to be read whole (see the module's docstring), each link
    once, none followed before."""
    from monitor.parse.links import canonical_url, is_web_url

    known = set(_split(job.known_links))
    here = job.final_url or job.url
    out, keys = [], set()
    for i, (art, _) in enumerate(items):
        if not art.url or art.url in (job.url, job.final_url):  # a page that is its own article
            continue
        url = art.url if is_web_url(art.url) else urljoin(here, art.url)
        if not is_web_url(url):
            continue
        if job.follow == "candidates" and (len(art.text) >= FULL_TEXT_CHARS or not has_trigger(f"{art.title}\n{art.text}")):
            continue
        key = canonical_url(url)
        if key in keys or link_digest(key) in known:
            continue
        keys.add(key)
        out.append(Follow(i, url, key, art.title, len(art.text)))
    return out


def read_listing(job: FeedJob) -> FeedResult:
    """A page watcher's listing -> the new article links to read (up to MAX_PER_POLL, in page
    order; `more` when others wait), and the digests of the links read before that are still
    listed (a link that left the listing is forgotten)."""
    from monitor.parse.links import listing_links
    from monitor.parse.text import decode_html

    links = listing_links(decode_html(job.data, job.content_type), job.final_url or job.url, job.links)
    if not links:
        return FeedResult(error="no article links found on the listing page" + (
            f" (links: {job.links})" if job.links else " (a links: CSS selector or re: pattern says which)"))
    listed = {link_digest(l.key) for l in links}
    known = [d for d in _split(job.known_links) if d in listed]
    known_set = set(known)
    new = [l for l in links if link_digest(l.key) not in known_set]
    follow = [Follow(None, l.url, l.key, l.text) for l in new[:MAX_PER_POLL]]
    return FeedResult(links=b"".join(known), to_follow=follow, more=len(new) > MAX_PER_POLL, digests=b"")


# ------------------------------------------------------------------ fetching (async, where the feed was fetched)
async def listing_refusal(fetcher, url: str) -> str | None:
    """Why a page watcher's listing may not be fetched (robots.txt), or None."""
    from monitor.sources.robots import Robots

    ok, why = await Robots.of(fetcher).allowed(url)
    return None if ok else why


async def fetch_pages(fetcher, follows: list[Follow], budget: float = BUDGET) -> tuple[list[tuple[Follow, object]], list[Follow]]:
    """Fetch each link robots.txt allows, all within `budget` seconds: (each link tried, with its
    FetchResult — a refusal as its error), (the links not done in time)."""
    from monitor.sources.http import FetchResult
    from monitor.sources.robots import Robots

    robots = Robots.of(fetcher)

    async def one(f: Follow) -> FetchResult:
        try:
            ok, why = await robots.allowed(f.url)
            if not ok:
                return FetchResult(f.url, error=why)
            return await fetcher.fetch(f.url)
        except Exception as e:  # a link httpx refuses (a bad port, a bad host name): that link fails
            return FetchResult(f.url, error=f"could not be fetched ({type(e).__name__}: {e})"[:500])

    if not follows:
        return [], []
    tasks = [asyncio.ensure_future(one(f)) for f in follows]
    await asyncio.wait(tasks, timeout=budget)
    done, late = [], []
    for f, t in zip(follows, tasks):
        if t.done() and not t.cancelled() and t.exception() is None:
            done.append((f, t.result()))
        else:
            t.cancel()
            late.append(f)
    await asyncio.gather(*tasks, return_exceptions=True)
    return done, late


async def read_whole(fetcher, job: FeedJob, result: FeedResult, analyse_body) -> FeedResult:
    """Follow `result.to_follow` (a feed's candidate items, a listing's new links) and read the
    pages with `analyse_body` (monitor.analysis.analyse_pages, where this process runs analysis):
    the result with the pages in place of the summaries, the watcher's link digests updated."""
    follows, over = result.to_follow[:MAX_PER_POLL], result.to_follow[MAX_PER_POLL:]
    if over:
        log.info("%s: %d more items to follow than the %d a poll follows: read from the feed's summary",
                 job.watcher, len(over), MAX_PER_POLL)
    loop = asyncio.get_running_loop()
    deadline, late, known = loop.time() + BUDGET, [], job.known_links
    for start in range(0, len(follows), CHUNK):  # CHUNK pages in hand at a time: memory stays bounded
        chunk = follows[start:start + CHUNK]
        if (left := deadline - loop.time()) <= 0:
            late += chunk
            continue
        done, missed = await fetch_pages(fetcher, chunk, left)
        late += missed
        if done:
            result = await analyse_body(ArticlesJob(job.watcher, job.url, result, done, job.tz, job.kind, known))
            known = result.links
    if late:
        log.warning("%s: %d of %d article pages not fetched within %.0f s: %s", job.watcher, len(late), len(follows),
                    BUDGET, "left for the next poll" if job.kind == "page" else "read from the feed's summary")
    result.to_follow = []
    if job.kind == "page":
        result.more = result.more or bool(late)
    return result


# ------------------------------------------------------------------ reading the pages (CPU, in analysis)
def _when(page: datetime | None, feed: datetime | None) -> datetime | None:
    """The article's date: the page's, but the feed's when they agree within a day (the feed's
    has the time of day; a page's is often only the day)."""
    if page is None or feed is not None and abs(page - feed) <= timedelta(days=1):
        return feed
    return page


def _page_article(f: Follow, res, job: ArticlesJob) -> tuple[Article | None, str]:
    """The article a fetched page holds, or None and why it could not be read."""
    from monitor.parse.html import parse_article

    if res.error:
        return None, res.error
    if res.body is None:
        return None, f"no body (HTTP {res.status})"
    ctype = (res.headers.get("content-type") or "").lower()
    if ctype and "html" not in ctype and "xml" not in ctype and not ctype.startswith("text/"):
        return None, f"not an HTML page ({ctype.split(';')[0]})"
    try:
        art = parse_article(res.body, url=res.final_url or f.url, content_type=ctype or None, source=job.watcher)
    except Exception as e:  # a parser bug on one page: that page falls back, the others are read
        log.exception("could not read %s", f.url)
        return None, f"could not be read ({type(e).__name__}: {e})"
    if art is None:
        return None, "no main text on the page (a login or consent wall, or not an article)"
    if len(art.text) < max(MIN_PAGE_CHARS, f.summary_chars):
        return None, (f"too little main text on the page ({len(art.text)} characters; the feed's summary has "
                      f"{f.summary_chars}): a login or consent wall, or not an article")
    return art, ""


def read_pages(job: ArticlesJob, analyse_articles) -> FeedResult:
    """monitor.analysis.analyse_pages: see there."""
    from monitor.parse.links import canonical_url

    result = job.result
    replaced: dict[int, Article] = {}
    listed: dict[str, Article] = {}  # a listing's articles by canonical URL: two links to one article, one article
    canonical: list[str] = []
    for f, res in job.pages:
        art, why = _page_article(f, res, job)
        res.body = None  # read: the bytes go now
        if art is None:
            result.fallbacks += 1
            result.follow_error = f"{f.url}: {why}"[:1000]
            if f.index is None and f.title:  # a listing's link: its headline is all there is
                listed.setdefault(f.key, Article(title=f.title, text="", url=f.url, external_id=f.key, source=job.watcher))
            continue
        result.followed += 1
        key = canonical_url(art.url)
        canonical.append(key)
        if f.index is not None:
            feed_art = result.items[f.index][0]
            art.title = feed_art.title or art.title
            art.external_id = feed_art.external_id or feed_art.url
            art.published = _when(art.published, feed_art.published)
            replaced[f.index] = art
        else:
            art.title = art.title or f.title
            art.external_id = key
            listed.setdefault(key, art)
    fresh = analyse_articles(list(replaced.values()) + list(listed.values()))
    for art, _ in fresh:
        art.content_hash  # noqa: B018 - computed before the text goes (the store keeps none)
        art.text = ""
    items = list(result.items)
    for i, item in zip(replaced, fresh):
        items[i] = item
    items += fresh[len(replaced):]
    tried = [link_digest(f.key) for f, _ in job.pages] + [link_digest(k) for k in canonical]
    if job.kind == "page":  # the links still listed that were read before, and those tried now
        links = b"".join(dict.fromkeys(_split(result.links) + tried))
        entries = candidates = result.entries + len(job.pages)  # every new link tried is an item seen and read
    else:  # the newest first, then the older ones, up to MAX_FEED_LINKS
        links = b"".join(list(dict.fromkeys(tried + _split(job.known_links)))[:MAX_FEED_LINKS])
        entries, candidates = result.entries, result.candidates
    return FeedResult(items=items, entries=entries, candidates=candidates, digests=result.digests, links=links,
                      followed=result.followed, fallbacks=result.fallbacks, follow_error=result.follow_error,
                      more=result.more)
