"""Checklists (as versioned data), campaigns (排查轮次) with their target
sets, frequency rules and 双随机 draws, and inspections with their answers."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from zhiben.core.fields import ChoiceColor, user_fk, user_m2m
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec
from zhiben.files.models import FileLink

from .choices import (
    AnswerResult,
    FrequencyPeriod,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    PhotoPhase,
    VersionOrigin,
)


class Checklist(models.Model):
    """检查表: the stable identity; its content lives in frozen versions."""

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=120)
    source = models.TextField("依据", blank=True)
    sectors = models.ManyToManyField("registry.Sector", blank=True, related_name="checklists", verbose_name="适用行业")
    default_category = models.ForeignKey(
        "hazards.HazardCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="默认隐患类别",
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = user_fk("创建人")

    class Meta:
        verbose_name = "检查表"
        verbose_name_plural = "检查表"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> ChecklistVersion | None:
        return self.versions.order_by("-number").first()


class ChecklistVersion(models.Model):
    """One published, frozen content of a checklist. Never edited: a change
    publishes the next number. Inspections keep the version they used."""

    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="versions", verbose_name="检查表")
    number = models.PositiveIntegerField("版本号")
    origin = models.CharField("来源", max_length=8, choices=VersionOrigin.choices, default=VersionOrigin.FILE)
    file_version = models.PositiveIntegerField("文件版本", null=True, blank=True)
    content_hash = models.CharField("内容哈希", max_length=64)
    note = models.CharField("修订说明", max_length=200, blank=True)
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    created_by = user_fk("发布人")

    class Meta:
        verbose_name = "检查表版本"
        verbose_name_plural = "检查表版本"
        ordering = ["checklist", "-number"]
        constraints = [models.UniqueConstraint(fields=["checklist", "number"], name="checklist_version_unique")]

    def __str__(self) -> str:
        return f"{self.checklist.name} 第{self.number}版"


class ChecklistItem(models.Model):
    """One check of a version (frozen with it)."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="items", verbose_name="版本")
    position = models.PositiveIntegerField("序号")
    group = models.CharField("分组", max_length=100)
    code = models.CharField("条目编号", max_length=20)
    text = models.TextField("检查内容")
    clause = models.CharField("依据条款", max_length=200, blank=True)
    major = models.BooleanField("直接判定为重大隐患", default=False)
    category = models.ForeignKey(
        "hazards.HazardCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="隐患类别",
    )

    class Meta:
        verbose_name = "检查条目"
        verbose_name_plural = "检查条目"
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="checklist_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"


CAMPAIGN_SCOPE = ScopeSpec(org=("owner", "co_owners", "team_orgs"), distinct=True)


