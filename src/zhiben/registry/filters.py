"""Filters of the unit and site lists (shared by the pages and the API).

The site list also filters on a site type's choice attributes (data/site_types.yaml,
``kind: choice``) once a type is chosen: ``site_type=medical&attr_category=二级以上医院``.
Each such attribute becomes a ``attr_<key>`` select offering exactly its declared choices;
an ``attr_…`` parameter the chosen type does not declare (or given with no type) makes the
filter invalid (the API answers 422, the page says so)."""

from __future__ import annotations

import re

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
        self.add_filters()
        if user is not None:
            self.form.fields["grid"].queryset = Grid.objects.restrict(user, "view")
        _style(self)

    def add_filters(self) -> None:
        """Filters that depend on the data (before the form is built)."""

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


ATTR_PREFIX = "attr_"
MAX_ATTRIBUTE_FILTERS = 8
"""At most this many choice attributes of one type are offered as filters."""
ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class SiteFilterSet(_Common):
    site_type = django_filters.ModelChoiceFilter(
        label="类型", queryset=SiteType.objects.all(), to_field_name="code", empty_label="全部类型"
    )
    unit = django_filters.NumberFilter(label="单位", field_name="unit_id")

    class Meta:
        model = Site
        fields: list[str] = []

    def add_filters(self) -> None:
        """One select per choice attribute of the chosen site type (``attr_<key>``)."""
        self.attribute_names: list[str] = []
        self._attribute_error_added = False
        site_type = self.chosen_type()
        specs = [
            spec
            for spec in (site_type.attributes or [] if site_type else [])
            if isinstance(spec, dict)
            and spec.get("kind") == "choice"
            and isinstance(spec.get("key"), str)
            and ATTRIBUTE_KEY.match(spec["key"])
            and spec.get("choices")
        ]
        for spec in specs[:MAX_ATTRIBUTE_FILTERS]:
            label = str(spec.get("label") or spec["key"])
            name = ATTR_PREFIX + spec["key"]
            choices = [(str(c), str(c)) for c in spec["choices"]]
            attribute = django_filters.ChoiceFilter(
                label=label,
                field_name=spec["key"],
                choices=choices,
                method="filter_attribute",
                empty_label=f"全部{label}",
            )
            attribute.model = Site
            attribute.parent = self
            self.filters[name] = attribute
            self.attribute_names.append(name)

    def chosen_type(self) -> SiteType | None:
        code = self.data.get("site_type") if self.data is not None else None
        if not isinstance(code, str) or not code or len(code) > 40:
            return None
        return SiteType.objects.filter(code=code).first()

    @property
    def attribute_fields(self):
        """The bound fields of the attribute filters (for the page)."""
        return [self.form[name] for name in self.attribute_names]

    def unknown_attributes(self) -> list[str]:
        if not self.is_bound:
            return []
        return sorted(k for k in self.data if k.startswith(ATTR_PREFIX) and k not in self.filters)

    @property
    def errors(self):
        errors = self.form.errors
        unknown = self.unknown_attributes()
        if unknown and not self._attribute_error_added:
            self._attribute_error_added = True
            shown = "、".join(k[:50] for k in unknown[:5]) + ("等" if len(unknown) > 5 else "")
            where = "所选场所类型" if self.chosen_type() else "未选择场所类型时"
            self.form.add_error(None, f"筛选条件 {shown} 无效：{where}没有这个可筛选的专有字段")
            errors = self.form.errors
        return errors

    def is_valid(self) -> bool:
        return self.is_bound and not self.errors

    def filter_attribute(self, qs, name, value):
        return qs.filter(**{f"attributes__{name}": value}) if value else qs

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
