"""A saved web page (.html/.htm) → the article's text, one paragraph a line.

Plans are often published on a government site and saved from the browser.
The page holds the plan among navigation, menus, breadcrumbs, footers,
share buttons and scripts.  Approach (lxml.html, no further dependency):

1. decode: a BOM, else the ``<meta charset>`` / ``http-equiv`` declaration
   (gb2312/gbk read as their superset GB18030), else UTF-8, else GB18030;
2. drop what is never content: scripts, styles, forms, ``nav``/``header``/
   ``footer``/``aside``, and blocks whose class/id names navigation, menus,
   footers, breadcrumbs, share bars … — unless they hold most of the page's
   text (a site that puts its article inside ``<div class="main-nav-body">``
   must not lose it);
3. the article is the smallest element that still holds
   :data:`_CORE_SHARE` of the page's Chinese text outside links; the title,
   often a sibling heading above the article body, is kept when it names a
   方案/计划 (``<h1>``… else the ``<title>``);
4. block elements and ``<br>`` end paragraphs; a ``<table>`` becomes a table
   block, merged cells (colspan/rowspan) padded like a .docx's, so a task
   table reads as it does from Word.

Why not readability-lxml: its scoring counts ASCII commas and drops blocks
with few of them, which removes short Chinese paragraphs ("组长：张伟胜") and
task tables; the heuristic above is small, tested on the sample plans, and
keeps every block of the article.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from .blocks import Block, Paragraph, Table, make_cell
from .errors import PlanParseError
from .textnorm import clean_line

_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB_ALIASES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta)\b", re.I | re.S
)
_NEVER_CONTENT = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "header",
    "footer",
    "aside",
    "menu",
)
_NOISE_NAME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|menus|header|head|top|topbar|footer|foot|bottom|breadcrumbs?|crumbs?|"
    r"sidebar|side|share|toolbar|banner|copyright|login|search|related|links?|friend-?links?|dh|daohang|"
    r"position|location|weizhi|print|tools?|qrcode|ewm)(?:$|[\s_-])",
    re.IGNORECASE,
)
_BLOCK = frozenset(
    (
        *("p", "div", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd"),
        *("tr", "table", "tbody", "thead", "tfoot", "caption", "section", "article", "main", "blockquote"),
        *("pre", "center", "address", "figure", "figcaption"),
    )
)
_CELL = frozenset(("td", "th"))
_CORE_SHARE = 0.8
_TITLE_WORDS = re.compile(r"方案|计划|通知|意见|办法")
_TITLE_SUFFIX = re.compile(r"\s*[_|\-–—]\s*[^_|\-–—]*(?:政府|网|门户|官网)[^_|\-–—]*$")


def looks_like_html(data: bytes, filename: str = "") -> bool:
    """Sniffed from the content; a .html/.htm name only helps when the text starts with a tag."""
    head = data[:4096].lstrip(codecs.BOM_UTF8)
    if _HTML_START.match(head):
        return True
    return filename.lower().endswith((".html", ".htm")) and head.lstrip().startswith(b"<")


def decode_html(data: bytes, decode_text: Callable[[bytes], str]) -> str:
    """The page's text: a BOM, else its declared charset (GBK/GB2312 read as GB18030), else
    ``decode_text``'s sniffing (the plain-text decoder, passed in by decoding.py)."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data)
    match = _CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii").lower()
        codec = "gb18030" if declared in _GB_ALIASES else declared
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: sniff instead
    return decode_text(data)


def read_html_blocks(data: bytes, decode_text: Callable[[bytes], str]) -> list[Block]:
    """The article's paragraphs and tables (see the module docstring); raises PlanParseError."""
    import lxml.html
    from lxml import etree

    text = decode_html(data, decode_text)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses str input with an encoding declaration
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise PlanParseError("无法读取该网页文件：HTML 内容为空或已损坏") from exc
    title = _page_title(root)
    body = root.find("body")
    if body is None:
        body = root
    _drop_noise(body)
    core = _core(body)
    blocks = _blocks(core)
    opening = "".join(block.text for block in blocks[:4] if isinstance(block, Paragraph))
    if title and re.sub(r"\s", "", title) not in opening:
        blocks.insert(0, Paragraph(clean_line(title)))
    if not any(isinstance(block, Table) or _CJK_CHAR.search(block.text) for block in blocks):
        raise PlanParseError("该网页中没有找到正文文字：请上传 .docx 或 .txt 版本")
    return blocks


