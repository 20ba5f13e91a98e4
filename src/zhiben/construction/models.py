"""Models of construction (建设工程): the registers kept for 建筑工地 — registry
Sites of type ``construction_site`` — by the 区建管委 and the builders themselves.

* ``ProjectInfo``: what a project adds to its Site (建设/施工/监理单位 as named in
  the 施工许可, the people told of a 监测预警);
* ``DangerousWork``: 危险性较大的分部分项工程 (住建部令第37号);
* ``Crane``: 建筑起重机械 (建设部令第166号: 备案、安装告知、检验、使用登记、拆卸告知);
* ``PitMonitoringPoint`` and ``PitReading``: 深基坑监测点 and their readings, with the
  alarm of a reading beyond a threshold recorded on the reading;
* ``MajorHazardBasis``: the 判定依据 (clause of the 2022 判定标准) of a 重大事故隐患 on a
  construction site, for the national database export.

Every record is scoped exactly like its Site (owner's subtree, the 街道, the Site's unit).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from zhiben.core.fields import ChoiceColor, user_fk, user_m2m
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec

from .choices import (
    PASSED_CONCLUSIONS,
    CraneStatus,
    CraneType,
    ExpertConclusion,
    InspectionResult,
    MonitoringItem,
    WorkStatus,
    WorkType,
)

SITE_TYPE = "construction_site"
EXPIRY_WARNING_DAYS = 30


def site_scope(prefix: str) -> ScopeSpec:
    return ScopeSpec(org=f"{prefix}owner", street=f"{prefix}street", unit=f"{prefix}unit")


class ProjectInfo(models.Model):
    """工程信息 of one construction site (made on first edit)."""

    site = models.OneToOneField(
        "registry.Site", on_delete=models.CASCADE, related_name="construction_info", verbose_name="工程"
    )
    builder = models.CharField("建设单位", max_length=200, blank=True)
    contractor = models.CharField("施工单位", max_length=200, blank=True, help_text="留空时取工地所属单位")
    supervisor = models.CharField("监理单位", max_length=200, blank=True)
    project_manager = models.CharField("项目负责人", max_length=50, blank=True)
    responsible = user_m2m("监测预警接收人", related_name="construction_projects")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = site_scope("site__")

    class Meta:
        verbose_name = "工程信息"
        verbose_name_plural = "工程信息"

    def __str__(self) -> str:
        return str(self.site)


class DangerousWork(models.Model):
    """危大工程: one 危险性较大的分部分项工程 of a project."""

    site = models.ForeignKey(
        "registry.Site", on_delete=models.PROTECT, related_name="dangerous_works", verbose_name="工程"
    )
    name = models.CharField("名称/部位", max_length=100)
    work_type = models.CharField("类别", max_length=16, choices=WorkType.choices)
    over_scale = models.BooleanField("超过一定规模", default=False)
    scheme_approved_on = models.DateField("专项方案审批日期", null=True, blank=True)
    scheme_approved_by = models.CharField("方案审批人", max_length=50, blank=True)
    expert_review_on = models.DateField("专家论证日期", null=True, blank=True)
    expert_conclusion = models.CharField("专家论证结论", max_length=16, choices=ExpertConclusion.choices, blank=True)
    monitoring_required = models.BooleanField("需第三方监测", default=False)
    status = models.CharField("状态", max_length=16, choices=WorkStatus.choices, default=WorkStatus.NOT_STARTED)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = site_scope("site__")

    class Meta:
        verbose_name = "危大工程"
        verbose_name_plural = "危大工程"
        indexes = [models.Index(fields=["site", "status"]), models.Index(fields=["work_type", "status"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_work_type_display()}）"

    status_color = ChoiceColor("status", WorkStatus)
    type_color = ChoiceColor("work_type", WorkType)
    conclusion_color = ChoiceColor("expert_conclusion", ExpertConclusion)

    @property
    def expert_passed(self) -> bool:
        return bool(self.expert_review_on) and self.expert_conclusion in PASSED_CONCLUSIONS

    @property
    def scheme_approved(self) -> bool:
        return bool(self.scheme_approved_on and self.scheme_approved_by)

    @property
    def is_pit(self) -> bool:
        return self.work_type == WorkType.PIT


class Crane(models.Model):
    """建筑起重机械 on a project."""

    site = models.ForeignKey("registry.Site", on_delete=models.PROTECT, related_name="cranes", verbose_name="工程")
    crane_type = models.CharField("类型", max_length=16, choices=CraneType.choices)
    record_no = models.CharField("备案编号", max_length=40)
    model_no = models.CharField("规格型号", max_length=60, blank=True)
    owner_unit = models.CharField("产权单位", max_length=200)
    installer = models.CharField("安装单位", max_length=200, blank=True)
    install_notified_on = models.DateField("安装告知日期", null=True, blank=True)
    inspected_on = models.DateField("检验日期", null=True, blank=True)
    inspection_result = models.CharField("检验结果", max_length=8, choices=InspectionResult.choices, blank=True)
    inspection_valid_until = models.DateField("检验有效期至", null=True, blank=True)
    use_registered_on = models.DateField("使用登记日期", null=True, blank=True)
    use_registration_no = models.CharField("使用登记编号", max_length=40, blank=True)
    dismantle_notified_on = models.DateField("拆卸告知日期", null=True, blank=True)
    dismantled_on = models.DateField("拆卸日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=CraneStatus.choices, default=CraneStatus.INSTALLING)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = site_scope("site__")

    class Meta:
        verbose_name = "起重机械"
        verbose_name_plural = "起重机械"
        indexes = [models.Index(fields=["site", "status"]), models.Index(fields=["inspection_valid_until"])]

    def __str__(self) -> str:
        return f"{self.get_crane_type_display()} {self.record_no}"

    status_color = ChoiceColor("status", CraneStatus)
    result_color = ChoiceColor("inspection_result", InspectionResult)

    def inspection_state(self, today: dt.date | None = None) -> tuple[str, str]:
        """(text, colour) of the 检验's validity: 已过期 / 即将到期 (30 days) / 有效至 / 未填写."""
        if self.status == CraneStatus.DISMANTLED:
            return "已拆除", "secondary"
        until = self.inspection_valid_until
        if until is None:
            return "未填写有效期", "secondary"
        today = today or timezone.localdate()
        if until < today:
            return f"已过期（{until:%Y-%m-%d}）", "danger"
        if (until - today).days <= EXPIRY_WARNING_DAYS:
            return f"即将到期（{until:%Y-%m-%d}，剩 {(until - today).days} 天）", "warning"
        return f"有效至 {until:%Y-%m-%d}", "success"


