"""The `zhiben tick` convention: every app's tick.py runs, a failing one is
reported without stopping the others, and the exit status says so."""

from __future__ import annotations

import types

import pytest
from django.core.management import CommandError, call_command

from zhiben.core import tick

pytestmark = pytest.mark.django_db


def test_discovers_the_apps_with_a_tick_module():
    labels = [label for label, _ in tick.sources()]
    assert "hazards" in labels
    assert "core" not in labels and "audit" not in labels


def _fake_sources(monkeypatch, **runs):
    modules = [(label, types.SimpleNamespace(run=run)) for label, run in runs.items()]
    monkeypatch.setattr(tick, "sources", lambda: modules)


def test_a_failing_app_does_not_stop_the_others(monkeypatch, caplog):
    def broken(now, *, dry_run=False):
        raise RuntimeError("数据库不可用")

    def fine(now, *, dry_run=False):
        return {"提醒": 2}

    _fake_sources(monkeypatch, first=broken, second=fine)
    results = tick.run_all(None)
    assert [r.app for r in results] == ["first", "second"]
    assert not results[0].ok and "数据库不可用" in results[0].error
    assert results[1].ok and results[1].counts == {"提醒": 2}
    assert "tick: first failed" in caplog.text


def test_command_reports_counts_and_exits_non_zero_on_failure(monkeypatch, capsys):
    def broken(now, *, dry_run=False):
        raise RuntimeError("坏了")

    _fake_sources(monkeypatch, good=lambda now, *, dry_run=False: {"提醒": 1}, bad=broken)
    with pytest.raises(CommandError) as excinfo:
        call_command("tick")
    assert excinfo.value.returncode == 1
    out = capsys.readouterr()
    assert "good：提醒 1" in out.out and "bad：失败 RuntimeError: 坏了" in out.err


def test_dry_run_skips_apps_that_cannot_rehearse(monkeypatch, capsys):
    called = []
    _fake_sources(monkeypatch, old=lambda now: called.append(now) or {"x": 1})
    call_command("tick", "--dry-run")
    assert called == []
    assert "演练" in capsys.readouterr().out


def test_real_tick_on_an_empty_database_succeeds(capsys):
    call_command("tick")
    assert "hazards：" in capsys.readouterr().out


def test_delivery_runs_after_the_apps_that_create_messages():
    from zhiben.core.tick import sources

    labels = [label for label, _ in sources()]
    assert labels[-1] == "delivery"
    assert labels.index("hazards") < labels.index("delivery")


def test_the_command_prints_chinese_counts(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("tick", stdout=out)
    text = out.getvalue()
    assert "delivery：" in text and "邮件已发" in text and "emails_sent" not in text
