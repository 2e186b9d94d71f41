"""Every input format becomes Articles; bad input becomes a Skipped with a clear reason."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

from monitor.parse import parse_document
from monitor.parse.dates import parse_date
from monitor.parse.lang import detect_language
from monitor.records import Article, Document, Skipped
from tests.conftest import SEEDS, SHARED

CORPUS = SHARED / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not beside the checkout")


def parse_file(path, name=None):
    return parse_document(Document(name or str(path), path.read_bytes()))


def test_text_file_first_line_is_title():
    [art] = parse_file(SEEDS / "000_933a80888b7179b2.txt")
    assert art.title.startswith("马斯克遭遇人才离职潮")
    assert "杰根纳坦" in art.text and not art.text.startswith("马斯克遭遇人才离职潮:特斯拉")


@needs_corpus
def test_html_page_main_text_without_boilerplate():
    [art] = parse_file(CORPUS / "html-pages" / "en-cnet-zuckerberg.html")
    assert "Zuckerberg" in art.title
    assert len(art.text) > 1000 and "<" not in art.text[:200]
    assert art.published is not None and art.published.year == 2017


@needs_corpus
@pytest.mark.parametrize("name,min_entries", [
    ("zh-qq-news-china-gb2312-2018.xml", 5),     # GB2312
    ("en-theverge-ai-2026.atom", 5),              # Atom
])
def test_feeds_in_their_encodings(name, min_entries):
    path = CORPUS / "real-feeds" / name
    if not path.exists():
        pytest.skip(f"{name} not in corpus")
    arts = parse_file(path)
    assert len([a for a in arts if isinstance(a, Article)]) >= min_entries
    assert all(isinstance(a, Article) and a.title for a in arts)
    if name.startswith("zh-"):
        assert detect_language(" ".join(a.title for a in arts)) == "zh-Hans"


@needs_corpus
def test_json_feed():
    files = sorted((CORPUS / "real-feeds").glob("json-*.json"))
    ok = [a for f in files for a in parse_file(f) if isinstance(a, Article)]
    assert len(ok) > 10
    assert any(a.url and a.url.startswith("http") for a in ok)


def test_jsonl_bad_line_is_reported_good_lines_kept():
    data = "\n".join([
        json.dumps({"id": "a", "title": "Jimmy Ba: last day at xAI", "url": "https://x.test/1"}),
        "{not json",
        json.dumps({"id": "c", "text": "", "title": ""}),
        json.dumps({"id": "d", "text": "Raj Jegannathan leaves Tesla after 13 years", "published": "2026-02-10"}),
    ]).encode()
    out = parse_document(Document("in.jsonl", data))
    arts = [a for a in out if isinstance(a, Article)]
    skipped = [s for s in out if isinstance(s, Skipped)]
    assert [a.external_id for a in arts] == ["a", "d"]
    assert arts[1].published == datetime(2026, 2, 10, tzinfo=timezone.utc)
    assert [s.reason.split(":")[0] for s in skipped] == ["line 2", "line 3"]


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n ", "empty file"),
    ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("bad.txt", "Jimmy Ba resigns".encode() + b"\xff\xfe\xfa tail", "not valid UTF-8 (byte 0xff at offset 16)"),
    ("broken.xml", b"<?xml version='1.0'?><rss><channel><item><title>x", "not a readable feed"),
    ("notfeed.json", b'{"hello": 1}', "not a JSON Feed"),
    ("x.pdf", b"%PDF-1.4 blah", "unsupported format"),
])
def test_bad_input_is_skipped_with_reason(name, data, reason):
    [s] = parse_document(Document(name, data))
    assert isinstance(s, Skipped) and reason in s.reason


def test_gzip_bytes_are_not_a_feed_but_do_not_crash():
    out = parse_document(Document("feed.xml", gzip.compress(b"<rss><channel><item><title>a</title></item></channel></rss>")))
    assert all(isinstance(s, Skipped) for s in out)


@needs_corpus
def test_every_corpus_file_parses_without_exception():
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv")]
    assert len(files) > 2000
    for p in files:
        out = parse_document(Document(str(p), p.read_bytes()))
        assert all(isinstance(x, (Article, Skipped)) for x in out), p


@pytest.mark.parametrize("raw,tz,expected", [
    ("Tue, 10 Feb 2026 10:00:00 GMT", None, datetime(2026, 2, 10, 10, tzinfo=timezone.utc)),
    ("2025年06月03日 10:00", "Asia/Shanghai", datetime(2025, 6, 3, 2, tzinfo=timezone.utc)),
    ("2018-09-18 14:38:10", "Asia/Shanghai", datetime(2018, 9, 18, 6, 38, 10, tzinfo=timezone.utc)),
    ("26-FEB-1987 17:51:17.75", None, datetime(1987, 2, 26, 17, 51, 17, 750000, tzinfo=timezone.utc)),
    ("not a date", None, None),
    ("Seg, 24 Set 2018 19:22:00 -0300", "Asia/Shanghai", datetime(2018, 9, 24, 22, 22, tzinfo=timezone.utc)),  # pt-BR, explicit offset wins
    ("2020/1/10 14:16:00", "Asia/Shanghai", datetime(2020, 1, 10, 6, 16, tzinfo=timezone.utc)),
])
def test_dates(raw, tz, expected):
    assert parse_date(raw, tz) == expected


def test_language_and_script():
    assert detect_language("共同創辦人兼推理負責人在宣布辭職的帖子中說") == "zh-Hant"
    assert detect_language("共同创办人兼推理负责人在宣布辞职的帖子中说") == "zh-Hans"
    assert detect_language("Jimmy Ba: last day at xAI") == "en"
