"""The hazard ledger (隐患台账) and everything attached to a hazard."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec
from zhiben.files.models import FileLink

from .choices import (
    OPEN_STATUSES,
    STOCK_CUTOFF,
    DeadlineKind,
    Difficulty,
    EvidencePhase,
    HazardLevel,
    HazardSource,
    HazardStatus,
    NoteKind,
    RecheckResult,
    SupervisionKind,
    SupervisionLevel,
    TransferStatus,
)

# The longest free text (隐患内容, 整改要求, 整改情况, reasons, notes) a form,
# the API or a service accepts; short fields are bounded by their column.
TEXT_MAX_LENGTH = 5000

# The department a pending 移交 is addressed to sees the hazard too, so that
# it can accept or return it.
HAZARD_SCOPE = ScopeSpec(org=("owner", "pending_owner"), street="street", unit="unit", broad_org=True)


class HazardCategory(models.Model):
    """隐患类别: a two-level taxonomy from data/hazard_categories.yaml; each
    root group is visible to some sectors (its children inherit them)."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级类别"
    )
    sectors = models.ManyToManyField(
        "registry.Sector", blank=True, related_name="hazard_categories", verbose_name="适用行业"
    )
    for_all_sectors = models.BooleanField("适用全部行业", default=False)
    description = models.CharField("说明", max_length=300, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "隐患类别"
        verbose_name_plural = "隐患类别"
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    @property
    def root(self) -> HazardCategory:
        """The top group (the taxonomy is up to three levels deep)."""
        node = self
        while node.parent_id:
            node = node.parent
        return node


class HazardCodeSequence(models.Model):
    """The last number given out per year (locked while numbering)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "隐患编号序列"
        verbose_name_plural = "隐患编号序列"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class HazardQuerySet(RestrictedQuerySet):
    def open(self) -> HazardQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: dt.date | None = None) -> HazardQuerySet:
        """Open hazards whose 整改时限 has passed (derived, never stored)."""
        return self.open().filter(deadline__lt=today or timezone.localdate())

    def with_overdue_supervision(self, today: dt.date | None = None) -> HazardQuerySet:
        return (
            self.open()
            .filter(supervisions__is_active=True, supervisions__deadline__lt=today or timezone.localdate())
            .distinct()
        )


class Hazard(models.Model):
    """隐患: one entry of the ledger, driven from 上账 to 销号."""

    code = models.CharField("隐患编号", max_length=20, unique=True, editable=False)
    status = models.CharField("状态", max_length=16, choices=HazardStatus.choices, default=HazardStatus.PENDING)
    sector = models.ForeignKey(
        "registry.Sector", on_delete=models.PROTECT, related_name="hazards", verbose_name="行业领域"
    )
    category = models.ForeignKey(
        HazardCategory, on_delete=models.PROTECT, related_name="hazards", verbose_name="隐患类别"
    )
    level = models.CharField("隐患等级", max_length=10, choices=HazardLevel.choices, default=HazardLevel.GENERAL)
    source = models.CharField("来源", max_length=16, choices=HazardSource.choices)
    difficulty = models.CharField("整改难度", max_length=10, choices=Difficulty.choices, default=Difficulty.EASY)
    found_on = models.DateField("发现日期")
    is_stock = models.BooleanField("存量隐患", editable=False, help_text="2023年12月31日及以前发现")
    finder = user_fk("发现人")
    finder_name = models.CharField("发现人/单位", max_length=100, blank=True)
    title = models.CharField("隐患简述", max_length=120)
    description = models.TextField("隐患内容")
    location = models.CharField("具体位置", max_length=200, blank=True)
    requirement = models.TextField("整改要求", blank=True)
    deadline_kind = models.CharField(
        "整改时限类型", max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.DATE
    )
    deadline = models.DateField("整改时限", null=True, blank=True, help_text="立即整改时为发现当日")

    # 责任单位: a link to the registry when known, plus the snapshot as reported.
    unit = models.ForeignKey(
        "registry.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
        verbose_name="责任单位",
    )
    site = models.ForeignKey(
        "registry.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
        verbose_name="场所/工程/点位",
    )
    unit_name = models.CharField("责任单位名称", max_length=200)
    unit_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    address = models.CharField("地址", max_length=255, blank=True)
    responsible_person = models.CharField("责任人", max_length=50, blank=True)
    responsible_phone = models.CharField("责任人电话", max_length=30, blank=True)
    street = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards_in_street",
        verbose_name="所属街道",
    )
    owner = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="owned_hazards", verbose_name="行业主管部门"
    )
    assignee = user_fk("经办人", related_name="assigned_hazards")
    pending_owner = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_hazards",
        verbose_name="待接收部门",
        help_text="移交中时为接收部门",
    )

    created_at = models.DateTimeField("上账时间", auto_now_add=True)
    created_by = user_fk("登记人", blank=False)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交验收时间", null=True, blank=True)
    submitted_by = user_fk("整改提交人", help_text="记录整改情况的人；他不能验收这次整改")
    rectification_note = models.TextField("整改情况", blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    verified_by = user_fk("验收人")
    verification_note = models.TextField("验收意见", blank=True)
    self_verified = models.BooleanField(
        "即查即改（自行验收）",
        default=False,
        help_text="一般隐患现场即查即改、由发现人自行销号；回头看优先抽查",
    )
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("返潮次数", default=0)
    version = models.PositiveIntegerField("版本", default=1)

    objects = HazardQuerySet.as_manager()
    scope_spec = HAZARD_SCOPE

    class Meta:
        verbose_name = "隐患"
        verbose_name_plural = "隐患"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="hazard_owner_status"),
            models.Index(fields=["street", "status"], name="hazard_street_status"),
            models.Index(fields=["unit", "status"], name="hazard_unit_status"),
            # Overdue pages, with the scope columns (no table lookups).
            models.Index(
                fields=["status", "deadline", "owner", "pending_owner", "street"], name="hazard_overdue_cover"
            ),
            # Pages of a found_on range answered from the index alone, scope columns included.
            models.Index(fields=["found_on", "id", "owner", "pending_owner"], name="hazard_found_page"),
            models.Index(fields=["unit_uscc"], name="hazard_unit_uscc"),
            models.Index(fields=["category", "status"], name="hazard_category_status"),
            # Keyset pages (ORDER BY id DESC) within one status or level, and
            # this year's 重大 hazards for the figures.
            models.Index(fields=["status", "id"], name="hazard_status_id"),
            models.Index(fields=["level", "id"], name="hazard_level_id"),
            # Covering indexes for today's figures (bench/RESULTS.md).
            models.Index(
                fields=["status", "owner", "street", "deadline", "found_on", "pending_owner"],
                name="hazard_open_breakdown",
            ),
            models.Index(
                fields=["level", "is_stock", "status", "found_on", "owner", "pending_owner"], name="hazard_major_cover"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_stock=True, found_on__lte=STOCK_CUTOFF) | Q(is_stock=False, found_on__gt=STOCK_CUTOFF),
                name="hazard_stock_follows_found_on",
            ),
            models.CheckConstraint(
                condition=~Q(status=HazardStatus.CLOSED) | Q(closed_at__isnull=False, verified_by__isnull=False),
                name="hazard_closed_has_verifier",
            ),
            models.CheckConstraint(
                # 即查即改 (self-verified) only for 一般 hazards.
                condition=Q(self_verified=False) | Q(level="general"),
                name="hazard_self_verified_only_general",
            ),
            models.CheckConstraint(
                # Once confirmed (整改中 and after) a hazard has its 整改时限.
                condition=~Q(status__in=["rectifying", "awaiting", "closed"]) | Q(deadline__isnull=False),
                name="hazard_confirmed_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < (today or timezone.localdate())

    @property
    def is_major(self) -> bool:
        return self.level == HazardLevel.MAJOR

    status_color = ChoiceColor("status", HazardStatus)

    level_color = ChoiceColor("level", HazardLevel)


class GovernancePlan(models.Model):
    """重大事故隐患治理方案: the six parts the 重大隐患 rules require before
    a 重大 hazard may be submitted for verification."""

    PARTS = (
        ("objectives", "目标和任务"),
        ("methods", "方法和措施"),
        ("funding", "经费和物资"),
        ("organization", "负责治理的机构和人员"),
        ("schedule", "时限和要求"),
        ("safety", "安全措施和应急预案"),
    )

    hazard = models.OneToOneField(Hazard, on_delete=models.CASCADE, related_name="plan", verbose_name="隐患")
    objectives = models.TextField("目标和任务", blank=True)
    methods = models.TextField("方法和措施", blank=True)
    funding = models.TextField("经费和物资", blank=True)
    organization = models.TextField("负责治理的机构和人员", blank=True)
    schedule = models.TextField("时限和要求", blank=True)
    safety = models.TextField("安全措施和应急预案", blank=True)
    # Optional structured dates of the 时限和要求 (checked by governance_plan_save:
    # 2000–2100, start ≤ finish ≤ the hazard's 整改时限); the tick reminds of finish_date.
    start_date = models.DateField("治理开始日期", null=True, blank=True)
    finish_date = models.DateField("计划完成日期", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = user_fk("编制人", blank=False)

    DATES = (("start_date", "治理开始日期"), ("finish_date", "计划完成日期"))

    class Meta:
        verbose_name = "重大隐患治理方案"
        verbose_name_plural = "重大隐患治理方案"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(finish_date__isnull=True)
                | Q(finish_date__gte=models.F("start_date")),
                name="governance_plan_finish_after_start",
                violation_error_message="计划完成日期不能早于治理开始日期",
            ),
        ]
        indexes = [
            # The tick's window on 计划完成日期 (hazards.tick: 3 days before and on the day).
            models.Index(fields=["finish_date"], name="governance_plan_finish"),
        ]

    def __str__(self) -> str:
        return f"{self.hazard.code} 治理方案"

    def missing_parts(self) -> list[str]:
        return [label for field, label in self.PARTS if not getattr(self, field).strip()]

    @property
    def is_complete(self) -> bool:
        return not self.missing_parts()


class HazardEvidence(FileLink):
    """A photo or PDF attached to a hazard, before or after rectification."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="evidence", verbose_name="隐患")
    phase = models.CharField("阶段", max_length=10, choices=EvidencePhase.choices)

    class Meta:
        verbose_name = "隐患佐证材料"
        verbose_name_plural = "隐患佐证材料"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.hazard.code} {self.get_phase_display()} {self.original_name}"