class PitMonitoringPoint(models.Model):
    """深基坑监测点 of a 基坑工程, with its 报警值 (GB 50497: 累计值 and 变化速率)."""

    work = models.ForeignKey(
        DangerousWork, on_delete=models.PROTECT, related_name="monitoring_points", verbose_name="基坑工程"
    )
    code = models.CharField("测点编号", max_length=30)
    item = models.CharField("监测项目", max_length=16, choices=MonitoringItem.choices)
    location = models.CharField("位置", max_length=100, blank=True)
    unit = models.CharField("单位", max_length=10, default="mm")
    alarm_cumulative = models.DecimalField("累计值报警值", max_digits=10, decimal_places=2)
    alarm_rate = models.DecimalField("变化速率报警值（每天）", max_digits=10, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField("在测", default=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = site_scope("work__site__")

    class Meta:
        verbose_name = "深基坑监测点"
        verbose_name_plural = "深基坑监测点"
        constraints = [models.UniqueConstraint(fields=["work", "code"], name="construction_point_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_item_display()}"


class PitReading(models.Model):
    """One reading of a monitoring point: the 累计值 on a day, the daily rate since the
    reading before, and whether (and why) it is beyond a threshold."""

    point = models.ForeignKey(
        PitMonitoringPoint, on_delete=models.CASCADE, related_name="readings", verbose_name="监测点"
    )
    measured_on = models.DateField("测量日期")
    value = models.DecimalField("累计值", max_digits=12, decimal_places=2)
    rate = models.DecimalField("变化速率（每天）", max_digits=12, decimal_places=2, null=True, blank=True)
    alarm = models.BooleanField("报警", default=False)
    alarm_reason = models.CharField("报警原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    recorded_by = user_fk("记录人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = site_scope("point__work__site__")

    class Meta:
        verbose_name = "监测读数"
        verbose_name_plural = "监测读数"
        ordering = ["measured_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["point", "measured_on"], name="construction_reading_day_unique")]

    def __str__(self) -> str:
        return f"{self.point} {self.measured_on}: {self.value}"


class MajorHazardBasis(models.Model):
    """判定依据 of a 重大事故隐患 on a construction site: the clause of
    《房屋市政工程生产安全重大事故隐患判定标准（2022版）》 and the item within it."""

    hazard = models.OneToOneField(
        "hazards.Hazard", on_delete=models.CASCADE, related_name="construction_basis", verbose_name="隐患"
    )
    clause = models.CharField("判定条款", max_length=8)
    item = models.CharField("具体情形", max_length=300, blank=True)
    measures = models.CharField("整改措施", max_length=500, blank=True)
    updated_by = user_fk("填写人")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org=("hazard__owner", "hazard__pending_owner"), street="hazard__street", unit="hazard__unit")

    class Meta:
        verbose_name = "重大事故隐患判定依据"
        verbose_name_plural = "重大事故隐患判定依据"

    def __str__(self) -> str:
        return f"{self.hazard_id}: {self.clause}"
