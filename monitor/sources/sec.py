"""SEC EDGAR 8-K filings -> the Item 5.02 text of each new filing, as Articles (kind: sec-8k).

One poll: EDGAR's Atom list of the latest filings (the watcher's `url`) -> the new 8-K filings
whose items include 5.02 ("Departure of Directors or Certain Officers ...", listed in each entry's
summary; the filing's index page says when the list does not) -> each filing's index page -> its
main document (else the complete submission text file) -> the Item 5.02 section, from "Item 5.02"
to the next "Item N.NN" or the signature -> an Article; and one for each exhibit the section
points to (a press release EX-99, a director's letter EX-17), a few per filing at most. The
departures are read from them downstream (monitor.analysis.analyse_filings) by the project's
detector, with the filer as their organisation.

EDGAR's fair-access rules are kept: every request goes through the project's Fetcher (its
per-host pause, 0.1 s for www.sec.gov by default, keeps under 10 requests a second; its size cap
and deadlines bound every document) and carries the User-Agent the user declared (a name and a
contact e-mail; without one nothing is asked). A filing is read once: the digests of the
accession numbers read travel with the watcher's state (as feed item digests do) and each article
carries its accession number as its entry id (the store's seen mark). A filing that cannot be
read for good (no main document, no Item 5.02 section, a document over the size cap, a 404) is
logged and not tried again; one that failed for now (a timeout, a 5xx, a 429) is read on the next
poll, as are the filings past this poll's share (MAX_FILINGS, POLL_BUDGET).
"""
from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from urllib.parse import urljoin

from monitor.records import Article, FilingsJob
from monitor.sources.http import FetchResult

log = logging.getLogger(__name__)

DIGEST_SIZE = 8  # bytes of an accession number's digest (as parse.feeds keeps feed items)
MAX_DIGESTS = 2000
MAX_FILINGS = 40  # filings read in one poll; the rest on the next
MAX_EXHIBITS = 2  # exhibits followed per filing
POLL_BUDGET = 60.0  # seconds of reading per poll: a worker's job must end well within its time
AT_ONCE = 2  # filings read side by side (the Fetcher's per-host limit applies on top)
MAX_SECTION_CHARS = 100_000
MAX_EXHIBIT_CHARS = 30_000  # a press release says who leaves at its top; the rest is boilerplate
TICKERS_TTL = 86_400.0  # seconds a ticker -> CIK table is kept

NO_AGENT = ("no User-Agent for EDGAR: set sec_user_agent: in watchers.yaml (or MONITOR_SEC_USER_AGENT) to your "
            "name and a contact e-mail, e.g. \"Jane Doe jane.doe@example.com\"")
FORBIDDEN = ("HTTP 403: EDGAR refused the request. It refuses clients that do not say who they are or ask too "
             "fast: set sec_user_agent: in watchers.yaml (or MONITOR_SEC_USER_AGENT) to your name and a contact "
             "e-mail, e.g. \"Jane Doe jane.doe@example.com\" (sent: {agent!r}), and keep www.sec.gov at 10 "
             "requests a second or fewer (hosts:)")

_ATOM = "{http://www.w3.org/2005/Atom}"
_TITLE = re.compile(r"^\s*(?P<form>[^\s].*?)\s+-\s+(?P<name>.+?)\s+\((?P<cik>\d{4,10})\)\s*(?:\((?P<role>[^)]*)\))?\s*$")
_ACCESSION = re.compile(r"\b(\d{10}-\d{2}-\d{6})\b")
_ITEM_NO = re.compile(r"\bItem\s+(\d{1,2}\.\d{2})", re.I)
_ITEM = re.compile(r"\bItem\s*(\d{1,2})\s*\.\s*(\d{2})", re.I)
_SIGNATURE = re.compile(r"^\s*signatures?\s*(?:$|pursuant\b)", re.I | re.M)
# the item's own heading ("Departure of Directors or Certain Officers; Election of Directors; ...")
_HEADING = re.compile(r"[\s.:\-–—]*(?:\([a-f]\)\s*)?(?:Departure|Election|Appointment|Compensatory)"
                      r"(?:[A-Za-z ,;:\n]{0,100}?Officers\b\.?)+", re.I)
