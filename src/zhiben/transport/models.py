"""Models of transport (道路运输): the vehicles and drivers of the 重点运输企业
(registry Units: the 一企一档 stays in the registry), their traffic violations,
and the violations of 外卖/快递 riders imported from the platforms' lists (骑手违法
红黑榜). Vehicles, drivers and violations are seen by whoever sees their unit
(registry ``UnitScopedQuerySet``); rider violations by the government side."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhiben.core.crypto import EncryptedCharField
from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import ScopeSpec
from zhiben.registry.models import Unit, UnitScopedQuerySet

from .choices import (
    TWO_PASSENGER_ONE_HAZMAT,
    DriverStatus,
    LicenceClass,
    VehicleStatus,
    VehicleType,
    ViolationKind,
    ViolationSource,
)

MAX_POINTS = 12


class Vehicle(models.Model):
    """车辆: one vehicle operated by a unit (its 经营者), with the dates of its next
    periodic inspection (年检) and of its insurance's end."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="vehicles", verbose_name="所属企业")
    plate = models.CharField("车牌号码", max_length=10)
    vehicle_type = models.CharField("车辆类型", max_length=20, choices=VehicleType.choices)
    status = models.CharField("状态", max_length=12, choices=VehicleStatus.choices, default=VehicleStatus.IN_USE)
    inspection_due = models.DateField("下次年检日期", null=True, blank=True)
    insurance_due = models.DateField("保险到期日", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="unit__owner", street="unit__street", unit="unit")

    class Meta:
        verbose_name = "车辆"
        verbose_name_plural = "车辆"
        ordering = ["plate", "id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="transport_vehicle_unit"),
            models.Index(fields=["inspection_due"], name="transport_vehicle_inspection"),
            models.Index(fields=["insurance_due"], name="transport_vehicle_insurance"),
        ]
        constraints = [
            # A plate is reissued only after the vehicle holding it is 注销.
            models.UniqueConstraint(
                fields=["plate"], condition=~Q(status="cancelled"), name="transport_vehicle_plate_live"
            ),
        ]

    def __str__(self) -> str:
        return self.plate

    status_color = ChoiceColor("status", VehicleStatus)
    type_color = ChoiceColor("vehicle_type", VehicleType)

    @property
    def is_key_vehicle(self) -> bool:
        """两客一危."""
        return self.vehicle_type in TWO_PASSENGER_ONE_HAZMAT

    def inspection_overdue(self, today: dt.date | None = None) -> bool:
        return self.inspection_due is not None and self.inspection_due < (today or timezone.localdate())

    def insurance_expired(self, today: dt.date | None = None) -> bool:
        return self.insurance_due is not None and self.insurance_due < (today or timezone.localdate())


class Driver(models.Model):
    """驾驶员 of a unit: licence class and expiry, and the points (记分) of the current
    scoring cycle (12 points clear the licence). The ID number and the phone are
    stored encrypted and shown masked to whoever may not read the unit's contacts."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="drivers", verbose_name="所属企业")
    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedCharField("身份证号码", plain_max_length=18)
    phone = EncryptedCharField("联系电话", plain_max_length=30)
    licence_class = models.CharField("准驾车型", max_length=4, choices=LicenceClass.choices)
    licence_expiry = models.DateField("驾驶证有效期至", null=True, blank=True)
    points = models.PositiveSmallIntegerField("本记分周期记分", default=0)
    status = models.CharField("状态", max_length=12, choices=DriverStatus.choices, default=DriverStatus.ACTIVE)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="unit__owner", street="unit__street", unit="unit")

    class Meta:
        verbose_name = "驾驶员"
        verbose_name_plural = "驾驶员"
        ordering = ["unit_id", "name", "id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="transport_driver_unit"),
            models.Index(fields=["licence_expiry"], name="transport_driver_expiry"),
            models.Index(fields=["points"], name="transport_driver_points"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__lte=MAX_POINTS), name="transport_driver_points_range"),
        ]

    def __str__(self) -> str:
        return self.name

    status_color = ChoiceColor("status", DriverStatus)

    def licence_expired(self, today: dt.date | None = None) -> bool:
        return self.licence_expiry is not None and self.licence_expiry < (today or timezone.localdate())


class Violation(models.Model):
    """违法记录 of a unit's vehicle and/or driver (at least one; both of the same unit).
    ``unit`` is the vehicle's or driver's unit, kept on the row for scope and counts."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="violations", verbose_name="所属企业")
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="violations", verbose_name="车辆"
    )
    driver = models.ForeignKey(
        Driver, null=True, blank=True, on_delete=models.PROTECT, related_name="violations", verbose_name="驾驶员"
    )
    occurred_on = models.DateField("违法日期")
    kind = models.CharField("违法行为", max_length=16, choices=ViolationKind.choices)
    points = models.PositiveSmallIntegerField("记分", default=0)
    source = models.CharField("来源", max_length=12, choices=ViolationSource.choices)
    note = models.CharField("备注", max_length=300, blank=True)
    import_job = models.PositiveBigIntegerField("导入批次", null=True, blank=True, help_text="批量导入时的导入任务编号")
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = UnitScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="unit__owner", street="unit__street", unit="unit")

    class Meta:
        verbose_name = "违法记录"
        verbose_name_plural = "违法记录"
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["occurred_on"], name="transport_violation_date"),
            models.Index(fields=["vehicle", "occurred_on"], name="transport_violation_vehicle"),
            models.Index(fields=["driver", "occurred_on"], name="transport_violation_driver"),
            models.Index(fields=["unit", "occurred_on"], name="transport_violation_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(vehicle__isnull=False) | Q(driver__isnull=False), name="transport_violation_subject"
            ),
            models.CheckConstraint(condition=Q(points__lte=MAX_POINTS), name="transport_violation_points_range"),
        ]

    def __str__(self) -> str:
        who = " / ".join(str(x) for x in (self.vehicle, self.driver) if x is not None)
        return f"{self.occurred_on} {who} {self.get_kind_display()}"

    kind_color = ChoiceColor("kind", ViolationKind)
    source_color = ChoiceColor("source", ViolationSource)


class RiderViolation(models.Model):
    """骑手交通违法: one line of a platform's / the police's list of 外卖、快递 riders'
    violations, imported from Excel (平台/站点名称, 骑手姓名, 违法日期, 违法行为,
    处理结果). The 红黑榜 ranks the stations and platforms by these per month."""

    platform = models.CharField("平台", max_length=50)
    station = models.CharField("站点名称", max_length=100)
    rider_name = models.CharField("骑手姓名", max_length=50)
    occurred_on = models.DateField("违法日期")
    offence = models.CharField("违法行为", max_length=100)
    outcome = models.CharField("处理结果", max_length=200, blank=True)
    import_job = models.PositiveBigIntegerField("导入批次", null=True, blank=True)
    created_by = user_fk("导入人")
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "骑手交通违法"
        verbose_name_plural = "骑手交通违法"
        ordering = ["-occurred_on", "platform", "station", "id"]
        indexes = [
            models.Index(fields=["occurred_on", "platform", "station"], name="transport_rider_month"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.platform} {self.station} {self.rider_name}"
