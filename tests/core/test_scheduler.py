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


@pytest.mark.django_db(transaction=True)
def test_it_ticks_repeatedly_and_stops_on_sigterm(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("runs against the migrated SQLite test database")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        ZHIBEN_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhiben", "scheduler", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while sum("hazards" in line for line in lines) < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert sum("hazards" in line for line in lines) >= 2, (lines, proc.stderr.read() if proc.poll() else "")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