_EXHIBIT_REF = re.compile(r"\bExhibits?\s+(99|17)(?:\.(\d{1,2}))?", re.I)
_EXHIBIT_TYPE = re.compile(r"^EX-(99|17)(?:\.(\d{1,2}))?", re.I)
_MONTH = "|".join(m for m in calendar.month_name if m)
_EFFECTIVE = re.compile(r"\beffective(?:\s+as\s+of)?(?:\s+(?:the\s+)?close\s+of\s+business)?(?:\s+on)?,?\s+"
                        rf"((?:{_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})", re.I)
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "center",
           "blockquote", "pre", "dt", "dd")
_KEEP_UPPER = {"LLC", "LP", "LLP", "PLC", "NV", "SA", "AG", "SE", "USA", "US", "UK", "II", "III", "IV", "REIT", "ETF",
               "N.V.", "L.P.", "S.A.", "AB", "ASA", "BDC", "AI", "SPAC", "ADR", "N.A."}


class ListError(ValueError):
    """The body is not an EDGAR list of filings."""


@dataclass
class Entry:
    """One filing in EDGAR's list (entries of one filing, e.g. co-registrants, are merged)."""

    accession: str
    form: str
    company: str  # as the list writes it, e.g. "TESLA, INC."
    index_url: str
    ciks: set[str] = field(default_factory=set)  # without leading zeros
    items: list[str] | None = None  # e.g. ["5.02", "9.01"]; None when the list does not say
    filed: datetime | None = None


@dataclass
class Document:
    """A row of a filing's index (or a document of its complete submission text file)."""

    type: str  # 8-K, EX-99.1, GRAPHIC, ...
    url: str
    description: str = ""
    data: bytes | None = None  # in hand already (from the complete submission text file)


@dataclass
class Index:
    company: str | None = None
    items: list[str] | None = None
    documents: list[Document] = field(default_factory=list)
    submission_url: str | None = None  # the complete submission text file

    def main(self, form: str) -> Document | None:
        """The filing's primary document: the first row of its own form (8-K, 8-K/A) in a format we read."""
        form = form.upper()
        for doc in self.documents:
            if doc.type.upper() in (form, form.split("/")[0]) and re.search(r"\.(?:htm|html|txt)$", doc.url, re.I):
                return doc
        return None


@dataclass
class Polled:
    """What one poll of an EDGAR list gave."""

    fetch: FetchResult  # the list's fetch, without its body
    digest: str | None = None  # the list body's sha256; None: read it again next time (filings wait)
    job: FilingsJob | None = None  # the new filings' texts to analyse; None: nothing new
    error: str | None = None  # the body is not a list of filings


@dataclass
class _Read:
    articles: list[tuple[Article, str]] = field(default_factory=list)
    read: bool = False  # its documents were read (it counts as a candidate)
    retry: bool = False  # failed for now: read it on the next poll


def accession_digest(accession: str) -> bytes:
    return hashlib.blake2b(accession.encode(), digest_size=DIGEST_SIZE).digest()


# ------------------------------------------------------------------ parsing (no I/O)
def _xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def parse_list(data: bytes, url: str) -> list[Entry]:
    """EDGAR's Atom list of filings (browse-edgar?action=getcurrent / getcompany ... output=atom)
    -> its filings in list order, an accession number once. Relative links resolve against `url`."""
    root = _xml(data)
    if root is None or not isinstance(root.tag, str) or root.tag != f"{_ATOM}feed":
        raise ListError("not an EDGAR Atom list of filings (no Atom <feed>): check the watcher's url")
    out: dict[str, Entry] = {}
    for node in root.iter(f"{_ATOM}entry"):
        title = (node.findtext(f"{_ATOM}title") or "").strip()
        summary = html.unescape(node.findtext(f"{_ATOM}summary") or "")
        link = next((a.get("href") for a in node.iter(f"{_ATOM}link") if a.get("href")), None)
        category = next((c.get("term") for c in node.iter(f"{_ATOM}category") if c.get("term")), None)
        m = _ACCESSION.search(node.findtext(f"{_ATOM}id") or "") or _ACCESSION.search(summary) or \
            _ACCESSION.search(link or "")
        t = _TITLE.match(title)
        if not m or not link:
            continue
        form = (category or (t.group("form") if t else "")).strip()
        entry = out.get(m.group(1))
        if entry is None:
            items = _ITEM_NO.findall(summary)
            updated = (node.findtext(f"{_ATOM}updated") or "").strip()
            try:
                filed = datetime.fromisoformat(updated).astimezone(timezone.utc) if updated else None
            except ValueError:
                filed = None
            entry = out[m.group(1)] = Entry(m.group(1), form, t.group("name") if t else title, urljoin(url, link),
                                            items=items or None, filed=filed)
        if t:
            entry.ciks.add(str(int(t.group("cik"))))
    return list(out.values())


