"""The registry of units and sites: 生产经营单位 (units) with their contacts,
insurance, licences, tags, flags and documents; 场所/工程/点位 (sites) typed by
data/site_types.yaml and owned per data/ownership.yaml; 网格 (grids); and
risk assessments (the current level of a unit or site is its latest one).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhiben.core.choices import ColoredChoices
from zhiben.core.crypto import EncryptedCharField
from zhiben.core.fields import ChoiceColor, user_fk, user_m2m
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec, scope_q
from zhiben.core.validators import validate_uscc
from zhiben.files.models import FileLink

from .choices import (
    RISK_HEX,
    DocumentKind,
    FlagKind,
    InsuranceStatus,
    LicenseStatus,
    RiskLevel,
    RiskMethod,
    StandardizationLevel,
)

EXPIRY_WARNING_DAYS = 30


class Sector(models.Model):
    """行业领域 (商务, 建筑施工, 生态环境 …), from data/sectors.yaml."""

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=50)
    owner = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sectors",
        verbose_name="行业主管部门",
    )
    plan_file = models.CharField("行动方案文件", max_length=100, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "行业领域"
        verbose_name_plural = "行业领域"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """单位标签 (重点单位, 人员密集场所, “三合一” …)."""

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=30)
    color = models.CharField("颜色", max_length=16, default="secondary")
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "单位标签"
        verbose_name_plural = "单位标签"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class RiskMixin(models.Model):
    """The current risk level (a copy of the latest assessment's, kept by
    the assessment service so that lists can filter on it)."""

    risk_level = models.CharField("风险等级", max_length=10, choices=RiskLevel.choices, blank=True)
    risk_assessed_on = models.DateField("风险评估日期", null=True, blank=True)

    class Meta:
        abstract = True

    risk_color = ChoiceColor("risk_level", RISK_HEX, default="#6c757d")


def department_units_q(user) -> Q | None:
    """The units a 科室's members supervise beyond their own subtree: every
    unit owned within their department (委办局).

    三管三必须: a unit is supervised by the department of its sector
    (data/sectors.yaml gives the 委办局 as owner); data/ownership.yaml splits
    the department's work among its 科室 by site type, and a 科室 officer
    inspects, records hazards at and follows up every unit of the department
    (a 农贸市场's operator is a 商务委 unit whatever 科室 registered it). So
    for "view" a 科室's 领导, 经办人 and 只读 members see the units owned by
    their department or any of its 科室; "change" stays with the owner's
    subtree (``services.can_change_unit``). None: nothing beyond the rule
    of ``core.scoping``."""
    from zhiben.org.choices import OrgKind, Role
    from zhiben.org.models import Organization

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    q = None
    for m in user.active_memberships():
        org = m.organization
        if m.role not in (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.READONLY) or org.kind != OrgKind.SECTION:
            continue
        department = org.department
        if department.pk == org.pk:
            continue
        orgs = Organization.objects.subtree_of(department).order_by().values("pk")
        q = Q(owner__in=orgs) if q is None else q | Q(owner__in=orgs)
    return q


class UnitQuerySet(RestrictedQuerySet):
    """Units and sites add one rule to ``core.scoping`` for "view": see
    ``department_units_q`` (a 科室 sees its department's units and sites —
    the 人防工程 of 区国动办 are inspected by its 民防管理中心, a 道路点段 of
    区公安分局 by its 交警支队 …)."""

    def restrict(self, user, action="view", *, paging: bool = False):
        q = scope_q(user, action, self.model.scope_spec, paging)
        if q is None:
            return self.all()
        if action == "view":
            extra = department_units_q(user)
            if extra is not None:
                q |= extra
        return self.filter(q)


class Unit(RiskMixin):
    """生产经营单位. Who sees a unit: ``core.scoping`` (owner's subtree, its
    街道, its own 企业用户) plus ``department_units_q`` (the owner
    department's 科室)."""

    name = models.CharField("单位名称", max_length=200)
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, null=True, blank=True, validators=[validate_uscc]
    )
    address = models.CharField("地址", max_length=255, blank=True)
    street = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units_in_street",
        verbose_name="所属街道",
        limit_choices_to={"kind": "street"},
    )
    owner = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_units",
        verbose_name="行业主管部门",
    )
    sector = models.ForeignKey(
        Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="units", verbose_name="行业领域"
    )
    industry_type = models.CharField("行业类型", max_length=60, blank=True, help_text="如：餐饮、危险货物运输")
    tags = models.ManyToManyField(Tag, blank=True, related_name="units", verbose_name="标签")
    legal_rep_name = models.CharField("法定代表人", max_length=50, blank=True)
    legal_rep_phone = EncryptedCharField("法定代表人电话", plain_max_length=30)
    safety_contact_name = models.CharField("安全管理联系人", max_length=50, blank=True)
    safety_contact_phone = EncryptedCharField("安全管理联系人电话", plain_max_length=30)
    insurance_status = models.CharField(
        "安全生产责任险", max_length=16, choices=InsuranceStatus.choices, default=InsuranceStatus.UNKNOWN
    )
    insurance_expiry = models.DateField("安责险到期日", null=True, blank=True)
    standardization_level = models.CharField(
        "安全生产标准化等级", max_length=10, choices=StandardizationLevel.choices, default=StandardizationLevel.NONE
    )
    license_status = models.CharField(
        "安全生产许可证", max_length=16, choices=LicenseStatus.choices, default=LicenseStatus.UNKNOWN
    )
    license_expiry = models.DateField("许可证有效期至", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitQuerySet.as_manager()
    scope_spec = ScopeSpec(org="owner", street="street", unit="pk")

    class Meta:
        verbose_name = "生产经营单位"
        verbose_name_plural = "生产经营单位"
        ordering = ["name"]
        indexes = [
            models.Index(fields=["risk_level"], name="unit_risk_level"),
            models.Index(fields=["sector"], name="unit_sector"),
            # zhiben tick's expiry windows (registry.tick): a range over the date.
            models.Index(fields=["insurance_expiry"], name="unit_insurance_expiry"),
            models.Index(fields=["license_expiry"], name="unit_license_expiry"),
        ]

    def __str__(self) -> str:
        return self.name

    insurance_color = ChoiceColor("insurance_status", InsuranceStatus)

    def insurance_expired(self, today: dt.date | None = None) -> bool:
        return self.insurance_expiry is not None and self.insurance_expiry < (today or timezone.localdate())

    def active_flags(self, today: dt.date | None = None):
        return self.flags.active(today)


class UnitFlagQuerySet(models.QuerySet):
    def active(self, today: dt.date | None = None):
        today = today or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=today), start__lte=today)


