"""`zhiben serve` (what `make run` starts): gunicorn as real processes, static files with
far-future caching, one SIGINT stops everything; the supervisor stops all when one child ends."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from zhiben.cli import supervise


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _commands(pids) -> dict[int, bytes]:
    found = {}
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(OSError):
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.django_db(transaction=True)
def test_serve_runs_gunicorn_with_cached_static_files_and_stops_on_one_sigint(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("serves the migrated SQLite test database")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"ZHIBEN_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        ZHIBEN_VAR_DIR=str(tmp_path),
        ZHIBEN_WEB_WORKERS="2",
        ZHIBEN_WEB_THREADS="2",
        ZHIBEN_WEB_ACCESS_LOG="off",
        ZHIBEN_TICK_INTERVAL="3600",
    )
    env.pop("ZHIBEN_DEV_SERVER", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "zhiben", "serve", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                status, headers, body = _get(base + "/accounts/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "zhiben serve did not answer within 60 s"
                time.sleep(0.2)
        assert status == 200
        assert headers["Server"].startswith("gunicorn")  # not WSGIServer/… (the development server)
        assert "csrfmiddlewaretoken" in body.decode()
        # Static files: the page links the hashed names, served with a far-future immutable cache.
        css = re.search(r'href="(/static/zhiben/zhiben\.[0-9a-f]{12}\.css)"', body.decode())
        assert css, "the login page links the hashed stylesheet"
        status, headers, body = _get(base + css.group(1))
        assert status == 200 and body
        cache_control = headers["Cache-Control"]
        assert "immutable" in cache_control
        assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 365 * 24 * 3600
        assert (tmp_path / "static" / "staticfiles.json").exists()  # collected at start (no manifest yet)
        # A request line beyond 8190 bytes is refused by the server itself (like nginx's default buffers).
        assert _get(base + "/accounts/login/?next=/" + "a" * 9000)[0] == 414
        assert _get(base + "/accounts/login/?next=/" + "a" * 7000)[0] == 200

        processes = _descendants(server.pid)
        assert len(processes) >= 6  # gunicorn's master and its 2 workers, 2 task workers, the scheduler
        commands = _commands(processes)
        assert any(b"zhiben scheduler" in c for c in commands.values()), commands
        workers = {pid for pid, c in commands.items() if b"zhiben worker" in c}
        assert len(workers) == 2, commands

        # A task worker killed (kill -9) is started again by the supervisor, like gunicorn's workers.
        os.kill(min(workers), signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = {pid for pid, c in _commands(_descendants(server.pid)).items() if b"zhiben worker" in c}
            if len(now) == 2 and now != workers:
                break
            time.sleep(0.2)
        assert len(now) == 2 and now != workers, "the killed worker was not restarted"
        processes = _descendants(server.pid)
        started = time.monotonic()
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
        while any(_alive(pid) for pid in processes) and time.monotonic() - started < 10:
            time.sleep(0.1)
        assert not [pid for pid in processes if _alive(pid)], "orphans left after SIGINT"
        assert time.monotonic() - started < 10
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_supervisor_restarts_a_worker_that_dies_and_stops_everything_when_the_web_server_ends(tmp_path):
    marker = tmp_path / "starts"
    started = time.monotonic()
    status = supervise(
        [
            ("web", [sys.executable, "-c", "import time, sys; time.sleep(4); sys.exit(3)"]),
            ("worker-1", [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(1)"]),
        ]
    )
    assert status == 3
    assert time.monotonic() - started < 15
    assert len(marker.read_text()) >= 2  # the dying worker was started again (with a backoff)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.django_db(transaction=True)
def test_dev_starts_a_task_worker_beside_the_development_server_and_stops_it(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("serves the migrated SQLite test database")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"ZHIBEN_DEBUG", "RUN_MAIN"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        ZHIBEN_VAR_DIR=str(tmp_path),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "zhiben", "dev", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while not workers and time.monotonic() < deadline:
            assert server.poll() is None
            workers = {p for p, c in _commands(_descendants(server.pid)).items() if b"zhiben worker" in c}
            time.sleep(0.2)
        assert workers, "no task worker beside zhiben dev"
        server.send_signal(signal.SIGINT)
        server.wait(timeout=15)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "the worker outlived zhiben dev"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_worker_before_setup_waits_for_the_database_instead_of_crashing(tmp_path):
    """`zhiben serve` before `zhiben setup`: the task worker says what to do and waits (no restart loop)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ZHIBEN_DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local", ZHIBEN_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1"
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "zhiben", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = worker.stdout.readline()
        assert "请先运行 zhiben setup" in line, (line, worker.stderr.read() if worker.poll() is not None else "")
        time.sleep(1)
        assert worker.poll() is None  # still waiting, not crashed
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
