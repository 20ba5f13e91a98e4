"""The append-only, hash-chained audit trail.

Each :class:`AuditEvent` stores the hash of the previous one and its own hash
over its content and position. Its primary key *is* its position in the chain
(assigned under a lock on :class:`AuditChainHead`), so an edited, deleted or
swapped row breaks the chain, and ``zhiben audit verify`` names the first
broken link.
"""

from __future__ import annotations

from django.db import models

from zhiben.core.fields import user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit row through the app."""


class AuditEventQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计记录只能追加，不能修改")

    def delete(self):
        raise AppendOnlyError("审计记录只能追加，不能删除")

    # bulk_update goes through update(); bulk_create would bypass the chain.
    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("审计记录必须逐条写入审计链")


class AuditEvent(models.Model):
    """审计记录: who did what to which object, when, why, from where."""

    id = models.BigIntegerField("序号", primary_key=True)
    created_at = models.DateTimeField("时间", db_index=True)
    actor = user_fk("操作人", db_constraint=False)
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("事件", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True, db_index=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("原因", blank=True)
    request_id = models.CharField("请求ID", max_length=64, blank=True)
    client_ip = models.GenericIPAddressField("客户端IP", null=True, blank=True)
    prev_hash = models.CharField("前序哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()
    # Only administrators read the audit trail (restrict() gives others nothing
    # because no scope field is declared).
    scope_spec = ScopeSpec()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计记录只能追加，不能修改")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计记录只能追加，不能删除")


class AuditChainHead(models.Model):
    """Singleton row: the last position and hash of the chain. Writers lock it,
    so positions are gapless and hashes chain even under concurrency."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"#{self.last_id} {self.last_hash[:12]}"
