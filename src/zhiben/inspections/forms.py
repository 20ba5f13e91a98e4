"""Forms of the inspection pages. They only parse input; rules live in services."""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone

from zhiben.hazards.models import HazardCategory
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.access import visible_sites
from zhiben.registry.models import Sector, Site
from zhiben.web.toolkit import DateInput, StyledForm

from .choices import CAMPAIGN_METHODS, FrequencyPeriod
from .models import Checklist, ChecklistVersion

LINE_HELP = (
    "每行一条：编号 | 检查内容 | 依据条款 | 重大 | 隐患类别编码（后三项可省略）；[分组名称] 另起一组；# 开头为注释"
)


def _orgs():
    return Organization.objects.filter(is_active=True).exclude(kind=OrgKind.EXTERNAL)


class ChecklistForm(StyledForm, forms.Form):
    code = forms.SlugField(label="编码", max_length=64)
    name = forms.CharField(label="名称", max_length=120)
    source = forms.CharField(label="依据", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sectors = forms.ModelMultipleChoiceField(label="适用行业", queryset=Sector.objects.all(), required=False)
    default_category = forms.ModelChoiceField(
        label="默认隐患类别", queryset=HazardCategory.objects.filter(is_active=True), required=False
    )
    items_text = forms.CharField(label="检查条目", widget=forms.Textarea(attrs={"rows": 14}), help_text=LINE_HELP)


class PublishForm(StyledForm, forms.Form):
    items_text = forms.CharField(label="检查条目", widget=forms.Textarea(attrs={"rows": 18}), help_text=LINE_HELP)
    note = forms.CharField(label="修订说明", max_length=200, required=False)


class CampaignForm(StyledForm, forms.Form):
    name = forms.CharField(label="名称", max_length=120)
    owner = forms.ModelChoiceField(label="牵头部门", queryset=_orgs())
    co_owners = forms.ModelMultipleChoiceField(label="配合部门", queryset=_orgs(), required=False)
    method = forms.ChoiceField(label="检查方式", choices=CAMPAIGN_METHODS)
    period_start = forms.DateField(label="开始日期", widget=DateInput())
    period_end = forms.DateField(label="结束日期", widget=DateInput())
    checklist = forms.ModelChoiceField(label="检查表", queryset=Checklist.objects.filter(is_active=True))
    site_types = forms.CharField(label="场所类型编码", required=False, help_text="多个以逗号分隔，如 civil_air_defense")
    streets = forms.ModelMultipleChoiceField(
        label="街道", queryset=Organization.objects.filter(kind=OrgKind.STREET), required=False
    )
    target_owner = forms.ModelChoiceField(label="负责部门（含下级）", queryset=_orgs(), required=False)
    attributes = forms.CharField(
        label="场所属性条件", required=False, help_text='JSON，如 {"category": "公用人防工程", "usage": "在用"}'
    )
    sites = forms.ModelMultipleChoiceField(label="另加场所", queryset=Site.objects.none(), required=False)
    team_users = forms.ModelMultipleChoiceField(label="检查人员", queryset=User.objects.none(), required=False)
    team_orgs = forms.ModelMultipleChoiceField(label="参加单位", queryset=_orgs(), required=False)
    frequency_times = forms.IntegerField(label="频次（次）", min_value=1, required=False)
    frequency_period = forms.ChoiceField(
        label="频次周期", choices=[("", "—"), *list(FrequencyPeriod.choices)], required=False
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = visible_sites(user)
        self.fields["team_users"].queryset = User.objects.filter(is_active=True)

    def clean_attributes(self):
        raw = self.cleaned_data["attributes"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("须为 JSON 对象") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("须为 JSON 对象")
        return value

    def service_data(self) -> dict:
        d = self.cleaned_data
        target = {
            "site_types": [c.strip() for c in d["site_types"].split(",") if c.strip()],
            "streets": [s.code for s in d["streets"]],
            "owner": d["target_owner"].code if d["target_owner"] else "",
            "attributes": d["attributes"],
            "sites": [s.pk for s in d["sites"]],
        }
        keys = ("name", "owner", "co_owners", "method", "period_start", "period_end", "checklist", "team_users")
        data = {k: d[k] for k in keys}
        data.update(
            team_orgs=d["team_orgs"],
            frequency_times=d["frequency_times"],
            frequency_period=d["frequency_period"],
            note=d["note"],
            target={k: v for k, v in target.items() if v},
        )
        return data


class DrawForm(StyledForm, forms.Form):
    site_count = forms.IntegerField(label="抽取场所数", min_value=1)
    inspector_pool = forms.ModelMultipleChoiceField(label="检查人员库", queryset=User.objects.none(), required=False)
    inspector_count = forms.IntegerField(label="抽取检查人员数", min_value=0, initial=0)
    seed = forms.CharField(label="随机种子", max_length=64, required=False, help_text="留空自动生成并记录")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector_pool"].queryset = User.objects.filter(is_active=True)


class InspectionForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="场所", queryset=Site.objects.none())
    checklist_version = forms.ModelChoiceField(
        label="检查表版本", queryset=ChecklistVersion.objects.select_related("checklist"), required=False
    )
    inspected_on = forms.DateField(label="检查日期", widget=DateInput())
    organization = forms.ModelChoiceField(label="检查单位", queryset=_orgs(), required=False)
    method = forms.ChoiceField(label="检查方式", choices=[("", "—"), *CAMPAIGN_METHODS], required=False)
    team_orgs = forms.ModelMultipleChoiceField(label="联合检查单位", queryset=_orgs(), required=False)
    inspectors = forms.ModelMultipleChoiceField(label="检查人员", queryset=User.objects.none(), required=False)
    latitude = forms.DecimalField(label="纬度", required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label="经度", required=False, max_digits=9, decimal_places=6)

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites if sites is not None else Site.objects.none()
        self.fields["inspectors"].queryset = User.objects.filter(is_active=True)
        self.fields["inspected_on"].initial = timezone.localdate()


class SelfCheckForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="场所", queryset=Site.objects.none())
    checklist = forms.ModelChoiceField(label="检查表", queryset=Checklist.objects.filter(is_active=True))
    inspected_on = forms.DateField(label="自查日期", widget=DateInput())

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites if sites is not None else Site.objects.none()
        self.fields["inspected_on"].initial = timezone.localdate()


class PeriodForm(StyledForm, forms.Form):
    start = forms.DateField(label="开始日期", widget=DateInput())
    end = forms.DateField(label="结束日期", widget=DateInput())
