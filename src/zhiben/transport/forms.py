"""Forms of the road-transport pages. They only parse input; the rules live in services."""

from __future__ import annotations

from django import forms

from zhiben.registry.models import Unit
from zhiben.web.toolkit import DateInput, StyledForm

from .choices import DriverStatus, LicenceClass, VehicleStatus, VehicleType, ViolationKind, ViolationSource
from .models import MAX_POINTS, Driver, Vehicle

DATE = {"type": "date"}
POINT_ERRORS = {
    "invalid": "请输入整数",
    "min_value": "记分不能为负数",
    "max_value": f"记分不能超过 {MAX_POINTS} 分（一个记分周期满分 {MAX_POINTS} 分）",
}


def _one_unit(form, units) -> None:
    only = list(units[:2])
    if len(only) == 1 and not form.is_bound and not form.initial.get("unit"):
        form.initial["unit"] = only[0].pk  # an enterprise user's own unit: nothing to choose


class VehicleForm(StyledForm, forms.Form):
    unit = forms.ModelChoiceField(label="所属企业", queryset=Unit.objects.none(), empty_label="请选择")
    plate = forms.CharField(label="车牌号码", max_length=12, help_text="如 沪A12345；新能源如 沪AD12345")
    vehicle_type = forms.ChoiceField(label="车辆类型", choices=[("", "请选择"), *VehicleType.choices])
    status = forms.ChoiceField(label="状态", choices=VehicleStatus.choices, initial=VehicleStatus.IN_USE)
    inspection_due = forms.DateField(label="下次年检日期", required=False, widget=DateInput(attrs=DATE))
    insurance_due = forms.DateField(label="保险到期日", required=False, widget=DateInput(attrs=DATE))
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        _one_unit(self, units)


class DriverForm(StyledForm, forms.Form):
    unit = forms.ModelChoiceField(label="所属企业", queryset=Unit.objects.none(), empty_label="请选择")
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号码", max_length=18, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    licence_class = forms.ChoiceField(label="准驾车型", choices=[("", "请选择"), *LicenceClass.choices])
    licence_expiry = forms.DateField(label="驾驶证有效期至", required=False, widget=DateInput(attrs=DATE))
    points = forms.IntegerField(
        label="本记分周期记分",
        min_value=0,
        max_value=MAX_POINTS,
        initial=0,
        help_text="满 12 分须重新学习考试",
        error_messages=POINT_ERRORS,
    )
    status = forms.ChoiceField(label="状态", choices=DriverStatus.choices, initial=DriverStatus.ACTIVE)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        _one_unit(self, units)


class ViolationForm(StyledForm, forms.Form):
    vehicle = forms.ModelChoiceField(label="车辆", queryset=Vehicle.objects.none(), required=False, empty_label="无")
    driver = forms.ModelChoiceField(label="驾驶员", queryset=Driver.objects.none(), required=False, empty_label="无")
    occurred_on = forms.DateField(label="违法日期", widget=DateInput(attrs=DATE))
    kind = forms.ChoiceField(label="违法行为", choices=[("", "请选择"), *ViolationKind.choices])
    points = forms.IntegerField(label="记分", min_value=0, max_value=MAX_POINTS, initial=0, error_messages=POINT_ERRORS)
    source = forms.ChoiceField(label="来源", choices=[("", "请选择"), *ViolationSource.choices])
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, vehicles, drivers, sources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles
        self.fields["driver"].queryset = drivers
        if sources is not None:
            self.fields["source"].choices = [("", "请选择"), *sources]
