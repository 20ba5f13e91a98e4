"""Background work on Django's tasks API (the django-tasks backport of ``django.tasks``).

Why this library (docs/architecture.md, "Background work" argues it in full): it is the API Django
itself ships from 6.0, so Zhiben's tasks are plain ``Task`` objects that any backend runs; its
database backend (django-tasks-db) keeps the queue in Zhiben's own database — SQLite or PostgreSQL,
no extra server for the embedded default — and claims each task with ``SELECT … FOR UPDATE SKIP
LOCKED`` (an exclusive transaction on SQLite), so two workers never run the same task; and
``ZHIBEN_TASKS_BACKEND=rq`` moves the same tasks to Redis (django-tasks-rq) without code changes.

Convention: an app's background work lives in ``<app>/tasks.py``:

* each task is a function decorated with :func:`background_task` (``queue_name`` "default" for short
  work, "long" for imports and big exports); its arguments are JSON values (ids, not objects);
* a service enqueues with :func:`enqueue_on_commit`: on the database backend the task row is written
  in the service's own transaction (the job and its task commit together or not at all); on other
  backends it is sent when the transaction commits. The request's context (request id, client IP)
  travels with the task, so audit rows written by the task name the request that caused it;
* a task must be safe to run twice and after a crash (it re-checks the state it acts on under a row
  lock; what it writes commits in its own transactions);
* the module may define ``recover() -> int``: finish or fail what a killed worker left behind (an
  import cut off halfway). :func:`recover_all` calls every app's ``recover`` when a worker starts and
  every :data:`RECOVER_EVERY` seconds while it runs (``zhiben worker``).

A worker's id is ``host:pid:token`` (:func:`worker_id`), so that a task left "running" by a worker
that died on this host is recognised at once (:func:`recover_lost_results`) and marked failed with
the reason; a task of a worker on another host is given :data:`LOST_AFTER` to finish.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import socket
import time
import uuid
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends

from . import context

logger = logging.getLogger("zhiben.tasks")

QUEUES = ("default", "long")
RECOVER_EVERY = 30.0  # seconds between two recovery sweeps of a running worker
LOST_AFTER = dt.timedelta(hours=6)  # a task "running" longer on another host is taken as lost
LOST_MESSAGE = "执行进程意外中止（worker {worker} 已不在运行），任务未完成"

HOST = socket.gethostname()[:40]
TOKEN = uuid.uuid4().hex[:12]


def worker_id() -> str:
    """This process's worker id, ``host:pid:token`` (≤ 64 characters)."""
    return f"{HOST}:{os.getpid()}:{TOKEN}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def worker_gone(wid: str) -> bool:
    """Whether a worker id names a process on this host that is no longer running (other hosts and
    unparsable ids: unknown, so False)."""
    host, _, rest = (wid or "").partition(":")
    pid, _, token = rest.partition(":")
    if host != HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return token != TOKEN  # this pid, an earlier process's token: that process is gone
    return not pid_alive(int(pid))


# --- Declaring and enqueuing ---------------------------------------------------------------------


def background_task(*, queue_name: str = "default", priority: int = 0):
    """``django_tasks.task`` with Zhiben's conventions: the enqueuing request's context is restored
    while the task runs (``_context`` keyword, added by :func:`enqueue_on_commit`)."""
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")

    def decorate(func):
        @functools.wraps(func)
        def run(*args, _context: dict | None = None, **kwargs):
            ctx = context.RequestContext(**_context) if _context else context.RequestContext(context.new_request_id())
            with context.use_context(ctx):
                return func(*args, **kwargs)

        return task(queue_name=queue_name, priority=priority)(run)

    return decorate


def uses_database_queue() -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def enqueue_on_commit(the_task, *args, on_enqueued=None, **kwargs) -> None:
    """Enqueue ``the_task(*args, **kwargs)`` as part of the current transaction (database queue) or
    when it commits (other backends; outside a transaction: now). ``on_enqueued(result)`` is called
    with the task's result handle once it is enqueued (to keep its id on the record it works on)."""
    kwargs["_context"] = dataclasses.asdict(context.current())

    def send():
        result = the_task.enqueue(*args, **kwargs)
        if on_enqueued is not None:
            on_enqueued(result)

    if uses_database_queue():
        send()
        return

    def send_after_commit():
        try:
            send()
        except Exception:  # the state it would act on is committed; recovery or the tick picks it up
            logger.exception("could not enqueue %s", the_task.module_path)

    transaction.on_commit(send_after_commit)


