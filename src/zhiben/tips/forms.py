"""Forms of the tips pages. They only parse input; the rules (lengths, spam,
photo count and type) live in the services so that the API and the pages
give the same Chinese messages."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from zhiben.hazards.choices import HazardLevel
from zhiben.hazards.forms import CategoryField
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization
from zhiben.registry.forms import owner_queryset
from zhiben.registry.models import Sector, Unit
from zhiben.web.toolkit import DateInput, MultipleFileField, OrgChoiceField, StyledForm

from .choices import STAFF_CHANNELS, TipChannel, TipStatus
from .models import NAME_MAX_LENGTH, PHONE_MAX_LENGTH, TEXT_MAX_LENGTH, Tip
from .services import PUBLIC_MAX_PHOTOS, STAFF_MAX_PHOTOS


def streets():
    return Organization.objects.filter(kind=OrgKind.STREET, is_active=True).order_by("sort_order", "path")


def photo_field(max_count: int) -> MultipleFileField:
    field = MultipleFileField(label=f"照片（可选，最多 {max_count} 张）")
    field.widget.attrs.update({"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"})
    return field


class PublicTipForm(StyledForm, forms.Form):
    text = forms.CharField(
        label="举报内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": TEXT_MAX_LENGTH}),
        help_text=f"请写明发现的安全隐患，不超过 {TEXT_MAX_LENGTH} 字",
    )
    place = forms.CharField(label="地点", required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    street = forms.ModelChoiceField(label="所属街道（可选）", queryset=streets(), required=False, empty_label="不清楚")
    site = forms.CharField(required=False, widget=forms.HiddenInput)
    is_employee = forms.BooleanField(
        label="我是该单位的从业人员（内部报告）", required=False, help_text="您的身份只有承办人员可见"
    )
    reporter_name = forms.CharField(
        label="姓名（可选）", required=False, widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH})
    )
    reporter_phone = forms.CharField(
        label="联系电话（可选）", required=False, widget=forms.TextInput(attrs={"maxlength": PHONE_MAX_LENGTH})
    )
    photos = photo_field(PUBLIC_MAX_PHOTOS)
    # A honeypot: hidden from people, filled in by naive bots.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets()

    def service_data(self, site) -> dict:
        d = self.cleaned_data
        return {
            "channel": TipChannel.INTERNAL if d.get("is_employee") else TipChannel.WEB,
            "text": d.get("text", ""),
            "place": d.get("place", ""),
            "street": d.get("street"),
            "site": site,
            "reporter_name": d.get("reporter_name", ""),
            "reporter_phone": d.get("reporter_phone", ""),
        }


class TrackForm(StyledForm, forms.Form):
    code = forms.CharField(
        label="查询码",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX"}),
    )


class StaffTipForm(StyledForm, forms.Form):
    channel = forms.ChoiceField(label="渠道", choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    external_ref = forms.CharField(label="来件编号（工单号等）", required=False, max_length=40)
    received_on = forms.DateField(label="收到日期", widget=DateInput())
    text = forms.CharField(label="举报内容", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    place = forms.CharField(label="地点", required=False)
    site_code = forms.CharField(label="场所码（可选）", required=False, max_length=32)
    unit = forms.ModelChoiceField(label="被举报单位（已登记，可选）", queryset=Unit.objects.none(), required=False)
    street = forms.ModelChoiceField(label="所属街道", queryset=streets(), required=False, empty_label="请选择")
    reporter_name = forms.CharField(label="举报人姓名", required=False)
    reporter_phone = forms.CharField(label="举报人电话", required=False)
    photos = photo_field(STAFF_MAX_PHOTOS)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets()
        self.fields["received_on"].initial = timezone.localdate()
        if user is not None:
            self.fields["unit"].queryset = Unit.objects.restrict(user, "view").order_by("name")

    def service_data(self, site) -> dict:
        d = self.cleaned_data
        return {
            "channel": d["channel"],
            "external_ref": d.get("external_ref", ""),
            "received_on": d["received_on"],
            "text": d.get("text", ""),
            "place": d.get("place", ""),
            "site": site,
            "unit": d.get("unit"),
            "street": d.get("street"),
            "reporter_name": d.get("reporter_name", ""),
            "reporter_phone": d.get("reporter_phone", ""),
        }


class AcceptForm(StyledForm, forms.Form):
    sector = forms.ModelChoiceField(label="行业领域", queryset=Sector.objects.all(), empty_label="请选择")
    category = CategoryField(label="隐患类别")
    title = forms.CharField(label="隐患简述", max_length=120, required=False, help_text="留空则取举报内容开头")
    level = forms.ChoiceField(label="隐患等级", choices=HazardLevel.choices, initial=HazardLevel.GENERAL)
    allow_duplicate = forms.BooleanField(label="已核对：不是台账上已有的隐患", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].group()


class LinkForm(StyledForm, forms.Form):
    hazard_code = forms.CharField(label="已有隐患编号", max_length=20, help_text="如 YH-2026-000123（须未销号）")


class TransferForm(StyledForm, forms.Form):
    to_org = OrgChoiceField(label="移交给", queryset=owner_queryset(), empty_label="请选择部门或街道")
    reason = forms.CharField(label="移交理由", widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(StyledForm, forms.Form):
    reason = forms.CharField(label="不予受理理由", widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(StyledForm, forms.Form):
    text = forms.CharField(
        label="答复内容",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="举报人凭查询码可看到此内容，请勿写入他人个人信息",
    )


class RewardForm(StyledForm, forms.Form):
    amount = forms.DecimalField(label="金额（元）", max_digits=10, decimal_places=2, min_value=0.01)
    basis = forms.CharField(label="奖励依据", widget=forms.Textarea(attrs={"rows": 2}))
    approved_on = forms.DateField(label="批准日期", widget=DateInput())


class TipFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=TipStatus.choices, empty_label="全部状态")
    channel = django_filters.ChoiceFilter(label="渠道", choices=TipChannel.choices, empty_label="全部渠道")
    street = django_filters.ModelChoiceFilter(label="街道", queryset=streets(), empty_label="全部街道")
    late = django_filters.BooleanFilter(
        label="超期",
        method="filter_late",
        widget=forms.Select(choices=[("", "是否超期"), ("true", "超期未答复"), ("false", "未超期")]),
    )

    class Meta:
        model = Tip
        fields: list[str] = []

    def __init__(self, *args, today=None, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def filter_late(self, qs, name, value):
        if value is None:
            return qs
        return qs.late(self.today) if value else qs.not_late(self.today)
