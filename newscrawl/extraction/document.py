"""Parse a page once into an lxml tree shared by metadata and body extraction.

Never raises: a page that cannot be parsed gives a Document with ``tree=None``
and a ``problem`` naming why (empty, not-html, unparseable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html
from w3lib.encoding import html_to_unicode

# Magic numbers of formats that servers sometimes label text/html.
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"PK\x03\x04",  # zip, docx, xlsx
    b"\x1f\x8b",  # gzip
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x00",  # mp4/mov ftyp boxes
)
# lxml refuses a str that declares its encoding ("<?xml version='1.0' encoding='UTF-8'?>", XHTML
# mobile pages): the text is already decoded, so the declaration is dropped.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


@dataclass
class Document:
    url: str
    tree: lxml.html.HtmlElement | None
    problem: str | None = None  # set when tree is None


def looks_binary(head: bytes) -> bool:
    """True for bytes that are clearly not an HTML document."""
    stripped = head.lstrip()
    if stripped.startswith(_BINARY_SIGNATURES):
        return True
    sample = head[:2048]
    # Text pages hardly ever contain control bytes; binary formats are full of them.
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.1


def _utf8_or_cp1252(data: bytes) -> str:
    """Detection fallback when neither HTTP nor <meta> names a charset (HTML5's default is cp1252)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(html: bytes | str, encoding: str | None = None) -> str:
    """Bytes to text the way Scrapy does (BOM, HTTP charset, <meta>, detection), with two repairs
    for wrong declarations: bytes that are valid UTF-8 are UTF-8, and a declared charset that
    decodes into replacement characters loses to the page's <meta> or detection."""
    if isinstance(html, str):
        return html
    content_type = f"text/html; charset={encoding}" if encoding else None
    try:
        _, text = html_to_unicode(content_type, html, auto_detect_fun=_utf8_or_cp1252)
    except LookupError:  # an unknown charset name in the header or the page
        content_type = None
        _, text = html_to_unicode(None, html, auto_detect_fun=_utf8_or_cp1252)
    if not html.isascii() and not html.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            as_utf8 = html.decode("utf-8")
        except UnicodeDecodeError:
            as_utf8 = None
        if as_utf8 is not None and as_utf8 != text:
            return as_utf8.removeprefix("\ufeff")
    if content_type and "\ufffd" in text:
        _, guessed = html_to_unicode(None, html, auto_detect_fun=_utf8_or_cp1252)
        if guessed.count("\ufffd") < text.count("\ufffd"):
            text = guessed
    return text


def _parser() -> lxml.html.HTMLParser:
    """lxml.html's parser, with every element an HtmlElement. lxml.html's own class lookup calls
    Python for each element that code touches (to give forms and inputs their own classes); this
    one does not, which makes every walk over the tree (ours and trafilatura's) cheaper."""
    parser = lxml.html.HTMLParser(remove_comments=True, huge_tree=True)
    parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
    return parser


def parse_document(html: bytes | str | None, url: str = "", encoding: str | None = None) -> Document:
    if html is None:
        return Document(url, None, "empty")
    if isinstance(html, (bytes, bytearray, memoryview)):
        html = bytes(html)
        if not html.strip():
            return Document(url, None, "empty")
        if looks_binary(html[:4096]):
            return Document(url, None, "not-html")
    try:
        text = decode_html(html, encoding)
    except Exception:  # pragma: no cover - html_to_unicode is very tolerant
        return Document(url, None, "undecodable")
    text = text.replace("\x00", "")
    if not text.strip():
        return Document(url, None, "empty")
    if text.lstrip().startswith("%PDF-"):
        return Document(url, None, "not-html")
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text, parser=_parser(), base_url=url or None)
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError):
        return Document(url, None, "unparseable")
    if tree is None or len(tree) == 0:
        return Document(url, None, "unparseable")
    return Document(url, tree)
