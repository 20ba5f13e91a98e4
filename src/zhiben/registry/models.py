"""生产经营单位 (units).

For now a unit carries its identity (name, 统一社会信用代码), 街道 and 行业主管部门:
enough for enterprise users to be bound to one and for records to be scoped
by it. The full registry (sites, risk grading, 一企一档) builds on this model.
"""

from __future__ import annotations

from django.db import models

from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec
from zhiben.core.validators import validate_uscc


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


class Unit(models.Model):
    """生产经营单位."""

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
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="owner", street="street", unit="pk")

    class Meta:
        verbose_name = "生产经营单位"
        verbose_name_plural = "生产经营单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
