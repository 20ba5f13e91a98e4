"""Password rules (等保2.0 三级): at least 10 characters from three of the four
character classes, and not containing the username."""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ]
    return sum(classes)


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、特殊符号中的至少{self.min_classes}类",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字、特殊符号中的至少{self.min_classes}类。"


class NotUsernameValidator:
    def validate(self, password: str, user=None) -> None:
        username = (getattr(user, "username", "") or "").strip().lower()
        if username and username in password.lower():
            raise ValidationError("密码不能包含登录账号", code="password_contains_username")

    def get_help_text(self) -> str:
        return "密码不能包含登录账号。"


class MinimumLengthValidator:
    """Django's own message for this is untranslated in zh-hans (5.2), so the
    rule is restated here with its Chinese message."""

    def __init__(self, min_length: int = 10):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码长度不足，至少包含 {self.min_length} 个字符", code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码至少包含 {self.min_length} 个字符。"
