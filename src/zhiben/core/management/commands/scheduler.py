"""`zhiben scheduler`: have `zhiben tick`'s work done every few minutes, until stopped.

`zhiben serve` starts it next to the web server and the task workers, so reminders, escalation
and deliveries run by themselves (docs/operations.md, "Reminders"). It is one small process with one
loop: enqueue the tick as a background task (``zhiben.core.tasks.tick``, run by a `zhiben worker`),
then wait ``ZHIBEN_TICK_INTERVAL`` seconds (default 300), checking every second for SIGINT/SIGTERM.
A tick still queued or running when the next is due is not enqueued twice. ``--inline`` runs the
ticks in this process instead (no worker: a host that only runs the scheduler); ``--once`` runs one
tick here and exits. Several schedulers (or a cron ``zhiben tick`` beside it) are safe: every
reminder and escalation is claimed once (core/tick.py).
"""

from __future__ import annotations

import logging
import os
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import TaskResultStatus

from zhiben.core.tasks import tick as tick_task
from zhiben.core.tick import run_all

logger = logging.getLogger("zhiben.tick")

DEFAULT_INTERVAL = 300
MIN_INTERVAL, MAX_INTERVAL = 1, 86_400


def interval_from_env() -> int:
    raw = os.environ.get("ZHIBEN_TICK_INTERVAL", "")
    try:
        value = int(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        raise CommandError(f"ZHIBEN_TICK_INTERVAL 应为秒数（{MIN_INTERVAL}–{MAX_INTERVAL}），而不是 {raw!r}") from None
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise CommandError(f"ZHIBEN_TICK_INTERVAL 应在 {MIN_INTERVAL}–{MAX_INTERVAL} 秒之间")
    return value


class Command(BaseCommand):
    help = "定时运行到期提醒、逾期升级和消息投递（zhiben serve 会自动启动；Ctrl+C 停止）"

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, help="两次运行之间的秒数（默认取 ZHIBEN_TICK_INTERVAL 或 300）")
        parser.add_argument("--once", action="store_true", help="在本进程中运行一次后退出")
        parser.add_argument("--inline", action="store_true", help="在本进程中运行（不交给后台任务进程）")

    def handle(self, *args, interval=None, once=False, inline=False, **options):
        if interval is None:
            interval = interval_from_env()
        elif not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise CommandError(f"--interval 应在 {MIN_INTERVAL}–{MAX_INTERVAL} 秒之间")
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        if not once:
            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
            where = "在本进程中" if inline else "交由后台任务进程"
            self.stdout.write(f"定时任务已启动：每 {interval} 秒{where}运行一次 zhiben tick")
        if once:
            self._tick()
            return
        last = None
        while True:
            close_old_connections()
            try:
                if inline:
                    self._tick()
                else:
                    last = self._enqueue(last)
            finally:
                connections.close_all()  # nothing held between ticks (a long wait, maybe a restarted database)
            deadline = time.monotonic() + interval
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
            if stop["now"]:
                self.stdout.write("定时任务已停止")
                return

    def _enqueue(self, last):
        """Enqueue the tick unless the previous one is still waiting or running; returns the handle
        of the tick in the queue."""
        try:
            if last is not None:
                last.refresh()
                if last.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
                    self.stdout.write(f"[{timezone.localtime():%Y-%m-%d %H:%M:%S}] 上一次 tick 尚未完成，本次不再排队")
                    return last
            result = tick_task.enqueue()
        except Exception:  # the database or Redis being away: try again at the next interval
            logger.exception("scheduler: tick not enqueued")
            return last
        self.stdout.write(f"[{timezone.localtime():%Y-%m-%d %H:%M:%S}] tick 已排队（{result.id}）")
        return result

    def _tick(self) -> None:
        try:
            results = run_all(timezone.now())
        except Exception:  # the runner catches each app's errors; this is the database being away
            logger.exception("scheduler: tick failed")
            return
        done = "；".join(
            f"{r.app} " + ("，".join(f"{k} {v}" for k, v in r.counts.items() if v) or "无") if r.ok else f"{r.app} 失败"
            for r in results
        )
        self.stdout.write(f"[{timezone.localtime():%Y-%m-%d %H:%M:%S}] {done}")
