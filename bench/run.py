"""Performance benchmarks of the hazard ledger (隐患台账) at 1,000,000 hazards.

For one database (``--database sqlite``: bench/out/bench.sqlite3;
``--database postgres``: database ``zhiben_bench`` on 127.0.0.1, created
fresh with ``--fresh``) this migrates, generates synthetic hazards with
bench/generate.py until there are ``--count`` of them, then measures

* the hazard list API (``GET /api/v1/hazards``): ``--requests`` requests per
  role through django.test.Client (session login) with a mix of filters and
  cursor pages, as a 区安委办管理员 and as a 部门经办人 (scoped) — p50/p95/max;
* ``hazard_figures(user)`` for both users, ``--figures-runs`` runs each;
* the xlsx export (``zhiben.hazards.tabular.export_hazards``) of 100,000 rows in a
  subprocess: wall time and peak RSS growth;

prints a table, rewrites that database's section of bench/RESULTS.md and,
with ``--check``, exits 1 when a target is missed.

    make bench                                   # SQLite, 1,000,000 hazards
    DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/run.py --database postgres --fresh
    ... bench/run.py --database sqlite --fresh --count 20000 --no-results   # quick run (replaces the 1M database)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
SQLITE_PATH = OUT_DIR / "bench.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "zhiben_bench"

TARGETS = {
    "list_p95_ms": 100.0,
    "figures_p95_ms": 300.0,
    "export_seconds": 15.0,
    "export_rss_mb": 150.0,
}
DATABASE_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


# --- Database selection (before Django is set up) --------------------------------------------


def database_url(database: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    return f"{PG_SERVER}/{PG_DATABASE}"


def prepare_database(database: str, fresh: bool) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{PG_DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database_url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.test")
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()


# --- Helpers ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_info() -> dict:
    import sqlite3

    import django

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = 0.0
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    postgres = "not reachable"
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres,
        "django": django.get_version(),
        "git": git_revision(),
    }


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


def wait_quiet(max_seconds: float, log=print) -> None:
    """Wait (up to ``max_seconds``) until the 1-minute load average is below
    0.7: the machine may be shared with test runs."""
    if max_seconds <= 0:
        return
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        if float(loadavg().split()[0]) < 0.7:
            return
        time.sleep(10)
    log(f"  (machine still busy after {max_seconds:.0f} s: load average {loadavg()})")


def git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(BENCH_DIR.parent), "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{head}{' + uncommitted changes in src/' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def close_like_production() -> None:
    """With CONN_MAX_AGE=0 the server closes the connection after each
    request; the test client does not, so do it here (untimed) and let the
    next request pay the reconnect like the server. With persistent
    connections (the default now) nothing is closed."""
    from django.db import connection

    if connection.settings_dict.get("CONN_MAX_AGE", 0) == 0:
        connection.close()


# --- Data ---------------------------------------------------------------------------------------


def refresh_statistics() -> None:
    """ANALYZE on SQLite (the app itself does not run it: see RESULTS.md)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def drop_sqlite_statistics() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM sqlite_stat1")
    connection.close()  # the next connection plans without statistics


def ensure_data(database: str, count: int, statistics_mode: str) -> dict:
    """Migrate, generate what is missing, then planner statistics:
    PostgreSQL gets a VACUUM ANALYZE after generating (what autovacuum would
    do); SQLite is measured as deployed, i.e. without statistics (the app
    never runs ANALYZE), unless ``statistics_mode`` is "analyze"."""
    import generate
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - t0
    result = generate.generate(count)
    info_path = OUT_DIR / f"generation-{database}.json"
    if result["added"]:
        t0 = time.perf_counter()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        result["vacuum_seconds"] = time.perf_counter() - t0
        result["when"] = dt.datetime.now().isoformat(timespec="seconds")
        result["count"] = count
        info_path.write_text(json.dumps(result, indent=2))
    if connection.vendor == "sqlite":
        if statistics_mode == "analyze":
            refresh_statistics()
        else:
            drop_sqlite_statistics()
    generation = json.loads(info_path.read_text()) if info_path.exists() else {}
    generation["migrate_seconds"] = migrate_seconds
    return generation


