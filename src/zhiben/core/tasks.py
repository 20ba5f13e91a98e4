"""Core's background work: the periodic tick (core/tick.py), enqueued by `zhiben scheduler`."""

from __future__ import annotations

from django.utils import timezone

from .background import background_task
from .tick import run_all


@background_task(queue_name="default")
def tick() -> dict[str, dict[str, int] | str]:
    """One `zhiben tick` (every app's reminders, escalations, deliveries); returns each app's counts,
    or its error, for the task's result."""
    return {r.app: (r.counts if r.ok else r.error) for r in run_all(timezone.now())}
