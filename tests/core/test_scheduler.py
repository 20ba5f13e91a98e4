"""`zhiben scheduler` (started by `zhiben serve`): runs the ticks by itself, stops on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection


def test_once_runs_every_app_tick(db):
    out = StringIO()
    call_command("scheduler", once=True, stdout=out)
    text = out.getvalue()
    assert "hazards" in text and "delivery" in text and "失败" not in text


@pytest.mark.parametrize("value", ["0", "abc", "999999"])
def test_a_bad_interval_is_refused_in_chinese(db, monkeypatch, value):
    monkeypatch.setenv("ZHIBEN_TICK_INTERVAL", value)
    with pytest.raises(CommandError, match="ZHIBEN_TICK_INTERVAL"):
        call_command("scheduler", stdout=StringIO())


def _scheduler(tmp_path, *args):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        ZHIBEN_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "zhiben", "scheduler", "--interval", "1", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(proc, lines: list[str], done, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done(lines) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    assert done(lines), (lines, proc.stderr.read() if proc.poll() is not None else "")


def _stop(proc) -> None:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:  # never leave a scheduler behind, enqueuing into later tests
        proc.kill()
        proc.wait()
        raise
    assert code == 0
    assert time.monotonic() - started < 15


@pytest.mark.django_db(transaction=True)
def test_it_enqueues_the_tick_once_at_a_time_for_the_workers_and_stops_on_sigterm(tmp_path):
    """The tick is background work: the scheduler only enqueues it, never twice while one waits."""
    from django_tasks_db.models import DBTaskResult

    if connection.vendor != "sqlite":
        pytest.skip("runs against the migrated SQLite test database")
    proc = _scheduler(tmp_path)
    try:
        lines: list[str] = []
        _read_until(proc, lines, lambda ls: any("尚未完成" in line for line in ls))
        ticks = DBTaskResult.objects.filter(task_path="zhiben.core.tasks.tick")
        assert ticks.count() == 1 and ticks.get().status == "READY"  # queued once, then waited for

        call_command("worker", batch=True, stdout=StringIO())  # a worker runs it
        done = ticks.get()
        assert done.status == "SUCCESSFUL" and "hazards" in done.return_value and "delivery" in done.return_value
        _read_until(proc, lines, lambda ls: sum("tick 已排队" in line for line in ls) >= 2)  # the next one
        _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.django_db(transaction=True)
def test_inline_it_ticks_repeatedly_and_stops_on_sigterm(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("runs against the migrated SQLite test database")
    proc = _scheduler(tmp_path, "--inline")
    try:
        lines: list[str] = []
        _read_until(proc, lines, lambda ls: sum("hazards" in line for line in ls) >= 2)
        _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
