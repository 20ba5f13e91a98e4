"""The API's part of ``zhiben tick``: delete ``Idempotency-Key`` records older
than the retention period, so the table does not grow for ever.

A key is honoured (its first answer replayed) for
``ZHIBEN_IDEMPOTENCY_RETENTION_HOURS`` hours (default 24, at least 1 — well past
the 10 minutes after which a stale ``pending`` claim may be taken over, see
api/idempotency.py); after that the same key acts again. Bounded: at most
``PRUNE_BATCHES`` batches of ``ZHIBEN_TICK_BATCH`` rows per tick, each deleted in
its own short statement, the rest on the next tick; the date filter uses the
index ``idempotency_created``. Safe to run concurrently: a delete re-checks the
date, so a claim taken over meanwhile (``created_at`` moved to now) stays.

Not audited: the records are a technical cache of API answers, not a record of
anyone's action (the actions themselves are in the audit trail).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.core.tick import batch_size, setting

from .models import IdempotencyRecord

DEFAULT_RETENTION_HOURS = 24
MIN_RETENTION_HOURS = 1  # longer than idempotency.CLAIM_TIMEOUT (10 minutes)
PRUNE_BATCHES = 10  # per tick

LABELS = {  # the Chinese names `zhiben tick` prints (core/tick.py)
    "idempotency_pruned": "已清理的幂等记录",
    "idempotency_expired": "待清理的幂等记录",
}


def retention() -> dt.timedelta:
    hours = setting("ZHIBEN_IDEMPOTENCY_RETENTION_HOURS", DEFAULT_RETENTION_HOURS)
    return dt.timedelta(hours=max(hours, MIN_RETENTION_HOURS))


def run(now: dt.datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    now = now or timezone.now()
    expired = IdempotencyRecord.objects.filter(created_at__lt=now - retention())
    if dry_run:
        return {"idempotency_expired": expired.count()}
    size, deleted = batch_size(), 0
    for _ in range(PRUNE_BATCHES):
        pks = list(expired.order_by("created_at").values_list("pk", flat=True)[:size])
        if not pks:
            break
        count, _ = expired.filter(pk__in=pks).delete()
        deleted += count
        if len(pks) < size:
            break
    return {"idempotency_pruned": deleted}
