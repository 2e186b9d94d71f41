"""Links (monitor.parse.links): one canonical form per article, and a listing page's article links
by CSS selector, URL pattern or the article-like-path default. URLs and markup are made up."""
from __future__ import annotations

import pytest

from monitor.parse.links import canonical_link, canonical_url, listing_links, looks_like_article


@pytest.mark.parametrize("a, b", [
    ("https://News.Example.com/2026/02/13/ceo-quits/", "https://news.example.com/2026/02/13/ceo-quits"),
    ("https://example.com:443/a/12345?utm_source=rss&utm_medium=feed", "https://example.com/a/12345"),
    ("http://example.com:80/a/12345#comments", "http://example.com/a/12345"),
    ("https://example.com/a?id=7&fbclid=x&spm=a.b.c", "https://example.com/a?id=7"),
    ("https://example.com", "https://example.com/"),
    ("http://127.0.0.1:8080/x/", "http://127.0.0.1:8080/x"),
])
def test_canonical_url_counts_the_same_article_once(a, b):
    assert canonical_url(a) == canonical_url(b) == b


def test_canonical_url_keeps_what_names_the_article():
    assert canonical_url("https://example.com/a?id=7") != canonical_url("https://example.com/a?id=8")
    assert canonical_url("https://example.com/A") != canonical_url("https://example.com/a")  # paths are case-sensitive


@pytest.mark.parametrize("url, yes", [
    ("https://news.example.com/2026/02/13/ceo-quits", True),  # a dated path
    ("https://news.example.com/business/20260213/story.html", True),
    ("https://news.example.com/article/3046526/some-title", True),  # a numeric id
    ("https://www.example.com/news/tesla-head-of-ai-leaves-after-13-years", True),  # a long slug, www. of the site
    ("https://m.example.com/p/1234567", True),  # another host of the same site
    ("https://news.example.com/tag/ai", False),
    ("https://news.example.com/category/business/", False),
    ("https://news.example.com/author/jane-roe-reporter-at-large", False),
    ("https://news.example.com/login?next=/2026/02/13/x", False),
    ("https://news.example.com/page/2", False),
    ("https://news.example.com/2026/02/13/photo.jpg", False),
    ("https://news.example.com/about", False),
    ("https://other.example/2026/02/13/ceo-quits", False),  # another site
    ("https://news.example.com/", False),
])
def test_article_like_paths(url, yes):
    assert looks_like_article(url, "https://news.example.com/") is yes


LISTING = """<html><head><base href="https://news.example.com/world/"></head><body>
<nav><a href="/">Home</a><a href="/tag/ai">AI</a><a href="javascript:void(0)">menu</a></nav>
<ul class="stories">
  <li><h2><a href="2026/02/13/ceo-quits">CEO quits</a></h2><a href="/tag/ceo">ceo</a></li>
  <li><h2><a href="/world/2026/02/13/ceo-quits/?utm_source=home#top">CEO quits (again)</a></h2></li>
  <li><h2><a href="https://news.example.com/world/article/3046526">Minister resigns</a></h2></li>
</ul>
<aside><a href="/world/2026/02/12/older-story-about-markets">Older</a></aside>
</body></html>"""


def test_listing_links_default_css_and_pattern():
    base = "https://news.example.com/world/"
    default = listing_links(LISTING, base)
    assert [(l.key, l.text) for l in default] == [
        ("https://news.example.com/world/2026/02/13/ceo-quits", "CEO quits"),  # relative to <base href>, once
        ("https://news.example.com/world/article/3046526", "Minister resigns"),
        ("https://news.example.com/world/2026/02/12/older-story-about-markets", "Older"),
    ]
    assert [l.key for l in listing_links(LISTING, base, "ul.stories h2")] == [l.key for l in default[:2]]
    assert [l.key for l in listing_links(LISTING, base, "ul.stories h2 > a")] == [l.key for l in default[:2]]
    assert [l.key for l in listing_links(LISTING, base, r"re:/article/\d+")] == [default[1].key]
    assert listing_links("", base) == [] and listing_links("<html><body>no links</body></html>", base) == []


def test_canonical_link_of_a_page():
    page = '<html><head><link href="/2026/02/13/ceo-quits" rel="canonical"></head></html>'
    assert canonical_link(page, "https://news.example.com/x?utm_source=a") == "https://news.example.com/2026/02/13/ceo-quits"
    og = "<html><head><meta property='og:url' content='https://news.example.com/a/12345'></head></html>"
    assert canonical_link(og, "https://news.example.com/a/12345?ref=x") == "https://news.example.com/a/12345"
    home = '<html><head><link rel="canonical" href="https://news.example.com/"></head></html>'
    assert canonical_link(home, "https://news.example.com/a/12345") is None  # every article "is" the home page: ignored
    assert canonical_link("<html></html>", "https://news.example.com/a") is None
