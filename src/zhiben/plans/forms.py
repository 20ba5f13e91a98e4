"""Forms of the plan pages. They only parse input; rules live in services."""

from __future__ import annotations

from django import forms

from zhiben.org.models import Organization
from zhiben.registry.forms import owner_queryset
from zhiben.web.toolkit import DateInput, MultipleFileField, OrgChoiceField, StyledForm

from . import indicator_rules
from .models import Milestone
from .parsing.decoding import MAX_BYTES


class UploadForm(StyledForm, forms.Form):
    file = forms.FileField(
        label="方案文件",
        help_text="Word（.docx）、文本（.txt，UTF-8/GB18030）、带文字的 PDF（.pdf）或保存的网页（.html/.htm）",
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.txt,.pdf,.html,.htm"}),
    )
    owner = OrgChoiceField(
        label="牵头部门",
        queryset=owner_queryset(),
        required=False,
        empty_label="按标题中的行业自动确定",
        help_text="标题无法确定行业（如“经济系统”）时必选",
    )

    def clean_file(self):
        """Refused by its size before anything reads it into memory."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），方案文件不能超过 {MAX_BYTES // 1024 // 1024} MB"
            )
        return upload


class DueDayForm(StyledForm, forms.Form):
    due_day = forms.IntegerField(label="每月报送日", min_value=1, max_value=31, required=False, help_text="空为月末")


class ReportForm(StyledForm, forms.Form):
    organization = forms.ModelChoiceField(label="报送单位", queryset=Organization.objects.none(), empty_label=None)
    month = forms.DateField(
        label="月份",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    summary = forms.CharField(label="工作进展", widget=forms.Textarea(attrs={"rows": 4}))
    milestones = forms.ModelMultipleChoiceField(
        label="本月完成的节点", queryset=Milestone.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    completed = forms.BooleanField(label="任务已全部完成", required=False)

    def __init__(self, *args, task=None, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations])
        if task is not None:
            self.fields["milestones"].queryset = task.milestones.filter(met_on__isnull=True)
        self.fields["milestones"].widget.attrs["class"] = "form-check-input"
        self.fields["milestones"].label_from_instance = lambda m: f"{m.due_date:%Y-%m-%d} {m.text[:50]}"


class ReasonForm(StyledForm, forms.Form):
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 2}))


class FulfilForm(StyledForm, forms.Form):
    note = forms.CharField(label="完成情况", widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(label="佐证材料（照片或PDF）")


class IndicatorForm(StyledForm, forms.Form):
    value = forms.DecimalField(label="数值", max_digits=12, decimal_places=2, min_value=0)
    measured_on = forms.DateField(label="统计日期", widget=DateInput())
    note = forms.CharField(label="说明", required=False)
    files = MultipleFileField(label="佐证材料")


class IndicatorRuleForm(StyledForm, forms.Form):
    rule = forms.ChoiceField(label="计算规则", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "不计算（仅手工填报）"), *indicator_rules.rule_choices()]


class MappingForm(StyledForm, forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    organization = OrgChoiceField(
        label="对应组织", queryset=Organization.objects.filter(is_active=True).order_by("path"), required=False
    )
    ignored = forms.BooleanField(label="泛指，不对应具体组织", required=False)
