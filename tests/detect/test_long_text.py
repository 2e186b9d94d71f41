"""A long document is read whole, in overlapping windows: a departure 250,000 characters in is
found (it was cut off before), and one said on a window boundary is found once. Made-up text."""
from __future__ import annotations

from monitor.detect import classify
from monitor.detect.segment import windows
from monitor.records import MAX_TEXT_CHARS, Article

FILLER = "The committee reviewed the quarterly figures and adjourned until next month.\n"
EXIT = "Globex Corporation said on Tuesday that its chief financial officer Jane Roe has resigned.\n"


def test_a_departure_past_the_first_window_is_found():
    text = FILLER * (250_000 // len(FILLER)) + EXIT + FILLER * 100
    assert len(text) > MAX_TEXT_CHARS
    ok, _, found = classify(Article(title="Globex finance chief resigns", text=text))
    assert ok and [(d.person, d.org) for d in found] == [("Jane Roe", "Globex Corporation")]


def test_a_departure_in_two_windows_is_one_departure():
    pieces = windows(FILLER * 1300 + EXIT + FILLER * 1300, MAX_TEXT_CHARS)
    assert len(pieces) == 2 and EXIT.strip() in pieces[0] + pieces[1]
    text = FILLER * (MAX_TEXT_CHARS // len(FILLER) - 5) + EXIT + FILLER * 3000  # on the boundary
    assert sum(EXIT.strip() in p for p in windows(text, MAX_TEXT_CHARS)) == 2  # in the overlap: read twice
    ok, _, found = classify(Article(title="Globex finance chief resigns", text=text))
    assert ok and [d.person for d in found] == ["Jane Roe"]


def test_windows_cover_the_text_at_line_breaks():
    text = "".join(f"line {i} " + "x" * (i % 70) + "\n" for i in range(5000))
    pieces = windows(text, 20_000, overlap=1_000)
    assert all(len(p) <= 20_000 for p in pieces)
    assert set("".join(pieces).splitlines()) == set(text.splitlines())  # every line, each whole
    assert all(p.endswith("\n") for p in pieces[:-1])


def test_only_a_body_past_the_hard_cap_is_cut_and_the_cut_is_logged(caplog):
    from monitor.records import MAX_BODY_CHARS

    a = Article(title="t", text="x" * MAX_BODY_CHARS, url="https://news.test/a")
    assert len(a.text) == MAX_BODY_CHARS and not caplog.records
    b = Article(title="t", text="x" * (MAX_BODY_CHARS + 1), url="https://news.test/b")
    assert len(b.text) == MAX_BODY_CHARS
    assert "https://news.test/b" in caplog.text and "cut at 10,000,000" in caplog.text
