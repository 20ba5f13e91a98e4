"""Obligation instances: fulfilment with evidence, on-time/late/missed,
compliance per organization and per plan; indicators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.plans import selectors, services
from zhiben.plans.choices import IndicatorState, InstanceState
from zhiben.plans.models import Indicator, ObligationInstance
from zhiben.traffic.indicators import RULE_CODE as BLACK_SPOT_RULE

from .conftest import audit_count, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def monthly(import_plan):
    plan = import_plan("commerce")
    return plan.obligations.get(task=None, due_day=24)


def instance(obligation, y, m) -> ObligationInstance:
    return obligation.instances.get(due_date__year=y, due_date__month=m)


def test_fulfil_on_time_late_and_missed(users, monthly, frozen):
    march, april, may = instance(monthly, 2025, 3), instance(monthly, 2025, 4), instance(monthly, 2025, 5)
    assert march.due_date == dt.date(2025, 3, 24) and march.label == "2025年3月"
    frozen(dt.datetime(2025, 3, 24, 17, 0))
    services.instance_fulfil(actor=users["leader"], instance=march, note="已报送", files=[photo()])
    frozen(dt.datetime(2025, 4, 26, 9, 0))
    services.instance_fulfil(actor=users["officer"], instance=april, note="已报送", files=[photo("b.jpg")])
    march.refresh_from_db()
    april.refresh_from_db()
    today = dt.date(2025, 6, 1)
    assert march.state(today) == InstanceState.ON_TIME
    assert april.state(today) == InstanceState.LATE
    assert may.state(today) == InstanceState.MISSED
    assert instance(monthly, 2025, 6).state(today) == InstanceState.PENDING
    assert march.evidence.count() == 1 and audit_count(march) == 1

    figures = selectors.compliance(list(monthly.instances.all()), today).get(None)
    # Jan 2024 … May 2025 are due: 17; 1 on time, 1 late, 15 missed
    assert (figures.due, figures.on_time, figures.late, figures.missed) == (17, 1, 1, 15)
    assert figures.rate == round(100 / 17, 1)
    by_org = selectors.compliance(list(monthly.instances.all()), today, key=lambda i: i.obligation.organization)
    assert list(by_org) == [monthly.organization]
    by_plan = selectors.compliance(list(monthly.instances.all()), today, key=lambda i: i.obligation.plan)
    assert by_plan[monthly.plan].on_time == 1

    with pytest.raises(ConflictError):
        services.instance_fulfil(actor=users["leader"], instance=march, note="again", files=[photo()])


def test_fulfil_needs_a_note_evidence_and_the_right_unit(users, monthly):
    target = instance(monthly, 2025, 7)
    with pytest.raises(ValidationFailed):
        services.instance_fulfil(actor=users["leader"], instance=target, note="", files=[photo()])
    with pytest.raises(ValidationFailed):
        services.instance_fulfil(actor=users["leader"], instance=target, note="已报送", files=[])
    for role in ("section", "admin", "street", "readonly", "expert", "enterprise"):
        with pytest.raises(PermissionDeniedError):
            services.instance_fulfil(actor=users[role], instance=target, note="已报送", files=[photo()])
    target.refresh_from_db()
    assert target.fulfilled_at is None


def test_calendar_page_lists_the_month_and_compliance(users, monthly, login):
    client = login(users["leader"])
    page = client.get("/plan-calendar/?month=2025-03").content.decode()
    assert "2025年3月" in page and "按单位" in page and "区商务委" in page
    target = instance(monthly, 2025, 3)
    response = client.post(f"/plan-calendar/{target.pk}/fulfil/", {"note": "已报送", "files": [photo()]})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.fulfilled_at is not None
    evidence = target.evidence.get()
    assert client.get(f"/plan-calendar/{target.pk}/evidence/{evidence.pk}/").status_code == 200
    # out of scope: the 生态环境局 reader cannot see commerce instances
    assert login(users["readonly"]).get(f"/plan-calendar/{target.pk}/evidence/{evidence.pk}/").status_code == 404


def test_indicators_met_not_met_pending(users, orgs, import_plan, plan_users, frozen):
    plan = import_plan("road-traffic")
    thirty = Indicator.objects.get(task__plan=plan, target_value=30)
    eighty = Indicator.objects.get(task__plan=plan, target_value=80)
    assert thirty.target_date == dt.date(2024, 12, 31) and thirty.unit == "%"
    # "事故多发点段…30%" is computed by the traffic register's rule; a manual value needs a reason.
    assert thirty.rule == BLACK_SPOT_RULE
    assert thirty.state(dt.date(2024, 6, 1)) == IndicatorState.PENDING
    assert thirty.state(dt.date(2025, 1, 5)) == IndicatorState.NOT_MET
    frozen(dt.datetime(2024, 12, 20, 9, 0))
    services.indicator_record(
        actor=plan_users["gafj_officer"],
        indicator=thirty,
        value=Decimal("35"),
        measured_on=dt.date(2024, 12, 20),
        note="市交警总队年终核定数",
        files=[photo()],
    )
    assert Indicator.objects.get(pk=thirty.pk).state(dt.date(2025, 1, 5)) == IndicatorState.MET
    assert audit_count(thirty) == 1
    assert eighty.target_date is None and eighty.state() == IndicatorState.PENDING
    with pytest.raises(PermissionDeniedError):
        services.indicator_record(
            actor=users["officer"], indicator=eighty, value=Decimal("90"), measured_on=dt.date(2024, 12, 1)
        )
    with pytest.raises(ValidationFailed):
        services.indicator_record(
            actor=plan_users["gafj_officer"], indicator=eighty, value=Decimal("90"), measured_on=dt.date(2030, 1, 1)
        )
    low = services.indicator_record(
        actor=plan_users["gafj_officer"], indicator=eighty, value=Decimal("70"), measured_on=dt.date(2024, 12, 1)
    )
    assert low.indicator.state() == IndicatorState.PENDING
