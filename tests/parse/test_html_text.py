"""HTML fragments -> text: blocks make lines; the markup's own line wraps do not (made-up snippets)."""
from monitor.parse.text import html_to_text


def test_a_wrapped_name_stays_one_line():
    html = "<p>Acme said Brett\n   Kaufman resigned as chief\nexecutive.</p><p>Second paragraph.</p>"
    assert html_to_text(html) == "Acme said Brett Kaufman resigned as chief executive.\nSecond paragraph."


def test_a_wrap_between_chinese_characters_vanishes():
    assert html_to_text("<div>特斯拉副总裁拉杰\n离\n职</div>") == "特斯拉副总裁拉杰离职"
    assert html_to_text("<p>xAI 联合创始人\nJimmy Ba 离职</p>") == "xAI 联合创始人 Jimmy Ba 离职"


def test_breaks_and_blocks_still_make_lines():
    assert html_to_text("one<br>two<ul><li>a</li><li>b</li></ul>") == "one\ntwo\na\nb"
    assert html_to_text("plain text\nwithout markup") == "plain text\nwithout markup"