def parse_index(data: bytes, url: str) -> Index:
    """A filing's index page (…/ACCESSION-index.htm): the filer, the items, the documents."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(data)
    except Exception:  # lxml's ParserError on an empty or unreadable page
        return Index()
    index = Index()
    for head in root.xpath('//div[@class="infoHead"]'):
        if head.text_content().strip() == "Items":
            info = head.getnext()
            index.items = _ITEM_NO.findall(info.text_content()) if info is not None else None
    name = root.xpath('//span[@class="companyName"]')
    if name:
        index.company = name[0].text_content().split("CIK")[0]
    for table in root.xpath('//table[@class="tableFile"]'):
        for row in table.xpath(".//tr"):
            cells = row.xpath("./td")
            links = row.xpath(".//a[@href]")
            if len(cells) < 4 or not links:
                continue
            href = links[0].get("href")
            href = href.split("/ix?doc=", 1)[-1] if "/ix?doc=" in href else href  # the inline XBRL viewer
            doc = Document(cells[3].text_content().strip(), urljoin(url, href), cells[1].text_content().strip())
            if doc.description.lower().startswith("complete submission text file"):
                index.submission_url = doc.url
            elif doc.type:
                index.documents.append(doc)
    return index


def parse_submission(data: bytes, url: str) -> Index:
    """The complete submission text file (SGML: a header, then <DOCUMENT>s with <TYPE> and <TEXT>)."""
    head = data[:20_000].decode("latin-1")
    index = Index()
    if m := re.search(r"COMPANY CONFORMED NAME:\s*([^\n]+)", head):
        index.company = m.group(1).strip()
    items = re.findall(r"ITEM INFORMATION:\s*([^\n]+)", head)
    if items:  # older headers name the items instead of numbering them
        index.items = ["5.02" if re.search(r"Departure of Directors", i, re.I) else i.strip() for i in items]
    for block in re.finditer(rb"<DOCUMENT>(.*?)</DOCUMENT>", data, re.S):
        doc = block.group(1)
        typ = re.search(rb"<TYPE>([^\n<]*)", doc)
        name = re.search(rb"<FILENAME>([^\n<]*)", doc)
        text = re.search(rb"<TEXT>(.*?)</TEXT>", doc, re.S)
        if typ and text:
            index.documents.append(Document(typ.group(1).decode("latin-1").strip(),
                                            urljoin(url, name.group(1).decode("latin-1").strip()) if name else url,
                                            data=text.group(1)))
    return index


def is_submission(data: bytes) -> bool:
    head = data[:4096]
    return b"<SEC-DOCUMENT>" in head or b"<SEC-HEADER>" in head or head.lstrip().startswith(b"<DOCUMENT>")


def filing_text(data: bytes) -> str:
    """A filing's HTML (or plain text) -> text, a line per block. Unlike a feed summary, a filing
    wraps its source lines anywhere (inside names and sentences), so every run of whitespace in
    the markup is one space and only the blocks make lines; table cells stay on their row."""
    sample = data[:2048].lstrip().lower()
    if not re.search(rb"<(?:html|body|p|div|table|font|br|xbrl)\b", data[:200_000], re.I) and not sample.startswith(b"<?xml"):
        text = _decode(data)
        text = re.sub(r"<[/]?(?:PAGE|S|C|FN|F\d+|TABLE|CAPTION)>", " ", text, flags=re.I)
        paras = re.split(r"\n\s*\n", text.replace("\r", ""))
        return "\n".join(" ".join(p.split()) for p in paras if p.strip())
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(data)
    except Exception:  # nothing parseable
        return ""
    etree.strip_elements(root, "script", "style", "head", "title", etree.Comment, etree.ProcessingInstruction,
                         with_tail=False)
    hidden = [el for el in root.iter() if isinstance(el.tag, str) and (el.tag.lower() == "ix:header" or re.search(
        r"display\s*:\s*none", el.get("style") or "", re.I))]  # inline XBRL's hidden facts
    for el in hidden:
        if el.getparent() is not None:
            el.drop_tree()
    for el in root.iter():
        if el.text:
            el.text = re.sub(r"\s+", " ", el.text)
        if el.tail:
            el.tail = re.sub(r"\s+", " ", el.tail)
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
    for el in root.iter("td", "th"):
        el.tail = " " + (el.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().replace("\xa0", " ").split("\n"))
    return "\n".join(line for line in lines if line)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1252", "replace")


def item_502(text: str) -> str | None:
    """The Item 5.02 section of a filing's text, without its heading: from "Item 5.02" to the next
    "Item N.NN" or the signature. Of several (a table of contents), the longest. None: there is none."""
    best = None
    for m in _ITEM.finditer(text):
        if (m.group(1), m.group(2)) != ("5", "02"):
            continue
        nxt = next((n for n in _ITEM.finditer(text, m.end()) if (n.group(1), n.group(2)) != ("5", "02")), None)
        end = nxt.start() if nxt else len(text)
        if sig := _SIGNATURE.search(text, m.end(), end):
            end = sig.start()
        body = text[m.end():end]
        body = body[h.end():] if (h := _HEADING.match(body)) else body
        body = body.strip(" .:\n")
        if best is None or len(body) > len(best):
            best = body
    return best[:MAX_SECTION_CHARS] if best else None


def exhibits_to_follow(section: str, documents: list[Document]) -> list[Document]:
    """The exhibits the 5.02 text points to (Exhibit 99.1, Exhibit 17, "the press release"): press
    releases (EX-99) and directors' letters (EX-17), the ones named first, MAX_EXHIBITS at most."""
    named = {(m.group(1), m.group(2) or "1") for m in _EXHIBIT_REF.finditer(section)}
    if not named and not re.search(r"press release|letter", section, re.I):
        return []
    out = []
    for doc in documents:
        m = _EXHIBIT_TYPE.match(doc.type)
        if not m or not (doc.data is not None or re.search(r"\.(?:htm|html|txt)$", doc.url, re.I)):
            continue
        out.append((((m.group(1), m.group(2) or "1") not in named), doc))
    return [doc for _, doc in sorted(out, key=lambda x: x[0])][:MAX_EXHIBITS]


