"""Forms of the civildefence pages. They only parse input; rules live in services."""

from __future__ import annotations

from django import forms

from zhiben.org.models import User
from zhiben.registry.models import Unit
from zhiben.web.toolkit import DateInput, StyledForm

from .access import filing_sites
from .choices import FilingState, Purpose
from .models import AREA_MAX

OPEN_STATES = [(s.value, s.label) for s in FilingState if s != FilingState.RETIRED]


class FilingForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="人防工程", queryset=None, empty_label="请选择")
    filing_no = forms.CharField(label="备案编号", max_length=40)
    state = forms.ChoiceField(label="使用状态", choices=OPEN_STATES, initial=FilingState.IN_USE)
    user_uscc = forms.CharField(
        label="使用单位统一社会信用代码",
        max_length=18,
        required=False,
        help_text="使用单位已在系统登记时填写，按代码关联该单位",
    )
    user_name = forms.CharField(label="使用单位名称", max_length=100, required=False, help_text="使用单位未登记时填写")
    purpose = forms.ChoiceField(label="用途", choices=[("", "请选择"), *Purpose.choices])
    area_m2 = forms.DecimalField(
        label="使用面积（平方米）",
        min_value=0.01,
        max_value=AREA_MAX,  # fits the column's 9 digits with 2 decimals
        decimal_places=2,
        error_messages={
            "invalid": "请输入数字",
            "min_value": "使用面积须大于 0",
            "max_value": f"使用面积不能大于 {AREA_MAX} 平方米",
            "max_decimal_places": "最多保留 2 位小数",
        },
    )
    filed_on = forms.DateField(label="备案日期", widget=DateInput())
    valid_until = forms.DateField(label="备案有效期至", widget=DateInput())
    manager_name = forms.CharField(label="维护管理责任人", max_length=50)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, user: User, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = filing_sites(user).select_related("street").order_by("name")
        self.user = user
        if not creating:
            del self.fields["site"]
            del self.fields["state"]

    def clean_user_uscc(self) -> Unit | None:
        """The registered unit of the code typed in (one the user sees), or None when empty."""
        code = (self.cleaned_data.get("user_uscc") or "").strip().upper()
        if not code:
            return None
        unit = Unit.objects.restrict(self.user, "view").filter(uscc=code).first()
        if unit is None:
            raise forms.ValidationError("没有找到该统一社会信用代码的单位（或您无权查看）")
        return unit

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["user_unit"] = data.pop("user_uscc", None)
        return data


class ReasonForm(StyledForm, forms.Form):
    reason = forms.CharField(label="原因", max_length=300, required=False)
