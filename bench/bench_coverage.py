"""Benchmark: live coverage of a 20,000-site campaign (target ≤ 200 ms).

Synthetic data written with bulk_create (this generator bypasses the services
on purpose): 20,000 sites of one type spread over the 8 街道, a campaign whose
target set is that type, and ~30,000 finished inspections on 15,000 of them.
Then `zhiben.inspections.selectors.coverage(campaign)` is timed 30 times.

    DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
      DATABASE_URL=sqlite:////work/main/bench/out/coverage.sqlite3 .venv/bin/python bench/bench_coverage.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhiben_bench_coverage ...   (database created if missing)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.test")
(ROOT / "bench" / "out").mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'out' / 'coverage.sqlite3'}")

SITES = 20_000
COVERED = 15_000
INSPECTIONS = 30_000


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from zhiben.core.management.commands.setup import reference_loaders
    from zhiben.inspections.choices import InspectionMethod, InspectionStatus
    from zhiben.inspections.models import Campaign, Checklist, Inspection
    from zhiben.inspections.selectors import coverage
    from zhiben.org.models import Organization
    from zhiben.registry.models import Site, SiteType

    call_command("migrate", verbosity=0)
    for _, loader in reference_loaders():
        loader()
    site_type = SiteType.objects.get(code="construction_site")
    streets = list(Organization.objects.streets())
    owner = site_type.owner or Organization.objects.get(code="hk-jgw")
    rng = random.Random(20261129)
    campaign = Campaign.objects.filter(name="基准测试轮次").first()
    if campaign is None:
        t0 = time.perf_counter()
        with transaction.atomic():
            existing = Site.objects.filter(site_type=site_type).count()
            Site.objects.bulk_create(
                [
                    Site(
                        public_code=f"BN-{i:08d}",
                        name=f"基准场所{i}",
                        site_type=site_type,
                        street=rng.choice(streets),
                        owner=owner,
                    )
                    for i in range(existing, SITES)
                ],
                batch_size=2000,
            )
            checklist = Checklist.objects.order_by("pk").first()
            version = checklist.versions.order_by("-number").first()
            campaign = Campaign.objects.create(
                name="基准测试轮次",
                owner=owner,
                method=InspectionMethod.RANDOM,
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2026, 12, 31),
                checklist=checklist,
                target={"site_types": [site_type.code]},
            )
            site_ids = list(Site.objects.filter(site_type=site_type).values_list("pk", flat=True))
            covered = rng.sample(site_ids, COVERED)
            finished = timezone.now()
            Inspection.objects.bulk_create(
                [
                    Inspection(
                        campaign=campaign,
                        site_id=rng.choice(covered) if i >= COVERED else covered[i],
                        organization=owner,
                        method=campaign.method,
                        checklist_version=version,
                        inspected_on=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(330)),
                        status=InspectionStatus.FINISHED,
                        finished_at=finished,
                    )
                    for i in range(INSPECTIONS)
                ],
                batch_size=2000,
            )
        print(f"generated {SITES} sites and {INSPECTIONS} inspections in {time.perf_counter() - t0:.1f} s")
    coverage(campaign)  # warm up
    times = []
    for _ in range(30):
        t = time.perf_counter()
        result = coverage(campaign)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{connection.vendor}: coverage {result.covered}/{result.targets} = {result.percent}%  "
        f"p50={statistics.median(times):.1f} ms p95={p95:.1f} ms max={times[-1]:.1f} ms  (target p95 ≤ 200 ms)"
    )


if __name__ == "__main__":
    main()
