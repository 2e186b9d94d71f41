"""Parse + detect, the CPU-bound half of the pipeline, with no database in it: bytes in, typed
records out. It runs wherever there is a free core: the daemon sends fetched feeds to worker
processes (they import only this, the parse stage and the detector), backfill calls it inline.

`analyse_feed` first drops the items the watcher's previous body already held (by digest, before
any parsing: a changed feed usually has 1-3 new items out of 50) and the new items without any
departure word in their raw text (which the detector could not report), then parses the rest and
classifies every article.
"""
from __future__ import annotations

from monitor.detect import classify
from monitor.parse import parse_document
from monitor.detect.literals import might_report
from monitor.parse.feeds import NewEntries, only_new_entries
from monitor.parse.lang import detect_language
from monitor.records import Analysed, Article, ArticlesJob, Document, FeedJob, FeedResult, FilingsJob


def analyse_articles(articles: list[Article]) -> Analysed:
    """Each article with the departures it reports (language detected from its text first)."""
    out = []
    for article in articles:
        found = detect_language(f"{article.title}\n{article.text[:4000]}")
        article.language = article.language or found
        out.append((article, classify(article, found)[2]))
    return out


def analyse_feed(job: FeedJob) -> FeedResult:
    """Parse the new items of `job.data` that could report a departure (a departure word in
    their raw text: monitor.detect.literals), and detect departures in them. The other new items
    are counted, never parsed nor stored."""
    if job.kind == "page":
        from monitor.follow import read_listing

        return read_listing(job)
    if job.data[:1024].lstrip()[:1] == b"<":  # follow: always reads every new item, to follow its link
        found = only_new_entries(job.data, job.known, None if job.follow == "always" else might_report, job.content_type)
    else:
        found = NewEntries(job.data, None)
    data, digests = found.data, found.digests
    if data is None:
        return FeedResult(digests=digests, entries=found.new or 0, candidates=0)
    doc = Document(name=job.url, data=data, content_type=job.content_type, url=job.url, headers=job.headers)
    parsed = parse_document(doc, tz=job.tz)
    articles = [a for a in parsed if isinstance(a, Article)]
    if not articles and parsed:
        return FeedResult(error=parsed[0].reason)
    for art in articles:
        if art.url is None and len(articles) == 1:
            art.url = job.final_url or job.url  # a page is its own link
        art.source = job.watcher
    items = analyse_articles(articles)
    to_follow = []
    if job.follow != "never":  # which items to read whole, decided on their text before it goes
        from monitor.follow import links_to_follow

        to_follow = links_to_follow(items, job)
    for art, _ in items:  # the store keeps no article body: hash it here, send the rest without it
        art.content_hash  # noqa: B018 - computed (and cached on the article) before the text goes
        art.text = ""
    return FeedResult(items=items, entries=len(articles) if found.new is None else found.new,
                      candidates=len(articles), digests=digests, to_follow=to_follow)


def analyse_pages(job: ArticlesJob) -> FeedResult:
    """Read the article pages a watcher followed (monitor.follow) and detect departures in them:
    each page read replaces the feed item it was linked from (the feed's title, the page's main
    text, date and canonical URL), or is a new article of a listing page. A page that cannot be
    read leaves the feed's summary in place (a listing's link: its headline), counted and said."""
    from monitor.follow import read_pages

    return read_pages(job, analyse_articles)


def analyse_filings(job: FilingsJob) -> FeedResult:
    """The departures of SEC filings' Item 5.02 texts (monitor.sources.sec). A filing speaks of
    its own directors and officers, so the filer is every departure's organisation; the day it
    takes effect ("effective April 17, 2023") is its date when the sentence gives one."""
    from monitor.sources.sec import effective_date

    items = analyse_articles([article for article, _ in job.articles])
    for (article, deps), (_, company) in zip(items, job.articles):
        for dep in deps:
            dep.org = company
            dep.date = effective_date(dep.evidence) or dep.date
        article.content_hash  # noqa: B018 - computed before the text goes (the store keeps none)
        article.text = ""
    return FeedResult(items=items, entries=job.entries, candidates=job.candidates, digests=job.digests)
