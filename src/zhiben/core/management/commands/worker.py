"""`zhiben worker`: run background tasks (imports, big exports, deliveries, the periodic tick).

`zhiben serve` starts two: one for the "default" queue (short work: a reminder is never held up by
an import) and one for every queue. On the database queue (the default) this is django-tasks-db's
worker with Zhiben's worker id (``host:pid:token``) and its recovery: when it starts, and every 30
seconds while it runs, the tasks and imports left behind by a worker that died (kill -9, power
loss) are failed with their reason and their writes undone (core/background.py). On Redis
(``ZHIBEN_TASKS_BACKEND=rq``) it is RQ's worker with django-tasks-rq's job class. SIGINT/SIGTERM
end it after the task in progress (a second signal: at once).
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from zhiben.core import background

logger = logging.getLogger("zhiben.tasks")


def _queues(raw: str) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n != "*" and n not in background.QUEUES]
    if not names or unknown:
        raise CommandError(f"--queues 应为 {'、'.join(background.QUEUES)} 或 *（全部），用逗号分隔")
    return names


class _Recovery(threading.Thread):
    """Runs background.recover_all() every RECOVER_EVERY seconds beside the worker loop."""

    def __init__(self):
        super().__init__(name="zhiben-recovery", daemon=True)
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.wait(background.RECOVER_EVERY):
                background.recover_all()
        finally:
            connections.close_all()


class Command(BaseCommand):
    help = "后台任务执行进程：导入、大批量导出、消息投递、定时提醒（zhiben serve 会自动启动；Ctrl+C 停止）"

    def add_arguments(self, parser):
        parser.add_argument("--queues", default="*", help="处理的队列：default、long 或 *（全部，默认）")
        parser.add_argument("--batch", action="store_true", help="处理完队列中已有的任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时每隔几秒查看一次（默认 1）")

    def handle(self, *args, queues="*", batch=False, interval=1.0, **options):
        names = _queues(queues)
        if not 0.05 <= interval <= 60:
            raise CommandError("--interval 应在 0.05–60 秒之间")
        if background.uses_database_queue() and not self._wait_for_queue_table(batch):
            return
        counts = background.recover_all()
        if any(counts.values()):
            labels = {"tasks": "中止的任务", "pruned": "清理的过期任务记录"}
            done = "，".join(f"{labels.get(k, k)} {v}" for k, v in counts.items() if v)
            self.stdout.write(f"启动检查：{done}")
        if not background.uses_database_queue():
            self._rq(names, batch)
            return
        recovery = _Recovery()
        if not batch:
            recovery.start()
            self.stdout.write(f"后台任务进程已启动（队列：{','.join(names)}；{background.worker_id()}）")
        try:
            background.run_worker(names, batch=batch, interval=interval, signals=not batch)
        except SystemExit as exc:  # the loop's own exit on SIGINT/SIGTERM
            if exc.code not in (0, None):
                raise
        finally:
            recovery.stop.set()

    def _wait_for_queue_table(self, batch: bool) -> bool:
        """Before `zhiben setup` has migrated the database there is no queue table: wait for it
        (checking every 5 s; SIGINT/SIGTERM end the wait) instead of failing and being restarted
        over and over. With --batch: nothing to do."""
        from django_tasks_db.models import DBTaskResult

        table = DBTaskResult._meta.db_table
        said = False
        stop = threading.Event()
        if not batch:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                if table in connection.introspection.table_names():
                    return True
            except Exception:  # the database itself is away: wait too
                logger.warning("task queue: database not reachable", exc_info=True)
            if batch:
                return False
            if not said:
                self.stdout.write("任务队列表尚不存在（数据库未初始化），请先运行 zhiben setup；每 5 秒检查一次")
                said = True
            stop.wait(5)
            connections.close_all()
        return False

    def _rq(self, names: list[str], batch: bool) -> None:
        queues = list(background.QUEUES) if "*" in names else names
        argv = [*queues, "--job-class", "django_tasks_rq.Job", "--name", background.worker_id()]
        if batch:
            argv.append("--burst")
        call_command("rqworker", *argv)
