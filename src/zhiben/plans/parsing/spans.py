"""Sentences, clauses and citation masking: the coordinates the rules work in.

All functions work on character offsets into one string so that a rule can
search a *masked* copy of a text and slice the *original* with the same
offsets.
"""

from __future__ import annotations

import bisect
import functools
import re

#: Ends a sentence for our purposes.  The semicolon is included because plan
#: writers chain independent duties with "；".
SENTENCE_ENDS = "。！？；!?;\n"
#: Separates clauses inside a sentence.
CLAUSE_SEPARATORS = "，,：:"
_PUNCT_TRIM = " \t，,：:；;。！？!?、"

MASK_CHAR = "□"
# Spans whose content must not be read as dates/units/duties: titles of
# cited documents 《…》, document numbers 〔2023〕, and "(以下简称…)".
_CITATION = re.compile(r"《[^《》\n]*》|〔[^〔〕\n]*〕|\[[^\[\]\n]{0,8}\]|[（(]以下简称[^）)\n]*[）)]")


def mask_citations(text: str) -> str:
    """Replace the inside of cited titles and doc numbers by a mask char.

    The result has exactly the length of ``text``.
    """
    return _CITATION.sub(lambda m: m.group(0)[0] + MASK_CHAR * (len(m.group(0)) - 2) + m.group(0)[-1], text)


_MASKED = re.compile(rf"《{MASK_CHAR}+》|〔{MASK_CHAR}+〕|\[{MASK_CHAR}+\]|[（(]{MASK_CHAR}+[）)]")


def drop_masked(masked: str) -> str:
    """A masked text without its masked citations (for reading names from it)."""
    return _MASKED.sub("", masked)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; the end excludes the terminator."""
    spans = []
    start = 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS:
            if i > start:
                spans.append((start, i))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class _Boundaries:
    """Positions of sentence ends and clause separators, for O(log n) lookups."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.sentence = [i for i, ch in enumerate(text) if ch in SENTENCE_ENDS]
        self.clause = [i for i, ch in enumerate(text) if ch in SENTENCE_ENDS or ch in CLAUSE_SEPARATORS]

    def around(self, stops: list[int], pos: int) -> tuple[int, int]:
        k = bisect.bisect_left(stops, pos)  # first stop at or after pos
        start = stops[k - 1] + 1 if k > 0 else 0
        end = stops[k] if k < len(stops) else self.length
        return start, end


@functools.lru_cache(maxsize=16)
def _boundaries(text: str) -> _Boundaries:
    # Rules ask for the sentence/clause of many positions in the same text;
    # scanning each time would be quadratic on texts without full stops.
    return _Boundaries(text)


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the sentence holding ``pos`` (end excludes the terminator)."""
    b = _boundaries(text)
    return b.around(b.sentence, pos)


def clause_at(text: str, pos: int) -> tuple[int, int]:
    """The comma-level clause around ``pos``."""
    b = _boundaries(text)
    return b.around(b.clause, pos)


#: Quoted fragments (duty/deadline/target texts) never exceed this many chars.
MAX_FRAGMENT = 300


def fragment(text: str, start: int, end: int, anchor: int) -> str:
    """``text[start:end]`` tidied, cut to :data:`MAX_FRAGMENT` chars around ``anchor``."""
    if end - start > MAX_FRAGMENT:
        start = max(start, min(anchor - MAX_FRAGMENT // 3, end - MAX_FRAGMENT))
        end = start + MAX_FRAGMENT
    return tidy(text[start:end])


# An outline label at the start of a quoted fragment: "（一）", "1.", "（1）", "一是".
_LEADING_LABEL = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.、](?!\d)|[一二三四五六七八九十]{1,3}[、是])"
)


def strip_label(text: str) -> str:
    """``text`` without a leading outline label ("（一）", "1.", "一是" …)."""
    return _LEADING_LABEL.sub("", text)


def tidy(fragment: str) -> str:
    """Trim punctuation and a leading outline label from a quoted fragment."""
    return strip_label(fragment.strip(_PUNCT_TRIM)).strip(_PUNCT_TRIM)
