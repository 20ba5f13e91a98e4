"""治理方案 治理开始日期/计划完成日期: optional, 2000–2100, start ≤ finish ≤ the
hazard's 整改时限; saved (and audited) by governance_plan_save; on the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ValidationFailed
from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import GovernancePlan, Hazard

pytestmark = pytest.mark.django_db

DEADLINE = dt.date(2026, 12, 31)  # what the drive fixture confirms


def _save(users, hazard, **parts):
    return services.governance_plan_save(actor=users["officer"], hazard=hazard, parts=parts)


def test_dates_are_saved_with_the_parts_and_audited(users, drive):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    plan = _save(users, hazard, objectives="消除", start_date=dt.date(2026, 12, 1), finish_date=DEADLINE)
    plan.refresh_from_db()
    assert (plan.start_date, plan.finish_date, plan.objectives) == (dt.date(2026, 12, 1), DEADLINE, "消除")
    event = AuditEvent.objects.filter(action="hazard.plan_save", object_id=str(hazard.pk)).latest("id")
    assert event.after["finish_date"] == "2026-12-31" and event.after["start_date"] == "2026-12-01"
    # Parts not named are kept (the dates too); None clears a date.
    _save(users, hazard, methods="清理")
    plan.refresh_from_db()
    assert plan.finish_date == DEADLINE and plan.objectives == "消除"
    _save(users, hazard, finish_date=None)
    plan.refresh_from_db()
    assert plan.finish_date is None and plan.start_date == dt.date(2026, 12, 1)
    event = AuditEvent.objects.filter(action="hazard.plan_save", object_id=str(hazard.pk)).latest("id")
    assert event.before["finish_date"] == "2026-12-31" and event.after["finish_date"] is None


@pytest.mark.parametrize(
    ("dates", "field", "words"),
    [
        ({"finish_date": dt.date(2027, 1, 1)}, "finish_date", "晚于该隐患的整改时限（2026年12月31日）"),
        (
            {"start_date": dt.date(2026, 12, 20), "finish_date": dt.date(2026, 12, 10)},
            "finish_date",
            "不能早于治理开始日期",
        ),
        ({"start_date": dt.date(1999, 12, 31)}, "start_date", "应在 2000年01月01日 至 2100年12月31日 之间"),
        ({"start_date": dt.date(2101, 1, 1)}, "start_date", "之间"),
    ],
)
def test_wrong_dates_are_refused_in_chinese_and_nothing_changes(users, drive, dates, field, words):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    _save(users, hazard, objectives="消除")
    audits = AuditEvent.objects.filter(action="hazard.plan_save").count()
    with pytest.raises(ValidationFailed) as exc:
        _save(users, hazard, objectives="改了", **dates)
    assert words in exc.value.details[field] and words in exc.value.message
    plan = GovernancePlan.objects.get(hazard=hazard)
    assert plan.objectives == "消除" and plan.start_date is None and plan.finish_date is None
    assert AuditEvent.objects.filter(action="hazard.plan_save").count() == audits


def test_a_saved_start_date_is_checked_against_a_new_finish_date(users, drive):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    _save(users, hazard, start_date=dt.date(2026, 12, 20))
    with pytest.raises(ValidationFailed) as exc:
        _save(users, hazard, finish_date=dt.date(2026, 12, 19))
    assert "finish_date" in exc.value.details


def test_without_a_deadline_only_the_range_and_order_are_checked(users, drive):
    hazard = drive(HazardStatus.PENDING, level="major")
    assert hazard.deadline is None
    plan = _save(users, hazard, finish_date=dt.date(2030, 6, 30))
    assert plan.finish_date == dt.date(2030, 6, 30)


def test_the_database_refuses_a_finish_before_the_start(users, drive):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    plan = _save(users, hazard, objectives="消除")
    with pytest.raises(IntegrityError), transaction.atomic():
        GovernancePlan.objects.filter(pk=plan.pk).update(
            start_date=dt.date(2026, 12, 20), finish_date=dt.date(2026, 12, 10)
        )


def test_plan_form_edits_and_the_page_shows_the_dates(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    client = login(users["officer"])
    html = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert "治理开始日期" in html and "计划完成日期" in html and 'name="finish_date"' in html
    response = client.post(
        f"/hazards/{hazard.pk}/plan/", {"objectives": "消除", "start_date": "2026-12-08", "finish_date": "2026-12-28"}
    )
    assert response.status_code == 302
    plan = GovernancePlan.objects.get(hazard=hazard)
    assert (plan.start_date, plan.finish_date) == (dt.date(2026, 12, 8), dt.date(2026, 12, 28))
    assert 'value="2026-12-28"' in client.get(f"/hazards/{hazard.pk}/").content.decode()
    # After the 整改时限: refused on the field, in Chinese, nothing saved.
    refused = client.post(f"/hazards/{hazard.pk}/plan/", {"objectives": "消除", "finish_date": "2027-01-05"})
    assert refused.status_code == 422
    assert "晚于该隐患的整改时限（2026年12月31日）" in refused.content.decode()
    assert GovernancePlan.objects.get(hazard=hazard).finish_date == dt.date(2026, 12, 28)
    assert Hazard.objects.get(pk=hazard.pk).deadline == DEADLINE


def test_a_closed_hazards_page_shows_the_plan_dates_written_out(users, drive, login):
    hazard = drive(HazardStatus.CLOSED, level="major")
    GovernancePlan.objects.filter(hazard=hazard).update(
        start_date=dt.date(2026, 12, 8), finish_date=dt.date(2026, 12, 28)
    )
    html = login(users["officer"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'name="finish_date"' not in html  # no form: the plan is read only
    assert "2026年12月8日" in html and "2026年12月28日" in html


def test_the_deadline_cannot_be_moved_before_the_plans_finish_date(users, drive):
    """The rule holds from both sides: a 整改时限 edited to fall before the 计划完成日期 is refused."""
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    _save(users, hazard, finish_date=dt.date(2026, 12, 20))
    with pytest.raises(ValidationFailed) as refused:
        services.hazard_update(actor=users["officer"], hazard=hazard, data={"deadline": dt.date(2026, 12, 15)})
    assert "早于治理方案的计划完成日期（2026年12月20日）" in refused.value.details["deadline"]
    assert Hazard.objects.get(pk=hazard.pk).deadline == DEADLINE  # nothing changed
    services.hazard_update(actor=users["officer"], hazard=hazard, data={"deadline": dt.date(2026, 12, 20)})
    assert Hazard.objects.get(pk=hazard.pk).deadline == dt.date(2026, 12, 20)  # on the day is fine


def test_confirming_with_a_deadline_before_the_plans_finish_date_is_refused(users, drive):
    hazard = drive(HazardStatus.PENDING, level="major")
    _save(users, hazard, finish_date=dt.date(2030, 6, 30))
    with pytest.raises(ValidationFailed, match="早于治理方案的计划完成日期"):
        services.hazard_confirm(
            actor=users["officer"], hazard=hazard, requirement="立即整改", deadline_kind="date", deadline=DEADLINE
        )
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.PENDING


def test_the_api_shows_the_plan_dates(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    client = login(users["officer"])
    assert client.get(f"/api/v1/hazards/{hazard.pk}").json()["plan_finish_date"] is None
    _save(users, hazard, objectives="消除", start_date=dt.date(2026, 12, 8), finish_date=dt.date(2026, 12, 28))
    data = client.get(f"/api/v1/hazards/{hazard.pk}").json()
    assert (data["plan_start_date"], data["plan_finish_date"]) == ("2026-12-08", "2026-12-28")
    assert data["plan"]["objectives"] == "消除"
