"""`zhiben tick` over a large ledger (issue 11: ≤ 30 s over 1,000,000 hazards).

Runs the tick sources (hazards, tips, plans, registry) against a copy of a
bench database, in this process, and times each app:

1. a dry run (reads only: what a tick would send),
2. the first tick (sends every reminder due around today, escalates the
   overdue 重大 hazards up to ZHIBEN_TICK_ESCALATIONS),
3. a second tick right after (the steady state of a tick every 5 minutes:
   everything already sent, so only the reads and the "already sent" check),

and also times a whole `python -m zhiben tick` process (start-up included)
after that. Never point it at the original bench DB: it writes.

    cp bench/out/bench.sqlite3 /tmp/tick-bench.sqlite3
    DATABASE_URL=sqlite:////tmp/tick-bench.sqlite3 DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python -m django migrate
    DATABASE_URL=sqlite:////tmp/tick-bench.sqlite3 DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/bench_tick.py [--results bench/results/tick.md]

The same with ``DATABASE_URL=postgres://…`` for PostgreSQL. For 1,000,000
hazards, generate a database of its own (about 10 minutes on SQLite or
PostgreSQL on the shared 2-core machine) and keep a copy to start again from:

    DATABASE_URL=sqlite:////tmp/tick-1m.sqlite3 DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/generate.py --count 1000000

bench/generate.py writes no 治理方案 dates (and gives a plan only to the 重大
hazards that were submitted); ``--plan-dates`` first gives every open 重大
hazard with a 整改时限 a plan and every plan 治理开始日期 = 发现日期,
计划完成日期 = 整改时限 minus (id mod 15) days, not before 发现日期 — on the copy,
so that the 计划完成日期 reminder has something to send.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import django

APPS = ["hazards", "tips", "plans", "registry"]


def _table(title: str, results) -> list[str]:
    lines = [f"**{title}**", "", "| app | seconds | counts |", "|---|---:|---|"]
    total = 0.0
    for r in results:
        total += r.seconds
        counts = ", ".join(f"{k} {v}" for k, v in r.counts.items()) if r.ok else f"FAILED {r.error}"
        lines.append(f"| {r.app} | {r.seconds:.2f} | {counts} |")
    lines += [f"| **total** | **{total:.2f}** | |", ""]
    return lines


def plan_dates() -> str:
    """The ``--plan-dates`` scenario (see the docstring); returns what it did."""
    import datetime as dt

    from django.db import transaction
    from django.db.models import F

    from zhiben.hazards.choices import HazardLevel, HazardStatus
    from zhiben.hazards.models import GovernancePlan, Hazard

    with transaction.atomic():
        missing = Hazard.objects.filter(
            level=HazardLevel.MAJOR,
            status__in=[HazardStatus.PENDING, HazardStatus.RECTIFYING, HazardStatus.TRANSFERRING],
            deadline__isnull=False,
            plan__isnull=True,
        ).values_list("pk", flat=True)
        parts = {name: "基准测试" for name, _ in GovernancePlan.PARTS}
        created = GovernancePlan.objects.bulk_create(
            [GovernancePlan(hazard_id=pk, **parts) for pk in missing], batch_size=1000
        )
        plans = list(
            GovernancePlan.objects.filter(hazard__deadline__isnull=False).values_list(
                "pk", "hazard_id", F("hazard__found_on"), F("hazard__deadline")
            )
        )
        GovernancePlan.objects.bulk_update(
            [
                GovernancePlan(
                    pk=pk,
                    start_date=found_on,
                    finish_date=max(found_on, deadline - dt.timedelta(days=hazard_id % 15)),
                )
                for pk, hazard_id, found_on, deadline in plans
            ],
            ["start_date", "finish_date"],
            batch_size=1000,
        )
    return f"--plan-dates: {len(created):,} plans added, {len(plans):,} plans given dates."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", help="append the tables to this markdown file")
    parser.add_argument("--plan-dates", action="store_true", help="first give the plans dates (writes; see above)")
    args = parser.parse_args()
    django.setup()
    scenario = plan_dates() if args.plan_dates else ""
    from django.db import connection
    from django.utils import timezone

    from zhiben.core.tick import run_all
    from zhiben.hazards.models import Hazard
    from zhiben.notify.models import Notification, Reminder

    now = timezone.now()
    hazards = Hazard.objects.count()
    before = (Notification.objects.count(), Reminder.objects.count())
    out = [
        f"### {connection.vendor}, {hazards:,} hazards, {timezone.localtime(now):%Y-%m-%d %H:%M}",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start (shared with other work while measured).",
        "",
        *([scenario, ""] if scenario else []),
    ]
    out += _table("Dry run (reads only)", run_all(now, dry_run=True, only=APPS))
    out += _table("First tick (sends what is due)", run_all(now, only=APPS))
    out += _table("Second tick (steady state: nothing new)", run_all(now, only=APPS))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "zhiben", "tick", *[a for app in APPS for a in ("--app", app)]],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    whole = time.monotonic() - started
    out += [
        f"Whole `python -m zhiben tick` process afterwards (start-up included): {whole:.2f} s, "
        f"exit status {proc.returncode}.",
        "",
        f"Messages created: {Notification.objects.count() - before[0]:,}; "
        f"reminder keys: {Reminder.objects.count() - before[1]:,}.",
        "",
    ]
    text = "\n".join(out)
    print(text)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
