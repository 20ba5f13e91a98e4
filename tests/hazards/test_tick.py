"""zhiben tick for hazards: 整改时限 reminders, overdue notices, automatic 督办
and the report to 区安委办 — each once, to the right people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.core.tick import run_all
from zhiben.hazards import services, tick
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import GovernancePlan, Hazard, Supervision
from zhiben.notify.models import Notification, Reminder

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))
TODAY = dt.date(2026, 12, 7)


def _rectifying(drive, deadline: dt.date, **fields) -> Hazard:
    hazard = drive(HazardStatus.RECTIFYING, **fields)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=deadline)
    return Hazard.objects.get(pk=hazard.pk)


def _told(hazard: Hazard, kind: str = "hazard.deadline") -> set[str]:
    return set(
        Notification.objects.filter(target_type="hazards.hazard", target_id=hazard.pk, kind=kind).values_list(
            "recipient__username", flat=True
        )
    )


def test_deadline_reminder_goes_to_the_unit_and_the_department_once(drive, everyone):
    hazard = _rectifying(drive, TODAY + dt.timedelta(days=2))
    counts = tick.run(NOW)
    assert counts["整改时限提醒"] == 3
    assert _told(hazard) == {"t_enterprise", "t_leader", "t_officer"}
    message = Notification.objects.get(recipient=everyone["enterprise"], kind="hazard.deadline")
    assert message.url == f"/hazards/{hazard.pk}/"
    assert "还有2天" in message.title and hazard.code in message.title
    assert "您收到此提醒，是因为" in message.body
    # A second tick sends nothing new.
    assert tick.run(NOW)["整改时限提醒"] == 0
    assert Notification.objects.filter(kind="hazard.deadline").count() == 3
    assert Reminder.objects.filter(key__startswith=f"hazard:{hazard.pk}:deadline:-3:").count() == 3


def test_on_the_day_and_overdue_are_separate_reminders(drive, everyone):
    hazard = _rectifying(drive, TODAY)
    tick.run(NOW)
    assert Notification.objects.filter(kind="hazard.deadline", title__startswith="今天是整改时限").count() == 3
    tick.run(NOW + dt.timedelta(days=1))
    overdue = Notification.objects.filter(kind="hazard.deadline", title__startswith="隐患已逾期")
    assert overdue.count() == 3
    tick.run(NOW + dt.timedelta(days=2))
    assert overdue.count() == 3
    # A new 整改时限 is reminded again.
    Hazard.objects.filter(pk=hazard.pk).update(deadline=TODAY + dt.timedelta(days=10))
    tick.run(NOW + dt.timedelta(days=8))
    assert Notification.objects.filter(kind="hazard.deadline", title__contains="还有2天").count() == 3


def test_no_reminder_far_from_the_deadline_nor_for_old_overdue_or_submitted(drive, everyone):
    _rectifying(drive, TODAY + dt.timedelta(days=4))
    _rectifying(drive, TODAY - dt.timedelta(days=30))
    awaiting = drive(HazardStatus.AWAITING_VERIFICATION)
    Hazard.objects.filter(pk=awaiting.pk).update(deadline=TODAY)
    assert tick.run(NOW)["整改时限提醒"] == 0


def test_a_section_is_not_told_of_another_departments_hazard(drive, everyone, orgs):
    hazard = _rectifying(drive, TODAY + dt.timedelta(days=1), owner=orgs["hk-jgw"], unit=None, unit_name="某单位")
    tick.run(NOW)
    assert _told(hazard) == {"t_jgw_officer"}
    # The section of 区商务委 does not hear of its own department's hazards
    # either: it cannot open them (the department's staff can).
    mine = _rectifying(drive, TODAY + dt.timedelta(days=1))
    tick.run(NOW)
    assert "t_section" not in _told(mine)


def test_overdue_major_hazard_is_put_under_supervision_once_with_an_audit_row(
    drive, everyone, django_capture_on_commit_callbacks
):
    hazard = _rectifying(drive, TODAY - dt.timedelta(days=1), level="major")
    with django_capture_on_commit_callbacks(execute=True):
        counts = tick.run(NOW)
    assert counts["自动督办"] == 1
    supervision = Supervision.objects.get(hazard=hazard, is_active=True)
    assert supervision.opened_by.username == tick.SYSTEM_USERNAME
    assert not supervision.opened_by.is_active and not supervision.opened_by.has_usable_password()
    assert "已逾期 1 天" in supervision.requirement
    audit = AuditEvent.objects.get(action="hazard.supervise", object_id=str(hazard.pk))
    assert audit.actor_id == supervision.opened_by_id
    # The owner's staff are told by the service.
    assert {"t_leader", "t_officer"} <= _told(hazard, "hazard.supervise")
    assert tick.run(NOW)["自动督办"] == 0
    # 解除督办 is not undone by the next tick.
    Supervision.objects.filter(pk=supervision.pk).update(is_active=False)
    assert tick.run(NOW + dt.timedelta(days=1))["自动督办"] == 0
    # General hazards are not escalated.
    _rectifying(drive, TODAY - dt.timedelta(days=3))
    assert tick.run(NOW)["自动督办"] == 0


def test_long_overdue_major_hazard_is_reported_to_the_district_office(drive, everyone, settings):
    settings.ZHIBEN_ESCALATE_AFTER_DAYS = 5
    hazard = _rectifying(drive, TODAY - dt.timedelta(days=4), level="major")
    assert tick.run(NOW)["报区安委办"] == 0
    counts = tick.run(NOW + dt.timedelta(days=1))
    assert counts["报区安委办"] == 1
    assert _told(hazard, "hazard.escalate") == {"t_admin", "t_admin_rectifier"}
    message = Notification.objects.filter(kind="hazard.escalate").first()
    assert "逾期5天" in message.title and "区安委办管理员" in message.body
    assert AuditEvent.objects.filter(action="hazard.escalate", object_id=str(hazard.pk)).count() == 1
    assert tick.run(NOW + dt.timedelta(days=2))["报区安委办"] == 0
    assert AuditEvent.objects.filter(action="hazard.escalate").count() == 1


def test_dry_run_writes_nothing(drive, everyone):
    _rectifying(drive, TODAY, level="major")
    _rectifying(drive, TODAY - dt.timedelta(days=1), level="major")
    results = {r.app: r for r in run_all(NOW, dry_run=True, only=["hazards"])}
    assert results["hazards"].counts["整改时限提醒"] == 6  # on the day, and overdue
    assert results["hazards"].counts["自动督办"] == 1
    assert not Notification.objects.exists() and not Reminder.objects.exists()
    assert not Supervision.objects.exists()


def _database_url() -> str:
    """The URL of the test database this test wrote to (committed data)."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_two_ticks_started_together_send_each_reminder_exactly_once(drive, everyone, tmp_path):
    """Real processes (`python -m zhiben tick`) over the same database —
    the temp SQLite file of the tests, or PostgreSQL when DATABASE_URL is set."""
    import os
    import subprocess
    import sys

    today = timezone.localdate()
    hazards = [_rectifying(drive, today + dt.timedelta(days=i % 5 - 1)) for i in range(12)]
    majors = [_rectifying(drive, today - dt.timedelta(days=2 + i), level="major") for i in range(3)]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test",
        "DATABASE_URL": _database_url(),
        "ZHIBEN_TEST_TMP": str(tmp_path),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zhiben", "tick"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for out, err in outputs:
        # (Another app's failure would not count here; hazards' must not fail.)
        assert "hazards：" in out and "hazards：失败" not in err, (out, err)
    # Each hazard due today/soon/just overdue: one message per party, no duplicates.
    keys = list(Reminder.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))
    pairs = list(Notification.objects.filter(kind="hazard.deadline").values_list("recipient_id", "target_id"))
    assert len(pairs) == len(set(pairs))
    # 12 hazards (deadlines yesterday … in 3 days) + 3 overdue 重大, 3 parties each.
    assert len(pairs) == (len(hazards) + len(majors)) * 3
    for hazard in majors:
        assert Supervision.objects.filter(hazard=hazard).count() == 1
    assert (
        Reminder.objects.filter(notification__isnull=False).count()
        == Notification.objects.filter(kind="hazard.deadline").count()
    )


