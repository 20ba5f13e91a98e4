"""Core's background work: the periodic tick (core/tick.py), enqueued by `zhiben scheduler`."""

from __future__ import annotations

import logging

from django.utils import timezone

from .background import background_task
from .tick import run_all

logger = logging.getLogger("zhiben.tick")


@background_task(queue_name="default")
def tick() -> dict[str, dict[str, int] | str]:
    """One `zhiben tick` (every app's reminders, escalations, deliveries); returns each app's counts,
    or its error, for the task's result, and logs a one-line summary for the worker's log."""
    results = run_all(timezone.now())
    done = "；".join(
        f"{r.app} " + ("，".join(f"{k} {v}" for k, v in r.counts.items() if v) or "无") if r.ok else f"{r.app} 失败"
        for r in results
    )
    logger.info("tick: %s", done)
    return {r.app: (r.counts if r.ok else r.error) for r in results}
