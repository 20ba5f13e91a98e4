"""The hazard list's filters (shared by the page, the API and the export)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from zhiben.org.access import subtree_q
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization
from zhiben.registry.models import Sector
from zhiben.web.widgets import DateInput

from .choices import HazardLevel, HazardSource, HazardStatus, SupervisionKind
from .models import Hazard, HazardCategory
from .search import MAX_TERM_LENGTH, candidate_ids

SORTABLE = {"code", "found_on", "deadline", "status", "level", "created_at", "closed_at", "unit_name"}
DEFAULT_ORDER = "-id"


def _date(label: str) -> forms.DateInput:
    return DateInput(attrs={"title": label})


# The largest id a database key holds (64-bit); a larger number is a typo or a probe.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An id filter: a whole number from 1 to ``MAX_ID``, else a Chinese error (never a database overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        label = kwargs.get("label", "编号")
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": f"{label}应为正整数编号",
                "min_value": f"{label}编号无效",
                "max_value": f"{label}编号超出范围",
            },
        )
        super().__init__(*args, **kwargs)


class HazardFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="关键词",
        method="filter_q",
        max_length=MAX_TERM_LENGTH,
        error_messages={"max_length": f"关键词最多 {MAX_TERM_LENGTH} 个字符（现有 %(show_value)d 个），请缩短后再检索"},
    )
    # distinct=False: one status per row; DISTINCT over the joined columns costs a sort.
    status = django_filters.MultipleChoiceFilter(label="状态", choices=HazardStatus.choices, distinct=False)
    level = django_filters.ChoiceFilter(label="等级", choices=HazardLevel.choices, empty_label="全部等级")
    category = django_filters.ModelChoiceFilter(
        label="类别", queryset=HazardCategory.objects.all(), method="filter_category", empty_label="全部类别"
    )
    sector = django_filters.ModelChoiceFilter(label="行业", queryset=Sector.objects.all(), empty_label="全部行业")
    owner = django_filters.ModelChoiceFilter(
        label="主管部门",
        method="filter_owner",
        empty_label="全部部门",
        queryset=Organization.objects.filter(
            kind__in=[OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET]
        ),
    )
    street = django_filters.ModelChoiceFilter(
        label="街道", queryset=Organization.objects.filter(kind=OrgKind.STREET), empty_label="全部街道"
    )
    source = django_filters.ChoiceFilter(label="来源", choices=HazardSource.choices, empty_label="全部来源")
    stock = django_filters.ChoiceFilter(
        label="存量/增量",
        choices=[("stock", "存量"), ("increment", "增量")],
        method="filter_stock",
        empty_label="存量+增量",
    )
    overdue = django_filters.BooleanFilter(
        label="逾期",
        method="filter_overdue",
        widget=forms.Select(choices=[("", "是否逾期"), ("true", "逾期"), ("false", "未逾期")]),
    )
    supervision = django_filters.ChoiceFilter(
        label="督办",
        method="filter_supervision",
        empty_label="督办情况",
        choices=[("any", "督办中（含挂牌）"), *SupervisionKind.choices],
    )
    found_from = django_filters.DateFilter(
        label="发现日期起", field_name="found_on", lookup_expr="gte", widget=_date("发现日期起")
    )
    found_to = django_filters.DateFilter(
        label="发现日期止", field_name="found_on", lookup_expr="lte", widget=_date("发现日期止")
    )
    deadline_to = django_filters.DateFilter(
        label="整改时限止", field_name="deadline", lookup_expr="lte", widget=_date("整改时限止")
    )
    closed_from = django_filters.DateFilter(
        label="销号日期起", field_name="closed_at", lookup_expr="date__gte", widget=_date("销号日期起")
    )
    closed_to = django_filters.DateFilter(
        label="销号日期止", field_name="closed_at", lookup_expr="date__lte", widget=_date("销号日期止")
    )
    mine = django_filters.BooleanFilter(label="我经办的", method="filter_mine", widget=forms.CheckboxInput)
    unit = IdFilter(label="单位", field_name="unit_id")

    class Meta:
        model = Hazard
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
                widget.attrs.setdefault("size", 1)
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("placeholder", field.label)
        self.form.fields["category"].queryset = HazardCategory.objects.filter(is_active=True).select_related("parent")

    @property
    def error_message(self) -> str:
        """What is wrong with the filters, in one Chinese sentence ("" when they are fine or absent)."""
        if not self.is_bound or self.is_valid():
            return ""
        return "筛选条件有误：" + "；".join(str(error) for errors in self.errors.values() for error in errors)

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        condition = (
            Q(code__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(unit_name__icontains=value)
            | Q(address__icontains=value)
            | Q(unit_uscc=value.upper())
        )
        # A rare term would be a scan of the whole ledger: let the text index
        # name the candidates first (search.py); the condition still decides.
        ids = candidate_ids(value)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        return qs.filter(condition)

    def filter_category(self, qs, name, value):
        # A group matches its descendants (three levels at most).
        return qs.filter(Q(category=value) | Q(category__parent=value) | Q(category__parent__parent=value))

    def filter_owner(self, qs, name, value):
        return qs.filter(subtree_q("owner", value))

    def filter_stock(self, qs, name, value):
        return qs.filter(is_stock=(value == "stock"))

    def filter_overdue(self, qs, name, value):
        today = timezone.localdate()
        if value:
            return qs.overdue(today)
        return qs.exclude(pk__in=Hazard.objects.overdue(today).values("pk"))

    def filter_supervision(self, qs, name, value):
        if value == "any":
            return qs.filter(supervisions__is_active=True).distinct()
        return qs.filter(supervisions__is_active=True, supervisions__kind=value).distinct()

    def filter_mine(self, qs, name, value):
        if value and self.user is not None:
            return qs.filter(assignee=self.user)
        return qs


def ordering_from(request_value: str | None) -> str:
    """A whitelisted ordering ("-deadline"), else the default."""
    value = (request_value or "").strip()
    if value.lstrip("-") in SORTABLE:
        return value
    return DEFAULT_ORDER
