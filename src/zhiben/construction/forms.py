"""Forms of the construction pages. They only parse input; rules live in services."""

from __future__ import annotations

from django import forms

from zhiben.org.models import User
from zhiben.registry.models import Site
from zhiben.web.toolkit import StyledForm
from zhiben.web.widgets import DateInput

from .choices import (
    ITEM_UNITS,
    MAJOR_HAZARD_CLAUSES,
    CraneStatus,
    CraneType,
    ExpertConclusion,
    InspectionResult,
    MonitoringItem,
    WorkStatus,
    WorkType,
)
from .models import DangerousWork

# One Chinese message per problem. No max_digits here: the range (±10000000 with 2 decimals)
# already fits the model's columns, and Django's own "确认总共不超过 N 个数字." would show twice.
DECIMAL_ERRORS = {"invalid": "请输入数字", "max_decimal_places": "最多保留 2 位小数"}
MEASURE = {
    "decimal_places": 2,
    "min_value": -10_000_000,
    "max_value": 10_000_000,
    "error_messages": {**DECIMAL_ERRORS, "min_value": "不能小于 -10000000", "max_value": "不能大于 10000000"},
}
THRESHOLD = {
    "decimal_places": 2,
    "min_value": 0.01,
    "max_value": 10_000_000,
    "error_messages": {**DECIMAL_ERRORS, "min_value": "须大于 0", "max_value": "不能大于 10000000"},
}


def _date(label: str, required: bool = False, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)


class ProjectInfoForm(StyledForm, forms.Form):
    builder = forms.CharField(label="建设单位", max_length=200, required=False)
    contractor = forms.CharField(label="施工单位", max_length=200, required=False, help_text="留空时取工地所属单位")
    supervisor = forms.CharField(label="监理单位", max_length=200, required=False)
    project_manager = forms.CharField(label="项目负责人", max_length=50, required=False)
    responsible = forms.ModelMultipleChoiceField(
        label="监测预警接收人",
        queryset=User.objects.none(),
        required=False,
        help_text="深基坑监测报警时通知（另会通知施工单位的企业用户和主管部门）；须能查看该工地",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["responsible"].queryset = people
        self.fields["responsible"].label_from_instance = lambda u: f"{u}（{u.username}）"


class WorkForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="工程", queryset=Site.objects.none(), empty_label="请选择")
    name = forms.CharField(label="名称/部位", max_length=100, help_text="如：1#楼深基坑、裙房高支模")
    work_type = forms.ChoiceField(label="类别", choices=[("", "请选择"), *WorkType.choices])
    over_scale = forms.BooleanField(label="超过一定规模", required=False)
    scheme_approved_on = _date("专项方案审批日期")
    scheme_approved_by = forms.CharField(label="方案审批人", max_length=50, required=False)
    expert_review_on = _date("专家论证日期")
    expert_conclusion = forms.ChoiceField(
        label="专家论证结论", choices=[("", "未论证"), *ExpertConclusion.choices], required=False
    )
    monitoring_required = forms.BooleanField(label="需第三方监测", required=False)
    status = forms.ChoiceField(label="状态", choices=WorkStatus.choices, initial=WorkStatus.NOT_STARTED)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["site"].queryset = sites
            only = list(sites[:2])
            if len(only) == 1 and not self.is_bound and not self.initial.get("site"):
                self.initial["site"] = only[0].pk


class CraneForm(StyledForm, forms.Form):
    site = forms.ModelChoiceField(label="工程", queryset=Site.objects.none(), empty_label="请选择")
    crane_type = forms.ChoiceField(label="类型", choices=[("", "请选择"), *CraneType.choices])
    record_no = forms.CharField(label="备案编号", max_length=40)
    model_no = forms.CharField(label="规格型号", max_length=60, required=False)
    owner_unit = forms.CharField(label="产权单位", max_length=200)
    installer = forms.CharField(label="安装单位", max_length=200, required=False)
    install_notified_on = _date("安装告知日期")
    inspected_on = _date("检验日期")
    inspection_result = forms.ChoiceField(
        label="检验结果", choices=[("", "未检验"), *InspectionResult.choices], required=False
    )
    inspection_valid_until = _date("检验有效期至", help_text="见检验报告")
    use_registered_on = _date("使用登记日期")
    use_registration_no = forms.CharField(label="使用登记编号", max_length=40, required=False)
    dismantle_notified_on = _date("拆卸告知日期")
    dismantled_on = _date("拆卸日期")
    status = forms.ChoiceField(label="状态", choices=CraneStatus.choices, initial=CraneStatus.INSTALLING)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["site"].queryset = sites
            only = list(sites[:2])
            if len(only) == 1 and not self.is_bound and not self.initial.get("site"):
                self.initial["site"] = only[0].pk


class PointForm(StyledForm, forms.Form):
    work = forms.ModelChoiceField(label="基坑工程", queryset=DangerousWork.objects.none(), empty_label="请选择")
    code = forms.CharField(label="测点编号", max_length=30)
    item = forms.ChoiceField(label="监测项目", choices=[("", "请选择"), *MonitoringItem.choices])
    location = forms.CharField(label="位置", max_length=100, required=False)
    unit = forms.CharField(label="计量单位", max_length=10, initial="mm", help_text="如 mm、kN")
    alarm_cumulative = forms.DecimalField(label="累计值报警值", **THRESHOLD)
    alarm_rate = forms.DecimalField(label="变化速率报警值（每天）", required=False, **THRESHOLD)
    is_active = forms.BooleanField(label="在测", required=False, initial=True)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, works=None, **kwargs):
        super().__init__(*args, **kwargs)
        if works is not None:
            self.fields["work"].queryset = works
        self.fields["work"].label_from_instance = lambda w: f"{w.site.name} / {w.name}"
        self.fields["unit"].help_text = (
            "如 mm、kN（" + "、".join(f"{MonitoringItem(k).label}常用 {v}" for k, v in ITEM_UNITS.items()) + "）"
        )


class ReadingForm(StyledForm, forms.Form):
    measured_on = _date("测量日期", required=True)
    value = forms.DecimalField(label="累计值", help_text="自初始值起的累计变化量（支撑轴力填实测值）", **MEASURE)
    note = forms.CharField(label="备注", max_length=300, required=False)


class BasisForm(StyledForm, forms.Form):
    clause = forms.ChoiceField(label="判定条款", choices=[("", "请选择"), *MAJOR_HAZARD_CLAUSES.items()])
    item = forms.CharField(label="具体情形", max_length=300, required=False, help_text="如：深基坑施工未进行第三方监测")
    measures = forms.CharField(
        label="整改措施", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
