from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="账号", max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "账号或密码错误。连续 5 次错误将锁定 15 分钟。",
        "inactive": "该账号已停用，请联系区安委办管理员。",
    }


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput,
        help_text="至少10位，包含大写字母、小写字母、数字、特殊符号中的至少3类，且不含账号。",
    )
    new_password2 = forms.CharField(label="确认新密码", strip=False, widget=forms.PasswordInput)

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
