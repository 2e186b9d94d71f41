"""Items already in a watcher's previous body are dropped before parsing: the split into items
is exact on real feeds, and what remains parses to exactly the new items."""
from __future__ import annotations

import pytest

from monitor.parse.feeds import entry_digest, only_new_entries, parse_feed, split_entries
from tests.conftest import SHARED

REAL = SHARED / "corpus" / "real-feeds"


def real_feeds():
    if not REAL.exists():
        return []
    return sorted(p for p in REAL.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf"))


def key(a):
    return (a.title, a.url, a.external_id, a.text)


def test_a_new_item_is_all_that_is_parsed():
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<item><title>old</title><guid>1</guid></item>\n<item><title>older</title><guid>2</guid></item>"
            b"</channel></rss>")
    known = only_new_entries(feed, None).digests
    grown = feed.replace(b"<item>", b"<item><title>new</title><guid>3</guid></item><item>", 1)
    found = only_new_entries(grown, known)
    mini, digests = found.data, found.digests
    assert [a.title for a in parse_feed(mini, source="t")] == ["new"]
    assert len(digests) == 3 * len(entry_digest(b""))
    assert only_new_entries(grown, digests).data is None  # the same items again: nothing to parse


@pytest.mark.parametrize("body", [
    b"<rss><channel><item><title>a</title></item><junk/><item><title>b</title></item></channel></rss>",
    b"<rss><channel><item><title>a</title><description><![CDATA[<item>]]></description></item></channel></rss>",
    b"<rss><channel><item><title>never closed</title></channel></rss>",
    b"<html><body>no items at all</body></html>",
])
def test_an_unusual_layout_is_parsed_whole(body):
    assert split_entries(body) is None
    found = only_new_entries(body, b"\0" * 8)
    assert (found.data, found.digests) == (body, None)


@pytest.mark.parametrize("path", real_feeds(), ids=lambda p: p.name)
def test_real_feeds_split_exactly(path):
    """head + items + tail is the body, byte for byte; each item alone parses to what the full
    parse gives for it (an item the parser drops, such as one with neither title nor text,
    gives nothing either way); the first item new and the rest known, the reduced body parses to
    that item; every item known, nothing is parsed."""
    data = path.read_bytes()
    parts = split_entries(data)
    if parts is None:  # a layout the splitter does not know (a sitemap): parsed whole, as it is
        found = only_new_entries(data, b"\0" * 8)
        assert (found.data, found.digests) == (data, None)
        return
    head, chunks, tail = parts
    assert data.startswith(head) and data.endswith(tail) and all(c in data for c in chunks)
    full = parse_feed(data, source="t")
    one_by_one = [parse_feed(head + c + tail, source="t") for c in chunks]
    assert [key(a) for arts in one_by_one for a in arts] == [key(a) for a in full]
    assert all(len(arts) <= 1 for arts in one_by_one)
    digests = [entry_digest(c) for c in chunks]
    assert only_new_entries(data, b"".join(digests)).data is None
    mini = only_new_entries(data, b"".join(digests[1:])).data
    assert [key(a) for a in parse_feed(mini, source="t")] == [key(a) for a in one_by_one[0]]
