"""Benchmark: import 500,000 units from one .xlsx (zhiben.registry.tabular).

1. generates bench/out/registry_units_<rows>.xlsx with XlsxWriter
   ``constant_memory`` (valid 统一社会信用代码, streets, sectors, tags,
   phones, dates; kept and reused when it exists);
2. for each database, in a fresh child process: a fresh database
   (SQLite file bench/out/registry_bench.sqlite3, or PostgreSQL
   zhiben_bench_registry dropped and re-created), ``migrate``, reference
   data, one 区安委办管理员, then the import through the real job runner
   (``start_import`` with ``ZHIBEN_IMPORT_SYNC=True``), timing the
   validation pass and the write pass; checks the result (row count, one
   ``unit.import`` audit row, encrypted phones);
3. prints the numbers and, unless ``--no-results``, writes
   bench/results/registry.md.

Usage (from the repository root):

    DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/bench_registry_import.py [--rows 500000] [--database sqlite|postgres|both]

Long: run it with nohup in the background and poll its log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results" / "registry.md"
SQLITE_PATH = OUT / "registry_bench.sqlite3"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "zhiben_bench_registry"
TARGET_SQLITE_S = 60.0

STREETS = [
    "北外滩街道",
    "欧阳路街道",
    "曲阳路街道",
    "广中路街道",
    "嘉兴路街道",
    "凉城新村街道",
    "四川北路街道",
    "江湾镇街道",
]
SECTORS = ["商务", "建筑施工", "道路交通"]  # sectors whose owner is known (data/sectors.yaml)
TAGS = ["重点单位", "人员密集场所", "燃气使用单位", "有限空间作业"]
INSURANCE = ["已投保", "未投保", "不适用", "未知"]
STANDARD = ["一级", "二级", "三级", "小微企业达标", "未定级"]
LICENSE = ["有效", "不需要", "未知"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
INDUSTRIES = ["餐饮", "零售", "仓储", "建筑装饰", "物流", "酒店", "商场", "加油站"]
HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "地址",
    "所属街道",
    "行业主管部门",
    "行业领域",
    "行业类型",
    "标签",
    "法定代表人",
    "法定代表人电话",
    "安全管理联系人",
    "安全管理联系人电话",
    "安全生产责任险",
    "安责险到期日",
    "安全生产标准化等级",
    "安全生产许可证",
    "许可证有效期至",
    "备注",
]


def uscc(seed: int) -> str:
    from zhiben.core.validators import uscc_check_char

    first17 = f"91310109MB{seed:07d}"
    return first17 + uscc_check_char(first17)


def generate(path: Path, rows: int) -> float:
    """The workbook, written in constant memory; returns seconds."""
    import xlsxwriter

    started = time.perf_counter()
    tmp = path.with_suffix(".tmp.xlsx")
    workbook = xlsxwriter.Workbook(
        str(tmp),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("生产经营单位")
    for col, header in enumerate(HEADERS):
        sheet.write_string(0, col, header)
    base = dt.date(2026, 1, 1)
    for i in range(rows):
        r = i + 1
        insured = INSURANCE[i % 4]
        values = [
            f"虹口区测试商贸有限公司第{i:06d}号",
            uscc(i),
            f"虹口区测试路{i % 2000 + 1}号{i % 30 + 1}室",
            STREETS[i % len(STREETS)],
            "区商务委" if i % 10 == 0 and SECTORS[i % 3] == "商务" else "",
            SECTORS[i % 3],
            INDUSTRIES[i % len(INDUSTRIES)],
            "、".join(TAGS[: i % 3]) if i % 5 == 0 else "",
            SURNAMES[i % 20] + "某" + SURNAMES[(i // 20) % 20],
            f"13{i % 10}{i:08d}",
            SURNAMES[(i + 7) % 20] + "某",
            f"021-6{i % 10_000_000:07d}",
            insured,
            None,
            STANDARD[i % 5],
            LICENSE[i % 3],
            None,
            "",
        ]
        for col, value in enumerate(values):
            if value:
                sheet.write_string(r, col, value)
        if insured == "已投保":
            sheet.write_datetime(r, 13, base + dt.timedelta(days=i % 700), date_fmt)
        if i % 3 == 0:
            sheet.write_datetime(r, 16, base + dt.timedelta(days=i % 900), date_fmt)
    workbook.close()
    tmp.rename(path)
    return time.perf_counter() - started


# --- Child process: one database ----------------------------------------------------------------


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return f"postgres://postgres@127.0.0.1:5432/{PG_DB}"


def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')


def worker(kind: str, xlsx: Path, rows: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    from zhiben.core.testing import make_user
    from zhiben.hazards.reference import load_files as load_hazard_reference
    from zhiben.org.choices import Role
    from zhiben.org.models import Organization
    from zhiben.org.services import organizations_load_file
    from zhiben.registry.reference import load_files

    organizations_load_file()
    load_hazard_reference()
    load_files()
    admin = make_user("bench_admin", Role.DISTRICT_ADMIN, Organization.objects.get(code="hk-awb"))
    setup_s = time.perf_counter() - started

    settings.ZHIBEN_IMPORT_SYNC = True
    settings.ZHIBEN_IMPORT_MAX_ROWS = max(rows, 100_000)
    settings.ZHIBEN_IMPORT_MAX_BYTES = max(xlsx.stat().st_size + 1024, 20 * 1024 * 1024)
    settings.MEDIA_ROOT = str(OUT / "media")

    from zhiben.audit.models import AuditEvent
    from zhiben.imports.services import start_import
    from zhiben.registry.models import Unit
    from zhiben.registry.tabular import UnitImporter

    timings: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(self, *args, **kwargs)
            finally:
                timings[name] = time.perf_counter() - t0

        return wrapper

    def timed_steps(name, fn):  # the write pass is a generator of steps (one transaction each)
        def wrapper(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return (yield from fn(self, *args, **kwargs))
            finally:
                timings[name] = time.perf_counter() - t0

        return wrapper

    UnitImporter.validate = timed("validate", UnitImporter.validate)
    UnitImporter.write_steps = timed_steps("write", UnitImporter.write_steps)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    upload = SimpleUploadedFile("units.xlsx", xlsx.read_bytes())
    job = start_import(actor=admin, kind="units", upload=upload)
    total = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    created = Unit.objects.count()
    audit = AuditEvent.objects.filter(action="unit.import").values_list("after", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_phone FROM registry_unit ORDER BY id LIMIT 1")
        raw_phone = cursor.fetchone()[0]
        if kind == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        db_version = cursor.fetchone()[0]
    sample = Unit.objects.order_by("id").first()
    return {
        "database": kind,
        "db_version": db_version,
        "rows": rows,
        "status": job.status,
        "message": job.message,
        "created": created,
        "audit": audit,
        "phone_encrypted": raw_phone.startswith("fernet:"),
        "phone_decrypts": bool(sample and sample.legal_rep_phone.startswith("13")),
        "setup_s": round(setup_s, 1),
        "validate_s": round(timings.get("validate", 0.0), 1),
        "write_s": round(timings.get("write", 0.0), 1),
        "total_s": round(total, 1),
        "store_and_overhead_s": round(total - timings.get("validate", 0.0) - timings.get("write", 0.0), 1),
        "peak_rss_mb": round(rss_after / 1024, 0),
        "rss_before_import_mb": round(rss_before / 1024, 0),
    }


# --- Parent -------------------------------------------------------------------------------------


def run_child(kind: str, xlsx: Path, rows: int) -> dict:
    url = fresh_database(kind)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test"}
    env.setdefault("ZHIBEN_TEST_TMP", str(OUT))
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", kind, "--xlsx", str(xlsx), "--rows", str(rows)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if kind == "postgres":
            drop_postgres()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    import sqlite3

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite_lib": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load": os.getloadavg(),
    }


def write_results(info: dict, generated: dict, results: list[dict]) -> None:
    lines = [
        "# Registry import benchmark (units from .xlsx)",
        "",
        "`bench/bench_registry_import.py` — see its docstring and docs/registry.md (“Excel 导入/导出”).",
        "",
        f"- Date: {dt.date.today().isoformat()}",
        f"- Machine: {info['cores']} cores, {info['cpu']} ({info['platform']}); "
        f"load average at the start {info['load'][0]:.2f} / {info['load'][1]:.2f} / {info['load'][2]:.2f} "
        "(the VM is shared with other jobs)",
        f"- Python {info['python']}, SQLite {info['sqlite_lib']}"
        + "".join(f", {r['database']} server {r['db_version']}" for r in results if r["database"] == "postgres"),
        f"- File: {generated['rows']:,} rows × {len(HEADERS)} columns, {generated['size_mb']:.1f} MB, "
        "written by XlsxWriter constant_memory (inline strings)"
        + (
            " (reused from an earlier run of this script)"
            if generated.get("reused")
            else f" in {generated['seconds']:.0f} s"
        ),
        "- Run: the real job runner (`start_import`, `ZHIBEN_IMPORT_SYNC=True`), one 区安委办管理员, fresh database "
        "(migrated, reference data loaded); `validate` = the validation pass (parse + checks + spool), "
        "`write` = the write pass inside the one transaction (encryption of 2 phones per unit, inserts in chunks "
        "of 5,000 — SQLite: one `executemany` of field-prepared rows, PostgreSQL: `bulk_create` — tags, audit row); "
        "`total` = `start_import` wall time (also stores the upload and updates the job).",
        "",
        "| database | rows | validate | write | total | peak RSS | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = r["status"] == "done" and r["created"] == r["rows"] and r["phone_encrypted"]
        lines.append(
            f"| {r['database']} | {r['rows']:,} | {r['validate_s']} s | {r['write_s']} s | **{r['total_s']} s** | "
            f"{r['peak_rss_mb']:.0f} MB | {'ok' if ok else 'FAILED: ' + r['message']} |"
        )
    sqlite = next((r for r in results if r["database"] == "sqlite"), None)
    if sqlite:
        verdict = "met" if sqlite["total_s"] <= TARGET_SQLITE_S else "MISSED"
        lines += ["", f"Target: SQLite total ≤ {TARGET_SQLITE_S:.0f} s — **{verdict}** ({sqlite['total_s']} s)."]
    lines += ["", "Raw:", "", "```json", json.dumps(results, ensure_ascii=False, indent=1), "```", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the .xlsx even if it exists")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/registry.md")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--xlsx", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.xlsx), args.rows), ensure_ascii=False))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    xlsx = OUT / f"registry_units_{args.rows}.xlsx"
    generated = {"rows": args.rows, "seconds": 0.0, "reused": True}
    if args.regenerate or not xlsx.exists():
        print(f"generating {xlsx} …", flush=True)
        generated = {"rows": args.rows, "seconds": generate(xlsx, args.rows), "reused": False}
    generated["size_mb"] = xlsx.stat().st_size / 1024 / 1024
    print(f"file: {xlsx} ({generated['size_mb']:.1f} MB, {generated['seconds']:.0f} s)", flush=True)

    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = []
    for kind in kinds:
        print(f"{kind}: importing {args.rows:,} units …", flush=True)
        result = run_child(kind, xlsx, args.rows)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    if not args.no_results:
        write_results(info, generated, results)
        print(f"wrote {RESULTS}")
    sqlite = next((r for r in results if r["database"] == "sqlite"), None)
    if sqlite and sqlite["total_s"] > TARGET_SQLITE_S:
        print(f"SQLite total {sqlite['total_s']} s > target {TARGET_SQLITE_S} s", file=sys.stderr)


if __name__ == "__main__":
    main()