def company_name(raw: str) -> str:
    """A filer's name for people: "TESLA, INC. (0001318605) (Filer)" -> "Tesla, Inc."; a name in
    mixed case stays as written; EDGAR's state marks ("/MO/") go."""
    name = re.sub(r"\((?:\d{4,10}|Filer|Subject|Filed by|Issuer|Reporting)\)", " ", raw)
    name = re.sub(r"\s*/[A-Z]{2,3}/?\s*$", "", " ".join(name.split()))
    if name == name.upper() and re.search(r"[A-Z]{2}", name):
        name = " ".join(w if w.strip(",") in _KEEP_UPPER or re.search(r"\d", w) else
                        "-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")) for w in name.split())
    return name.strip(" ,")


def cover_name(text: str) -> str | None:
    """The registrant's name as its 8-K's cover page writes it ("JPMorgan Chase & Co.", above
    "(Exact name of registrant as specified in its charter)"), when written in mixed case."""
    m = re.search(r"([^\n]{2,150})\n\s*\(?exact name of (?:the )?registrant", text[:30_000], re.I)
    name = " ".join(m.group(1).split()).strip(" ,") if m else ""
    return name if name and name != name.upper() and not re.search(r"\d{4}|:", name) else None


def effective_date(sentence: str) -> date | None:
    """The day a departure takes effect, as a filing writes it: "effective March 31, 2025",
    "effective as of the close of business on April 17, 2023". None: the sentence gives none
    ("effective immediately" is the day of the filing's event)."""
    from monitor.parse.dates import date_in_text

    m = _EFFECTIVE.search(sentence)
    return date_in_text(m.group(1), "en", None) if m else None


# ------------------------------------------------------------------ reading (I/O through the Fetcher)
_TICKERS: dict[str, tuple[float, dict[str, str]]] = {}  # table URL -> (when read, ticker -> CIK)


async def _get(fetcher, url: str, agent: str) -> FetchResult:
    res = await fetcher.fetch(url, headers={"User-Agent": agent})
    if res.status == 403:
        res.error = FORBIDDEN.format(agent=agent)
    return res


def _for_good(res: FetchResult) -> bool:
    """A failure that another try will not mend: gone, or over the size cap."""
    return res.status in (404, 410) or "too large" in (res.error or "")