class UnitFlag(models.Model):
    """A restriction or mark on a unit for a period (e.g. 1年内不得评优表彰
    after a 责任事故); active while start ≤ today ≤ end (no end: until lifted)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="flags", verbose_name="单位")
    kind = models.CharField("类型", max_length=20, choices=FlagKind.choices)
    reason = models.CharField("原因", max_length=300)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True)
    created_by = user_fk("登记人", blank=False)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = UnitFlagQuerySet.as_manager()

    class Meta:
        verbose_name = "单位标记"
        verbose_name_plural = "单位标记"
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="flag_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()}"

    def is_active(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.start <= today and (self.end is None or self.end >= today)

    color = ChoiceColor("kind", FlagKind)


class UnitDocument(FileLink):
    """A document of the 一企一档: 证照, 承诺书, 保单 … (a photo or PDF),
    with an optional expiry date."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="documents", verbose_name="单位")
    kind = models.CharField("类型", max_length=20, choices=DocumentKind.choices)
    title = models.CharField("名称", max_length=100)
    expires_on = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "单位档案材料"
        verbose_name_plural = "单位档案材料"
        ordering = ["kind", "-uploaded_at"]
        # zhiben tick's expiry window (registry.tick): a range over the date.
        indexes = [models.Index(fields=["expires_on"], name="unit_document_expires_on")]

    def __str__(self) -> str:
        return f"{self.unit} {self.title}"

    def expiry_state(self, today: dt.date | None = None) -> str:
        """ "expired", "expiring" (within 30 days) or ""."""
        if self.expires_on is None:
            return ""
        today = today or timezone.localdate()
        if self.expires_on < today:
            return "expired"
        if self.expires_on <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            return "expiring"
        return ""