class Supervision(models.Model):
    """督办 / 挂牌督办 of one hazard, with its own deadline. Listed
    (挂牌) hazards are shown to every department (晾晒)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="supervisions", verbose_name="隐患")
    kind = models.CharField("督办方式", max_length=12, choices=SupervisionKind.choices)
    level = models.CharField(
        "督办层级", max_length=10, choices=SupervisionLevel.choices, default=SupervisionLevel.DISTRICT
    )
    deadline = models.DateField("督办期限")
    requirement = models.TextField("督办要求", blank=True)
    opened_at = models.DateTimeField("督办时间", auto_now_add=True)
    opened_by = user_fk("督办人", blank=False)
    is_active = models.BooleanField("督办中", default=True)
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["hazard"], condition=Q(is_active=True), name="one_active_supervision"),
        ]

    def __str__(self) -> str:
        return f"{self.hazard.code} {self.get_level_display()}{self.get_kind_display()}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_active and self.hazard.is_open and self.deadline < (today or timezone.localdate())


class SupervisionFeedback(models.Model):
    """督办反馈: progress reported against a supervision."""

    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="feedback", verbose_name="督办")
    text = models.TextField("反馈内容")
    author = user_fk("反馈人", blank=False)
    created_at = models.DateTimeField("反馈时间", auto_now_add=True)

    class Meta:
        verbose_name = "督办反馈"
        verbose_name_plural = "督办反馈"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.supervision} 反馈"


class Transfer(models.Model):
    """移交: ownership of a hazard offered to another department, which
    accepts (ownership moves) or returns it with a reason."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transfers", verbose_name="隐患")
    from_org = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="移交部门"
    )
    to_org = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="incoming_transfers", verbose_name="接收部门"
    )
    reason = models.TextField("移交理由")
    previous_status = models.CharField("移交前状态", max_length=16, choices=HazardStatus.choices)
    status = models.CharField("状态", max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    requested_by = user_fk("发起人", blank=False)
    requested_at = models.DateTimeField("发起时间", auto_now_add=True)
    decided_by = user_fk("处理人")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)

    class Meta:
        verbose_name = "隐患移交"
        verbose_name_plural = "隐患移交"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["hazard"], condition=Q(status="pending"), name="one_pending_transfer"),
        ]

    def __str__(self) -> str:
        return f"{self.hazard.code} {self.from_org} → {self.to_org}"


