"""`zhiben tick`: the periodic work that makes time drive Zhiben (reminders
before deadlines, overdue notices, escalation), run every few minutes by the
scheduler (cron or a systemd timer until then) and by hand.

Convention: every installed app may ship a module ``<app>/tick.py`` with

    def run(now: datetime.datetime, *, dry_run: bool = False) -> dict[str, int]

``now`` is the tick's moment (aware; ``timezone.localdate(now)`` is "today"),
the result counts what it did ("deadline_reminders": 12, …) for the command's
output. :func:`run_all` imports ``<app>.tick`` of each app in INSTALLED_APPS
order (like ``autodiscover_modules("tick")``) and calls its ``run``; an app
whose ``run`` raises is logged with its traceback and reported, and the
others still run; the command exits non-zero when any app failed. A module
may set ``STAGE = 1`` (default 0) to run after the others, and ``LABELS``
(count name → Chinese label) when its counts have code names: delivery does, so
that the reminders this tick created are mailed in the same tick. With
``dry_run`` an app computes what it would do and writes nothing (a ``run``
without a ``dry_run`` parameter is skipped in a dry run).

Rules for a ``tick.py``:

* exactly once: every reminder goes through ``notify.services.send_reminders``
  with a key naming what it is about and when; every one-off action (an
  escalation) claims its key with ``notify.services.claim_once`` inside the
  action's transaction — so any number of ticks may run at the same time;
* bounded: set-based queries over a window of dates around today (never a
  Python loop over a whole ledger), read in pages of ``ZHIBEN_TICK_BATCH``
  rows (:func:`pages`); one-off actions that are costly (an escalation
  through a service) are capped per tick, the rest follow on the next tick;
* every message says why it was sent and links to a page its recipient may
  open (the record's own parties are its recipients; target_type/target_id
  as notify expects);
* working-day deadlines use :mod:`zhiben.core.workdays`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import time
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings

logger = logging.getLogger("zhiben.tick")

DEFAULT_BATCH = 2000


def setting(name: str, default: int) -> int:
    """A tick setting: the Django setting ``name``, else the environment
    variable of that name, else ``default``."""
    return int(getattr(settings, name, None) or os.environ.get(name) or default)


def batch_size() -> int:
    """The most actions of one kind a source performs in one tick."""
    return setting("ZHIBEN_TICK_BATCH", DEFAULT_BATCH)


def pages(rows, size: int | None = None):
    """Walk a ``.values()`` queryset (with "pk") in pages of ``size`` rows by
    primary key, so that a window larger than one page is still covered
    whole, a bounded page at a time."""
    size = size or batch_size()
    last = 0
    while True:
        page = list(rows.filter(pk__gt=last).order_by("pk")[:size])
        if not page:
            return
        yield page
        if len(page) < size:
            return
        last = page[-1]["pk"]


@dataclass
class AppResult:
    app: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error


def sources() -> list[tuple[str, object]]:
    """(app label, its ``tick`` module) for every installed app that has one."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.tick"
        if name == __name__:  # this module, the runner itself
            continue
        if find_spec(config.name) is None or find_spec(name) is None:
            continue
        found.append((config.label, import_module(name)))
    return sorted(found, key=lambda item: getattr(item[1], "STAGE", 0))  # stable: INSTALLED_APPS order within a stage


def run_all(now: dt.datetime, *, dry_run: bool = False, only: list[str] | None = None) -> list[AppResult]:
    results = []
    for label, module in sources():
        if only and label not in only:
            continue
        result = AppResult(label)
        started = time.monotonic()
        try:
            run = module.run
            if dry_run:
                if "dry_run" not in inspect.signature(run).parameters:
                    result.counts = {}
                    results.append(result)
                    continue
                counts = run(now, dry_run=True)
            else:
                counts = run(now)
            labels = getattr(module, "LABELS", {})  # a module counting under code names may label them in Chinese
            result.counts = {labels.get(key, key): value for key, value in (counts or {}).items()}
        except Exception as exc:
            logger.exception("tick: %s failed", label)
            result.error = f"{type(exc).__name__}: {exc}"
        result.seconds = time.monotonic() - started
        results.append(result)
    return results