def test_hazards_long_past_the_line_before_the_first_tick_are_not_reported(drive, everyone):
    _rectifying(drive, TODAY - dt.timedelta(days=7 + tick.OVERDUE_WINDOW + 1), level="major")
    counts = tick.run(NOW)
    assert counts["报区安委办"] == 0
    assert counts["自动督办"] == 1  # but still put under 督办


def test_a_window_larger_than_a_page_is_covered_and_handled_hazards_do_not_block_others(drive, everyone, settings):
    settings.ZHIBEN_TICK_BATCH = 2
    settings.ZHIBEN_TICK_ESCALATIONS = 1
    due = [_rectifying(drive, TODAY + dt.timedelta(days=1)) for _ in range(3)]
    assert tick.run(NOW)["整改时限提醒"] == 3 * 3
    assert {n for h in due for n in _told(h)} == {"t_enterprise", "t_leader", "t_officer"}
    first = _rectifying(drive, TODAY - dt.timedelta(days=3), level="major")
    assert tick.run(NOW)["自动督办"] == 1
    Supervision.objects.filter(hazard=first).update(is_active=False)  # 解除督办
    second = _rectifying(drive, TODAY - dt.timedelta(days=1), level="major")
    assert tick.run(NOW)["自动督办"] == 1  # the lifted one is done: the next one is reached
    assert Supervision.objects.filter(hazard=second, is_active=True).exists()


