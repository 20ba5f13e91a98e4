"""Forms of the registry pages. They only parse input; rules live in services."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from zhiben.core.validators import uscc_problem
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User
from zhiben.web.toolkit import DateInput, OrgChoiceField, StyledForm

from .access import confined_units
from .choices import (
    DocumentKind,
    FlagKind,
    InsuranceStatus,
    LicenseStatus,
    RiskMethod,
    StandardizationLevel,
)
from .models import (
    ConfinedHazard,
    ConfinedSpace,
    ConfinedSpaceStatus,
    ConfinedSpaceType,
    Sector,
    Site,
    SiteType,
    Tag,
    Unit,
)
from .services import LEC_VALUES, LS_VALUES

DATE = {"type": "date"}


class RegistryForm(StyledForm):
    """The registry's forms leave their lists of checkboxes (标签, 包含街道) unstyled."""

    style_checkbox_lists = False


def owner_queryset():
    """The organizations that may own records (departments, offices, sections,
    streets), in tree order: the choices of every 行业主管部门/移交给 field."""
    return Organization.objects.filter(
        is_active=True, kind__in=[OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET]
    ).order_by("path")


def streets():
    return Organization.objects.filter(kind=OrgKind.STREET, is_active=True).order_by("sort_order", "path")


class UnitForm(RegistryForm, forms.Form):
    name = forms.CharField(label="单位名称", max_length=200)
    uscc = forms.CharField(label="统一社会信用代码", max_length=18, required=False, help_text="18位，校验校验位")
    sector = forms.ModelChoiceField(
        label="行业领域", queryset=Sector.objects.all(), required=False, empty_label="请选择"
    )
    industry_type = forms.CharField(label="行业类型", max_length=60, required=False)
    address = forms.CharField(label="地址", max_length=255, required=False)
    street = forms.ModelChoiceField(label="所属街道", queryset=streets(), required=False, empty_label="请选择")
    owner = OrgChoiceField(
        label="行业主管部门",
        queryset=owner_queryset(),
        required=False,
        empty_label="按行业领域确定",
        help_text="留空则为行业领域的主管部门",
    )
    tags = forms.ModelMultipleChoiceField(
        label="标签", queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    legal_rep_name = forms.CharField(label="法定代表人", max_length=50, required=False)
    legal_rep_phone = forms.CharField(label="法定代表人电话", max_length=30, required=False)
    safety_contact_name = forms.CharField(label="安全管理联系人", max_length=50, required=False)
    safety_contact_phone = forms.CharField(label="安全管理联系人电话", max_length=30, required=False)
    insurance_status = forms.ChoiceField(label="安全生产责任险", choices=InsuranceStatus.choices, initial="unknown")
    insurance_expiry = forms.DateField(label="安责险到期日", required=False, widget=DateInput(attrs=DATE))
    standardization_level = forms.ChoiceField(
        label="安全生产标准化等级", choices=StandardizationLevel.choices, initial="none"
    )
    license_status = forms.ChoiceField(label="安全生产许可证", choices=LicenseStatus.choices, initial="unknown")
    license_expiry = forms.DateField(label="许可证有效期至", required=False, widget=DateInput(attrs=DATE))
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, contacts_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if contacts_only:
            for name in list(self.fields):
                if name not in ("legal_rep_name", "legal_rep_phone", "safety_contact_name", "safety_contact_phone"):
                    del self.fields[name]

    def clean_uscc(self):
        value = (self.cleaned_data.get("uscc") or "").strip().upper()
        if value:
            problem = uscc_problem(value)
            if problem:
                raise forms.ValidationError(problem)
        return value or None


class FlagForm(RegistryForm, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=FlagKind.choices)
    reason = forms.CharField(label="原因", max_length=300)
    start = forms.DateField(label="开始日期", widget=DateInput(attrs=DATE))
    end = forms.DateField(
        label="结束日期", required=False, widget=DateInput(attrs=DATE), help_text="“不得评优”留空为开始日期起1年"
    )


class ReasonForm(RegistryForm, forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class DocumentForm(RegistryForm, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=DocumentKind.choices)
    title = forms.CharField(label="名称", max_length=100)
    expires_on = forms.DateField(label="有效期至", required=False, widget=DateInput(attrs=DATE))
    file = forms.FileField(label="文件", widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))


class SiteForm(RegistryForm, forms.Form):
    name = forms.CharField(label="名称", max_length=200)
    site_type = forms.ModelChoiceField(
        label="类型", queryset=SiteType.objects.filter(is_active=True), empty_label="请选择"
    )
    unit = forms.ModelChoiceField(label="所属单位", queryset=Unit.objects.none(), required=False, empty_label="无")
    address = forms.CharField(label="地址", max_length=255, required=False, help_text="留空则用所属单位的地址")
    street = forms.ModelChoiceField(label="所属街道", queryset=streets(), required=False, empty_label="按所属单位")
    owner = OrgChoiceField(
        label="负责部门",
        queryset=owner_queryset(),
        required=False,
        empty_label="按“三管三必须”分工确定",
        help_text="留空则按场所类型的“三管三必须”分工确定",
    )
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, user: User, site_type: SiteType | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, "view").order_by("name")
        self.site_type = site_type
        self.attribute_names: list[str] = []
        for spec in (site_type.attributes if site_type else None) or []:
            name = f"attr_{spec['key']}"
            required = bool(spec.get("required"))
            kind = spec.get("kind", "text")
            if kind == "bool":
                field = forms.BooleanField(label=spec["label"], required=False)
            elif kind == "choice":
                field = forms.ChoiceField(
                    label=spec["label"], required=required, choices=[("", "请选择"), *((c, c) for c in spec["choices"])]
                )
            elif kind == "number":
                field = forms.DecimalField(label=spec["label"], required=required)
            elif kind == "date":
                field = forms.DateField(label=spec["label"], required=required, widget=DateInput(attrs=DATE))
            else:
                field = forms.CharField(label=spec["label"], required=required, max_length=200)
            self.fields[name] = field
            self.attribute_names.append(name)
        self.apply_style()

    @property
    def attribute_fields(self):
        return [self[name] for name in self.attribute_names]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("attr_")}
        attributes = {}
        for name in self.attribute_names:
            value = self.cleaned_data.get(name)
            attributes[name[5:]] = str(value) if value is not None and not isinstance(value, bool) else value
        data["attributes"] = attributes
        return data


