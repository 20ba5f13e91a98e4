"""Forms of delivery: the user's channel choices and a webhook subscription."""

from __future__ import annotations

from django import forms

from zhiben.web.toolkit import StyledForm

from .choices import EmailMode, EventType, MessageGroup


class PreferencesForm(StyledForm, forms.Form):
    """One select per message group (the inbox is always on)."""

    def __init__(self, *args, initial_modes: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for group in MessageGroup:
            self.fields[group.value] = forms.ChoiceField(
                label=group.label,
                choices=EmailMode.choices,
                initial=(initial_modes or {}).get(group.value, EmailMode.OFF),
                error_messages={"invalid_choice": "请选择有效的接收方式", "required": "请选择接收方式"},
            )
        self.apply_style()


class SubscriptionForm(StyledForm, forms.Form):
    name = forms.CharField(label="名称", max_length=100, error_messages={"required": "请填写名称"})
    url = forms.CharField(
        label="接收地址",
        max_length=500,
        help_text="只接受 http:// 或 https:// 的公网地址；系统将以 POST 发送签名的 JSON。",
        error_messages={"required": "请填写接收地址"},
    )
    event_types = forms.MultipleChoiceField(
        label="事件类型",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": "请至少选择一种事件", "invalid_choice": "包含未知的事件类型"},
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    style_checkbox_lists = False