def data_summary() -> dict:
    from django.db import connection
    from django.utils import timezone

    from zhiben.hazards.models import Hazard, Supervision

    today = timezone.localdate()
    info = {
        "hazards": Hazard.objects.count(),
        "open": Hazard.objects.open().count(),
        "overdue": Hazard.objects.overdue(today).count(),
        "major": Hazard.objects.filter(level="major").count(),
        "stock": Hazard.objects.filter(is_stock=True).count(),
        "active_supervisions": Supervision.objects.filter(is_active=True).count(),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            size = sum(
                Path(f"{connection.settings_dict['NAME']}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{connection.settings_dict['NAME']}{s}").exists()
            )
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            has_stats = cursor.fetchone()[0] > 0
            if has_stats:
                cursor.execute("SELECT count(*) FROM sqlite_stat1")
                has_stats = cursor.fetchone()[0] > 0
            info["planner_stats"] = (
                "ANALYZE run (--analyze)" if has_stats else "none (as deployed: the app never runs ANALYZE)"
            )
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
            info["planner_stats"] = "VACUUM ANALYZE after generation"
        info["size_mb"] = size / 1024 / 1024
    return info


# --- List API -----------------------------------------------------------------------------------


def list_plan(role: str, n: int, rng: random.Random, ids: dict) -> list[tuple[str, dict]]:
    """(kind, params) for ``n`` requests; cursor walks take 3 requests and are
    expanded at run time (kind "cursor")."""
    owners = ids["departments"] if role == "admin" else ids["officer_orgs"]
    generators = {
        "none": (2, lambda: {}),
        "status": (2, lambda: {"status": rng.choice(["rectifying", "rectifying", "awaiting", "pending"])}),
        "level": (1, lambda: {"level": "major"}),
        "owner": (2, lambda: {"owner": rng.choice(owners)}),
        "street": (2, lambda: {"street": rng.choice(ids["streets"])}),
        "overdue": (1, lambda: {"overdue": "true"}),
        "q": (2, lambda: {"q": rng.choice(ids["q_texts"])}),
        "found": (2, lambda: rng.choice(ids["found_ranges"])),
        "combo": (
            1,
            lambda: rng.choice(
                [
                    {"status": "rectifying", "level": "major"},
                    {"street": rng.choice(ids["streets"]), "status": "closed"},
                    {"owner": rng.choice(owners), "overdue": "true"},
                ]
            ),
        ),
        "cursor": (2, lambda: rng.choice([{}, {"status": "closed"}, {"street": rng.choice(ids["streets"])}])),
    }
    kinds = list(generators)
    weights = [generators[k][0] for k in kinds]
    plan: list[tuple[str, dict]] = []
    total = 0
    while total < n:
        kind = rng.choices(kinds, weights=weights)[0]
        params = generators[kind][1]()
        if kind == "cursor":
            if total + 3 > n:
                continue
            total += 3
        else:
            total += 1
        plan.append((kind, params))
    return plan


def reference_ids() -> dict:
    from zhiben.hazards.models import Hazard
    from zhiben.org.models import Organization
    from zhiben.registry.models import Unit

    orgs = dict(Organization.objects.values_list("code", "pk"))
    unit_names = list(Unit.objects.order_by("pk").values_list("name", flat=True)[:2000:97])
    newest = Hazard.objects.order_by("-pk").values_list("code", flat=True).first() or "YH-2026-000001"
    year = newest[3:7]
    return {
        "departments": [orgs[c] for c in ("hk-swj", "hk-jgw", "hk-yjj", "hk-sthjj", "hk-gdb", "hk-gafj", "hk-wjw")],
        "officer_orgs": [orgs["hk-swj"], orgs["hk-swj-scglk"], orgs["hk-swj-syfzk"]],
        "streets": [
            o
            for c, o in orgs.items()
            if c in {"hk-scbl", "hk-bwt", "hk-jxl", "hk-oyl", "hk-gzl", "hk-qyl", "hk-lcxc", "hk-jwz"}
        ],
        # What people type: a unit's name, a problem, a road, part of a code.
        "q_texts": [*unit_names[:4], "疏散通道", "配电箱", "四川北路", f"YH-{year}-0001", "燃气"],
        "found_ranges": [
            {"found_from": "2026-10-01", "found_to": "2026-10-31"},
            {"found_from": "2025-01-01", "found_to": "2025-12-31"},
            {"found_from": "2023-03-01", "found_to": "2023-03-31"},
            {"found_from": "2022-01-01", "found_to": "2023-12-31"},
        ],
    }


def _query_ms(query: dict) -> float:
    return float(query["time"]) * 1000


def run_step(client, kind: str, params: dict, timings: list | None, queries: dict | None, log=print) -> None:
    """One plan step: a request, or 3 cursor pages following next_cursor.
    With ``queries`` (warm-up) the queries are counted; with ``timings`` the
    requests are timed without query capture."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cursor = None
    for page in range(3 if kind == "cursor" else 1):
        data = dict(params)
        if cursor:
            data["cursor"] = cursor
        label = f"cursor p{page + 1}" if kind == "cursor" else kind
        if queries is not None:
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get("/api/v1/hazards", data)
                elapsed = (time.perf_counter() - t0) * 1000
            queries.setdefault(label, []).append((len(ctx.captured_queries), elapsed, data))
            if elapsed > 1000:
                slowest = max(_query_ms(q) for q in ctx.captured_queries)
                log(f"    slow: {label} {_qs(data)} {elapsed:.0f} ms (slowest query {slowest:.0f} ms)")
        else:
            t0 = time.perf_counter()
            response = client.get("/api/v1/hazards", data)
            elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"list API {data} → {response.status_code}: {response.content[:300]!r}")
        if timings is not None:
            timings.append((label, elapsed, data))
        cursor = response.json()["next_cursor"]
        close_like_production()
        if not cursor:
            break


def measure_list(users: dict, n: int, seed: int, log=print) -> dict:
    from django.test import Client

    ids = reference_ids()
    results = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        plan = list_plan(role, n, random.Random(f"{seed}:{role}"), ids)
        # Warm-up: every step of the plan once, untimed (also fills the OS
        # cache), counting queries.
        queries: dict[str, list] = {}
        t0 = time.perf_counter()
        for kind, params in plan:
            run_step(client, kind, params, None, queries, log)
        log(f"  list warm-up as {role}: {len(plan)} plan steps in {time.perf_counter() - t0:.1f} s")
        timings: list[tuple[str, float, dict]] = []
        for kind, params in plan:
            run_step(client, kind, params, timings, None, log)
        values = [t[1] for t in timings]
        results[role] = summary(values)
        results[role]["slowest"] = sorted(timings, key=lambda t: -t[1])[:5]
        kinds: dict[str, list[float]] = {}
        for label, elapsed, _ in timings:
            kinds.setdefault(label, []).append(elapsed)
        results[role]["by_kind"] = {
            label: {**summary(v), "queries": max(q[0] for q in queries.get(label, [(0, 0, None)]))}
            for label, v in kinds.items()
        }
        log(
            f"  list as {role}: n={len(values)} p50={results[role]['p50']:.1f} "
            f"p95={results[role]['p95']:.1f} max={results[role]['max']:.1f} ms"
        )
    return results


# --- Figures ------------------------------------------------------------------------------------


def timed_queries(fn) -> list[dict]:
    """Run ``fn()`` capturing (sql, params), then re-run each statement with
    fetchall and time it: Django's own query log times only execute(), and on
    SQLite most of the work happens while fetching."""
    from django.db import connection

    captured: list[tuple[str, object]] = []

    def wrapper(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    out = []
    for sql, params in captured:
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            out.append({"ms": round((time.perf_counter() - t0) * 1000, 1), "sql": " ".join(sql.split())[:160]})
    return out


def measure_figures(users: dict, runs: int, log=print) -> dict:
    from zhiben.hazards.figures import hazard_figures

    results = {}
    for role, user in users.items():
        figures = hazard_figures(user)  # warm-up
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            hazard_figures(user)
            timings.append((time.perf_counter() - t0) * 1000)
        queries = timed_queries(lambda user=user: hazard_figures(user))
        results[role] = summary(timings)
        results[role]["queries"] = len(queries)
        results[role]["query_ms"] = [q["ms"] for q in queries]
        results[role]["slowest_queries"] = sorted(queries, key=lambda q: -q["ms"])[:3]
        results[role]["total"] = figures.total
        log(
            f"  figures as {role}: p50={results[role]['p50']:.0f} p95={results[role]['p95']:.0f} "
            f"max={results[role]['max']:.0f} ms, {results[role]['queries']} queries over {figures.total:,} hazards"
        )
    return results


# --- Export (in a subprocess) ----------------------------------------------------------------------


def export_child(rows: int) -> None:
    """Runs in a fresh process: export ``rows`` hazards, print JSON."""
    out: dict = {}
    try:
        from zhiben.hazards.tabular import export_hazards
    except Exception as exc:
        print(json.dumps({"error": f"export_hazards not available: {exc!r}"}))
        return
    from zhiben.hazards.models import Hazard
    from zhiben.org.models import User

    admin = User.objects.get(username="bench_admin")
    visible = Hazard.objects.restrict(admin, "view")
    found = list(visible.order_by("-pk").values_list("pk", flat=True)[rows - 1 : rows])
    bound = found[0] if found else None
    # The newest ``rows`` hazards (ids are dense), ordered like the list.
    qs = visible.filter(pk__gte=bound).order_by("-pk") if bound else visible.order_by("-pk")
    out["rows_selected"] = qs.count()
    path = OUT_DIR / "export.xlsx"
    path.unlink(missing_ok=True)
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    try:
        written = export_hazards(qs, str(path))
    except Exception as exc:
        print(json.dumps({"error": f"export_hazards failed: {exc!r}"}))
        return
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    out.update(
        {
            "rows": written,
            "seconds": seconds,
            "rss_before_mb": before,
            "rss_peak_mb": peak,
            "rss_growth_mb": max(0.0, peak - before),
            "file_mb": path.stat().st_size / 1024 / 1024,
        }
    )
    print(json.dumps(out))


def measure_export(database: str, rows: int, log=print) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url(database)
    proc = subprocess.run(
        [sys.executable, __file__, "--database", database, "--export-child", "--export-rows", str(rows)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"export subprocess failed ({proc.returncode}): {proc.stderr[-800:]}"}
    result = json.loads(lines[-1])
    if "error" in result:
        log(f"  export: {result['error']}")
    else:
        log(
            f"  export: {result['rows']:,} rows in {result['seconds']:.1f} s, RSS +{result['rss_growth_mb']:.0f} MB "
            f"(before {result['rss_before_mb']:.0f} MB, peak {result['rss_peak_mb']:.0f} MB), "
            f"file {result['file_mb']:.1f} MB"
        )
    return result


# --- Report -------------------------------------------------------------------------------------


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value <= target else "FAIL"


def rows_of(results: dict) -> list[dict]:
    rows = []
    for role, label in (("admin", "区安委办管理员"), ("officer", "部门经办人 (区商务委)")):
        r = results["list"].get(role)
        if r:
            rows.append(
                {
                    "metric": f"List API, {label}, {r['n']} requests",
                    "p50": f"{r['p50']:.1f} ms",
                    "p95": f"{r['p95']:.1f} ms",
                    "max": f"{r['max']:.1f} ms",
                    "target": f"p95 ≤ {TARGETS['list_p95_ms']:.0f} ms",
                    "result": verdict(r["p95"], TARGETS["list_p95_ms"]),
                }
            )
    for role, label in (("admin", "区安委办管理员"), ("officer", "部门经办人 (区商务委)")):
        r = results["figures"].get(role)
        if r:
            rows.append(
                {
                    "metric": f"hazard_figures, {label}, {r['n']} runs ({r['queries']} queries, {r['total']:,} hazards)",
                    "p50": f"{r['p50']:.0f} ms",
                    "p95": f"{r['p95']:.0f} ms",
                    "max": f"{r['max']:.0f} ms",
                    "target": f"p95 ≤ {TARGETS['figures_p95_ms']:.0f} ms",
                    "result": verdict(r["p95"], TARGETS["figures_p95_ms"]),
                }
            )
    export = results.get("export")
    if export is not None:
        if "error" in export:
            rows.append(
                {
                    "metric": "xlsx export",
                    "p50": "",
                    "p95": "",
                    "max": "",
                    "target": "",
                    "result": "n/a: " + export["error"][:120],
                }
            )
        else:
            n = export["rows"]
            rows.append(
                {
                    "metric": f"xlsx export, {n:,} rows: wall time",
                    "p50": f"{export['seconds']:.1f} s",
                    "p95": "",
                    "max": "",
                    "target": f"≤ {TARGETS['export_seconds']:.0f} s",
                    "result": verdict(export["seconds"], TARGETS["export_seconds"]),
                }
            )
            rows.append(
                {
                    "metric": f"xlsx export, {n:,} rows: peak RSS growth",
                    "p50": f"{export['rss_growth_mb']:.0f} MB",
                    "p95": "",
                    "max": "",
                    "target": f"≤ {TARGETS['export_rss_mb']:.0f} MB",
                    "result": verdict(export["rss_growth_mb"], TARGETS["export_rss_mb"]),
                }
            )
    return rows


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section(database: str, args, results: dict) -> str:
    m = results["machine"]
    d = results["data"]
    g = results["generation"]
    lines = [
        f"<!-- bench:{database} -->",
        f"## {DATABASE_LABELS[database]}",
        "",
        f"Run {results['when']} (Asia/Shanghai) with `bench/run.py --database {database} --count {args.count}`.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}",
        f"- Software: Python {m['python']}, Django {m['django']}, SQLite {m['sqlite']}, PostgreSQL {m['postgres']}; "
        f"code at {m['git']}",
        "- Load average (1/5/15 min) at start → end of each phase: "
        + "; ".join(f"{phase} {a} → {b}" for phase, (a, b) in results.get("load", {}).items()),
        f"- Data: {d['hazards']:,} hazards ({d['open']:,} open, {d['overdue']:,} overdue, {d['major']:,} 重大, "
        f"{d['stock']:,} 存量, {d['active_supervisions']:,} active 督办); database {d['size_mb']:,.0f} MB; "
        f"planner statistics: {d['planner_stats']}",
    ]
    if g.get("seconds"):
        rows = g.get("rows", {})
        lines.append(
            f"- Generation ({g.get('when', '?')}): {g.get('added', 0):,} hazards"
            f" (+{rows.get('supervisions', 0):,} 督办, {rows.get('plans', 0):,} 治理方案, "
            f"{rows.get('transfers', 0):,} 移交, {rows.get('recheck_items', 0):,} 回头看) in {g['seconds'] / 60:.1f} min"
            + (f", then VACUUM ANALYZE {g['vacuum_seconds']:.0f} s" if g.get("vacuum_seconds", 0) > 1 else "")
        )
    lines += [
        "",
        markdown_table(
            ["Metric", "p50 / value", "p95", "max", "Target", "Result"],
            [[r["metric"], r["p50"], r["p95"], r["max"], r["target"], r["result"]] for r in rows_of(results)],
        ),
        "",
    ]
    for role, label in (("admin", "区安委办管理员"), ("officer", "部门经办人")):
        r = results["list"].get(role)
        if not r:
            continue
        kinds = sorted(r["by_kind"].items(), key=lambda kv: -kv[1]["p95"])
        lines += [
            f"List API by request kind, {label} (ms; queries per request):",
            "",
            markdown_table(
                ["Kind", "n", "p50", "p95", "max", "Queries"],
                [[k, v["n"], f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['max']:.1f}", v["queries"]] for k, v in kinds],
            ),
            "",
            "Slowest requests: " + "; ".join(f"`{_qs(t[2])}` {t[1]:.0f} ms" for t in r["slowest"]),
            "",
        ]
    for role in ("admin", "officer"):
        r = results["figures"].get(role)
        if r:
            lines.append(
                f"- hazard_figures as {role}: ms per query (re-run with fetch): {r['query_ms']}; slowest: "
                + "; ".join(f"{q['ms']:.0f} ms `{q['sql'][:110]}…`" for q in r.get("slowest_queries", [])[:2])
            )
    lines += ["", f"<!-- /bench:{database} -->"]
    return "\n".join(lines)


def _qs(data: dict) -> str:
    if "cursor" in data:
        data = {**data, "cursor": "…"}
    return "&".join(f"{k}={v}" for k, v in data.items()) or "(no filter)"


RESULTS_HEADER = """# Hazard ledger benchmarks — results

Written by `bench/run.py` (see bench/README.md); each database has its own
section between `<!-- bench:… -->` markers, rewritten on every run. Text
outside the markers is kept.

<!-- bench:sqlite -->
<!-- /bench:sqlite -->

<!-- bench:postgres -->
<!-- /bench:postgres -->
"""


def write_results(database: str, text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else RESULTS_HEADER
    pattern = re.compile(rf"<!-- bench:{database} -->.*?<!-- /bench:{database} -->", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    RESULTS.write_text(current, encoding="utf-8")


# --- Main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument("--count", type=int, default=1_000_000, help="hazards wanted (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="list API requests per role (default 200)")
    parser.add_argument("--figures-runs", type=int, default=20)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="SQLite: run ANALYZE first (default: no statistics, as the app runs)",
    )
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each phase wait up to SECONDS for the 1-minute load average to drop below 0.7",
    )
    parser.add_argument("--generate-only", action="store_true", help="migrate and generate, measure nothing")
    parser.add_argument("--no-results", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.export_child:
        setup_django(args.database)
        export_child(args.export_rows)
        return 0

    prepare_database(args.database, args.fresh)
    setup_django(args.database)
    from django.utils import timezone

    from zhiben.org.models import User

    print(f"bench: {DATABASE_LABELS[args.database]} ({database_url(args.database)})")
    results: dict = {"machine": machine_info(), "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    results["generation"] = ensure_data(args.database, args.count, "analyze" if args.analyze else "none")
    results["data"] = data_summary()
    print(f"  data: {results['data']}")
    if args.generate_only:
        return 0
    users = {"admin": User.objects.get(username="bench_admin"), "officer": User.objects.get(username="bench_officer")}
    load = results["load"] = {}
    wait_quiet(args.wait_quiet)
    load["list"] = [loadavg()]
    results["list"] = measure_list(users, args.requests, args.seed)
    load["list"].append(loadavg())
    users = {r: User.objects.get(pk=u.pk) for r, u in users.items()}  # fresh membership caches
    wait_quiet(args.wait_quiet)
    load["figures"] = [loadavg()]
    results["figures"] = measure_figures(users, args.figures_runs)
    load["figures"].append(loadavg())
    if not args.skip_export:
        wait_quiet(args.wait_quiet)
        load["export"] = [loadavg()]
        results["export"] = measure_export(args.database, args.export_rows)
        load["export"].append(loadavg())
    else:
        results["export"] = None

    rows = rows_of(results)
    width = max(len(r["metric"]) for r in rows)
    print()
    print(f"{'Metric':<{width}}  {'p50/value':>10}  {'p95':>10}  {'max':>10}  {'target':<14} result")
    for r in rows:
        print(
            f"{r['metric']:<{width}}  {r['p50']:>10}  {r['p95']:>10}  {r['max']:>10}  {r['target']:<14} {r['result']}"
        )
    if not args.no_results:
        write_results(args.database, section(args.database, args, results))
        print(f"\nbench/RESULTS.md: section '{args.database}' updated")
    (OUT_DIR / f"results-{args.database}.json").write_text(json.dumps(results, indent=2, default=str))
    failed = [r for r in rows if r["result"] != "PASS"]
    if args.check and failed:
        print(f"\n{len(failed)} target(s) missed: " + "; ".join(r["metric"] for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