def _cjk_count(element) -> int:
    """Chinese characters of an element, not counting link text."""
    total = len(_CJK_CHAR.findall(element.text_content()))
    linked = sum(len(_CJK_CHAR.findall(a.text_content())) for a in element.iter("a"))
    return total - linked


def _drop_noise(body) -> None:
    for element in list(body.iter(*_NEVER_CONTENT)):
        if element.getparent() is not None:
            element.drop_tree()
    page_total = max(_cjk_count(body), 1)
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            if not isinstance(element.tag, str) and element.getparent() is not None:
                element.drop_tree()  # comments, processing instructions
            continue
        name = f"{element.get('class', '')} {element.get('id', '')}"
        if _NOISE_NAME.search(name) and _cjk_count(element) < page_total * 0.5:
            element.drop_tree()


def _core(body):
    """The smallest element holding most of the page's text outside links."""
    node = body
    while True:
        own = _cjk_count(node)
        if own == 0:
            return node
        best = max((child for child in node if isinstance(child.tag, str)), key=_cjk_count, default=None)
        if best is None or _cjk_count(best) < own * _CORE_SHARE:
            return node
        node = best


def _page_title(root) -> str | None:
    for tag in ("h1", "h2"):
        for heading in root.iter(tag):
            text = _squash(heading.text_content())
            if _TITLE_WORDS.search(text) and len(text) <= 80:
                return text
    title = root.find(".//title")
    if title is not None:
        text = _TITLE_SUFFIX.sub("", _squash(title.text_content()))
        if _TITLE_WORDS.search(text) and len(text) <= 80:
            return text
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _blocks(core) -> list[Block]:
    """Paragraphs (one per line of text) and tables, in document order."""
    blocks: list[Block] = []
    parts: list[str] = []

    def flush() -> None:
        for line in "".join(parts).split("\n"):
            cleaned = clean_line(line)
            if cleaned:
                blocks.append(Paragraph(cleaned))
        parts.clear()

    def on_table(table) -> None:
        flush()
        rows = _table_rows(table)
        if rows:
            blocks.append(Table(rows))

    _walk(core, parts, on_table)
    flush()
    return blocks


def _walk(element, parts: list[str], on_table) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "table":
        on_table(element)
        return
    if tag in _BLOCK:
        parts.append("\n")
    if element.text and tag:
        parts.append(_inline(element.text))
    for child in element:
        _walk(child, parts, on_table)
        if child.tail:
            parts.append(_inline(child.tail))
    if tag in _BLOCK:
        parts.append("\n")


def _inline(text: str) -> str:
    return re.sub(r"[\s\xa0]+", " ", text)


def _table_rows(table) -> tuple[tuple[str, ...], ...]:
    """Rows of cells (a nested table's text stays in its cell); colspan pads
    with empty cells, a rowspan leaves the rows below empty in its column,
    as merged cells of a .docx do."""
    rows: list[list[str]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan above
    for tr in _own_rows(table):
        cells: list[str] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in _CELL:
                continue
            while pending.get(len(cells), 0) > 0:
                pending[len(cells)] -= 1
                cells.append("")
            column = len(cells)
            cells.append(_cell_text(td))
            cells.extend([""] * (_span(td, "colspan") - 1))
            if _span(td, "rowspan") > 1:
                pending[column] = _span(td, "rowspan") - 1
        while pending.get(len(cells), 0) > 0:
            pending[len(cells)] -= 1
            cells.append("")
        if any(cells):
            rows.append(cells)
    if not rows:
        return ()
    width = max(len(r) for r in rows)
    return tuple(tuple(r + [""] * (width - len(r))) for r in rows)


def _cell_text(cell) -> str:
    """A cell's lines; a table nested in it gives its text, a line per row."""
    parts: list[str] = []

    def nested(table) -> None:
        parts.extend("\n" + _inline(row.text_content()) + "\n" for row in table.iter("tr"))

    _walk(cell, parts, nested)
    return make_cell("".join(parts).split("\n"))


def _own_rows(table):
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child if row.tag == "tr")


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), 50))
    except ValueError:
        return 1
