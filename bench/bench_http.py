"""HTTP benchmark of the server `make run` starts (`zhiben serve`: gunicorn) and, for comparison,
Django's development server (`zhiben dev`), over the bench database.

Closed-loop clients with keep-alive (one ``http.client`` connection each, the next request sent when
the previous answer is read) replay the request mix of bench/run.py: the hazard list API
(``GET /api/v1/hazards`` with its seeded filters and 3-page cursor walks, as 区安委办管理员 and as a
部门经办人, alternating per client) plus ``GET /api/v1/hazards/figures`` every ``--figures-every``
requests. Each (server, clients) pair runs ``--warmup`` seconds untimed, then ``--duration`` seconds
measured: requests per second and p50/p95/max latency (nearest rank).

The database is never modified: it is copied to a scratch directory first (the server creates its
cache table and sessions in the copy). Sessions are created with Django's test client in this
process (force_login) against the copy, and sent as cookies.

    .venv/bin/python bench/bench_http.py                          # bench/out/bench.sqlite3, serve + dev, 1 and 10 clients
    .venv/bin/python bench/bench_http.py --db /path/bench.sqlite3 --servers serve --clients 1,10 --duration 30

Writes bench/results/http.md (``--no-results`` to leave it alone) and bench/out/results-http.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "results" / "http.md"
SERVERS = {
    "serve": "`zhiben serve` (gunicorn gthread, {workers} workers × {threads} threads)",
    "dev": "`zhiben dev --noreload` (Django's development server, one process, a thread per connection)",
}
TARGET = "issue 11: one client ≥ 34–42 req/s at p95 36–50 ms, 10 clients ≥ 62–67 req/s (at 300,000 hazards)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(db: Path, var_dir: Path, workers: int, threads: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"ZHIBEN_DEBUG", "ZHIBEN_REDIS_URL", "ZHIBEN_DEV_SERVER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        DATABASE_URL=f"sqlite:///{db}",
        ZHIBEN_VAR_DIR=str(var_dir),
        ZHIBEN_WEB_WORKERS=str(workers),
        ZHIBEN_WEB_THREADS=str(threads),
        ZHIBEN_WEB_ACCESS_LOG="off",
    )
    return env


def setup_django(db: Path, var_dir: Path) -> None:
    """This process uses the server's settings (same SECRET_KEY: the session cookies must be valid)."""
    os.environ.update(server_env(db, var_dir, 1, 1))
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()


