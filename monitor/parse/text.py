"""Bytes -> text: decoding that refuses what it cannot read, and HTML fragments -> plain text."""
from __future__ import annotations

import codecs
import re

import lxml.html
from lxml import etree


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we will trust."""


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HIDDEN = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "head")
_BLOCKS = ("p", "div", "br", "li", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
           "pre", "section", "article", "header", "footer", "figcaption", "table", "ul", "ol", "hr")


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB (and no UTF-16 BOM) mean a binary file."""
    head = data[:8192]
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 (or BOM-marked UTF-16); say where the first bad byte is otherwise."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UndecodableError(f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})") from None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._\-]+)""", re.I)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._\-]+)", re.I)


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """An HTML page's bytes -> text, in the first encoding that reads them: a BOM, UTF-8 (valid
    UTF-8 is almost never anything else, and pages that declare gb2312 over UTF-8 bytes exist),
    the HTTP charset, the page's <meta> charset, then charset-normalizer's guess (a GBK page
    that declares nothing); at worst UTF-8 with replacement characters."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = []
    if content_type and (m := _HTTP_CHARSET.search(content_type)):
        declared.append(m.group(1))
    if m := _META_CHARSET.search(data[:8192]):
        declared.append(m.group(1).decode("ascii"))
    for enc in declared:
        enc = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs"}.get(enc.lower(), enc)
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def clean(text: str) -> str:
    """Drop control characters and normalise line ends; keep paragraph breaks."""
    text = _CTRL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(fragment: str) -> str:
    """An HTML fragment (feed summary/content) -> plain text, a line per block (paragraph, list
    item, heading, <br>); scripts, styles and other invisible parts removed. libxml2's HTML
    parser does the reading, so broken markup still gives its text."""
    if "<" not in fragment and "&" not in fragment:
        return clean(fragment)
    try:
        root = lxml.html.document_fromstring(f"<html><body>{_CTRL.sub('', fragment)}</body></html>")
    except (etree.ParserError, ValueError):  # nothing parseable in it (e.g. only a comment)
        return ""
    etree.strip_elements(root, *_HIDDEN, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for el in root.iter(etree.Element):  # the markup's own line wraps are not breaks: "John\nSmith" is one name
        if el.tag != "pre":
            try:
                el.text, el.tail = _flow(el.text), _flow(el.tail)
            except ValueError:  # a character lxml reads but will not write back: leave the node as it is
                pass
    for el in root.iter(*_BLOCKS):  # a block starts and ends a line
        el.text, el.tail = "\n" + (el.text or ""), "\n" + (el.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return clean("\n".join(line for line in lines if line))


_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_WRAP_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")


def _flow(text: str | None) -> str | None:
    """A text node's whitespace as a browser shows it: a wrap between two Chinese characters
    vanishes (离\n职 is 离职), every other run of whitespace is one space."""
    if not text:
        return text
    return re.sub(r"\s+", " ", _WRAP_CJK.sub("", text))


def parse_text(data: bytes) -> tuple[str, str]:
    """A .txt file -> (title, body): the first non-empty line is the title."""
    text = clean(decode_utf8(data))
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            return line.strip(), "\n".join(lines[i + 1 :]).strip()
    return "", ""
