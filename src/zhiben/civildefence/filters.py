"""The filing list's filters (the page, the API and the Excel export)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from zhiben.org.access import subtree_q
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization

from .choices import DueFilter, FilingState, Purpose
from .models import EXPIRY_WARNING_DAYS, UseFiling


class UseFilingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    state = django_filters.ChoiceFilter(label="使用状态", choices=FilingState.choices, empty_label="全部状态")
    purpose = django_filters.ChoiceFilter(label="用途", choices=Purpose.choices, empty_label="全部用途")
    street = django_filters.ModelChoiceFilter(
        label="街道",
        field_name="site__street",
        queryset=Organization.objects.filter(kind=OrgKind.STREET),
        empty_label="全部街道",
    )
    organization = django_filters.ModelChoiceFilter(
        label="负责部门",
        method="filter_organization",
        empty_label="全部部门",
        queryset=Organization.objects.filter(
            kind__in=[OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET]
        ),
    )
    due = django_filters.ChoiceFilter(
        label="备案有效期", choices=DueFilter.choices, method="filter_due", empty_label="全部有效期"
    )

    class Meta:
        model = UseFiling
        fields: list[str] = []

    def __init__(self, *args, user=None, today: dt.date | None = None, **kwargs):
        self.user = user
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("placeholder", "备案编号、工程名称或使用单位" if name == "q" else field.label)

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(filing_no__icontains=value)
            | Q(site__name__icontains=value)
            | Q(user_name__icontains=value)
            | Q(user_unit__name__icontains=value)
            | Q(site__address__icontains=value)
        )

    def filter_organization(self, qs, name, value):
        return qs.filter(subtree_q("site__owner", value))

    def filter_due(self, qs, name, value):
        soon = self.today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        if value == DueFilter.EXPIRED:
            return qs.filter(valid_until__lt=self.today)
        if value == DueFilter.EXPIRING:
            return qs.filter(valid_until__gte=self.today, valid_until__lte=soon)
        if value == DueFilter.VALID:
            return qs.filter(valid_until__gt=soon)
        return qs