# --- 治理方案 计划完成日期 ----------------------------------------------------------------------------


def _planned(drive, users, finish: dt.date, status: str = HazardStatus.RECTIFYING) -> Hazard:
    """A 重大 hazard (整改时限 2026-12-31) whose plan is to be finished on ``finish``."""
    hazard = drive(status, level="major")
    services.governance_plan_save(actor=users["admin"], hazard=hazard, parts={"finish_date": finish})
    return hazard


def test_plan_finish_is_reminded_3_days_before_and_on_the_day_once_each(drive, users, everyone):
    hazard = _planned(drive, users, TODAY + dt.timedelta(days=3))
    counts = tick.run(NOW)
    assert counts["治理方案完成日期提醒"] == 3
    # The same parties as the 整改时限 reminder.
    assert _told(hazard, "hazard.plan_finish") == {"t_enterprise", "t_leader", "t_officer"}
    message = Notification.objects.get(recipient=everyone["enterprise"], kind="hazard.plan_finish")
    assert message.url == f"/hazards/{hazard.pk}/"
    assert "还有3天" in message.title and hazard.code in message.title
    assert "2026年12月10日" in message.body and "您收到此提醒，是因为" in message.body
    # Two ticks: one reminder.
    assert tick.run(NOW)["治理方案完成日期提醒"] == 0
    assert tick.run(NOW + dt.timedelta(days=1))["治理方案完成日期提醒"] == 0  # "-3" covers the 3 days
    assert Notification.objects.filter(kind="hazard.plan_finish").count() == 3
    # On the day: once more, and once only.
    assert tick.run(NOW + dt.timedelta(days=3))["治理方案完成日期提醒"] == 3
    assert tick.run(NOW + dt.timedelta(days=3, hours=5))["治理方案完成日期提醒"] == 0
    on_the_day = Notification.objects.filter(kind="hazard.plan_finish", title__startswith="今天是治理方案计划完成日期")
    assert on_the_day.count() == 3
    # After the day: nothing (the 整改时限 reminders carry on).
    assert tick.run(NOW + dt.timedelta(days=4))["治理方案完成日期提醒"] == 0
    # A new 计划完成日期 is reminded again.
    services.governance_plan_save(
        actor=users["admin"], hazard=hazard, parts={"finish_date": TODAY + dt.timedelta(days=12)}
    )
    assert tick.run(NOW + dt.timedelta(days=10))["治理方案完成日期提醒"] == 3


def test_plan_finish_of_a_closed_void_or_submitted_hazard_is_not_reminded(drive, users, everyone):
    finish = TODAY + dt.timedelta(days=1)
    for status in (HazardStatus.CLOSED, HazardStatus.AWAITING_VERIFICATION, HazardStatus.VOID):
        hazard = drive(status, level="major")
        GovernancePlan.objects.update_or_create(hazard=hazard, defaults={"finish_date": finish})
    far = _planned(drive, users, TODAY + dt.timedelta(days=4))
    assert tick.run(NOW)["治理方案完成日期提醒"] == 0
    assert not Notification.objects.filter(kind="hazard.plan_finish").exists()
    # The control: the same plan reaches the window a day later.
    assert tick.run(NOW + dt.timedelta(days=1))["治理方案完成日期提醒"] == 3
    assert _told(far, "hazard.plan_finish") == {"t_enterprise", "t_leader", "t_officer"}


def test_plan_finish_dry_run_writes_nothing(drive, users, everyone):
    _planned(drive, users, TODAY)
    results = {r.app: r for r in run_all(NOW, dry_run=True, only=["hazards"])}
    assert results["hazards"].ok and results["hazards"].counts["治理方案完成日期提醒"] == 3
    assert not Notification.objects.filter(kind="hazard.plan_finish").exists()
    assert not Reminder.objects.filter(key__contains=":plan_finish:").exists()
    assert tick.run(NOW)["治理方案完成日期提醒"] == 3  # the dry run took nothing away


def test_plan_finish_window_larger_than_a_page_is_covered(drive, users, everyone, settings):
    settings.ZHIBEN_TICK_BATCH = 2
    hazards = [_planned(drive, users, TODAY + dt.timedelta(days=i % 2)) for i in range(5)]
    assert tick.run(NOW)["治理方案完成日期提醒"] == 5 * 3
    assert all(_told(h, "hazard.plan_finish") == {"t_enterprise", "t_leader", "t_officer"} for h in hazards)


def test_plan_finish_window_reads_the_finish_date_index():
    """The window is read on the plan's finish_date index (not by walking the
    open 重大 hazards), as core.tick.pages pages it."""
    from django.db import connection, transaction

    page = tick._plan_finish_window(TODAY).filter(pk__gt=0).order_by("pk")[:500]
    sql, params = page.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "governance_plan_finish" in plan and "hazards_hazard" not in plan, plan
