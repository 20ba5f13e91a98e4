"""Forms of the 道路交通 pages (the services validate again; these only shape the input)."""

from __future__ import annotations

from django import forms

from zhiben.org.models import Organization
from zhiben.web.toolkit import DateInput, OrgChoiceField, StyledForm

from .choices import ListingLevel, SchoolPlanStatus
from .models import FIRST_YEAR, LAST_YEAR, MAX_ACCIDENTS
from .services import LEAD_KINDS

DATE = {"type": "date"}


def lead_org_queryset():
    return Organization.objects.filter(is_active=True, kind__in=list(LEAD_KINDS)).order_by("path")


class ListingForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="点段", queryset=None, empty_label="请选择道路点段")
    year = forms.IntegerField(label="挂牌年度", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    level = forms.ChoiceField(label="挂牌级别", choices=[("", "请选择"), *ListingLevel.choices])
    accident_count = forms.IntegerField(label="认定事故起数", min_value=0, max_value=MAX_ACCIDENTS, initial=0)
    lead_org = OrgChoiceField(label="牵头单位", queryset=Organization.objects.none(), empty_label="请选择")
    reason = forms.CharField(label="挂牌原因", max_length=300, required=False)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["lead_org"].queryset = lead_org_queryset()


class RectificationForm(StyledForm, forms.Form):
    """Measures and evidence (no state: the state changes by the transition buttons)."""

    measures = forms.CharField(
        label="整治措施", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.CharField(
        label="佐证说明", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(StyledForm, forms.Form):
    """One form for every transition; the fields a transition does not need are ignored."""

    transition = forms.CharField(max_length=20, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)
    measures = forms.CharField(
        label="整治措施", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    started_on = forms.DateField(label="开始日期", required=False, widget=DateInput(attrs=DATE))
    finished_on = forms.DateField(label="完成日期", required=False, widget=DateInput(attrs=DATE))
    accepted_by = forms.CharField(label="验收单位（人）", max_length=100, required=False)
    accepted_on = forms.DateField(label="验收日期", required=False, widget=DateInput(attrs=DATE))
    evidence = forms.CharField(label="佐证说明", max_length=1000, required=False)
    reason = forms.CharField(label="退回原因", max_length=300, required=False)


class SchoolPlanForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="学校", queryset=None, empty_label="请选择学校")
    school_year = forms.IntegerField(
        label="学年（起始年份）", min_value=FIRST_YEAR, max_value=LAST_YEAR, help_text="如 2024 表示 2024-2025学年"
    )
    guard_posts = forms.CharField(
        label="护学岗",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="岗位设置、时段、人员",
    )
    traffic_facilities = forms.CharField(
        label="交通设施",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="人行横道、减速标线、信号灯、隔离设施等",
    )
    pickup_order = forms.CharField(
        label="接送秩序",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="接送区域、停车、错峰、人车分离",
    )
    police_name = forms.CharField(label="责任民警/交警", max_length=50, required=False)
    police_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    reviewed_on = forms.DateField(label="审核日期", required=False, widget=DateInput(attrs=DATE))
    status = forms.ChoiceField(label="状态", choices=SchoolPlanStatus.choices, initial=SchoolPlanStatus.DRAFTING)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
