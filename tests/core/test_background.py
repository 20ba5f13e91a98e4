"""Background work (core/background.py): worker ids, tasks of a dead worker failed with the
reason, the request context carried into the task, the Redis queue as a setting."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zhiben.core import background, context
from zhiben.core.tasks import tick

pytestmark = pytest.mark.django_db


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def running(worker: str, started_at: dt.datetime | None = None) -> DBTaskResult:
    result = tick.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=[worker], started_at=started_at or timezone.now()
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_worker_ids_name_host_and_process():
    host, pid, token = background.worker_id().split(":")
    assert (host, int(pid)) == (socket.gethostname()[:40], os.getpid()) and token
    assert len(background.worker_id()) <= 64
    assert not background.worker_gone(background.worker_id())
    assert background.worker_gone(f"{background.HOST}:{dead_pid()}:abc")
    assert background.worker_gone(f"{background.HOST}:{os.getpid()}:an-earlier-process")
    assert not background.worker_gone(f"another-host:{dead_pid()}:abc")  # unknown: given time
    assert not background.worker_gone("garbage")


def test_tasks_of_a_dead_worker_are_failed_with_the_reason_and_live_ones_are_left():
    gone = f"{background.HOST}:{dead_pid()}:abc"
    lost = running(gone)
    alive = running(background.worker_id())
    elsewhere = running("another-host:123:abc")
    stuck = running("another-host:456:abc", started_at=timezone.now() - background.LOST_AFTER - dt.timedelta(minutes=1))

    assert background.recover_lost_results() == 2

    lost.refresh_from_db(), alive.refresh_from_db(), elsewhere.refresh_from_db(), stuck.refresh_from_db()
    assert (lost.status, stuck.status) == ("FAILED", "FAILED")
    assert gone in lost.traceback and "意外中止" in lost.traceback
    assert lost.exception_class_path == "zhiben.core.background.WorkerLost"
    assert (alive.status, elsewhere.status) == ("RUNNING", "RUNNING")
    assert background.recover_lost_results() == 0


def test_recover_all_runs_every_apps_recovery():
    counts = background.recover_all()
    assert set(counts) >= {"tasks", "imports"}


def test_a_task_runs_in_the_context_of_the_request_that_enqueued_it(monkeypatch):
    seen = []
    monkeypatch.setattr("zhiben.core.tasks.run_all", lambda now: seen.append(context.current()) or [])
    ctx = context.RequestContext(request_id="req-42", client_ip="10.0.0.8", user_agent="测试")
    with context.use_context(ctx):
        background.enqueue_on_commit(tick)
    stored = DBTaskResult.objects.get()
    assert stored.args_kwargs["kwargs"]["_context"]["request_id"] == "req-42"
    stored.task.call(*stored.task_result.args, **stored.task_result.kwargs)
    assert seen == [ctx]


def test_an_unknown_queue_is_refused():
    with pytest.raises(ValueError):
        background.background_task(queue_name="nope")


def test_the_backend_setting_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    from zhiben.config.settings.base import tasks_config

    assert tasks_config("database")["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert tasks_config("immediate")["default"]["BACKEND"].endswith("ImmediateBackend")
    with pytest.raises(ImproperlyConfigured, match="database, rq or immediate"):
        tasks_config("celery")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_the_same_tasks_run_on_redis_by_setting_only(tmp_path):
    """ZHIBEN_TASKS_BACKEND=rq: the tick task is enqueued to Redis and run by `zhiben worker`
    (RQ's worker), with no code change."""
    if connection.vendor != "sqlite":
        pytest.skip("uses the migrated SQLite test database from another process")
    script = textwrap.dedent(
        """
        import django, uuid
        django.setup()
        from django.core.management import call_command
        from django_tasks import TaskResultStatus, task_backends
        import redis
        from zhiben.core.tasks import tick
        redis.Redis.from_url("redis://127.0.0.1:6379/14").flushdb()  # this test's own Redis database
        result = tick.enqueue()
        assert type(task_backends["default"]).__name__ == "RQBackend"
        call_command("worker", batch=True)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
        assert "hazards" in result.return_value
        print("RQ-OK")
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "ZHIBEN_TEST_TMP": str(tmp_path),
        "ZHIBEN_TASKS_BACKEND": "rq",
        "ZHIBEN_REDIS_URL": "redis://127.0.0.1:6379/14",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert "RQ-OK" in done.stdout, done.stderr[-3000:]


def test_finished_results_are_pruned_after_the_retention(settings):
    settings.ZHIBEN_TASK_RESULTS_KEEP_DAYS = 7
    now = timezone.now()
    old, recent, waiting = (tick.enqueue() for _ in range(3))
    DBTaskResult.objects.filter(pk=old.id).update(status="SUCCESSFUL", finished_at=now - dt.timedelta(days=8))
    DBTaskResult.objects.filter(pk=recent.id).update(status="FAILED", finished_at=now - dt.timedelta(days=6))

    assert background.prune_finished(now, force=True) == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        DBTaskResult.objects.get(pk=recent.id).pk,
        DBTaskResult.objects.get(pk=waiting.id).pk,
    }
    assert background.prune_finished(now) == 0  # at most hourly without force
