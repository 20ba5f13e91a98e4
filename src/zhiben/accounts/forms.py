"""Forms of login, second factor, password change and access tokens.

Every text field is bounded, so a long value is a form error and never reaches
``authenticate`` or a password hasher: the username at the user model's
``max_length`` (150), passwords at ``PASSWORD_MAX_LENGTH`` (128 characters —
far above what people and password managers use; Argon2 and PBKDF2 accept any
length, so the bound is ours, not the hasher's).
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

PASSWORD_MAX_LENGTH = 128
USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


def password_field(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"max_length": f"密码不能超过 {PASSWORD_MAX_LENGTH} 个字符"},
        **kwargs,
    )


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="账号",
        max_length=USERNAME_MAX_LENGTH,
        error_messages={"max_length": f"账号不能超过 {USERNAME_MAX_LENGTH} 个字符"},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = password_field("密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": "账号或密码错误。连续 5 次错误将锁定 15 分钟。",
        "inactive": "该账号已停用，请联系区安委办管理员。",
        "too_long": (
            f"账号或密码过长：账号不超过 {USERNAME_MAX_LENGTH} 个字符，密码不超过 {PASSWORD_MAX_LENGTH} 个字符。"
        ),
    }

    def clean(self):
        # The page shows the form's own errors only; a value over its bound is
        # not a login attempt (no authenticate, no hashing, no lockout count).
        if self.has_error("username", "max_length") or self.has_error("password", "max_length"):
            raise ValidationError(self.error_messages["too_long"], code="too_long")
        return super().clean()


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PasswordChangeForm(forms.Form):
    old_password = password_field("原密码", widget=forms.PasswordInput)
    new_password = password_field(
        "新密码",
        widget=forms.PasswordInput,
        help_text=f"至少10位、至多{PASSWORD_MAX_LENGTH}位，包含大写字母、小写字母、数字、特殊符号中的至少3类，且不含账号。",
    )
    new_password2 = password_field("确认新密码", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100)
    days = forms.TypedChoiceField(
        label="有效期", coerce=int, choices=[(30, "30 天"), (90, "90 天"), (180, "180 天"), (365, "365 天")], initial=90
    )
