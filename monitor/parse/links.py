"""Links: one canonical form per article URL (so the same article under two URLs counts once), and
a listing page's article links (a page watcher's `links:` CSS selector or `re:` URL pattern, else
the links whose path looks like an article's)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

MAX_LISTING_LINKS = 10_000  # links read from one listing page (a bigger one is cut, in page order)

# query parameters that say where a click came from, not which article it is
_TRACKING = re.compile(r"^(?:utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|igshid|"
                       r"spm|scm|ref|ref_src|ref_url|cmpid|ncid|ocid|s_cid|share|from|fromsource|wt\.mc_id|"
                       r"at_medium|at_campaign|cmp|smid|partner)$", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """`url` as an article's identity: scheme and host in lower case, no default port, no
    fragment, no tracking parameters (utm_*, fbclid, spm, ...), no trailing slash (except the
    root). Two links to the same article come out equal; the page is fetched at its own link."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal: left as written, less the fragment
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def is_web_url(url: str | None) -> bool:
    return bool(url) and re.match(r"https?://[^\s/?#]+", url, re.I) is not None


# ------------------------------------------------------------------ a listing page's article links
@dataclass(frozen=True)
class Link:
    url: str  # absolute, as the page has it (less the fragment): what is fetched
    key: str  # canonical_url(url): what identifies the article
    text: str  # the anchor's text: the headline when the article cannot be read


# path segments of navigation, not articles
_NAV = re.compile(r"^(?:tags?|category|categories|cat|topics?|section|sections|author|authors|user|users|people|"
                  r"profile|login|log-?in|signin|sign-?in|signup|sign-?up|register|logout|subscribe|subscription|"
                  r"account|search|about|about-us|contact|contact-us|privacy|privacy-policy|terms|tos|legal|help|"
                  r"faq|feed|feeds|rss|page|archive|archives|newsletter|newsletters|jobs|careers|advertise|shop|"
                  r"cart|video|videos|podcasts?|live|weather|index)$", re.I)
_NOT_PAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|ico|pdf|zip|gz|mp3|mp4|m4a|mov|avi|css|js|json|xml|rss|atom|txt)$", re.I)
_DATED = re.compile(r"/(?:19|20)\d\d(?:[/_-]?(?:0[1-9]|1[0-2]|[1-9])(?:[/_-]?(?:[0-2]?\d|3[01]))?)?(?:/|[_-]|$)|"
                    r"/(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])")
_NUMERIC_ID = re.compile(r"\d{5,}")
_WORDS = re.compile(r"[^\W_]+", re.U)


def _site(host: str) -> str:
    """The registrable part of a host, roughly: the last two labels, three under a ccTLD's
    second level (co.uk, com.cn, com.tw)."""
    host = host.lower()
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:.]+\]?", host):  # an address: only itself
        return host
    labels = host.removeprefix("www.").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def looks_like_article(url: str, listing: str) -> bool:
    """Whether a link found on the listing page `listing` looks like an article: on the same site,
    not navigation (tag, category, author, login, search, page N ...) nor a file, and a path
    with a date (/2026/02/10/, 20260210), a numeric id (5+ digits) or a long slug (4+ words)."""
    try:
        u, base = urlsplit(url), urlsplit(listing)
    except ValueError:
        return False
    if not u.hostname or not base.hostname or _site(u.hostname) != _site(base.hostname):
        return False
    path = u.path.rstrip("/")
    if not path or _NOT_PAGE.search(path) or canonical_url(url) == canonical_url(listing):
        return False
    segments = [s for s in path.split("/") if s]
    if any(_NAV.match(s) for s in segments[:2]) or re.search(r"(?:^|&)(?:page|p|paged)=\d", u.query):
        return False
    if _DATED.search(path) or _NUMERIC_ID.search(path):
        return True
    last = segments[-1] if segments else ""
    last = re.sub(r"\.(?:s?html?|php|aspx?)$", "", last)
    return len(_WORDS.findall(last)) >= 4 or (len(last) >= 30 and "-" in last)


def listing_links(html: str, base_url: str, rule: str | None = None) -> list[Link]:
    """The article links of a listing page, in page order, each article once (by canonical_url),
    at most MAX_LISTING_LINKS. `rule`: a CSS selector (of the links, or of elements holding them),
    or `re:REGEX` searched in each absolute link URL; None: looks_like_article."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for b in root.iterfind(".//base[@href]"):  # <base href> moves where relative links point
        base = urljoin(base_url, b.get("href").strip())
        break
    if rule and not rule.startswith("re:"):
        anchors = []
        for el in root.cssselect(rule):
            anchors += [el] if el.tag == "a" else el.iterfind(".//a[@href]")
    else:
        anchors = root.iterfind(".//a[@href]")
    pattern = re.compile(rule[3:]) if rule and rule.startswith("re:") else None
    out: list[Link] = []
    seen: set[str] = set()
    listing = canonical_url(base_url)
    for a in anchors:
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = urljoin(base, href).split("#", 1)[0]
        if not is_web_url(url):  # mailto:, javascript:, tel: ...
            continue
        key = canonical_url(url)
        if key in seen or key == listing:
            continue
        if pattern is not None and not pattern.search(url) or rule is None and not looks_like_article(url, base_url):
            continue
        seen.add(key)
        out.append(Link(url, key, " ".join(a.text_content().split())[:300]))
        if len(out) >= MAX_LISTING_LINKS:
            break
    return out


# ------------------------------------------------------------------ an article page's own URL
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _attrs(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or "") for m in _ATTR.finditer(tag)}


def canonical_link(html: str, page_url: str) -> str | None:
    """The page's own URL as it states it (<link rel=canonical>, else og:url), absolute; None when
    it states none, or one that cannot be this article: not http(s), or a site's home page named
    by an article page (a common misconfiguration that would make every article one)."""
    head = html[:200_000]
    found = None
    for tag in _LINK_TAG.findall(head):
        a = _attrs(tag)
        if "canonical" in a.get("rel", "").lower().split() and a.get("href", "").strip():
            found = a["href"].strip()
            break
    if found is None:
        for tag in _META_TAG.findall(head):
            a = _attrs(tag)
            if a.get("property", a.get("name", "")).lower() == "og:url" and a.get("content", "").strip():
                found = a["content"].strip()
                break
    if found is None:
        return None
    import html as _html

    url = urljoin(page_url, _html.unescape(found))
    if not is_web_url(url):
        return None
    if urlsplit(url).path.strip("/") == "" and urlsplit(page_url).path.strip("/") != "":
        return None
    return url
