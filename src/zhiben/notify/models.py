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