class SiteType(models.Model):
    """场所类型, from data/site_types.yaml; ``owner`` from data/ownership.yaml
    (None: nobody is assigned, a 盲区)."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    group = models.CharField("分组", max_length=30, blank=True)
    sector = models.ForeignKey(
        Sector, null=True, blank=True, on_delete=models.SET_NULL, related_name="site_types", verbose_name="行业领域"
    )
    attributes = models.JSONField("专有字段", default=list, blank=True)
    owner = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_site_types",
        verbose_name="负责部门/科室",
    )
    owner_is_street = models.BooleanField("属地街道负责", default=False)
    ownership_source = models.CharField("分工依据", max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "场所类型"
        verbose_name_plural = "场所类型"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_owner(self) -> bool:
        return self.owner_id is not None or self.owner_is_street


PUBLIC_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
PUBLIC_CODE_LENGTH = 8


def new_public_code() -> str:
    return "CS-" + "".join(secrets.choice(PUBLIC_CODE_ALPHABET) for _ in range(PUBLIC_CODE_LENGTH))


class Site(RiskMixin):
    """场所/工程/点位: a place inspected (a 工地, a 人防工程, a 道路点段 …),
    optionally belonging to a unit."""

    public_code = models.CharField("场所码", max_length=16, unique=True, editable=False)
    name = models.CharField("名称", max_length=200)
    site_type = models.ForeignKey(SiteType, on_delete=models.PROTECT, related_name="sites", verbose_name="类型")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="sites", verbose_name="所属单位"
    )
    address = models.CharField("地址", max_length=255, blank=True)
    street = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sites_in_street",
        verbose_name="所属街道",
        limit_choices_to={"kind": "street"},
    )
    owner = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_sites",
        verbose_name="负责部门",
    )
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    attributes = models.JSONField("专有信息", default=dict, blank=True)
    is_active = models.BooleanField("在册", default=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitQuerySet.as_manager()
    scope_spec = ScopeSpec(org="owner", street="street", unit="unit")

    class Meta:
        verbose_name = "场所"
        verbose_name_plural = "场所"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["site_type"], name="site_type_idx"),
            models.Index(fields=["risk_level"], name="site_risk_level"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180)),
                name="site_point_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def attribute_rows(self) -> list[tuple[str, object]]:
        """(label, value) of the type's attributes that are filled in."""
        rows = []
        for spec in self.site_type.attributes or []:
            value = (self.attributes or {}).get(spec["key"])
            if value in (None, ""):
                continue
            if spec.get("kind") == "bool":
                value = "是" if value else "否"
            rows.append((spec["label"], value))
        return rows


class Grid(models.Model):
    """网格/片区: a set of 街道 and/or sites with its inspectors."""

    name = models.CharField("名称", max_length=60)
    owner = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="grids", verbose_name="负责组织"
    )
    streets = models.ManyToManyField(
        "org.Organization",
        blank=True,
        related_name="grids_of_street",
        verbose_name="包含街道",
        limit_choices_to={"kind": "street"},
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="grids", verbose_name="包含场所")
    inspectors = user_m2m("网格检查员", related_name="inspected_grids")
    note = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="owner", street="streets", distinct=True)

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="grid_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    def site_q(self, prefix: str = "") -> Q:
        """Sites (``prefix=""``) in this grid: in one of its 街道 or listed."""
        street_ids = list(self.streets.values_list("pk", flat=True))
        site_ids = list(self.sites.values_list("pk", flat=True))
        return Q(**{f"{prefix}street_id__in": street_ids}) | Q(**{f"{prefix}pk__in": site_ids})

    def unit_q(self) -> Q:
        """Units in this grid: in one of its 街道, or with a site in the grid."""
        street_ids = list(self.streets.values_list("pk", flat=True))
        site_unit_ids = Site.objects.filter(self.site_q()).exclude(unit=None).values("unit_id")
        return Q(street_id__in=street_ids) | Q(pk__in=site_unit_ids)


