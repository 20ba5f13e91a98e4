"""Bounded keyword search (issue 9 item 10): long ``q`` at 300,000 hazards.

Before the bounds, an 800-character ``q`` took the server from 516 to 919 MB
and two 5,000-character ones to 9.6 GB on SQLite (the FTS5 phrase loaded one
doclist per trigram, repeats included). Target: any ``q`` answers within 1 s
with RSS growing < 50 MB, as 区安委办管理员, 部门经办人 and 企业用户, on SQLite
and PostgreSQL.

For one database (``--database sqlite``: bench/out/search-bounds.sqlite3;
``--database postgres``: database ``zhiben_search`` on 127.0.0.1) this
migrates, generates ``--count`` synthetic hazards with bench/generate.py (only
what is missing), then sends each keyword below ``--repeat`` times per role
through the real list API (``GET /api/v1/hazards``) and the list page
(``GET /hazards/``) in this process with django.test.Client, and measures the
wall time and the growth of this process's peak RSS (VmHWM in
/proc/self/status, reset before each request through /proc/self/clear_refs).
Results go to bench/results/search-bounds.md (its section for that database).

    DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/bench_search_bounds.py --database sqlite --count 300000
    ... --database postgres --count 300000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "results" / "search-bounds.md"
SQLITE_PATH = OUT_DIR / "search-bounds.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "zhiben_search"
TARGET_SECONDS = 1.0
# A short, common keyword: not what the bounds are about (no long q), measured for
# comparison. The page counts every match by status (a scan of the matching rows).
REFERENCE = "疏散通道 (common, short: reference)"
TARGET_RSS_MB = 50.0
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def database_url(database: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if database == "sqlite" else f"{PG_SERVER}/{PG_DATABASE}"


def prepare_database(database: str) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if database != "postgres":
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database_url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.test")
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()


# --- Memory -------------------------------------------------------------------------------------


def status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --- Data ---------------------------------------------------------------------------------------


def ensure_data(count: int) -> dict:
    import generate
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    result = generate.generate(count)
    if result["added"] and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return result


def enterprise_user():
    """An 企业用户 of the unit with the most hazards (created once)."""
    from django.db.models import Count

    from zhiben.core.testing import make_user
    from zhiben.hazards.models import Hazard
    from zhiben.org.choices import Role
    from zhiben.org.models import Organization, User
    from zhiben.registry.models import Unit

    user = User.objects.filter(username="bench_enterprise").first()
    if user is None:
        top = (
            Hazard.objects.filter(unit__isnull=False)
            .values("unit")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("unit", flat=True)[:1]
        )
        unit = Unit.objects.get(pk=top[0])
        user = make_user("bench_enterprise", Role.ENTERPRISE, Organization.objects.get(code="hk-swj"), unit=unit)
    return user


def keywords() -> dict[str, str]:
    """What an attacker (and a careless paste) sends. Built from the generator's own
    phrases, so every trigram is common in the ledger while the whole never matches."""
    import generate

    from zhiben.hazards.models import Hazard

    ledger_text = "".join(
        f"{detail}{place}{problem}，"
        for detail, place, problem in zip(
            generate.DETAILS * 40, generate.PLACES * 20, generate.PROBLEMS * 10, strict=False
        )
    )
    while len(ledger_text) < 5000:
        ledger_text += ledger_text
    rng = random.Random(9)
    random_cjk = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(5000))
    real = Hazard.objects.order_by("-pk").values_list("description", flat=True).first() or "疏散通道堆放杂物"
    return {
        "5000 × 疏散通道 repeated": ("疏散通道" * 1250)[:5000],
        "5000 ledger phrases": ledger_text[:5000],
        "5000 random CJK": random_cjk,
        "5000 × a": "a" * 5000,
        "800 ledger phrases": ledger_text[:800],
        "800 random CJK": random_cjk[:800],
        "100 ledger phrases (at the limit, no match)": ledger_text[:100],
        "100 × 疏散通道 (at the limit, no match)": ("疏散通道" * 25)[:100],
        "newest description (matches)": real[:100],
        REFERENCE: "疏散通道",
    }


# --- Measuring ----------------------------------------------------------------------------------


def measure(client, url: str, q: str, repeat: int) -> dict:
    from django.db import connection

    times, growth, statuses = [], [], set()
    for _ in range(repeat):
        connection.close()  # CONN_MAX_AGE=0 in production: every request reconnects
        before = status_mb("VmRSS")
        reset_peak()
        started = time.perf_counter()
        response = client.get(url, {"q": q})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        else:
            _ = response.content
        times.append(time.perf_counter() - started)
        growth.append(max(0.0, status_mb("VmHWM") - before))
        statuses.add(response.status_code)
    return {"max_s": max(times), "median_s": sorted(times)[len(times) // 2], "rss_mb": max(growth), "status": statuses}


def measure_direct(q: str, repeat: int) -> dict:
    """The keyword filter itself, bypassing the length check: the work bound alone
    (at most MAX_INDEX_TERMS trigrams, the candidate cap, the time budget)."""
    from django.db import connection

    from zhiben.hazards.filters import HazardFilterSet
    from zhiben.hazards.models import Hazard

    times, growth = [], []
    for _ in range(repeat):
        connection.close()
        before = status_mb("VmRSS")
        reset_peak()
        started = time.perf_counter()
        filterset = HazardFilterSet({}, queryset=Hazard.objects.all())
        list(filterset.filter_q(Hazard.objects.all(), "q", q).order_by("-pk").values_list("pk", flat=True)[:51])
        times.append(time.perf_counter() - started)
        growth.append(max(0.0, status_mb("VmHWM") - before))
    return {"max_s": max(times), "median_s": sorted(times)[len(times) // 2], "rss_mb": max(growth), "status": {"-"}}


def run(database: str, count: int, repeat: int, results: bool) -> int:
    prepare_database(database)
    setup_django(database)
    from django.db import connection
    from django.test import Client

    from zhiben.hazards import search
    from zhiben.hazards.models import Hazard
    from zhiben.org.models import User

    t0 = time.perf_counter()
    generation = ensure_data(count)
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {generation}")
    total = Hazard.objects.count()
    users = {
        "区安委办管理员": User.objects.get(username="bench_admin"),
        "部门经办人": User.objects.get(username="bench_officer"),
        "企业用户": enterprise_user(),
    }
    clients = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        client.raise_request_exception = False
        clients[role] = client
    words = keywords()
    urls = ("/api/v1/hazards", "/hazards/")
    for url in urls:  # warm up (imports, templates, caches) before the first RSS reading
        for client in clients.values():
            measure(client, url, "疏散通道", 1)
            measure(client, url, words["5000 random CJK"], 1)
    peak_resettable = reset_peak()
    start_rss = status_mb("VmRSS")
    rows = []
    print(f"{LABELS[database]}: {total:,} hazards; RSS {start_rss:.0f} MB; peak reset available: {peak_resettable}")
    for url in urls:
        for role, client in clients.items():
            for name, q in words.items():
                result = measure(client, url, q, repeat)
                ok = name == REFERENCE or (result["max_s"] < TARGET_SECONDS and result["rss_mb"] < TARGET_RSS_MB)
                result.update(url=url, role=role, name=name, length=len(q), ok=ok)
                rows.append(result)
                print(
                    f"  {url:18} {role:8} {name:44} {len(q):5}  {result['max_s'] * 1000:7.0f} ms"
                    f"  +{result['rss_mb']:5.1f} MB  {sorted(result['status'])}  {'ok' if ok else 'MISSED'}"
                )
    for name, q in words.items():
        result = measure_direct(q, repeat)
        # Informative: no request reaches this with q > MAX_TERM_LENGTH; on PostgreSQL the
        # length bound is the whole protection (pg_trgm takes every trigram of the term).
        ok = True
        result["informative"] = result["max_s"] >= TARGET_SECONDS or result["rss_mb"] >= TARGET_RSS_MB
        result.update(url="filter_q (no length check)", role="（不限范围）", name=name, length=len(q), ok=ok)
        rows.append(result)
        print(
            f"  {'filter_q':18} {'all':8} {name:44} {len(q):5}  {result['max_s'] * 1000:7.0f} ms"
            f"  +{result['rss_mb']:5.1f} MB  {verdict(result)}"
        )
    end_rss = status_mb("VmRSS")
    missed = [r for r in rows if not r["ok"]]
    errors = [r for r in rows if any(isinstance(s, int) and s >= 500 for s in r["status"])]
    print(f"RSS {start_rss:.0f} → {end_rss:.0f} MB over {len(rows) * repeat} requests; missed: {len(missed)}")
    if results:
        write_results(
            database,
            rows,
            {
                "hazards": total,
                "repeat": repeat,
                "start_rss": start_rss,
                "end_rss": end_rss,
                "vendor": connection.vendor,
                "limits": (search.MAX_TERM_LENGTH, search.MAX_INDEX_TERMS, search.TIME_BUDGET_SECONDS),
                "peak_resettable": peak_resettable,
            },
        )
    return 1 if missed or errors else 0


def verdict(row: dict) -> str:
    if row["name"] == REFERENCE:
        return "(reference)"
    if row.get("informative"):
        return "(over, informative)"
    return "met" if row["ok"] else "**missed**"


def write_results(database: str, rows: list[dict], info: dict) -> None:
    import platform
    import sqlite3

    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    max_term, max_terms, budget = info["limits"]
    lines = [
        f"## {LABELS[database]}",
        "",
        f"- When: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {info['hazards']:,} hazards (bench/generate.py); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {os.cpu_count()} cores shared with "
        f"other work (load average {load} at the end).",
        f"- Bounds: q ≤ {max_term} characters (longer: 422 in the API, a message on the page), "
        f"≤ {max_terms} trigrams sent to FTS5, candidate query budget {budget} s (SQLite).",
        f"- Each cell: the slowest of {info['repeat']} requests, and the largest growth of the process's peak RSS "
        f"(VmHWM after − VmRSS before, peak reset before each request: {info['peak_resettable']}). "
        f"RSS {info['start_rss']:.0f} MB after warming up, {info['end_rss']:.0f} MB after the last request "
        f"(growth {info['end_rss'] - info['start_rss']:.0f} MB).",
        "",
        "| URL | role | q | chars | status | slowest | RSS growth | target |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| `{r['url']}` | {r['role']} | {r['name']} | {r['length']:,} | {'/'.join(map(str, sorted(r['status'])))} "
            f"| {r['max_s'] * 1000:.0f} ms | {r['rss_mb']:.1f} MB | {verdict(r)} |"
        )
    bounded = [r for r in rows if r["name"] != REFERENCE and not r["url"].startswith("filter_q")]
    worst_s = max(r["max_s"] for r in bounded)
    worst_mb = max(r["rss_mb"] for r in bounded)
    lines += [
        "",
        f"Worst request (the reference rows and the direct filter_q rows aside): {worst_s * 1000:.0f} ms, +{worst_mb:.1f} MB "
        f"(targets {TARGET_SECONDS * 1000:.0f} ms, {TARGET_RSS_MB:.0f} MB): "
        f"{'every target met' if all(r['ok'] for r in rows) else 'TARGET MISSED'}.",
        "",
    ]
    section = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"^## {LABELS[database]}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n")
    print(f"results written to {RESULTS}")


HEADER = """# Bounded keyword search (issue 9 item 10)

