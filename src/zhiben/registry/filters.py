"""Filters of the unit and site lists (shared by the pages and the API)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from zhiben.org.access import subtree_q
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization

from .choices import RiskLevel
from .models import Grid, Sector, Site, SiteType, Tag, Unit


def _style(filterset: django_filters.FilterSet) -> None:
    for field in filterset.form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("placeholder", field.label)


class _Common(django_filters.FilterSet):
    q = django_filters.CharFilter(label="关键词", method="filter_q")
    street = django_filters.ModelChoiceFilter(
        label="街道", queryset=Organization.objects.filter(kind=OrgKind.STREET), empty_label="全部街道"
    )
    owner = django_filters.ModelChoiceFilter(
        label="主管部门",
        method="filter_owner",
        empty_label="全部部门",
        queryset=Organization.objects.filter(
            kind__in=[OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET]
        ),
    )
    no_owner = django_filters.BooleanFilter(
        label="无主管",
        method="filter_no_owner",
        widget=forms.Select(choices=[("", "主管情况"), ("true", "无主管部门")]),
    )
    risk = django_filters.ChoiceFilter(
        label="风险等级",
        field_name="risk_level",
        choices=[*RiskLevel.choices, ("none", "未评估")],
        method="filter_risk",
        empty_label="全部风险等级",
    )
    grid = django_filters.ModelChoiceFilter(
        label="网格", queryset=Grid.objects.none(), method="filter_grid", empty_label="全部网格"
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None:
            self.form.fields["grid"].queryset = Grid.objects.restrict(user, "view")
        _style(self)

    def filter_owner(self, qs, name, value):
        return qs.filter(subtree_q("owner", value))

    def filter_no_owner(self, qs, name, value):
        return qs.filter(owner__isnull=True) if value else qs

    def filter_risk(self, qs, name, value):
        return qs.filter(risk_level="") if value == "none" else qs.filter(risk_level=value)


class UnitFilterSet(_Common):
    sector = django_filters.ModelChoiceFilter(label="行业", queryset=Sector.objects.all(), empty_label="全部行业")
    tag = django_filters.ModelChoiceFilter(
        label="标签", queryset=Tag.objects.all(), field_name="tags", to_field_name="code", empty_label="全部标签"
    )

    class Meta:
        model = Unit
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(address__icontains=value)
            | Q(uscc=value.upper())
            | Q(industry_type__icontains=value)
            | Q(legal_rep_name=value)
            | Q(safety_contact_name=value)
        )

    def filter_grid(self, qs, name, value):
        return qs.filter(value.unit_q())


class SiteFilterSet(_Common):
    site_type = django_filters.ModelChoiceFilter(
        label="类型", queryset=SiteType.objects.all(), to_field_name="code", empty_label="全部类型"
    )
    unit = django_filters.NumberFilter(label="单位", field_name="unit_id")

    class Meta:
        model = Site
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(address__icontains=value)
            | Q(public_code=value.upper())
            | Q(unit__name__icontains=value)
        )

    def filter_grid(self, qs, name, value):
        return qs.filter(value.site_q())
