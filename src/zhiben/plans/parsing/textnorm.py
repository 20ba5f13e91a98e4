"""Text normalisation shared by every input path (txt, docx).

We normalise only what carries no meaning in a plan: line endings, invisible
characters, exotic spaces, full-width digits/Latin letters and a few
full-width ASCII symbols.  Chinese punctuation (，。；：、（）) is kept as
written; the rules accept both its full- and half-width forms instead.
"""

from __future__ import annotations

import re

# Full-width ASCII block (！ … ～) maps onto ASCII by a fixed offset.  We only
# fold digits, Latin letters and a handful of symbols that never act as
# Chinese punctuation; （），：；！？ stay full-width on purpose.
_FOLDED_SYMBOLS = "．％－～＋／＝＜＞＃＆＊＠"
_FULLWIDTH_TABLE = {
    **{ord(ch): ord(ch) - 0xFEE0 for ch in "０１２３４５６７８９"},
    **{code: code - 0xFEE0 for code in range(ord("Ａ"), ord("Ｚ") + 1)},
    **{code: code - 0xFEE0 for code in range(ord("ａ"), ord("ｚ") + 1)},
    **{ord(ch): ord(ch) - 0xFEE0 for ch in _FOLDED_SYMBOLS},
    # Invisible characters that Word and web copies leave behind.
    **{ord(ch): None for ch in "\ufeff\u200b\u200c\u200d\u2060\u00ad"},
    # Every kind of space becomes a plain space (tabs are kept: they carry
    # table structure in plain-text exports); a full-width space is two, as
    # wide as it looks, so that it separates the cells of a space-aligned table.
    ord("\u3000"): "  ",
    **{ord(ch): " " for ch in "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"},
    # Other line/page separators become newlines.
    **{ord(ch): "\n" for ch in "\u2028\u2029\x0b\x0c\x85"},
}

# Characters between which a space is a typing accident rather than a word
# boundary: CJK ideographs, CJK punctuation and full-width forms.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’《》〔〕【】"
_STRAY_SPACE = re.compile(
    rf"(?<=[{_CJK}]) +(?=[{_CJK}0-9])"  # 区公安分局 、区建管委 / 2024年 底
    rf"|(?<=[0-9]) +(?=[{_CJK}])"  # 2024 年底前
)


_SPACE_RUN = re.compile(r" {2,}")


def normalize_text(text: str) -> str:
    """Normalise a whole document: line endings, invisible chars, widths.

    Tabs and blank lines survive (the table detector needs them: a line
    holding a single tab is an empty table cell); trailing spaces go.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_FULLWIDTH_TABLE)
    return "\n".join(line.rstrip(" ") for line in text.split("\n"))


def clean_line(line: str) -> str:
    """Tidy one paragraph line: trim it and drop spaces inside Chinese text."""
    line = _SPACE_RUN.sub(" ", line.translate(_FULLWIDTH_TABLE).replace("\t", " ").strip())
    return _STRAY_SPACE.sub("", line)