class RiskAssessment(models.Model):
    """One risk assessment of a unit or a site (history is kept; the
    current level is the latest by date, then by entry)."""

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="assessments", verbose_name="单位"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="assessments", verbose_name="场所"
    )
    method = models.CharField("评估方法", max_length=4, choices=RiskMethod.choices)
    inputs = models.JSONField("评估参数")
    score = models.DecimalField("分值", max_digits=10, decimal_places=2)
    level = models.CharField("风险等级", max_length=10, choices=RiskLevel.choices)
    assessed_on = models.DateField("评估日期")
    valid_until = models.DateField("有效期至")
    assessor = user_fk("评估人", blank=False)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "风险评估"
        verbose_name_plural = "风险评估"
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["level", "assessed_on"], name="assessment_level_date")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(site__isnull=True))
                | (Q(unit__isnull=True) & Q(site__isnull=False)),
                name="assessment_one_subject",
            ),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("assessed_on")), name="assessment_validity"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.get_level_display()} {self.assessed_on}"

    @property
    def subject(self) -> Unit | Site:
        return self.unit if self.unit_id else self.site

    level_color = ChoiceColor("level", RISK_HEX, default="#6c757d")


# --- 有限空间作业 (confined spaces and their entry permits) -----------------------------------
# The choices live here with the models (registry/choices.py keeps the unit and site ones).


class ConfinedSpaceType(ColoredChoices):
    """有限空间类别, in the wording of 《工贸企业有限空间作业安全规定》 (应急管理部令第13号)."""

    UNDERGROUND = "underground", "地下有限空间（污水井、化粪池、地下室、地下管沟等）"
    ABOVEGROUND = "aboveground", "地上有限空间（储罐、料仓、筒仓、酒糟池等）"
    EQUIPMENT = "equipment", "密闭设备（反应釜、锅炉、压力容器、管道等）"

    __colors__ = {"underground": "info", "aboveground": "info", "equipment": "info"}


class ConfinedHazard(ColoredChoices):
    """主要危险有害因素 of a confined space (several may apply)."""

    ANOXIA = "anoxia", "缺氧窒息"
    POISONING = "poisoning", "中毒"
    EXPLOSION = "explosion", "燃爆"
    DROWNING = "drowning", "淹溺"
    COLLAPSE = "collapse", "坍塌掩埋"
    ELECTRIC = "electric", "触电"
    MECHANICAL = "mechanical", "机械伤害"
    FALL = "fall", "高处坠落"
    HEAT = "heat", "高温高湿"

    __colors__ = {"anoxia": "danger", "poisoning": "danger", "explosion": "danger"}


class ConfinedSpaceStatus(ColoredChoices):
    IN_USE = "in_use", "在用"
    DISUSED = "disused", "停用"

    __colors__ = {"in_use": "success", "disused": "secondary"}


class UnitScopedQuerySet(RestrictedQuerySet):
    """Records scoped exactly like their unit (``scope_spec.unit`` names the
    path to it): ``core.scoping`` through the unit's owner, 街道 and 企业用户,
    plus, for "view", the unit rule of ``department_units_q`` (a 科室 sees its
    department's units)."""

    def restrict(self, user, action="view", *, paging: bool = False):
        spec: ScopeSpec = self.model.scope_spec
        q = scope_q(user, action, spec, paging)
        if q is None:
            return self.all()
        if action == "view":
            extra = department_units_q(user)
            if extra is not None:
                q |= Q(**{f"{spec.unit}__in": Unit.objects.filter(extra).order_by().values("pk")})
        return self.filter(q)