`bench/bench_search_bounds.py`: long keywords (`q`) through the hazard list API and page, as 区安委办管理员,
部门经办人 and 企业用户. Target: every request within 1 s, the server's RSS growing < 50 MB. Before the bounds an
800-character `q` took the server from 516 to 919 MB and two 5,000-character ones to 9.6 GB (SQLite).

Rows: each keyword through `GET /api/v1/hazards` and `GET /hazards/` for each role. A `q` longer than 100
characters is refused (API 422; the page says so and lists without the keyword), so the rows at the limit
(100 characters whose every trigram is common in the ledger while the whole matches nothing) are the ones where
the search really runs. `filter_q (no length check)` rows call the keyword filter directly with the long term
(no scope), to show the work bound on its own: on SQLite at most 6 trigrams reach FTS5; on PostgreSQL the length
bound is the whole protection (pg_trgm takes every trigram of the term), so those rows are informative there.
The reference rows (`疏散通道`, a short common word) are the usual cost of a common keyword, for comparison: the
page counts every match by status.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=300_000, help="hazards (default 300,000)")
    parser.add_argument("--repeat", type=int, default=3, help="requests per keyword, role and URL")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/search-bounds.md")
    args = parser.parse_args(argv)
    return run(args.database, args.count, args.repeat, not args.no_results)


if __name__ == "__main__":
    sys.exit(main())
