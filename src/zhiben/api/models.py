"""Idempotency of API writes: a retried request with the same
``Idempotency-Key`` gets the first response instead of acting twice.

A record is inserted *before* the request acts (state ``pending``: the key is
claimed, the unique constraint on user + key lets exactly one request win);
the winner stores its response on it (state ``done``). Records older than
``ZHIBEN_IDEMPOTENCY_RETENTION_HOURS`` are deleted by ``zhiben tick``
(api/tick.py), through the index on ``created_at``."""

from django.db import models

from zhiben.core.fields import user_fk


class IdempotencyState(models.TextChoices):
    PENDING = "pending", "处理中"
    DONE = "done", "已完成"


class IdempotencyRecord(models.Model):
    user = user_fk("用户", on_delete=models.CASCADE)
    key = models.CharField("幂等键", max_length=100)
    method = models.CharField("方法", max_length=10)
    path = models.CharField("路径", max_length=300)
    state = models.CharField("状态", max_length=10, choices=IdempotencyState.choices, default=IdempotencyState.DONE)
    status = models.PositiveSmallIntegerField("状态码", null=True, blank=True)
    body = models.JSONField("响应", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "幂等记录"
        verbose_name_plural = "幂等记录"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
            models.CheckConstraint(
                condition=models.Q(state="pending") | models.Q(status__isnull=False),
                name="idempotency_done_has_status",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]  # the tick's pruning

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