def session_cookies() -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    from zhiben.org.models import User

    cookies = {}
    for role, username in (("admin", "bench_admin"), ("officer", "bench_officer")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookies[role] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return cookies


def start_server(kind: str, port: int, env: dict) -> subprocess.Popen:
    command = "serve" if kind == "serve" else "dev"
    argv = [sys.executable, "-m", "zhiben", command, f"127.0.0.1:{port}"]
    if kind == "dev":
        argv.append("--noreload")
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{kind} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{kind} did not answer within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(2)  # SIGINT, like Ctrl+C
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Client(threading.Thread):
    """One closed-loop client: a keep-alive connection, a seeded plan replayed in a loop."""

    def __init__(self, port: int, cookie: str, plan: list[tuple[str, dict]], figures_every: int, stop_at: list):
        super().__init__(daemon=True)
        self.port, self.cookie, self.plan, self.figures_every = port, cookie, plan, figures_every
        self.stop_at = stop_at  # [measure_from, measure_until]
        self.samples: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.reconnects = 0
        self.conn = None

    def get(self, path: str, params: dict) -> tuple[int, bytes]:
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Cookie": self.cookie, "Accept": "application/json"}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt or self.samples:
                    self.reconnects += 1
            try:
                self.conn.request("GET", url, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
        raise ConnectionError(url)

    def timed(self, label: str, path: str, params: dict) -> bytes:
        t0 = time.perf_counter()
        status, body = self.get(path, params)
        elapsed = (time.perf_counter() - t0) * 1000
        if status != 200:
            self.errors.append(f"{status} {path} {params}")
        now = time.monotonic()
        if self.stop_at[0] <= now <= self.stop_at[1]:
            self.samples.append((label, elapsed))
        return body

    def run(self) -> None:
        step = 0
        while time.monotonic() < self.stop_at[1]:
            for kind, params in self.plan:
                if time.monotonic() >= self.stop_at[1]:
                    return
                step += 1
                if self.figures_every and step % self.figures_every == 0:
                    self.timed("figures", "/api/v1/hazards/figures", {})
                cursor = None
                for _page in range(3 if kind == "cursor" else 1):
                    data = dict(params, **({"cursor": cursor} if cursor else {}))
                    body = self.timed("list", "/api/v1/hazards", data)
                    try:
                        cursor = json.loads(body).get("next_cursor")
                    except ValueError:
                        cursor = None
                    if not cursor:
                        break


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and every process below it (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in stats:
            continue
        seen.add(current)
        total += stats[current][1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == current)
    return total


def measure(port: int, cookies: dict, ids: dict, clients: int, args, server_pid: int) -> dict:
    import run

    start = time.monotonic()
    stop_at = [start + args.warmup, start + args.warmup + args.duration]
    threads = []
    for i in range(clients):
        role = "admin" if i % 2 == 0 else "officer"
        plan = run.list_plan(role, 400, random.Random(f"{args.seed}:{role}:{i}"), ids)
        threads.append(Client(port, cookies[role], plan, args.figures_every, stop_at))
    for thread in threads:
        thread.start()
    # CPU used by the server (all its processes) and by these clients while measuring: on a shared
    # machine, CPU milliseconds per request say more than req/s.
    time.sleep(max(0.0, stop_at[0] - time.monotonic()))
    server_cpu, client_cpu = tree_cpu_seconds(server_pid), time.process_time()
    time.sleep(max(0.0, stop_at[1] - time.monotonic()))
    server_cpu, client_cpu = tree_cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    for thread in threads:
        thread.join()
    samples = [s for t in threads for s in t.samples]
    values = [ms for _, ms in samples]
    errors = [e for t in threads for e in t.errors]
    result = {
        "clients": clients,
        "requests": len(values),
        "rps": len(values) / args.duration,
        **run.summary(values),
        "by_label": {
            label: run.summary([ms for lab, ms in samples if lab == label]) for label in sorted({s[0] for s in samples})
        },
        "errors": len(errors),
        "error_examples": errors[:3],
        "reconnects": sum(t.reconnects for t in threads),
        "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(values)),
        "server_cpu_share": server_cpu / args.duration,  # cores busy on average
        "client_cpu_share": client_cpu / args.duration,
    }
    return result


def ceiling(result: dict, cores: int) -> float:
    cpu_ms = result["server_cpu_ms_per_request"] or 1.0
    return min(result["clients"], cores if result["server"] == "serve" else 1) * 1000 / cpu_ms


def markdown(results: list[dict], info: dict, args, hazards: int) -> str:
    lines = [
        "# HTTP: `make run`'s server against Django's development server",
        "",
        "Measured by `bench/bench_http.py` (see its docstring): closed-loop clients with keep-alive, the list/figures "
        f"mix of bench/run.py (`GET /api/v1/hazards` with its filters and cursor walks, plus the figures endpoint every "
        f"{args.figures_every} requests), admin and officer sessions alternating per client; {args.warmup:.0f} s warm-up, "
        f"{args.duration:.0f} s measured per row. SQLite bench database (copy) with {hazards:,} hazards; the server "
        "keeps persistent connections (`CONN_MAX_AGE`).",
        "",
        f"Target: {TARGET}.",
        "",
        f"- When: {dt.datetime.now(dt.UTC).isoformat(timespec='minutes')}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, {info['os']}; Python "
        f"{info['python']}, SQLite {info['sqlite']}, Django {info['django']}; git {info['git']}",
        f"- Load: {args.load_note}",
        "",
        "| Server | Clients | req/s | p50 ms | p95 ms | max ms | list p95 | figures p95 | requests | errors "
        "| server CPU ms/request | server cores busy | CPU-bound ceiling req/s | load (1/5/15 min) before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        by = r["by_label"]
        lines.append(
            f"| {r['server_label']} | {r['clients']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['max']:.1f} | {by.get('list', {}).get('p95', 0):.1f} | {by.get('figures', {}).get('p95', 0):.1f} | "
            f"{r['requests']} | {r['errors']} | {r['server_cpu_ms_per_request']:.1f} | {r['server_cpu_share']:.2f} | "
            f"{ceiling(r, info['cores']):.0f} | {r['load'][0]} → {r['load'][1]} |"
        )
    lines += [
        "",
        "Percentiles are nearest-rank over every measured request of the row. *Server CPU ms/request*: user + system "
        "CPU time of all the server's processes during the measured window divided by the requests answered; it "
        "hardly depends on what else runs on the machine, unlike req/s and latency. *CPU-bound ceiling*: what that "
        "CPU cost allows on this machine's cores when nothing else runs (min(clients, cores) × 1000 / ms for "
        "gunicorn's processes; 1000 / ms for the development server, one process held to one core by the GIL, and "
        "for one client, whose requests run one at a time): an estimate, "
        "not a measurement.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=OUT_DIR / "bench.sqlite3", help="bench SQLite database (copied)")
    parser.add_argument("--servers", default="serve,dev")
    parser.add_argument("--clients", default="1,10")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--figures-every", type=int, default=10)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ZHIBEN_WEB_WORKERS", 4)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("ZHIBEN_WEB_THREADS", 4)))
    parser.add_argument("--seed", default="http")
    parser.add_argument("--load-note", default="not recorded")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"{args.db} is missing: build it with bench/run.py --generate-only (see bench/README.md)")

    scratch = Path(tempfile.mkdtemp(prefix="zhiben-bench-http-"))
    try:
        db = scratch / "bench.sqlite3"
        print(f"copying {args.db} → {db}", flush=True)
        shutil.copyfile(args.db, db)
        var_dir = scratch / "var"
        var_dir.mkdir()
        setup_django(db, var_dir)
        import run

        from zhiben.hazards.models import Hazard

        hazards = Hazard.objects.count()
        ids = run.reference_ids()
        cookies = session_cookies()
        info = run.machine_info()
        from django.db import connections

        connections.close_all()
        env = server_env(db, var_dir, args.workers, args.threads)
        results = []
        for kind in args.servers.split(","):
            port = free_port()
            proc = start_server(kind, port, env)
            try:
                for clients in (int(c) for c in args.clients.split(",")):
                    before = run.loadavg()
                    result = measure(port, cookies, ids, clients, args, proc.pid)
                    result["load"] = [before, run.loadavg()]
                    result["server"] = kind
                    result["server_label"] = SERVERS[kind].format(workers=args.workers, threads=args.threads)
                    results.append(result)
                    print(
                        f"{kind:>5} {clients:>3} clients: {result['rps']:.1f} req/s p50 {result['p50']:.1f} "
                        f"p95 {result['p95']:.1f} max {result['max']:.1f} ms ({result['requests']} requests, "
                        f"{result['errors']} errors, {result['reconnects']} reconnects; server CPU "
                        f"{result['server_cpu_ms_per_request']:.1f} ms/request, {result['server_cpu_share']:.2f} cores; "
                        f"clients {result['client_cpu_share']:.2f} cores; load {result['load']})",
                        flush=True,
                    )
            finally:
                stop_server(proc)
        OUT_DIR.mkdir(exist_ok=True)
        (OUT_DIR / "results-http.json").write_text(json.dumps(results, indent=2, default=str))
        if not args.no_results:
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(markdown(results, info, args, hazards))
            print(f"{RESULTS.relative_to(BENCH_DIR.parent)} written")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
