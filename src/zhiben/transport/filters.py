"""django-filter sets of the register lists, shared by the pages, the API and the exports."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from zhiben.web.widgets import DateInput

from .choices import DriverStatus, LicenceClass, VehicleStatus, VehicleType, ViolationKind, ViolationSource
from .models import Driver, RiderViolation, Vehicle, Violation


class _Styled(django_filters.FilterSet):
    placeholder = "关键词"

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("placeholder", self.placeholder if name == "q" else field.label)


class VehicleFilterSet(_Styled):
    placeholder = "车牌号码或企业名称"

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    unit = django_filters.NumberFilter(label="企业", field_name="unit_id", min_value=1, max_value=2**63 - 1)
    vehicle_type = django_filters.ChoiceFilter(label="车辆类型", choices=VehicleType.choices, empty_label="全部类型")
    status = django_filters.ChoiceFilter(label="状态", choices=VehicleStatus.choices, empty_label="全部状态")
    key_only = django_filters.BooleanFilter(label="仅两客一危", method="filter_key", widget=forms.CheckboxInput)

    class Meta:
        model = Vehicle
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        plate = value.replace(" ", "").upper()
        return qs.filter(Q(plate__icontains=plate) | Q(unit__name__icontains=value))

    def filter_key(self, qs, name, value):
        from .choices import TWO_PASSENGER_ONE_HAZMAT

        return qs.filter(vehicle_type__in=TWO_PASSENGER_ONE_HAZMAT) if value else qs


class DriverFilterSet(_Styled):
    placeholder = "姓名或企业名称"

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    unit = django_filters.NumberFilter(label="企业", field_name="unit_id", min_value=1, max_value=2**63 - 1)
    licence_class = django_filters.ChoiceFilter(label="准驾车型", choices=LicenceClass.choices, empty_label="全部车型")
    status = django_filters.ChoiceFilter(label="状态", choices=DriverStatus.choices, empty_label="全部状态")
    min_points = django_filters.NumberFilter(
        label="记分不低于", field_name="points", lookup_expr="gte", min_value=0, max_value=12
    )

    class Meta:
        model = Driver
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(unit__name__icontains=value))


class ViolationFilterSet(_Styled):
    placeholder = "车牌、驾驶员或企业"

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    unit = django_filters.NumberFilter(label="企业", field_name="unit_id", min_value=1, max_value=2**63 - 1)
    vehicle = django_filters.NumberFilter(label="车辆", field_name="vehicle_id", min_value=1, max_value=2**63 - 1)
    driver = django_filters.NumberFilter(label="驾驶员", field_name="driver_id", min_value=1, max_value=2**63 - 1)
    kind = django_filters.ChoiceFilter(label="违法行为", choices=ViolationKind.choices, empty_label="全部违法行为")
    source = django_filters.ChoiceFilter(label="来源", choices=ViolationSource.choices, empty_label="全部来源")
    since = django_filters.DateFilter(label="起始日期", field_name="occurred_on", lookup_expr="gte", widget=DateInput())
    until = django_filters.DateFilter(label="截止日期", field_name="occurred_on", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = Violation
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(vehicle__plate__icontains=value.replace(" ", "").upper())
            | Q(driver__name__icontains=value)
            | Q(unit__name__icontains=value)
        )


class RiderFilterSet(_Styled):
    placeholder = "平台、站点或骑手"

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    platform = django_filters.CharFilter(label="平台", field_name="platform", max_length=50)
    station = django_filters.CharFilter(label="站点名称", field_name="station", max_length=100)

    class Meta:
        model = RiderViolation
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(platform__icontains=value) | Q(station__icontains=value) | Q(rider_name__icontains=value))
