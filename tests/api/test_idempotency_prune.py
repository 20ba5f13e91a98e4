"""``zhiben tick`` deletes Idempotency-Key records older than the retention
period (ZHIBEN_IDEMPOTENCY_RETENTION_HOURS), in bounded batches, through the
index on created_at; a dry run counts and deletes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from zhiben.api import tick
from zhiben.api.models import IdempotencyRecord, IdempotencyState

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def _record(user, key: str, age: dt.timedelta, state=IdempotencyState.DONE, now=NOW) -> IdempotencyRecord:
    done = state == IdempotencyState.DONE
    record = IdempotencyRecord.objects.create(
        user=user, key=key, method="POST", path="/api/v1/x", state=state, status=200 if done else None, body={}
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=now - age)
    return record


def _keys() -> set[str]:
    return set(IdempotencyRecord.objects.values_list("key", flat=True))


def test_deletes_records_past_the_default_retention_of_24_hours(users):
    user = users["officer"]
    _record(user, "old-done", dt.timedelta(hours=25))
    _record(user, "old-pending", dt.timedelta(days=3), state=IdempotencyState.PENDING)
    _record(user, "recent", dt.timedelta(hours=23))
    _record(user, "fresh-claim", dt.timedelta(minutes=5), state=IdempotencyState.PENDING)
    assert tick.run(NOW) == {"idempotency_pruned": 2}
    assert _keys() == {"recent", "fresh-claim"}
    assert tick.run(NOW) == {"idempotency_pruned": 0}


def test_retention_from_the_setting_with_a_floor_of_one_hour(users, settings):
    user = users["officer"]
    _record(user, "30h", dt.timedelta(hours=30))
    _record(user, "50h", dt.timedelta(hours=50))
    settings.ZHIBEN_IDEMPOTENCY_RETENTION_HOURS = 48
    assert tick.run(NOW) == {"idempotency_pruned": 1} and _keys() == {"30h"}
    # Never shorter than an hour: a live claim (10 minutes before take-over) is never pruned.
    settings.ZHIBEN_IDEMPOTENCY_RETENTION_HOURS = -3
    _record(user, "claim", dt.timedelta(minutes=30), state=IdempotencyState.PENDING)
    _record(user, "2h", dt.timedelta(hours=2))
    assert tick.run(NOW) == {"idempotency_pruned": 2} and _keys() == {"claim"}


def test_dry_run_counts_and_deletes_nothing(users):
    user = users["officer"]
    for n in range(3):
        _record(user, f"old-{n}", dt.timedelta(days=2))
    _record(user, "recent", dt.timedelta(hours=1))
    assert tick.run(NOW, dry_run=True) == {"idempotency_expired": 3}
    assert IdempotencyRecord.objects.count() == 4


def test_bounded_batches_per_tick(users, settings):
    settings.ZHIBEN_TICK_BATCH = 3
    user = users["officer"]
    for n in range(tick.PRUNE_BATCHES * 3 + 4):
        _record(user, f"old-{n:02d}", dt.timedelta(hours=30 + n))
    _record(user, "recent", dt.timedelta(hours=1))
    assert tick.run(NOW) == {"idempotency_pruned": tick.PRUNE_BATCHES * 3}
    # Oldest first: what is left for the next tick is the youngest of the expired.
    assert _keys() == {"old-00", "old-01", "old-02", "old-03", "recent"}
    assert tick.run(NOW) == {"idempotency_pruned": 4}
    assert _keys() == {"recent"}


def test_zhiben_tick_runs_it_and_prints_chinese_counts(users):
    _record(users["officer"], "old", dt.timedelta(hours=25), now=timezone.now())  # the command ticks at now
    _record(users["officer"], "recent", dt.timedelta(hours=23), now=timezone.now())
    out = io.StringIO()
    call_command("tick", "--app", "api", stdout=out)
    assert "已清理的幂等记录 1" in out.getvalue()
    assert _keys() == {"recent"}


def test_the_date_filter_uses_an_index(users):
    cutoff = NOW - tick.retention()
    sql, params = IdempotencyRecord.objects.filter(created_at__lt=cutoff).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "idempotency_created" in plan