# --- Working ------------------------------------------------------------------------------------


def make_worker(queues: list[str], *, batch: bool = False, interval: float = 1.0, startup_delay: bool = False):
    """django-tasks-db's worker loop for the database queue, under this process's worker id
    (``.run()`` works until ``.running`` is cleared, or with ``batch`` until the queue is empty)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=queues,
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=startup_delay,
        max_tasks=None,
        worker_id=worker_id(),
        excluded_queue_names=[],
    )


def run_worker(queues: list[str], *, batch: bool = False, interval: float = 1.0, signals: bool = True) -> None:
    """Work the database queue in this process: until SIGINT/SIGTERM (``signals``: main thread
    only; a second signal stops the task in progress), or with ``batch`` until the queue is empty."""
    worker = make_worker(queues, batch=batch, interval=interval, startup_delay=not batch)
    if signals:
        worker.configure_signals()
    worker.run()


# --- Recovery ------------------------------------------------------------------------------------


def recover_lost_results(now: dt.datetime | None = None) -> int:
    """Mark failed, with the reason, the tasks left "running" by a worker that is gone (this host:
    its process has ended; elsewhere: running for longer than LOST_AFTER). Database queue only (RQ
    has its own registry of abandoned jobs). Returns how many."""
    if not uses_database_queue():
        return 0
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lost = 0
    for result in DBTaskResult.objects.running().only("id", "worker_ids", "started_at"):
        last = result.worker_ids[-1] if result.worker_ids else ""
        if not (worker_gone(last) or (result.started_at and result.started_at < now - LOST_AFTER)):
            continue
        lost += DBTaskResult.objects.filter(pk=result.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path="zhiben.core.background.WorkerLost",
            traceback=LOST_MESSAGE.format(worker=last or "?"),
        )
    if lost:
        logger.warning("marked %s task(s) of a lost worker failed", lost)
    return lost


PRUNE_EVERY = 3600.0  # seconds between two prunings by one process
PRUNE_BATCH = 5000
_last_prune = 0.0


def keep_results_days() -> int:
    from django.conf import settings

    return max(
        1,
        int(
            getattr(settings, "ZHIBEN_TASK_RESULTS_KEEP_DAYS", None)
            or os.environ.get("ZHIBEN_TASK_RESULTS_KEEP_DAYS", 7)
        ),
    )


def prune_finished(now: dt.datetime | None = None, *, force: bool = False) -> int:
    """Delete the results of tasks finished more than ZHIBEN_TASK_RESULTS_KEEP_DAYS (default 7) days
    ago, in batches; at most once an hour per process unless ``force``. Database queue only (RQ
    expires its own results). Returns how many."""
    global _last_prune
    if not uses_database_queue() or (not force and time.monotonic() - _last_prune < PRUNE_EVERY):
        return 0
    _last_prune = time.monotonic()
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_results_days())
    old = DBTaskResult.objects.filter(status__in=("SUCCESSFUL", "FAILED"), finished_at__lt=cutoff)
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted


def task_modules():
    """(app label, its ``tasks`` module) for every installed app that has one."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        if config.name.startswith("zhiben.") and find_spec(name) is not None:
            found.append((config.label, import_module(name)))
    return found


def recover_all() -> dict[str, int]:
    """The lost tasks, then every app's ``recover()``; old results pruned (hourly). Never raises
    (logged)."""
    counts: dict[str, int] = {}
    try:
        counts["tasks"] = recover_lost_results()
        counts["pruned"] = prune_finished()
    except Exception:
        logger.exception("recovering lost tasks failed")
    for label, module in task_modules():
        recover = getattr(module, "recover", None)
        if recover is None:
            continue
        try:
            counts[label] = recover()
        except Exception:
            logger.exception("recovery of %s failed", label)
    return counts


class WorkerLost(Exception):
    """The worker running a task died (recorded by :func:`recover_lost_results`)."""