class ConfinedSpace(models.Model):
    """有限空间: one confined space of a unit (the unit's 有限空间台账), with its
    type, main hazards and the person responsible; seen by whoever sees the unit."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="confined_spaces", verbose_name="所属单位")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="confined_spaces", verbose_name="所在场所"
    )
    code = models.CharField("编号", max_length=30, blank=True)
    name = models.CharField("名称", max_length=100)
    location = models.CharField("位置", max_length=200, blank=True)
    space_type = models.CharField("类型", max_length=16, choices=ConfinedSpaceType.choices)
    hazards = models.JSONField("主要危险有害因素", default=list, blank=True)
    has_warning_sign = models.BooleanField("已设置安全警示标识", default=False)
    manager_name = models.CharField("管理责任人", max_length=50, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ConfinedSpaceStatus.choices, default=ConfinedSpaceStatus.IN_USE
    )
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="unit__owner", street="unit__street", unit="unit")

    class Meta:
        verbose_name = "有限空间"
        verbose_name_plural = "有限空间"
        ordering = ["unit_id", "code", "name", "id"]
        indexes = [models.Index(fields=["unit", "status"], name="confined_unit_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    status_color = ChoiceColor("status", ConfinedSpaceStatus)

    def hazard_labels(self) -> list[str]:
        labels = dict(ConfinedHazard.choices)
        return [labels.get(h, h) for h in self.hazards or []]

    @property
    def type_short(self) -> str:
        return self.get_space_type_display().split("（")[0]


class ConfinedSpaceWorkPermit(models.Model):
    """作业审批: one entry into a confined space — when, what, who does it
    (本单位 or a contractor), who approved and who watched, and the gas
    readings taken before entry (先通风、再检测、后作业)."""

    space = models.ForeignKey(ConfinedSpace, on_delete=models.CASCADE, related_name="permits", verbose_name="有限空间")
    work_date = models.DateField("作业日期")
    start_time = models.TimeField("开始时间")
    end_time = models.TimeField("结束时间")
    content = models.CharField("作业内容", max_length=300)
    contractor = models.CharField("作业单位", max_length=100, blank=True, help_text="留空为本单位人员作业")
    approver_name = models.CharField("审批人", max_length=50)
    guardian_name = models.CharField("监护人", max_length=50)
    oxygen_pct = models.DecimalField("氧气（%VOL）", max_digits=4, decimal_places=1)
    lel_pct = models.DecimalField("可燃气体（%LEL）", max_digits=4, decimal_places=1)
    h2s_ppm = models.DecimalField("硫化氢（ppm）", max_digits=5, decimal_places=1)
    co_ppm = models.DecimalField("一氧化碳（ppm）", max_digits=5, decimal_places=1)
    approved = models.BooleanField("审批通过", default=False)
    note = models.CharField("备注", max_length=300, blank=True)
    recorded_by = user_fk("记录人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    # 撤回: the recorder takes back a permit not yet 审批通过 (kept, shown struck through).
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = user_fk("撤回人")
    withdraw_reason = models.CharField("撤回原因", max_length=300, blank=True)

    objects = UnitScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="space__unit__owner", street="space__unit__street", unit="space__unit")

    class Meta:
        verbose_name = "有限空间作业审批"
        verbose_name_plural = "有限空间作业审批"
        ordering = ["-work_date", "-start_time", "-id"]
        indexes = [models.Index(fields=["space", "work_date"], name="confined_permit_space_date")]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="confined_permit_times"),
            models.CheckConstraint(
                condition=Q(oxygen_pct__gte=0, oxygen_pct__lte=100)
                & Q(lel_pct__gte=0, lel_pct__lte=100)
                & Q(h2s_ppm__gte=0, h2s_ppm__lte=1000)
                & Q(co_ppm__gte=0, co_ppm__lte=2000),
                name="confined_permit_gas_ranges",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space} {self.work_date} {self.content[:20]}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
