"""Delivery beyond the inbox: the users' channel choices, the e-mail outbox
and webhook subscriptions with their delivery log."""

from __future__ import annotations

from django.db import models

from zhiben.core.crypto import EncryptedCharField
from zhiben.core.fields import user_fk

from .choices import DeliveryStatus, EmailMode, EmailStatus, MessageGroup, SubscriptionState


class ChannelPreference(models.Model):
    """How one user receives one group of messages besides the inbox (always on)."""

    user = user_fk("用户", on_delete=models.CASCADE, null=False, related_name="channel_preferences")
    group = models.CharField("消息类别", max_length=20, choices=MessageGroup.choices)
    email = models.CharField("邮件", max_length=10, choices=EmailMode.choices, default=EmailMode.OFF)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "消息渠道设置"
        verbose_name_plural = "消息渠道设置"
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="delivery_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.group} {self.email}"


class OutgoingEmail(models.Model):
    """One e-mail in the outbox: an instant copy of a notification or a daily digest."""

    recipient = user_fk("收件人", on_delete=models.CASCADE, null=False, related_name="+")
    to = models.EmailField("邮箱")
    subject = models.CharField("主题", max_length=250)
    body = models.TextField("正文")
    # Instant copies name their notification (once each); digests name their day.
    notification_id = models.BigIntegerField("消息", null=True, blank=True, unique=True)
    digest_day = models.DateField("汇总日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", db_index=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "待发邮件"
        verbose_name_plural = "待发邮件"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "digest_day"],
                condition=models.Q(digest_day__isnull=False),
                name="delivery_email_digest_once",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class Subscription(models.Model):
    """A webhook: events of the chosen types are POSTed, signed, to ``url``."""

    name = models.CharField("名称", max_length=100)
    url = models.URLField("接收地址", max_length=500)
    # Encrypted at rest (Fernet, ZHIBEN_FIELD_KEYS); Python code sees the plain secret.
    secret = EncryptedCharField("签名密钥", plain_max_length=100, blank=False)
    event_types = models.JSONField("事件类型", default=list)
    is_active = models.BooleanField("启用", default=True)
    state = models.CharField("状态", max_length=10, choices=SubscriptionState.choices, default=SubscriptionState.ACTIVE)
    consecutive_failures = models.PositiveIntegerField("连续失败次数", default=0)
    created_by = user_fk("创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "事件订阅"
        verbose_name_plural = "事件订阅"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def receives(self) -> bool:
        return self.is_active and self.state != SubscriptionState.DISABLED


class Delivery(models.Model):
    """One event for one subscription, with its attempts (the delivery log)."""

    subscription = models.ForeignKey(
        Subscription, verbose_name="订阅", on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField("事件ID", max_length=40)
    event_type = models.CharField("事件类型", max_length=40)
    payload = models.JSONField("内容")
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("最近状态码", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "投递记录"
        verbose_name_plural = "投递记录"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_event_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