class Campaign(models.Model):
    """排查轮次: who inspects what (a saved filter over sites), how, when,
    with which checklist, and how often (an optional frequency rule)."""

    name = models.CharField("名称", max_length=120)
    owner = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="owned_campaigns", verbose_name="牵头部门"
    )
    co_owners = models.ManyToManyField(
        "org.Organization", blank=True, related_name="co_owned_campaigns", verbose_name="配合部门"
    )
    method = models.CharField("检查方式", max_length=16, choices=InspectionMethod.choices)
    period_start = models.DateField("开始日期")
    period_end = models.DateField("结束日期")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="campaigns", verbose_name="检查表")
    target = models.JSONField("检查对象", default=dict, blank=True, help_text="场所筛选条件，见 docs/inspections.md")
    team_users = user_m2m("检查人员", related_name="inspection_campaigns")
    team_orgs = models.ManyToManyField(
        "org.Organization", blank=True, related_name="team_campaigns", verbose_name="参加单位"
    )
    frequency_times = models.PositiveSmallIntegerField("频次（次）", null=True, blank=True)
    frequency_period = models.CharField("频次周期", max_length=10, choices=FrequencyPeriod.choices, blank=True)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = user_fk("创建人", blank=False)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = CAMPAIGN_SCOPE

    class Meta:
        verbose_name = "排查轮次"
        verbose_name_plural = "排查轮次"
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="campaign_period"),
            models.CheckConstraint(
                condition=Q(frequency_times__isnull=True, frequency_period="")
                | Q(frequency_times__gte=1, frequency_period__in=FrequencyPeriod.values),
                name="campaign_frequency_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    method_color = ChoiceColor("method", InspectionMethod)

    @property
    def frequency_label(self) -> str:
        if not self.frequency_times:
            return ""
        return f"{FrequencyPeriod(self.frequency_period).label}至少{self.frequency_times}次"


class CampaignDraw(models.Model):
    """双随机抽取: sites from the campaign's targets and inspectors from a
    pool, drawn with a recorded seed (ids sorted, ``random.Random(seed)``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="draws", verbose_name="排查轮次")
    seed = models.CharField("随机种子", max_length=64)
    site_population = models.PositiveIntegerField("可抽场所数")
    site_ids = models.JSONField("抽中场所", default=list)
    pool_ids = models.JSONField("检查人员库", default=list)
    inspector_ids = models.JSONField("抽中检查人员", default=list)
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    drawn_by = user_fk("抽取人", blank=False)

    class Meta:
        verbose_name = "双随机抽取"
        verbose_name_plural = "双随机抽取"
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign} 抽取 {self.seed}"


INSPECTION_SCOPE = ScopeSpec(
    org=("organization", "team_orgs", "campaign__owner"), street="site__street", unit="site__unit", distinct=True
)


class Inspection(models.Model):
    """检查记录: one visit to one site with one checklist version."""

    kind = models.CharField("类型", max_length=12, choices=InspectionKind.choices, default=InspectionKind.SUPERVISION)
    status = models.CharField("状态", max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections", verbose_name="排查轮次"
    )
    site = models.ForeignKey("registry.Site", on_delete=models.PROTECT, related_name="inspections", verbose_name="场所")
    unit = models.ForeignKey(
        "registry.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name="被检查单位",
    )
    organization = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="inspections", verbose_name="检查单位"
    )
    team_orgs = models.ManyToManyField(
        "org.Organization", blank=True, related_name="joint_inspections", verbose_name="联合检查单位"
    )
    inspectors = user_m2m("检查人员", related_name="inspections")
    method = models.CharField("检查方式", max_length=16, choices=InspectionMethod.choices)
    checklist_version = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, related_name="inspections", verbose_name="检查表版本"
    )
    inspected_on = models.DateField("检查日期")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    summary = models.TextField("检查情况", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = user_fk("记录人", blank=False)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    finished_by = user_fk("完成人")

    objects = RestrictedQuerySet.as_manager()
    scope_spec = INSPECTION_SCOPE

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ["-inspected_on", "-id"]
        indexes = [
            models.Index(fields=["site", "status", "inspected_on"], name="inspection_site_status_on"),
            models.Index(fields=["campaign", "status"], name="inspection_campaign_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="finished") | Q(finished_at__isnull=False), name="inspection_finished_has_time"
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180)),
                name="inspection_point_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.inspected_on:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status == InspectionStatus.FINISHED

    status_color = ChoiceColor("status", InspectionStatus)

    method_color = ChoiceColor("method", InspectionMethod)


class InspectionAnswer(models.Model):
    """The result of one checklist item in one inspection. A failed item
    becomes a hazard when the inspection is finished (``hazard``);
    ``fixed_on_site`` marks 企业自查 即查即改."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers", verbose_name="检查")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="answers", verbose_name="条目")
    result = models.CharField("结果", max_length=8, choices=AnswerResult.choices, default=AnswerResult.PENDING)
    note = models.TextField("情况说明", blank=True)
    fixed_on_site = models.BooleanField("即查即改", default=False)
    fix_note = models.TextField("整改情况", blank=True)
    category = models.ForeignKey(
        "hazards.HazardCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="隐患类别",
        help_text="完成检查时确定（条目类别或检查表默认类别）",
    )
    hazard = models.ForeignKey(
        "hazards.Hazard",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_answers",
        verbose_name="隐患",
    )
    linked_existing = models.BooleanField("记为重复发现", default=False)

    class Meta:
        verbose_name = "检查结果"
        verbose_name_plural = "检查结果"
        ordering = ["inspection", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="answer_unique_item"),
            models.CheckConstraint(condition=Q(fixed_on_site=False) | Q(result="fail"), name="answer_fixed_only_fail"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.get_result_display()}"

    result_color = ChoiceColor("result", AnswerResult)


class AnswerPhoto(FileLink):
    """A photo of an answer: what was found, or (即查即改) after fixing it."""

    answer = models.ForeignKey(
        InspectionAnswer, on_delete=models.CASCADE, related_name="photos", verbose_name="检查结果"
    )
    phase = models.CharField("阶段", max_length=8, choices=PhotoPhase.choices, default=PhotoPhase.BEFORE)

    class Meta:
        verbose_name = "检查照片"
        verbose_name_plural = "检查照片"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.answer} {self.original_name}"
