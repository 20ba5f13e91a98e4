"""The filters of the audit-log page."""

from __future__ import annotations

import django_filters

from zhiben.web.toolkit import DateInput, style_form

from .models import AuditEvent


class AuditFilterSet(django_filters.FilterSet):
    action = django_filters.CharFilter(label="事件", lookup_expr="startswith")
    actor_name = django_filters.CharFilter(label="操作人账号", lookup_expr="icontains")
    object_type = django_filters.CharFilter(label="对象类型")
    object_id = django_filters.CharFilter(label="对象ID")
    since = django_filters.DateFilter(
        label="起始日期",
        field_name="created_at",
        lookup_expr="date__gte",
        widget=DateInput(),
    )
    until = django_filters.DateFilter(
        label="截止日期",
        field_name="created_at",
        lookup_expr="date__lte",
        widget=DateInput(),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self.form, placeholders=True)
