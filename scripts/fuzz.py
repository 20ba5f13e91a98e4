#!/usr/bin/env python3
"""Fuzz the JSON API with Schemathesis (every check) as three roles.

    scripts/fuzz.py                       # make fuzz: every phase, every role
    scripts/fuzz.py --quick               # the bounded run in .ci/run (a few minutes)
    scripts/fuzz.py --database-url postgres://postgres@127.0.0.1:5432/zhiben_fuzz   # an empty PostgreSQL database

What it does, from nothing:

1. a fresh SQLite database and media directory in a temporary directory
   (``ZHIBEN_VAR_DIR``), ``zhiben setup`` and ``zhiben demo``;
2. a personal access token for an administrator (admin), a department officer
   (swj_officer) and an enterprise user (qiye_bwt), created through the
   accounts service;
3. ``zhiben serve`` on a free loopback port (the real server, real requests);
4. ``schemathesis run`` against ``/api/v1/openapi.json`` once per role, with
   ``--checks all``.

It exits non-zero when any run finds a failure: a server error, a response
that does not match the schema, an undocumented status code, ...

Valid-by-schema requests may still be refused by the business rules (an
unknown sector code is 422, a transition from the wrong state is 409, another
department's object is 404), so ``positive_data_acceptance`` accepts those
documented refusals; everything else is strict.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The administrator last: its run may disable other accounts (POST /users/{id}/active).
ROLES = {"enterprise": "qiye_bwt", "officer": "swj_officer", "admin": "admin"}

CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2XX", "401", "403", "404", "409", "422"]
"""

# Tokens for the roles, and real values for the fuzzer to draw from often, so
# that it reaches the business rules instead of 404s and unknown codes.
PREPARE = """\
import json
from zhiben.accounts.services import token_create
from zhiben.hazards.models import HazardCategory
from zhiben.org.models import User
from zhiben.registry.models import Sector, SiteType
for role, username in {roles!r}.items():
    _, secret = token_create(actor=User.objects.get(username=username), name="fuzz", days=1)
    print("TOKEN", role, secret)
print("VALUES", json.dumps({{
    "sectors": list(Sector.objects.values_list("code", flat=True)),
    "categories": list(HazardCategory.objects.filter(is_active=True).values_list("code", flat=True)[:200]),
    "site_types": list(SiteType.objects.values_list("code", flat=True)),
}}))
"""

# Ids are small in the demo database; the fuzzer draws from 1..60 most of the time.
BINDINGS = {
    "ids": [
        "path.pk", "path.org_id", "path.user_id", "path.event_id", "path.inspection_id", "path.campaign_id",
        "body.owner_id", "body.street_id", "body.unit_id", "body.site_id", "body.to_org_id", "body.hazard_id",
        "body.task_id", "body.organization_id",
    ],
    "sectors": ["body.sector"],
    "categories": ["body.category"],
    "site_types": ["body.site_type"],
}  # fmt: skip


def config_text(values: dict[str, list]) -> str:
    values = {**values, "ids": list(range(1, 61))}
    lines = [CONFIG]
    for name, items in values.items():
        if items:
            lines.append(f"[dictionaries.{name}]\nvalues = {json.dumps(items)}\n")
    lines.append("[parameters]")
    for name, keys in BINDINGS.items():
        if values.get(name):
            lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.8 }}' for key in keys]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zhiben(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "zhiben"), *args], env=env, check=True, cwd=ROOT, **kwargs)


def wait_for(url: str, token: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"服务未在 {seconds} 秒内就绪：{url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=50, help="test cases per operation and phase")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated: enterprise,officer,admin")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, reports)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="bounded (CI): the coverage phase (boundary values of every parameter) as the administrator, "
        "then fuzzing and stateful with few examples as every role",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="an EMPTY PostgreSQL database to fuzz against (postgres://…); default: a fresh SQLite file",
    )
    parser.add_argument("extra", nargs="*", help="further `schemathesis run` options (after --)")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="zhiben-fuzz-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.local",
        "ZHIBEN_VAR_DIR": str(work / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
    env.pop("ZHIBEN_DEBUG", None)
    server = None
    try:
        print(f"==> 准备数据（{work}）", flush=True)
        zhiben("setup", env=env, stdout=subprocess.DEVNULL)
        zhiben("demo", env=env, stdout=subprocess.DEVNULL)
        out = zhiben("shell", "-c", PREPARE.format(roles=ROLES), env=env, capture_output=True, text=True).stdout
        tokens = dict(line.split(" ")[1:3] for line in out.splitlines() if line.startswith("TOKEN "))
        values = json.loads(next(line for line in out.splitlines() if line.startswith("VALUES "))[7:])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (work / "server.log").open("w")
        # The fuzzer's query strings (arrays of long unicode values) can pass the server's 8190-byte request
        # line, which gunicorn refuses with 414 before the app sees it; lift that bound here so that every
        # request reaches the app's own validation (what this run is about). The scheduler is not needed.
        server = subprocess.Popen(
            [str(BIN / "zhiben"), "serve", f"127.0.0.1:{port}"],
            env={**env, "ZHIBEN_WEB_MAX_REQUEST_LINE": "0", "ZHIBEN_SCHEDULER": "0"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        schema_url = f"{base}/api/v1/openapi.json"
        wait_for(schema_url, tokens["admin"])
        config = work / "schemathesis.toml"
        config.write_text(config_text(values))

        failed = []
        runs = [(role, []) for role in options.roles.split(",")]
        if options.quick:
            options.max_examples = min(options.max_examples, 10)
            runs = [(role, ["--phases", "examples,fuzzing,stateful"]) for role in options.roles.split(",")]
            runs.append(("admin", ["--phases", "coverage"]))
        for role, phases in runs:
            print(f"\n==> Schemathesis：{role}（{ROLES[role]}）{' '.join(phases)}", flush=True)
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(config),
                "run",
                schema_url,
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {tokens[role]}",
                "--max-examples",
                str(options.max_examples),
                "--workers",
                "1",
                "--suppress-health-check",
                "all",
                "--report",
                "junit",
                "--report-dir",
                str(work / "reports" / role),
                *phases,
                *(["--seed", str(options.seed)] if options.seed is not None else []),
                *options.extra,
            ]
            if subprocess.run(command, cwd=work).returncode != 0:
                failed.append(role)
        server_errors = [line for line in (work / "server.log").read_text().splitlines() if "Traceback" in line]
        if server_errors:
            print(f"\n服务器日志中有 {len(server_errors)} 处异常堆栈：{work / 'server.log'}")
            options.keep = True
            failed.append("server-log")
        if failed:
            options.keep = True
            print(f"\n模糊测试发现问题：{', '.join(failed)}（报告与日志：{work}）")
            return 1
        print("\n模糊测试通过：0 个服务器错误、0 个与接口定义不符的响应、0 个未声明的状态码。")
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
