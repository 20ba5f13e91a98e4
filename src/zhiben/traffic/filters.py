"""Filters of the 事故多发点段 and 一校一方案 lists (shared by the pages, the API and the exports)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization
from zhiben.web.widgets import DateInput

from .choices import ListingLevel, RectificationStatus, SchoolPlanStatus
from .indicators import to_treat, treated
from .models import FIRST_YEAR, LAST_YEAR, BlackSpotListing, SchoolSafetyPlan


def _style(filterset: django_filters.FilterSet) -> None:
    for field in filterset.form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("placeholder", field.label)


def _streets():
    return Organization.objects.filter(kind=OrgKind.STREET).order_by("sort_order", "code")


class BlackSpotFilterSet(django_filters.FilterSet):
    """事故多发点段 list: keyword, year, level, 整治状态, 街道, and the indicator's two sets
    (``campaign_as_of``: the listings to treat as of a date; ``done_by``: treated by a date)."""

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    year = django_filters.NumberFilter(label="挂牌年度", field_name="year", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    level = django_filters.ChoiceFilter(label="挂牌级别", choices=ListingLevel.choices, empty_label="全部级别")
    status = django_filters.ChoiceFilter(
        label="整治状态",
        field_name="rectification__status",
        choices=RectificationStatus.choices,
        empty_label="全部状态",
    )
    street = django_filters.ModelChoiceFilter(
        label="街道", field_name="site__street", queryset=_streets(), empty_label="全部街道"
    )
    campaign_as_of = django_filters.DateFilter(label="截至该日应整治", method="filter_campaign", widget=DateInput())
    done_by = django_filters.DateFilter(label="截至该日已完成", method="filter_done_by", widget=DateInput())

    class Meta:
        model = BlackSpotListing
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.form.fields["q"].widget.attrs["placeholder"] = "点段名称、道路或牵头单位"

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(site__name__icontains=value)
            | Q(site__address__icontains=value)
            | Q(site__attributes__road__icontains=value)
            | Q(lead_org__name__icontains=value)
        )

    def filter_campaign(self, qs, name, value):
        return to_treat(qs, value)

    def filter_done_by(self, qs, name, value):
        return treated(qs, value)


class SchoolPlanFilterSet(django_filters.FilterSet):
    """一校一方案 list: keyword, 学年, status, 街道."""

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    school_year = django_filters.NumberFilter(
        label="学年", field_name="school_year", min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    status = django_filters.ChoiceFilter(label="状态", choices=SchoolPlanStatus.choices, empty_label="全部状态")
    street = django_filters.ModelChoiceFilter(
        label="街道", field_name="site__street", queryset=_streets(), empty_label="全部街道"
    )

    class Meta:
        model = SchoolSafetyPlan
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.form.fields["q"].widget.attrs["placeholder"] = "学校名称、责任民警"
        self.form.fields["school_year"].widget.attrs["placeholder"] = "学年起始年份，如 2024"

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(site__name__icontains=value)
            | Q(site__attributes__school__icontains=value)
            | Q(police_name__icontains=value)
        )
