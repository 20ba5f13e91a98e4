"""Form rules every page form shares (the UI toolkit's lowest layer).

``bound_text_fields``: no text field of any form accepts unbounded input. A
field that declares its own ``max_length`` keeps it; any other text field
(free text such as 说明、答复、工作进展) is bounded at ``FREE_TEXT_MAX_LENGTH``,
the same bound the API applies to long text; a password field without its own
bound is held at ``PASSWORD_MAX_LENGTH`` (no megabyte reaches the hasher). The
browser stops typing at the bound (``maxlength``), and a longer value posted
anyway gets a Chinese message on its field; nothing is saved.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator

FREE_TEXT_MAX_LENGTH = 5000
PASSWORD_MAX_LENGTH = 128  # as the login and password-change forms (accounts/forms.py)


def length_message(limit: int) -> str:
    return f"不能超过 {limit} 个字符（当前 %(show_value)d 个）"


def bound_text_fields(form: forms.BaseForm, limit: int = FREE_TEXT_MAX_LENGTH) -> None:
    for field in form.fields.values():
        if not isinstance(field, forms.CharField):
            continue
        if field.max_length is None:
            bound = PASSWORD_MAX_LENGTH if isinstance(field.widget, forms.PasswordInput) else limit
            field.max_length = bound
            field.validators.append(MaxLengthValidator(bound, message=length_message(bound)))
        field.error_messages["max_length"] = length_message(field.max_length)
        if not isinstance(field.widget, forms.HiddenInput):
            field.widget.attrs.setdefault("maxlength", str(field.max_length))
