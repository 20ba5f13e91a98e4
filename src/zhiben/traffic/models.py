"""Models of traffic (道路交通).

* :class:`BlackSpotListing` — one 事故多发点段 listed (挂牌) in one year: the
  registry site (type ``road_spot``), the level (市级/区级), the accidents that led
  to the listing and the 牵头单位 that leads its treatment.
* :class:`BlackSpotRectification` — the treatment (整治) of one listing: measures,
  dates, state (未启动 → 整治中 → 已完成 → 已验收) and who accepted it.
* :class:`SchoolSafetyPlan` — 一校一方案: the traffic-safety plan of one school
  (registry site of type ``school_surroundings``) for one 学年.

Who sees them: ``access.py`` (through the site's owner and 街道, and the 牵头单位).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec

from .choices import ListingLevel, RectificationStatus, SchoolPlanStatus

FIRST_YEAR = 2015
LAST_YEAR = 2100
MAX_ACCIDENTS = 9999
BLACK_SPOT_TYPE = "road_spot"
SCHOOL_TYPE = "school_surroundings"


class BlackSpotListing(models.Model):
    """事故多发点段挂牌: a road spot listed in ``year`` by the city or the district."""

    site = models.ForeignKey(
        "registry.Site", on_delete=models.PROTECT, related_name="black_spot_listings", verbose_name="点段"
    )
    year = models.PositiveSmallIntegerField(
        "挂牌年度", validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    level = models.CharField("挂牌级别", max_length=10, choices=ListingLevel.choices)
    accident_count = models.PositiveIntegerField(
        "认定事故起数", default=0, validators=[MaxValueValidator(MAX_ACCIDENTS)], help_text="导致挂牌的事故起数"
    )
    lead_org = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="led_black_spots", verbose_name="牵头单位"
    )
    reason = models.CharField("挂牌原因", max_length=300, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org=("site__owner", "lead_org"), street="site__street")

    class Meta:
        verbose_name = "事故多发点段"
        verbose_name_plural = "事故多发点段"
        ordering = ["-year", "site__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "year"], name="traffic_listing_site_year"),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR), name="traffic_listing_year_range"
            ),
            models.CheckConstraint(condition=Q(accident_count__lte=MAX_ACCIDENTS), name="traffic_listing_accidents"),
        ]
        indexes = [models.Index(fields=["year"], name="traffic_listing_year")]

    def __str__(self) -> str:
        return f"{self.site.name}（{self.year}年{self.get_level_display()}）"

    level_color = ChoiceColor("level", ListingLevel)


class BlackSpotRectification(models.Model):
    """整治记录 of one listing (created with it, 未启动)."""

    listing = models.OneToOneField(
        BlackSpotListing, on_delete=models.CASCADE, related_name="rectification", verbose_name="事故多发点段"
    )
    status = models.CharField(
        "整治状态", max_length=12, choices=RectificationStatus.choices, default=RectificationStatus.NOT_STARTED
    )
    measures = models.CharField("整治措施", max_length=2000, blank=True)
    started_on = models.DateField("开始日期", null=True, blank=True)
    finished_on = models.DateField("完成日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    accepted_by = models.CharField("验收单位（人）", max_length=100, blank=True)
    evidence = models.CharField("佐证说明", max_length=1000, blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    updated_by = user_fk("最后修改人")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org=("listing__site__owner", "listing__lead_org"), street="listing__site__street")

    class Meta:
        verbose_name = "事故多发点段整治"
        verbose_name_plural = "事故多发点段整治"
        indexes = [models.Index(fields=["status", "finished_on"], name="traffic_rect_status_done")]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_on__isnull=True) | Q(started_on__isnull=False), name="traffic_rect_started"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing} 整治"

    status_color = ChoiceColor("status", RectificationStatus)


def current_school_year(day) -> int:
    """The 学年 (by its first calendar year) ``day`` falls in: September starts a new one."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(year: int) -> str:
    return f"{year}-{year + 1}学年"


class SchoolSafetyPlan(models.Model):
    """一校一方案: the traffic-safety plan of one school for one 学年."""

    site = models.ForeignKey(
        "registry.Site", on_delete=models.PROTECT, related_name="school_safety_plans", verbose_name="学校"
    )
    school_year = models.PositiveSmallIntegerField(
        "学年", validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)], help_text="学年起始年份"
    )
    guard_posts = models.CharField("护学岗", max_length=1000, blank=True)
    traffic_facilities = models.CharField("交通设施", max_length=1000, blank=True)
    pickup_order = models.CharField("接送秩序", max_length=1000, blank=True)
    police_name = models.CharField("责任民警/交警", max_length=50, blank=True)
    police_phone = models.CharField("联系电话", max_length=20, blank=True)
    reviewed_on = models.DateField("审核日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=SchoolPlanStatus.choices, default=SchoolPlanStatus.DRAFTING
    )
    note = models.CharField("备注", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="site__owner", street="site__street")

    class Meta:
        verbose_name = "一校一方案"
        verbose_name_plural = "一校一方案"
        ordering = ["-school_year", "site__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "school_year"], name="traffic_school_plan_year"),
            models.CheckConstraint(
                condition=Q(school_year__gte=FIRST_YEAR, school_year__lte=LAST_YEAR), name="traffic_school_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} {school_year_label(self.school_year)}一校一方案"

    @property
    def school_year_label(self) -> str:
        return school_year_label(self.school_year)

    status_color = ChoiceColor("status", SchoolPlanStatus)
