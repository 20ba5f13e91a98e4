"""Idempotency of API writes: a retried request with the same
``Idempotency-Key`` gets the first response instead of acting twice."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="用户")
    key = models.CharField("幂等键", max_length=100)
    method = models.CharField("方法", max_length=10)
    path = models.CharField("路径", max_length=300)
    status = models.PositiveSmallIntegerField("状态码")
    body = models.JSONField("响应")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "幂等记录"
        verbose_name_plural = "幂等记录"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
