"""List filters of the construction registers (the pages, the API and the exports)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from zhiben.hazards.choices import HazardStatus
from zhiben.web.widgets import DateInput

from .choices import CraneStatus, CraneType, WorkStatus, WorkType


class _Styled(django_filters.FilterSet):
    placeholder = ""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("placeholder", self.placeholder if name == "q" else str(field.label))


class ProjectFilterSet(_Styled):
    placeholder = "工程名称或地址"
    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(address__icontains=value)) if value else qs


class WorkFilterSet(_Styled):
    placeholder = "名称/部位或工程"
    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    site = django_filters.NumberFilter(label="工程", field_name="site_id", min_value=1)
    work_type = django_filters.ChoiceFilter(label="类别", choices=WorkType.choices, empty_label="全部类别")
    status = django_filters.ChoiceFilter(label="状态", choices=WorkStatus.choices, empty_label="全部状态")
    over_scale = django_filters.ChoiceFilter(
        label="规模", choices=[("1", "超过一定规模"), ("0", "一般")], empty_label="全部规模", method="filter_scale"
    )

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(site__name__icontains=value)) if value else qs

    def filter_scale(self, qs, name, value):
        return qs.filter(over_scale=value == "1") if value in ("0", "1") else qs


class CraneFilterSet(_Styled):
    placeholder = "备案编号、产权单位或工程"
    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    site = django_filters.NumberFilter(label="工程", field_name="site_id", min_value=1)
    crane_type = django_filters.ChoiceFilter(label="类型", choices=CraneType.choices, empty_label="全部类型")
    status = django_filters.ChoiceFilter(label="状态", choices=CraneStatus.choices, empty_label="全部状态")
    inspection = django_filters.ChoiceFilter(
        label="检验有效期",
        choices=[("expired", "已过期"), ("soon", "30天内到期")],
        empty_label="检验有效期",
        method="filter_inspection",
    )

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(record_no__icontains=value) | Q(owner_unit__icontains=value) | Q(site__name__icontains=value)
        )

    def filter_inspection(self, qs, name, value):
        today = timezone.localdate()
        live = qs.exclude(status=CraneStatus.DISMANTLED)
        if value == "expired":
            return live.filter(inspection_valid_until__lt=today)
        if value == "soon":
            return live.filter(
                inspection_valid_until__gte=today, inspection_valid_until__lte=today + dt.timedelta(days=30)
            )
        return qs


class MajorHazardFilterSet(_Styled):
    placeholder = "工程、隐患编号或描述"
    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    closed = django_filters.ChoiceFilter(
        label="销号", choices=[("0", "未销号"), ("1", "已销号")], empty_label="销号状态：全部", method="filter_closed"
    )
    found_from = django_filters.DateFilter(
        label="排查日期起", field_name="found_on", lookup_expr="gte", widget=DateInput()
    )
    found_to = django_filters.DateFilter(
        label="排查日期止", field_name="found_on", lookup_expr="lte", widget=DateInput()
    )

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(site__name__icontains=value) | Q(code__icontains=value) | Q(description__icontains=value))

    def filter_closed(self, qs, name, value):
        if value == "1":
            return qs.filter(status=HazardStatus.CLOSED)
        if value == "0":
            return qs.exclude(status=HazardStatus.CLOSED)
        return qs
