"""Chinese and Arabic numerals as they appear in plan labels and counts."""

from __future__ import annotations

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMERAL_CHARS = "".join(_DIGITS) + "十百"

#: Character class (for regexes) of everything a small Chinese numeral may use.
CN_NUMERAL_CLASS = f"[{_CN_NUMERAL_CHARS}]"


def to_int(token: str) -> int | None:
    """Read ``"3"``, ``"三"``, ``"十二"``, ``"二十"``, ``"两"`` … as an int.

    Returns ``None`` for anything that is not a plain number below 1000.
    """
    token = token.strip()
    if not token:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    if any(ch not in _DIGITS and ch not in "十百" for ch in token):
        return None
    total = 0
    current = 0
    for ch in token:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def to_chinese(number: int) -> str:
    """Write 1–99 the way plan headings do: 1→一, 10→十, 12→十二, 20→二十."""
    if not 0 < number < 100:
        raise ValueError(f"out of range for a heading numeral: {number}")
    names = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if tens == 0:
        return names[ones]
    prefix = "十" if tens == 1 else names[tens] + "十"
    return prefix + (names[ones] if ones else "")