async def ciks_of(fetcher, tickers: list[str], list_url: str, agent: str) -> set[str]:
    """The CIK numbers of ticker symbols, from EDGAR's company_tickers.json (read once a day)."""
    url = urljoin(list_url, "/files/company_tickers.json")
    cached = _TICKERS.get(url)
    if cached is None or time.monotonic() - cached[0] > TICKERS_TTL:
        res = await _get(fetcher, url, agent)
        if res.body is None:
            raise ListError(f"could not read EDGAR's ticker list {url} ({res.error or res.status}) to find the "
                            f"CIKs of {', '.join(tickers)}; ciks: needs no list")
        try:
            rows = json.loads(res.body).values()
            table = {str(r["ticker"]).upper(): str(int(r["cik_str"])) for r in rows}
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise ListError(f"EDGAR's ticker list {url} is not what it should be ({type(e).__name__})") from None
        _TICKERS[url] = cached = (time.monotonic(), table)
    unknown = [t for t in tickers if t not in cached[1]]
    if unknown:
        log.warning("EDGAR knows no ticker %s", ", ".join(unknown))
    return {cached[1][t] for t in tickers if t in cached[1]}


async def poll(fetcher, job) -> Polled:
    """Read the new Item 5.02 filings of an EDGAR list. `job`: a monitor.workers.PollJob (url,
    validators, the last body's sha256 and the accession digests read before, the User-Agent,
    ciks and tickers)."""
    agent = getattr(job, "user_agent", None)
    if not agent:
        return Polled(FetchResult(job.url, error=NO_AGENT))
    res = await fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified, headers={"User-Agent": agent})
    if res.status == 403:
        res.error = FORBIDDEN.format(agent=agent)
    if res.body is None:
        return Polled(res)
    body, res.body = res.body, None
    digest = hashlib.sha256(body).hexdigest()
    if digest == job.body_hash:
        return Polled(res, digest)
    try:
        entries = parse_list(body, res.final_url or job.url)
        wanted = set(getattr(job, "ciks", ()) or ())
        if getattr(job, "tickers", None):
            wanted |= await ciks_of(fetcher, list(job.tickers), res.final_url or job.url, agent)
            if not wanted:
                raise ListError(f"none of the tickers {', '.join(job.tickers)} is known to EDGAR")
    except ListError as e:
        return Polled(res, digest, error=str(e))
    known = {job.known[i:i + DIGEST_SIZE] for i in range(0, len(job.known or b""), DIGEST_SIZE)}
    done = [d for e in entries if (d := accession_digest(e.accession)) in known]
    new = [e for e in entries if accession_digest(e.accession) not in known]
    if not new:
        return Polled(res, digest)
    out = FilingsJob(job.watcher, job.url, entries=len(new))
    to_read = []
    for e in new:
        if not e.form.upper().startswith("8-K") or (wanted and not e.ciks & wanted) or \
                (e.items is not None and "5.02" not in e.items):
            done.append(accession_digest(e.accession))  # not ours: never read
        else:
            to_read.append(e)
    waiting = len(to_read) > MAX_FILINGS  # the rest on the next poll
    gate, deadline = asyncio.Semaphore(AT_ONCE), asyncio.get_running_loop().time() + POLL_BUDGET

    async def one(e: Entry) -> _Read:
        async with gate:
            if asyncio.get_running_loop().time() > deadline:
                return _Read(retry=True)
            try:  # a filing's documents may each take the fetch deadline: the poll's share is bounded
                return await asyncio.wait_for(read_filing(fetcher, e, agent, job.watcher),
                                              max(1.0, deadline + 30 - asyncio.get_running_loop().time()))
            except TimeoutError:
                log.warning("%s: filing %s: not read within this poll's time; trying again on the next", job.watcher,
                            e.accession)
                return _Read(retry=True)
            except Exception:  # a bug on one filing must not lose the others
                log.exception("%s: filing %s could not be read", job.watcher, e.accession)
                return _Read(read=True)

    for e, got in zip(to_read, await asyncio.gather(*(one(e) for e in to_read[:MAX_FILINGS]))):
        if got.retry:
            waiting = True
            continue
        done.append(accession_digest(e.accession))
        out.candidates += got.read
        out.articles += got.articles
    out.digests = b"".join(done[-MAX_DIGESTS:])
    return Polled(res, None if waiting else digest, out)


