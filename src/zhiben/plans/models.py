"""The plan/task ledger (任务清单): 行动方案 imported from documents, their
tasks with lead/participating units, milestones, recurring obligations and
their dated instances, monthly progress reports and tracked indicators.

Statuses that follow from dates (task status, instance state, indicator
state, report lateness) are derived when read, never stored; see
docs/plans.md for the rules.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.files.models import FileLink

from . import indicator_rules
from .choices import ImportStatus, IndicatorState, InstanceState, Period, ReportStatus, TaskStatus, UnitRole


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def clamp_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


class Plan(models.Model):
    """行动方案: one imported document (its latest version)."""

    title = models.CharField("方案名称", max_length=200, unique=True)
    sector = models.ForeignKey(
        "registry.Sector",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        verbose_name="行业领域",
    )
    owner = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="owned_plans", verbose_name="牵头部门"
    )
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    report_due_day = models.PositiveSmallIntegerField(
        "月度报送日", null=True, blank=True, help_text="每月几日前报送；空为月末"
    )
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    source_sha256 = models.CharField("文档哈希", max_length=64, db_index=True)
    source_chars = models.PositiveIntegerField("文档字数", default=0)
    leading_group = models.JSONField("领导小组", default=dict, blank=True)
    goals = models.JSONField("阶段目标", default=list, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    imported_by = user_fk("导入人")

    class Meta:
        verbose_name = "行动方案"
        verbose_name_plural = "行动方案"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report_due_day__isnull=True) | Q(report_due_day__gte=1, report_due_day__lte=31),
                name="plan_due_day_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def report_due_date(self, month: dt.date) -> dt.date:
        """When the monthly report for ``month`` is due."""
        if self.report_due_day:
            return clamp_day(month.year, month.month, self.report_due_day)
        return month_end(month)

    def months(self) -> list[dt.date]:
        """First days of every month of the plan period."""
        out, day = [], self.period_start.replace(day=1)
        while day <= self.period_end:
            out.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return out


class PlanImport(models.Model):
    """A revised version of a plan waiting for confirmation (the diff is
    shown first), or a record of one applied/discarded."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="imports", verbose_name="方案")
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    sha256 = models.CharField("文档哈希", max_length=64)
    parsed = models.JSONField("解析结果")
    diff = models.JSONField("差异", default=dict)
    status = models.CharField("状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    created_by = user_fk("上传人")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "方案修订导入"
        verbose_name_plural = "方案修订导入"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.plan} 修订（{self.get_status_display()}）"


class Task(models.Model):
    """One task of a plan (任务分解表的一行或多行)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks", verbose_name="方案")
    section = models.CharField("所属部分", max_length=200, blank=True)
    number = models.CharField("序号", max_length=20, blank=True)
    title = models.CharField("任务", max_length=300)
    text = models.TextField("工作要求", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    completed_on = models.DateField("完成日期", null=True, blank=True, help_text="牵头单位报告完成且经领导确认")
    removed_at = models.DateTimeField("撤销时间", null=True, blank=True, help_text="修订版方案中已删去")

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["plan_id", "sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title

    @property
    def label(self) -> str:
        return f"{self.section} {self.number}".strip()

    def units_of(self, role: str) -> list[TaskUnit]:
        return [u for u in self.units.all() if u.role == role]

    @property
    def lead_units(self) -> list[TaskUnit]:
        return self.units_of(UnitRole.LEAD)

    @property
    def participating_units(self) -> list[TaskUnit]:
        return self.units_of(UnitRole.PARTICIPATING)

    def lead_organizations(self) -> list:
        return [u.organization for u in self.lead_units if u.organization_id]

    def status(self, today: dt.date | None = None) -> str:
        """未开始 / 推进中 / 已完成 / 逾期 — see docs/plans.md."""
        today = today or timezone.localdate()
        if self.completed_on:
            return TaskStatus.DONE
        milestones = list(self.milestones.all())
        if any(m.met_on is None and m.due_date < today for m in milestones):
            return TaskStatus.OVERDUE
        if not milestones and self.plan.period_end < today:
            return TaskStatus.OVERDUE
        if any(m.met_on for m in milestones) or any(r.status != ReportStatus.DRAFT for r in self.reports.all()):
            return TaskStatus.IN_PROGRESS
        return TaskStatus.NOT_STARTED

    def status_label(self) -> str:
        return TaskStatus(self.status()).label

    status_color = ChoiceColor("status", TaskStatus)


class TaskUnit(models.Model):
    """A unit named by a task as lead or participating, linked to an
    Organization when the name resolves (else listed for an administrator)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="units", verbose_name="任务")
    role = models.CharField("角色", max_length=16, choices=UnitRole.choices)
    name = models.CharField("名称（原文）", max_length=100)
    organization = models.ForeignKey(
        "org.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_task_units"
    )
    is_default = models.BooleanField("默认牵头", default=False, help_text="原文未写牵头单位，由方案牵头部门牵头")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "任务单位"
        verbose_name_plural = "任务单位"
        ordering = ["task_id", "role", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["task", "role", "name"], name="task_unit_unique")]

    def __str__(self) -> str:
        return self.organization.display_name if self.organization_id else self.name


