"""Validators for Chinese identifiers used across apps."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# GB 32100-2015 统一社会信用代码: 18 characters from this 31-symbol alphabet
# (no I, O, S, V, Z); the last is a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None if it is."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位"
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return f"统一社会信用代码含有非法字符：{''.join(bad)}"
    if uscc_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位错误"
    return None


def validate_uscc(code: str) -> None:
    problem = uscc_problem(code)
    if problem:
        raise ValidationError(problem, code="invalid_uscc")


# Text that no database stores faithfully: PostgreSQL refuses NUL in text,
# and a lone UTF-16 surrogate ("\ud800" in JSON) cannot be encoded as UTF-8.
def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None if it can."""
    if "\x00" in value:
        return "文本不能包含空字符（\\u0000）"
    if any("\ud800" <= c <= "\udfff" for c in value):
        return "文本含有无效的 Unicode 字符（不成对的代理项）"
    return None


def validate_clean_text(value: str) -> None:
    """Django validator form of ``text_problem`` (forms, model fields)."""
    problem = text_problem(value or "")
    if problem:
        raise ValidationError(problem, code="invalid_text")