async def read_filing(fetcher, entry: Entry, agent: str, watcher: str) -> _Read:
    """One filing: index page -> main document -> Item 5.02 -> articles (and the exhibits it names)."""
    res = await _get(fetcher, entry.index_url, agent)
    if res.body is None:
        if not _for_good(res):
            log.warning("%s: filing %s: index %s: %s; trying again on the next poll", watcher, entry.accession,
                        entry.index_url, res.error)
            return _Read(retry=True)
        log.warning("%s: filing %s: index %s: %s; reading the complete submission text file instead", watcher,
                    entry.accession, entry.index_url, res.error)
        return await _read_submission(fetcher, entry, _submission_url(entry), entry.company, agent, watcher)
    index = parse_index(res.body, res.final_url or entry.index_url)
    company = index.company or entry.company
    items = index.items if index.items is not None else entry.items
    if items is not None and "5.02" not in items:
        return _Read()
    main = index.main(entry.form)
    if main is None:
        log.warning("%s: filing %s: its index %s lists no main document (form %s); reading the complete submission "
                    "text file instead", watcher, entry.accession, entry.index_url, entry.form)
        return await _read_submission(fetcher, entry, index.submission_url or _submission_url(entry), company, agent,
                                      watcher)
    doc = await _get(fetcher, main.url, agent)
    if doc.body is None:
        if _for_good(doc):
            log.warning("%s: filing %s: main document %s: %s; not read", watcher, entry.accession, main.url, doc.error)
            return _Read(read=True)
        log.warning("%s: filing %s: main document %s: %s; trying again on the next poll", watcher, entry.accession,
                    main.url, doc.error)
        return _Read(retry=True)
    if is_submission(doc.body):
        return await _from_submission(fetcher, entry, parse_submission(doc.body, main.url), company, agent, watcher,
                                      main.url)
    return await _articles(fetcher, entry, company, await asyncio.to_thread(filing_text, doc.body), main.url,
                           index.documents, agent, watcher)


def _submission_url(entry: Entry) -> str:
    """…/ACCESSION-index.htm -> …/ACCESSION.txt (EDGAR keeps both beside each other)."""
    return re.sub(r"-index\.html?$", ".txt", entry.index_url) if re.search(r"-index\.html?$", entry.index_url) \
        else urljoin(entry.index_url, f"{entry.accession}.txt")


async def _read_submission(fetcher, entry: Entry, url: str, company: str, agent: str, watcher: str) -> _Read:
    res = await _get(fetcher, url, agent)
    if res.body is None:
        if _for_good(res):
            log.warning("%s: filing %s: %s: %s; not read", watcher, entry.accession, url, res.error)
            return _Read(read=True)
        log.warning("%s: filing %s: %s: %s; trying again on the next poll", watcher, entry.accession, url, res.error)
        return _Read(retry=True)
    if not is_submission(res.body):
        log.warning("%s: filing %s: %s is not a submission text file; not read", watcher, entry.accession, url)
        return _Read(read=True)
    return await _from_submission(fetcher, entry, parse_submission(res.body, url), company, agent, watcher, url)


async def _from_submission(fetcher, entry: Entry, sub: Index, company: str, agent: str, watcher: str,
                           url: str) -> _Read:
    if sub.items is not None and "5.02" not in sub.items:
        return _Read(read=True)
    main = sub.main(entry.form) or next((d for d in sub.documents if d.type.upper().startswith("8-K")), None)
    if main is None:
        log.warning("%s: filing %s: %s holds no %s document; not read", watcher, entry.accession, url, entry.form)
        return _Read(read=True)
    text = await asyncio.to_thread(filing_text, main.data)
    return await _articles(fetcher, entry, sub.company or company, text, main.url, sub.documents, agent, watcher)


async def _articles(fetcher, entry: Entry, company: str, text: str, url: str, documents: list[Document],
                    agent: str, watcher: str) -> _Read:
    section = item_502(text)
    if section is None:
        log.warning("%s: filing %s: no Item 5.02 section in %s; not read", watcher, entry.accession, url)
        return _Read(read=True)
    company = cover_name(text) or company_name(company)
    found = _Read(read=True)
    found.articles.append((Article(title=f"{company}: Form {entry.form}, Item 5.02", text=section, url=url,
                                   published=entry.filed, source=watcher, external_id=entry.accession), company))
    for ex in exhibits_to_follow(section, documents):
        data = ex.data
        if data is None:
            res = await _get(fetcher, ex.url, agent)
            if res.body is None:
                log.warning("%s: filing %s: exhibit %s: %s; read without it", watcher, entry.accession, ex.url,
                            res.error)
                continue
            data = res.body
        text = (await asyncio.to_thread(filing_text, data))[:MAX_EXHIBIT_CHARS]
        if text.strip():
            found.articles.append((Article(title=f"{company}: Form {entry.form}, Exhibit {ex.type.upper()[3:]}",
                                           text=text, url=ex.url, published=entry.filed, source=watcher,
                                           external_id=f"{entry.accession} {ex.type.upper()}"), company))
    return found
