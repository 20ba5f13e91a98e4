"""Forms of the hazard pages. They only parse input; rules live in services."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone

from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User
from zhiben.registry.forms import owner_queryset
from zhiben.registry.models import Sector, Site, Unit
from zhiben.web.toolkit import DateInput, MultipleFileField, OrgChoiceField, StyledForm

from .choices import DeadlineKind, Difficulty, HazardLevel, HazardSource, SupervisionKind, SupervisionLevel
from .models import TEXT_MAX_LENGTH, GovernancePlan, HazardCategory


def length_message(limit: int) -> dict[str, str]:
    return {"max_length": f"不能超过 {limit} 个字符（当前 %(show_value)d 个）"}


def long_text(label: str, *, required: bool = True, rows: int = 2, **kwargs) -> forms.CharField:
    """A free-text field bounded at TEXT_MAX_LENGTH, with a Chinese message."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        error_messages=length_message(TEXT_MAX_LENGTH),
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class DataSelect(forms.Select):
    """A select whose options carry ``data-*`` attributes (``option_data``:
    option value → {name: value}), read by static/js/hazard-form.js."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        for key, data in self.option_data.get(str(value), {}).items():
            option["attrs"][f"data-{key}"] = data
        return option


# 来源 offered first to each role (the user may change it).
SOURCE_BY_ROLE = {
    Role.ENTERPRISE: HazardSource.SELF_CHECK,
    Role.EXPERT: HazardSource.THIRD_PARTY,
    Role.DISTRICT_ADMIN: HazardSource.SUPERVISION,
    Role.DEPT_LEADER: HazardSource.SUPERVISION,
    Role.DEPT_OFFICER: HazardSource.SUPERVISION,
    Role.STREET_OFFICER: HazardSource.SUPERVISION,
}


def default_source(user) -> str:
    membership = user.primary_membership
    if membership is None:
        return HazardSource.SUPERVISION if user.is_superuser else ""
    return SOURCE_BY_ROLE.get(membership.role, "")


class CategoryField(forms.ModelChoiceField):
    """Leaf categories grouped under their root."""

    widget = DataSelect

    def __init__(self, **kwargs):
        super().__init__(
            queryset=HazardCategory.objects.filter(is_active=True, children__isnull=True)
            .select_related("parent__parent")
            .order_by("sort_order"),
            **kwargs,
        )

    def label_from_instance(self, obj):
        return obj.name

    def group(self) -> None:
        """Show the leaves under their root (call when the form is built);
        each option names the sectors it belongs to (``data-sectors``: ids,
        or ``*`` for every sector) so the page can filter them by 行业领域."""
        groups: dict[str, list] = {}
        sectors_of_root: dict[int, str] = {}
        for category in self.queryset:
            root = category.root
            if root.pk not in sectors_of_root:
                sectors_of_root[root.pk] = (
                    "*"
                    if root.for_all_sectors
                    else ",".join(str(pk) for pk in root.sectors.values_list("pk", flat=True))
                )
            self.widget.option_data[str(category.pk)] = {"sectors": sectors_of_root[root.pk]}
            group = root.name if root.pk != category.pk else "其他"
            label = category.name if category.parent_id == root.pk else f"{category.parent.name} / {category.name}"
            groups.setdefault(group, []).append((category.pk, label))
        self.choices = [("", "请选择隐患类别"), *groups.items()]


class HazardForm(StyledForm, forms.Form):
    sector = forms.ModelChoiceField(label="行业领域", queryset=Sector.objects.all(), empty_label="请选择")
    category = CategoryField(label="隐患类别")
    level = forms.ChoiceField(label="隐患等级", choices=HazardLevel.choices)
    source = forms.ChoiceField(label="来源", choices=HazardSource.choices)
    difficulty = forms.ChoiceField(
        label="整改难度",
        choices=Difficulty.choices,
        help_text="易整改：单位即知即改；较难整改：部门督促整改；难整改：区安委办（区地空联办）牵头协调",
    )
    found_on = forms.DateField(label="发现日期", widget=DateInput())
    finder_name = forms.CharField(label="发现人/单位", max_length=100, required=False, help_text="留空则记为登记人")
    title = forms.CharField(label="隐患简述", max_length=120)
    description = long_text("隐患内容", rows=3)
    location = forms.CharField(label="具体位置", max_length=200, required=False)
    site = forms.ModelChoiceField(
        label="场所/工程/点位（已登记）",
        queryset=Site.objects.none(),
        required=False,
        empty_label="未登记或不涉及",
        widget=DataSelect,
    )
    unit = forms.ModelChoiceField(
        label="责任单位（已登记）",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="未登记的单位请在下方填写名称",
        widget=DataSelect,
    )
    unit_name = forms.CharField(label="责任单位名称", max_length=200, required=False)
    unit_uscc = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    address = forms.CharField(label="地址", max_length=255, required=False)
    street = forms.ModelChoiceField(
        label="所属街道",
        queryset=Organization.objects.filter(kind=OrgKind.STREET),
        required=False,
        empty_label="请选择",
    )
    owner = OrgChoiceField(label="行业主管部门", queryset=owner_queryset(), empty_label="请选择")
    responsible_person = forms.CharField(label="责任人", max_length=50, required=False)
    responsible_phone = forms.CharField(label="责任人电话", max_length=30, required=False)
    requirement = long_text("整改要求", required=False)
    deadline_kind = forms.ChoiceField(label="整改时限", choices=DeadlineKind.choices, initial=DeadlineKind.DATE)
    deadline = forms.DateField(label="整改期限", required=False, widget=DateInput())
    before_files = MultipleFileField(label="整改前照片/材料")

    def __init__(self, *args, user=None, hazard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].group()
        if user is not None:
            units = Unit.objects.restrict(user, "view")
            sites = Site.objects.restrict(user, "view")
            if hazard is not None:  # keep the hazard's own unit and site even if the editor cannot open them
                units = Unit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=hazard.unit_id))
                sites = Site.objects.filter(Q(pk__in=sites.values("pk")) | Q(pk=hazard.site_id))
            self.fields["unit"].queryset = units.select_related("owner", "street").order_by("name")
            self.fields["site"].queryset = sites.select_related("owner", "street", "unit").order_by("name")
            self._describe_places(user)
            self.fields["source"].initial = default_source(user)
            membership = user.primary_membership
            if membership is not None and membership.organization.kind in OWNER_ORG_KINDS:
                self.fields["owner"].initial = membership.organization.pk
        self.fields["found_on"].initial = timezone.localdate()

    def _describe_places(self, user) -> None:
        """What choosing a unit or a site fills in on the page (地址, 街道,
        主管部门, and for a unit its name and 统一社会信用代码)."""
        offered: dict[tuple, int | None] = {}

        def owner_for(owner, unit, street) -> str:
            key = (getattr(owner, "pk", None), getattr(unit, "pk", None), getattr(street, "pk", None))
            if key not in offered:
                offered[key] = _owner_for(user, owner, unit, street)
            return str(offered[key] or "")

        for unit in self.fields["unit"].queryset:
            self.fields["unit"].widget.option_data[str(unit.pk)] = {
                "address": unit.address,
                "street": str(unit.street_id or ""),
                "owner": owner_for(unit.owner, unit, unit.street),
                "sector": str(unit.sector_id or ""),
                "uscc": unit.uscc or "",
                "name": unit.name,
            }
        for site in self.fields["site"].queryset:
            self.fields["site"].widget.option_data[str(site.pk)] = {
                "address": site.address,
                "street": str(site.street_id or ""),
                "owner": owner_for(site.owner, site.unit, site.street),
                "unit": str(site.unit_id or ""),
            }

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "before_files"}
        if not data.get("unit_name") and data.get("unit"):
            data["unit_name"] = data["unit"].name
        return data


OWNER_ORG_KINDS = (OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET)


def _owner_for(user, owner, unit, street) -> int | None:
    """The 主管部门 to offer for a unit or site: its own owner when the user
    may record hazards for it, else the user's own 科室 within that owner's
    department (a 科室 records its department's units under itself), else
    nothing (the user picks)."""
    from .services import can_create_for

    if owner is None:
        return None
    if can_create_for(user, owner, unit, street):
        return owner.pk
    department = owner.department
    for m in user.active_memberships():
        org = m.organization
        if org.kind in OWNER_ORG_KINDS and org.is_within(department) and can_create_for(user, org, unit, street):
            return org.pk
    return None


class HazardEditForm(HazardForm):
    before_files = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("before_files", None)
        self.fields["owner"].disabled = True
        self.fields["owner"].help_text = "更换主管部门请使用“移交”"


class ConfirmForm(StyledForm, forms.Form):
    requirement = long_text("整改要求")
    deadline_kind = forms.ChoiceField(label="整改时限", choices=DeadlineKind.choices)
    deadline = forms.DateField(label="整改期限", required=False, widget=DateInput())
    level = forms.ChoiceField(label="隐患等级", choices=HazardLevel.choices)
    difficulty = forms.ChoiceField(label="整改难度", choices=Difficulty.choices)
    responsible_person = forms.CharField(label="责任人", max_length=50, required=False)


class SubmitForm(StyledForm, forms.Form):
    note = long_text("整改情况", rows=3)
    files = MultipleFileField(label="整改后照片/材料")


class FixOnSpotForm(StyledForm, forms.Form):
    note = long_text("现场整改情况")
    files = MultipleFileField(label="整改后照片", required=True, help_text="须上传现场整改后的照片")


class ReasonForm(StyledForm, forms.Form):
    reason = long_text("原因")


class VerifyPassForm(StyledForm, forms.Form):
    note = long_text("验收意见")


class TransferForm(StyledForm, forms.Form):
    to_org = OrgChoiceField(label="移交给", queryset=owner_queryset(), empty_label="请选择部门或街道")
    reason = long_text("移交理由")


class PlanForm(StyledForm, forms.ModelForm):
    """The six parts and the optional dates; the dates' rules (2000–2100, start ≤
    finish ≤ 整改时限) are the service's, shown on the fields when it refuses."""

    class Meta:
        model = GovernancePlan
        fields = [name for name, _ in GovernancePlan.PARTS] + [name for name, _ in GovernancePlan.DATES]
        widgets = {
            **{name: forms.Textarea(attrs={"rows": 2}) for name, _ in GovernancePlan.PARTS},
            **{name: DateInput(attrs={"min": "2000-01-01", "max": "2100-12-31"}) for name, _ in GovernancePlan.DATES},
        }
        help_texts = {"finish_date": "不得晚于整改时限；到期前3天和当天提醒责任单位和主管部门"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, _ in GovernancePlan.PARTS:
            field = self.fields[name]
            field.max_length = TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
            field.error_messages.update(length_message(TEXT_MAX_LENGTH))
            field.widget.attrs["maxlength"] = str(TEXT_MAX_LENGTH)


class SupervisionForm(StyledForm, forms.Form):
    kind = forms.ChoiceField(label="督办方式", choices=SupervisionKind.choices)
    level = forms.ChoiceField(label="层级", choices=SupervisionLevel.choices)
    deadline = forms.DateField(label="督办期限", widget=DateInput())
    requirement = long_text("督办要求", required=False)


class TextForm(StyledForm, forms.Form):
    text = long_text("内容")


class EvidenceForm(StyledForm, forms.Form):
    phase = forms.ChoiceField(label="阶段", choices=[("before", "整改前"), ("after", "整改后")])
    files = MultipleFileField(label="照片/材料", required=True)


BULK_MAX = 500
MAX_ID = 2**63 - 1


class IdListField(forms.Field):
    """The ids of the hazards ticked on a list page: whole numbers within the
    database's range, at most ``BULK_MAX`` of them."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if len(values) > BULK_MAX:
            raise forms.ValidationError(f"一次最多选择 {BULK_MAX} 条隐患")
        ids = []
        for item in values:
            text = str(item).strip()
            if not (text.isdigit() and len(text) <= 19 and 0 < int(text) <= MAX_ID):
                raise forms.ValidationError("所选隐患无效，请刷新页面后重新选择")
            ids.append(int(text))
        return ids


class BulkAssignForm(forms.Form):
    hazards = IdListField(required=False)
    assignee = forms.ModelChoiceField(
        label="经办人",
        queryset=User.objects.filter(is_active=True),
        required=False,
        error_messages={"invalid_choice": "经办人无效"},
    )


class RecheckDrawForm(StyledForm, forms.Form):
    organization = OrgChoiceField(label="抽查部门", queryset=owner_queryset())
    period_start = forms.DateField(label="销号日期起", widget=DateInput())
    period_end = forms.DateField(label="销号日期止", widget=DateInput())
    percent = forms.IntegerField(label="抽查比例(%)", min_value=1, max_value=100, initial=10)
    seed = forms.CharField(
        label="随机种子（可留空）",
        required=False,
        max_length=64,
        help_text="留空时由部门和期间生成，同样条件抽取结果相同，可复核",
    )


class RecheckRecordForm(StyledForm, forms.Form):
    passed = forms.TypedChoiceField(
        label="复查结果", coerce=lambda v: v == "1", choices=[("1", "复查合格"), ("0", "返潮（重新整改）")]
    )
    note = long_text("复查情况")