class HazardNote(models.Model):
    """A remark on a hazard, or a repeated sighting linked instead of a new
    (duplicate) entry."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="notes", verbose_name="隐患")
    kind = models.CharField("类型", max_length=10, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField("内容")
    author = user_fk("填写人", blank=False)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "隐患备注"
        verbose_name_plural = "隐患备注"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.hazard.code} {self.get_kind_display()}"


class RecheckBatch(models.Model):
    """回头看抽查批次: a reproducible random sample of 已销号 hazards of one
    department (subtree) closed within a period."""

    organization = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="recheck_batches", verbose_name="抽查部门"
    )
    period_start = models.DateField("销号起始日期")
    period_end = models.DateField("销号截止日期")
    percent = models.PositiveSmallIntegerField("抽查比例(%)")
    seed = models.CharField("随机种子", max_length=64)
    population = models.PositiveIntegerField("可抽总数")
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    drawn_by = user_fk("抽取人", blank=False)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="organization")

    class Meta:
        verbose_name = "回头看批次"
        verbose_name_plural = "回头看批次"
        ordering = ["-drawn_at"]

    def __str__(self) -> str:
        return f"{self.organization} {self.period_start}–{self.period_end} {self.percent}%"


class RecheckItem(models.Model):
    """One sampled hazard and the re-check result."""

    batch = models.ForeignKey(RecheckBatch, on_delete=models.CASCADE, related_name="items", verbose_name="批次")
    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="rechecks", verbose_name="隐患")
    result = models.CharField("复查结果", max_length=10, choices=RecheckResult.choices, default=RecheckResult.PENDING)
    note = models.TextField("复查情况", blank=True)
    checked_by = user_fk("复查人")
    checked_at = models.DateTimeField("复查时间", null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org=("hazard__owner", "hazard__pending_owner"), street="hazard__street", unit="hazard__unit")

    class Meta:
        verbose_name = "回头看复查"
        verbose_name_plural = "回头看复查"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["batch", "hazard"], name="recheck_item_unique")]

    def __str__(self) -> str:
        return f"{self.hazard.code} {self.get_result_display()}"

    result_color = ChoiceColor("result", RecheckResult)