class OrgNameMapping(models.Model):
    """管理员维护的名称对照: a name in the plans that does not resolve by
    itself → an organization, or marked as a collective word (各科室, 各街道…)."""

    name = models.CharField("原文名称", max_length=100, unique=True)
    organization = models.ForeignKey(
        "org.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="对应组织"
    )
    ignored = models.BooleanField("泛指（不对应具体组织）", default=False)
    created_by = user_fk()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "单位名称对照"
        verbose_name_plural = "单位名称对照"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ignored=True, organization__isnull=True) | Q(ignored=False, organization__isnull=False),
                name="name_mapping_org_or_ignored",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.organization or '泛指'}"


class Milestone(models.Model):
    """A dated deadline of a task (倒排工期)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones", verbose_name="任务")
    due_date = models.DateField("完成时限")
    text = models.TextField("内容")
    met_on = models.DateField("完成日期", null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "节点"
        verbose_name_plural = "节点"
        ordering = ["task_id", "due_date", "sort_order"]

    def __str__(self) -> str:
        return f"{self.due_date:%Y-%m-%d} {self.text[:40]}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.met_on is None and self.due_date < (today or timezone.localdate())


class Obligation(models.Model):
    """A recurring duty ("每季度至少召开一次会议", "每月24日前报送…"), of a
    task or of the whole plan; it produces dated instances."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="obligations", verbose_name="方案")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="obligations", verbose_name="任务"
    )
    organization = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="plan_obligations", verbose_name="责任单位"
    )
    period = models.CharField("周期", max_length=10, choices=Period.choices)
    every = models.PositiveSmallIntegerField("间隔", default=1)
    times = models.PositiveSmallIntegerField("每周期次数", default=1)
    due_day = models.PositiveSmallIntegerField("每月期限日", null=True, blank=True)
    dates = models.JSONField("固定日期", default=list, blank=True, help_text='["06-30", "12-31"]')
    options = models.JSONField("其他", default=dict, blank=True)
    text = models.TextField("内容")
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "常态化任务"
        verbose_name_plural = "常态化任务"
        ordering = ["plan_id", "task_id", "id"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def schedule_label(self) -> str:
        if self.dates:
            return "每年" + "、".join(f"{int(d[:2])}月{int(d[3:])}日" for d in self.dates)
        if self.period == Period.WEEK and self.every == 2:
            base = "每两周"
        elif self.every > 1:
            base = f"每{self.every}{Period(self.period).label[1:]}"
        else:
            base = Period(self.period).label
        if self.due_day:
            base += f"{self.due_day}日前"
        if self.times > 1:
            base += f"（{self.times}次）"
        return base


class ObligationInstance(models.Model):
    """One dated occurrence of an obligation; fulfilled with evidence."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="instances")
    label = models.CharField("期次", max_length=40)
    period_start = models.DateField("周期开始")
    due_date = models.DateField("期限")
    fulfilled_at = models.DateTimeField("完成时间", null=True, blank=True)
    fulfilled_by = user_fk()
    note = models.TextField("完成情况", blank=True)

    class Meta:
        verbose_name = "常态化任务期次"
        verbose_name_plural = "常态化任务期次"
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["obligation", "due_date"], name="instance_unique_due")]

    def __str__(self) -> str:
        return f"{self.label} {self.obligation}"

    def state(self, today: dt.date | None = None) -> str:
        if self.fulfilled_at:
            done = timezone.localtime(self.fulfilled_at).date()
            return InstanceState.ON_TIME if done <= self.due_date else InstanceState.LATE
        if self.due_date < (today or timezone.localdate()):
            return InstanceState.MISSED
        return InstanceState.PENDING

    def state_label(self) -> str:
        return InstanceState(self.state()).label

    state_color = ChoiceColor("state", InstanceState)


class InstanceEvidence(FileLink):
    instance = models.ForeignKey(ObligationInstance, on_delete=models.CASCADE, related_name="evidence")

    class Meta:
        verbose_name = "常态化任务佐证"
        verbose_name_plural = "常态化任务佐证"
        ordering = ["id"]


class ProgressReport(models.Model):
    """月度报送: one lead organization's progress on one task in one month."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports", verbose_name="任务")
    organization = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="plan_reports", verbose_name="报送单位"
    )
    month = models.DateField("月份", help_text="该月1日")
    due_date = models.DateField("报送期限")
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    summary = models.TextField("工作进展")
    completed = models.BooleanField("任务已完成", default=False)
    milestones = models.ManyToManyField(Milestone, blank=True, related_name="reports", verbose_name="本月完成的节点")
    first_submitted_at = models.DateTimeField("首次报送时间", null=True, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    return_reason = models.TextField("退回原因", blank=True)
    reviewed_by = user_fk()
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    created_by = user_fk()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "月度进展报送"
        verbose_name_plural = "月度进展报送"
        ordering = ["-month", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "organization", "month"], name="report_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月} {self.organization} {self.task}"

    @property
    def is_late(self) -> bool:
        """报送晚于期限（首次报送计）。"""
        if self.first_submitted_at is None:
            return False
        return timezone.localtime(self.first_submitted_at).date() > self.due_date

    status_color = ChoiceColor("status", ReportStatus)


class Indicator(models.Model):
    """A target of a task ("2024年底前至少完成30%", "培树2-3家示范单位")."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="indicators", verbose_name="任务")
    text = models.TextField("指标原文")
    target_value = models.DecimalField("目标值", max_digits=12, decimal_places=2)
    target_max = models.DecimalField("目标上限", max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    target_date = models.DateField("目标日期", null=True, blank=True)
    rule = models.CharField(
        "计算规则",
        max_length=40,
        blank=True,
        choices=indicator_rules.rule_choices,
        help_text="按规则从台账记录计算；空为仅手工填报",
    )

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["task_id", "target_date", "id"]

    def __str__(self) -> str:
        return f"{self.target_label}（{self.target_date or '无日期'}）"

    @property
    def target_label(self) -> str:
        value = f"{self.target_value.normalize():f}"
        if self.target_max is not None:
            value += f"–{self.target_max.normalize():f}"
        return value + self.unit

    @property
    def rule_spec(self) -> indicator_rules.Rule | None:
        return indicator_rules.RULES.get(self.rule or "")

    def computed(self, today: dt.date | None = None) -> indicator_rules.RuleResult | None:
        """The rule's result (None without a rule); cached per as-of date."""
        if self.rule_spec is None:
            return None
        as_of = indicator_rules.as_of_date(self, today)
        cache = self.__dict__.setdefault("_computed", {})
        if (self.rule, as_of) not in cache:
            cache[(self.rule, as_of)] = indicator_rules.compute(self, today)
        return cache[(self.rule, as_of)]

    def manual_values(self) -> list[IndicatorValue]:
        """Recorded values that count: measured on or before the target date."""
        return [v for v in self.values.all() if self.target_date is None or v.measured_on <= self.target_date]

    def state(self, today: dt.date | None = None) -> str:
        """A recorded (manual) value wins: 已达标 when one measured on or before
        the target date reaches the target. Otherwise a rule indicator is
        judged by its computed value (a count rule such as 动态清零 is met at or
        below the target). 未达标 when the date has passed without being met;
        else 待评估."""
        today = today or timezone.localdate()
        relevant = self.manual_values()
        if any(v.value >= self.target_value for v in relevant):
            return IndicatorState.MET
        if not relevant and self.rule_spec is not None:
            result = self.computed(today)
            value = result.value if result is not None else None
            if value is not None and self.rule_spec.met(value, self.target_value):
                return IndicatorState.MET
        if self.target_date is not None and self.target_date < today:
            return IndicatorState.NOT_MET
        return IndicatorState.PENDING

    def state_label(self) -> str:
        return IndicatorState(self.state()).label

    state_color = ChoiceColor("state", IndicatorState)

    def latest(self) -> IndicatorValue | None:
        values = sorted(self.values.all(), key=lambda v: (v.measured_on, v.pk))
        return values[-1] if values else None


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField("数值", max_digits=12, decimal_places=2)
    measured_on = models.DateField("统计日期")
    note = models.TextField("说明", blank=True)
    entered_by = user_fk()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "指标数值"
        verbose_name_plural = "指标数值"
        ordering = ["measured_on", "id"]

    def __str__(self) -> str:
        return f"{self.measured_on} {self.value}"


class IndicatorEvidence(FileLink):
    value = models.ForeignKey(IndicatorValue, on_delete=models.CASCADE, related_name="evidence")

    class Meta:
        verbose_name = "指标佐证"
        verbose_name_plural = "指标佐证"
        ordering = ["id"]
