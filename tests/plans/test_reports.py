"""Monthly reports: who may write, submit, return (reason required) and
accept; late flag; 尚未报送; derived task status; one audit row per change."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.plans import selectors, services
from zhiben.plans.choices import ReportStatus, TaskStatus
from zhiben.plans.models import Task

from .conftest import audit_count, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def commerce(import_plan):
    return import_plan("commerce")


@pytest.fixture
def section_task(commerce):
    return commerce.tasks.get(number="2")  # led by 区商务委's six sections


def write(user, task, org, m=None, **kw):
    kw.setdefault("summary", "本月完成专项检查")
    return services.report_save(actor=user, task=task, organization=org, month=m or month(2025, 3), **kw)


def test_report_roundtrip_with_return(users, orgs, section_task, frozen):
    frozen(dt.datetime(2025, 3, 20, 10, 0))
    report = write(users["section"], section_task, orgs["hk-swj-scglk"])
    assert report.status == ReportStatus.DRAFT and report.due_date == dt.date(2025, 3, 24)
    assert audit_count(report) == 1
    services.report_submit(actor=users["section"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and not report.is_late
    assert audit_count(report) == 2

    with pytest.raises(ValidationFailed):
        services.report_return(actor=users["leader"], report=report, reason="  ")
    with pytest.raises(PermissionDeniedError):
        services.report_return(actor=users["officer"], report=report, reason="请补充")  # officers do not review
    services.report_return(actor=users["leader"], report=report, reason="请补充检查清单")
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.return_reason == "请补充检查清单"
    event = (
        AuditEvent.objects.filter(object_type="plans.progressreport", object_id=str(report.pk)).order_by("-id").first()
    )
    assert event.action == "plan_report.return" and event.reason == "请补充检查清单"

    frozen(dt.datetime(2025, 3, 27, 9, 0))  # resubmitted after the due day: lateness counts the first submission
    write(users["section"], section_task, orgs["hk-swj-scglk"], summary="补充：检查清单见附件")
    services.report_submit(actor=users["section"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and not report.is_late
    services.report_accept(actor=users["admin"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.reviewed_by == users["admin"]
    with pytest.raises(ConflictError):
        write(users["section"], section_task, orgs["hk-swj-scglk"])
    with pytest.raises(ConflictError):
        services.report_accept(actor=users["admin"], report=report)


def test_late_flag(users, orgs, section_task, frozen):
    frozen(dt.datetime(2025, 3, 25, 9, 0))
    report = write(users["officer"], section_task, orgs["hk-swj-scglk"])
    services.report_submit(actor=users["officer"], report=report)
    report.refresh_from_db()
    assert report.is_late


@pytest.mark.parametrize(
    ("role", "org", "allowed"),
    [
        ("section", "hk-swj-scglk", True),
        ("officer", "hk-swj-scglk", True),  # the department above the section
        ("leader", "hk-swj-scglk", True),
        ("section", "hk-swj-syfzk", False),  # another section
        ("admin", "hk-swj-scglk", False),  # only the lead unit's staff
        ("street", "hk-swj-scglk", False),
        ("enterprise", "hk-swj-scglk", False),
        ("readonly", "hk-swj-scglk", False),
        ("expert", "hk-swj-scglk", False),
    ],
)
def test_who_may_write(role, org, allowed, users, orgs, section_task, frozen):
    frozen(dt.datetime(2025, 3, 20, 10, 0))
    if allowed:
        assert write(users[role], section_task, orgs[org]).pk
    else:
        with pytest.raises(PermissionDeniedError):
            write(users[role], section_task, orgs[org])
        assert AuditEvent.objects.filter(action="access.denied", actor=users[role]).count() == 1


def test_report_must_be_for_a_lead_unit_in_the_period(users, orgs, commerce, section_task, frozen):
    frozen(dt.datetime(2025, 3, 20, 10, 0))
    with pytest.raises(ValidationFailed):
        write(users["officer"], commerce.tasks.get(number="1"), orgs["hk-swj-scglk"])  # task 1 is led by 区商务委
    with pytest.raises(ValidationFailed):
        write(users["section"], section_task, orgs["hk-swj-scglk"], m=month(2025, 5))  # future month
    with pytest.raises(ValidationFailed):
        write(users["section"], section_task, orgs["hk-swj-scglk"], m=month(2023, 12))
    with pytest.raises(ValidationFailed):
        write(users["section"], section_task, orgs["hk-swj-scglk"], summary="")


def test_missing_reports_by_organization(users, orgs, commerce, section_task, frozen):
    frozen(dt.datetime(2025, 3, 26, 10, 0))
    missing = selectors.missing_reports(users["leader"], month(2025, 3))
    by_org = {m.organization.code: m for m in missing}
    assert len(by_org["hk-swj"].items) == 12 and len(by_org["hk-swj-scglk"].items) == 1
    assert all(item["overdue"] for item in by_org["hk-swj"].items)  # due the 24th
    report = write(users["section"], section_task, orgs["hk-swj-scglk"])
    missing = {m.organization.code for m in selectors.missing_reports(users["leader"], month(2025, 3))}
    assert "hk-swj-scglk" in missing  # a draft is not a report
    services.report_submit(actor=users["section"], report=report)
    missing = {m.organization.code for m in selectors.missing_reports(users["leader"], month(2025, 3))}
    assert "hk-swj-scglk" not in missing and "hk-swj" in missing
    # scoped: the 生态环境局 reader sees no commerce tasks
    assert selectors.missing_reports(users["readonly"], month(2025, 3)) == []


def test_missing_reports_page(users, orgs, commerce, login):
    client = login(users["leader"])
    page = client.get("/plan-reports/?month=2025-03")
    assert page.status_code == 200
    assert "尚未报送" in page.content.decode() and "市场管理科" in page.content.decode()


def test_task_status_is_derived(users, orgs, import_plan, frozen, plan_users):
    plan = import_plan("ecology")
    task = Task.objects.get(plan=plan, number="4")  # milestones 2024-12-31, 2025-12-31, 2026-12-31
    lead = orgs["hk-sthjj-fsyjk"]
    officer, leader = plan_users["sthjj_officer"], plan_users["sthjj_leader"]

    def status():
        return Task.objects.get(pk=task.pk).status(dt.date(2025, 6, 1) if frozen_at[0] is None else frozen_at[0])

    frozen_at = [dt.date(2024, 6, 1)]
    assert status() == TaskStatus.NOT_STARTED
    frozen(dt.datetime(2024, 6, 20, 9, 0))
    report = write(officer, task, lead, m=month(2024, 6))
    assert status() == TaskStatus.NOT_STARTED  # a draft does not count
    services.report_submit(actor=officer, report=report)
    assert status() == TaskStatus.IN_PROGRESS
    frozen_at[0] = dt.date(2025, 1, 5)
    assert status() == TaskStatus.OVERDUE  # 2024-12-31 passed without being met

    frozen(dt.datetime(2024, 12, 20, 9, 0))
    first = task.milestones.order_by("due_date").first()
    report = write(officer, task, lead, m=month(2024, 12), milestones=[first])
    services.report_submit(actor=officer, report=report)
    services.report_accept(actor=leader, report=report)
    first.refresh_from_db()
    assert first.met_on == dt.date(2024, 12, 20)
    assert status() == TaskStatus.IN_PROGRESS
    frozen_at[0] = dt.date(2026, 1, 5)
    assert status() == TaskStatus.OVERDUE

    frozen(dt.datetime(2025, 12, 10, 9, 0))
    report = write(officer, task, lead, m=month(2025, 12), completed=True)
    services.report_submit(actor=officer, report=report)
    services.report_accept(actor=leader, report=report)
    assert status() == TaskStatus.DONE
    assert Task.objects.get(pk=task.pk).completed_on == dt.date(2025, 12, 10)


def test_due_day_edit(users, commerce):
    services.plan_set_due_day(actor=users["leader"], plan=commerce, due_day=20)
    commerce.refresh_from_db()
    assert commerce.report_due_day == 20 and commerce.report_due_date(month(2025, 2)) == dt.date(2025, 2, 20)
    assert audit_count(commerce) == 2  # import + change
    with pytest.raises(PermissionDeniedError):
        services.plan_set_due_day(actor=users["officer"], plan=commerce, due_day=10)
    with pytest.raises(ValidationFailed):
        services.plan_set_due_day(actor=users["admin"], plan=commerce, due_day=40)
    services.plan_set_due_day(actor=users["admin"], plan=commerce, due_day=None)
    commerce.refresh_from_db()
    assert commerce.report_due_date(month(2025, 2)) == dt.date(2025, 2, 28)
