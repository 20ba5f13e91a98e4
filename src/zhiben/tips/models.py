"""举报: tips from the public (网页, 12345, 随申拍, 来信来访) and from employees
(内部报告), triaged by the department or 街道 they are routed to.

The reporter's name and phone are encrypted at rest (registry's
``EncryptedCharField``) and shown only to ``workflow.can_see_contact``.
The tracking code given to the reporter is stored only as its SHA-256.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhiben.core.crypto import EncryptedCharField
from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec
from zhiben.core.workdays import add_workdays
from zhiben.files.models import FileLink

from .choices import UNANSWERED_STATUSES, UNDECIDED_STATUSES, TipChannel, TipStatus

TEXT_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 30
PHONE_MAX_LENGTH = 20
DEFAULT_REPLY_WORKING_DAYS = 3


def reply_working_days() -> int:
    return int(getattr(settings, "ZHIBEN_TIP_REPLY_WORKING_DAYS", DEFAULT_REPLY_WORKING_DAYS))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start``: weekends, public holidays
    and 调休 working weekends as the State Council publishes them
    (core/workdays.py, data/holidays/)."""
    return add_workdays(start, days)


def late_cutoff(today: dt.date, days: int | None = None) -> dt.date:
    """The latest receipt date whose reply deadline is before ``today``
    (deadlines grow with the receipt date, so a tip is late exactly when it
    was received on or before this day and is still unanswered)."""
    days = reply_working_days() if days is None else days
    day = today
    while add_working_days(day, days) >= today:
        day -= dt.timedelta(days=1)
    return day


class TipQuerySet(RestrictedQuerySet):
    def undecided(self) -> TipQuerySet:
        return self.filter(status__in=UNDECIDED_STATUSES)

    def late(self, today: dt.date | None = None) -> TipQuerySet:
        """Unanswered tips past their reply deadline (derived, never stored)."""
        cutoff = late_cutoff(today or timezone.localdate())
        return self.filter(status__in=UNANSWERED_STATUSES, received_on__lte=cutoff)

    def not_late(self, today: dt.date | None = None) -> TipQuerySet:
        cutoff = late_cutoff(today or timezone.localdate())
        return self.filter(~Q(status__in=UNANSWERED_STATUSES) | Q(received_on__gt=cutoff))


class Tip(models.Model):
    """一条举报."""

    channel = models.CharField("渠道", max_length=12, choices=TipChannel.choices)
    status = models.CharField("状态", max_length=12, choices=TipStatus.choices, default=TipStatus.PENDING)
    external_ref = models.CharField("来件编号", max_length=40, blank=True, help_text="12345 工单号、随申拍编号等")
    received_on = models.DateField("收到日期", default=timezone.localdate)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = user_fk("登记人", help_text="网页举报为空")

    text = models.TextField("举报内容")
    place = models.CharField("地点", max_length=200, blank=True)
    site = models.ForeignKey(
        "registry.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="tips", verbose_name="场所"
    )
    unit = models.ForeignKey(
        "registry.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="tips", verbose_name="被举报单位"
    )
    street = models.ForeignKey(
        "org.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips_in_street",
        verbose_name="所属街道",
    )
    routed_to = models.ForeignKey(
        "org.Organization", on_delete=models.PROTECT, related_name="routed_tips", verbose_name="承办部门/街道"
    )

    reporter_name = EncryptedCharField("举报人姓名", plain_max_length=NAME_MAX_LENGTH)
    reporter_phone = EncryptedCharField("举报人电话", plain_max_length=PHONE_MAX_LENGTH)
    tracking_hash = models.CharField("查询码摘要", max_length=64, unique=True, editable=False)

    hazard = models.ForeignKey(
        "hazards.Hazard", null=True, blank=True, on_delete=models.PROTECT, related_name="tips", verbose_name="隐患"
    )
    hazard_created = models.BooleanField("新建隐患", default=False, help_text="否：关联已有隐患")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decided_by = user_fk("处理人")
    reject_reason = models.TextField("不予受理理由", blank=True)
    reply = models.TextField("答复", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    replied_by = user_fk("答复人")

    objects = TipQuerySet.as_manager()
    scope_spec = ScopeSpec(org="routed_to", street="street")

    class Meta:
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["routed_to", "status"], name="tip_routed_status"),
            models.Index(fields=["street", "status"], name="tip_street_status"),
            models.Index(fields=["status", "received_on"], name="tip_status_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=TipStatus.ACCEPTED) | Q(hazard__isnull=False), name="tip_accepted_has_hazard"
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.REPLIED) | Q(replied_at__isnull=False), name="tip_replied_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_channel_display()}"

    @property
    def number(self) -> str:
        """举报编号 shown to staff (the tracking code is the reporter's)."""
        return f"JB{self.pk:06d}" if self.pk else "JB——"

    @property
    def has_contact(self) -> bool:
        return bool(self.reporter_name or self.reporter_phone)

    status_color = ChoiceColor("status", TipStatus)

    channel_color = ChoiceColor("channel", TipChannel)

    @property
    def reply_due(self) -> dt.date:
        return add_working_days(self.received_on, reply_working_days())

    def is_late(self, today: dt.date | None = None) -> bool:
        """Unanswered after the deadline, or answered after it."""
        today = today or timezone.localdate()
        if self.replied_at is not None:
            return timezone.localtime(self.replied_at).date() > self.reply_due
        return self.status in UNANSWERED_STATUSES and today > self.reply_due


class TipPhoto(FileLink):
    """A photo sent with a tip (images only)."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="photos", verbose_name="举报")

    class Meta:
        verbose_name = "举报照片"
        verbose_name_plural = "举报照片"
        ordering = ["id"]


class TipReward(models.Model):
    """举报奖励: a reward approved for an accepted tip."""

    tip = models.ForeignKey(Tip, on_delete=models.PROTECT, related_name="rewards", verbose_name="举报")
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    basis = models.TextField("奖励依据")
    approved_on = models.DateField("批准日期")
    approved_by = user_fk("批准人", on_delete=models.PROTECT)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_spec = ScopeSpec(org="tip__routed_to", street="tip__street")

    class Meta:
        verbose_name = "举报奖励"
        verbose_name_plural = "举报奖励"
        ordering = ["-approved_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="tip_reward_positive")]

    def __str__(self) -> str:
        return f"{self.tip.number} {self.amount} 元"
