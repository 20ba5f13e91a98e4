"""In-app notifications (站内消息): 抄告, 督办, 移交 and reminders land here."""

from django.db import models

from zhiben.core.fields import user_fk


class Notification(models.Model):
    """One message to one user."""

    recipient = user_fk("接收人", on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    kind = models.CharField("类型", max_length=40, blank=True)
    # The record the message is about ("app_label.model" and its key), so the
    # inbox links to it only while the recipient may still see it.
    target_type = models.CharField("关联对象类型", max_length=60, blank=True)
    target_id = models.PositiveBigIntegerField("关联对象", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """ "Already sent": one row per reminder ``zhiben tick`` created, keyed by
    what it is about ("hazard:123:deadline:-3:2026-12-10"). The unique key is
    what makes a reminder go out exactly once, however many ticks run at
    once (notify.services.send_reminders). A row without a recipient marks a
    one-off action of the tick (an escalation) as done."""

    key = models.CharField("键", max_length=200, unique=True)
    recipient = user_fk("接收人", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="消息"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "提醒记录"
        verbose_name_plural = "提醒记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.key