class GridForm(RegistryForm, forms.Form):
    name = forms.CharField(label="名称", max_length=60)
    owner = OrgChoiceField(label="负责组织", queryset=owner_queryset(), empty_label="请选择")
    streets = forms.ModelMultipleChoiceField(
        label="包含街道", queryset=streets(), required=False, widget=forms.CheckboxSelectMultiple
    )
    sites = forms.ModelMultipleChoiceField(
        label="包含场所", queryset=Site.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    inspectors = forms.ModelMultipleChoiceField(
        label="网格检查员", queryset=User.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.restrict(user, "view").select_related("site_type")
        self.fields["inspectors"].queryset = (
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__role__in=[Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER, Role.EXPERT],
            )
            .filter(Q(pk__in=User.objects.restrict(user, "view").values("pk")))
            .distinct()
            .order_by("username")
        )


class AssessmentForm(RegistryForm, forms.Form):
    method = forms.ChoiceField(label="评估方法", choices=RiskMethod.choices, initial=RiskMethod.LEC)
    lec_l = forms.ChoiceField(
        label="L 事故发生的可能性", required=False, choices=[("", "—"), *((v, v) for v in LEC_VALUES["L"])]
    )
    lec_e = forms.ChoiceField(
        label="E 暴露于危险环境的频繁程度", required=False, choices=[("", "—"), *((v, v) for v in LEC_VALUES["E"])]
    )
    lec_c = forms.ChoiceField(
        label="C 事故后果", required=False, choices=[("", "—"), *((v, v) for v in LEC_VALUES["C"])]
    )
    ls_l = forms.ChoiceField(
        label="L 可能性（1–5）", required=False, choices=[("", "—"), *((v, v) for v in LS_VALUES["L"])]
    )
    ls_s = forms.ChoiceField(
        label="S 严重性（1–5）", required=False, choices=[("", "—"), *((v, v) for v in LS_VALUES["S"])]
    )
    assessed_on = forms.DateField(label="评估日期", widget=DateInput(attrs=DATE))
    valid_until = forms.DateField(
        label="有效期至", required=False, widget=DateInput(attrs=DATE), help_text="留空为评估日期起一年"
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def inputs(self) -> dict:
        data = self.cleaned_data
        if data["method"] == RiskMethod.LEC:
            return {"L": data.get("lec_l"), "E": data.get("lec_e"), "C": data.get("lec_c")}
        return {"L": data.get("ls_l"), "S": data.get("ls_s")}


# --- 有限空间 -------------------------------------------------------------------------------


class ConfinedSpaceFilterSet(django_filters.FilterSet):
    """The confined-space list's filters (the page, the API and the export)."""

    q = django_filters.CharFilter(label="关键词", method="filter_q", max_length=100)
    unit = django_filters.NumberFilter(label="单位", field_name="unit_id", min_value=1)
    space_type = django_filters.ChoiceFilter(label="类型", choices=ConfinedSpaceType.choices, empty_label="全部类型")
    status = django_filters.ChoiceFilter(label="状态", choices=ConfinedSpaceStatus.choices, empty_label="全部状态")

    class Meta:
        model = ConfinedSpace
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("placeholder", "名称、编号、位置或单位" if name == "q" else field.label)

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(location__icontains=value)
            | Q(unit__name__icontains=value)
        )


class ConfinedSpaceForm(RegistryForm, forms.Form):
    unit = forms.ModelChoiceField(label="所属单位", queryset=Unit.objects.none(), empty_label="请选择")
    code = forms.CharField(label="编号", max_length=30, required=False)
    name = forms.CharField(label="名称", max_length=100)
    space_type = forms.ChoiceField(label="类型", choices=[("", "请选择"), *ConfinedSpaceType.choices])
    site = forms.ModelChoiceField(
        label="所在场所", queryset=Site.objects.none(), required=False, empty_label="无", help_text="须为该单位的场所"
    )
    location = forms.CharField(label="位置", max_length=200, required=False)
    hazards = forms.MultipleChoiceField(
        label="主要危险有害因素",
        choices=ConfinedHazard.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    has_warning_sign = forms.BooleanField(label="已设置安全警示标识", required=False)
    manager_name = forms.CharField(label="管理责任人", max_length=50, required=False)
    status = forms.ChoiceField(label="状态", choices=ConfinedSpaceStatus.choices, initial=ConfinedSpaceStatus.IN_USE)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, user: User, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:
            units = confined_units(user).order_by("name")
        self.fields["unit"].queryset = units
        self.fields["site"].queryset = Site.objects.restrict(user, "view").filter(unit__in=units).order_by("name")
        only = list(units[:2])
        if len(only) == 1 and not self.is_bound and not self.initial.get("unit"):
            self.initial["unit"] = only[0].pk  # an enterprise user's own unit: nothing to choose


class ConfinedPermitForm(RegistryForm, forms.Form):
    work_date = forms.DateField(label="作业日期", widget=DateInput(attrs=DATE))
    start_time = forms.TimeField(label="开始时间", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label="结束时间", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    content = forms.CharField(label="作业内容", max_length=300)
    contractor = forms.CharField(
        label="作业单位", max_length=100, required=False, help_text="承包单位名称；留空为本单位人员"
    )
    approver_name = forms.CharField(label="审批人", max_length=50)
    guardian_name = forms.CharField(label="监护人", max_length=50)
    oxygen_pct = forms.DecimalField(
        label="氧气（%VOL）", min_value=0, max_value=100, max_digits=4, decimal_places=1, help_text="合格：19.5～23.5"
    )
    lel_pct = forms.DecimalField(
        label="可燃气体（%LEL）", min_value=0, max_value=100, max_digits=4, decimal_places=1, help_text="合格：低于 10"
    )
    h2s_ppm = forms.DecimalField(
        label="硫化氢（ppm）", min_value=0, max_value=1000, max_digits=5, decimal_places=1, help_text="合格：不超过 7"
    )
    co_ppm = forms.DecimalField(
        label="一氧化碳（ppm）",
        min_value=0,
        max_value=2000,
        max_digits=5,
        decimal_places=1,
        help_text="合格：不超过 25",
    )
    approved = forms.BooleanField(label="审批通过", required=False)
    note = forms.CharField(label="备注", max_length=300, required=False)


class ConfinedPermitEditForm(ConfinedPermitForm):
    """更正作业审批: the permit's fields and why it is corrected."""

    reason = forms.CharField(label="更正原因", max_length=300, required=False)


class PermitWithdrawForm(RegistryForm, forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
