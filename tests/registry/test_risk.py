"""Risk grading: LEC and LS band edges, configurable bands, the current level
is the latest assessment, history is kept, the monthly 高风险 list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.registry import services
from zhiben.registry.reports import high_risk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("320.01", "major"),
        ("320", "large"),
        ("160", "large"),
        ("159.99", "general"),
        ("70", "general"),
        ("69.99", "low"),
        ("0.01", "low"),
    ],
)
def test_lec_band_edges(score, level):
    assert services.level_for("lec", Decimal(score)) == level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("25", "major"),
        ("20", "major"),
        ("19", "large"),
        ("12", "large"),
        ("11", "general"),
        ("6", "general"),
        ("5", "low"),
        ("1", "low"),
    ],
)
def test_ls_band_edges(score, level):
    assert services.level_for("ls", Decimal(score)) == level


@pytest.mark.parametrize(
    ("method", "inputs", "score", "level"),
    [
        ("lec", {"L": 10, "E": 6, "C": 7}, "420.00", "major"),  # > 320
        ("lec", {"L": 3, "E": 6, "C": 15}, "270.00", "large"),
        ("lec", {"L": 1, "E": 10, "C": 7}, "70.00", "general"),  # edge: 70 is 一般
        ("lec", {"L": "0.5", "E": 6, "C": 15}, "45.00", "low"),
        ("ls", {"L": 4, "S": 5}, "20.00", "major"),  # edge: 20 is 重大
        ("ls", {"L": 3, "S": 4}, "12.00", "large"),  # edge: 12 is 较大
        ("ls", {"L": 2, "S": 3}, "6.00", "general"),  # edge: 6 is 一般
        ("ls", {"L": 1, "S": 5}, "5.00", "low"),
    ],
)
def test_assessment_scores(users, units, method, inputs, score, level):
    a = services.risk_assess(actor=users["admin"], unit=units["commerce"], method=method, inputs=inputs)
    assert a.score == Decimal(score) and a.level == level


def test_inputs_must_be_table_values(users, units):
    with pytest.raises(ValidationFailed) as exc:
        services.risk_assess(actor=users["admin"], unit=units["commerce"], method="lec", inputs={"L": 4, "E": 6})
    assert set(exc.value.details) == {"L", "C"}
    with pytest.raises(ValidationFailed):
        services.risk_assess(actor=users["admin"], unit=units["commerce"], method="ls", inputs={"L": 6, "S": 1})


def test_bands_configurable(users, units, settings):
    settings.ZHIBEN_RISK_BANDS = {"ls": [[">=", 16, "major"], [">=", 9, "large"], [">=", 4, "general"]]}
    a = services.risk_assess(actor=users["admin"], unit=units["commerce"], method="ls", inputs={"L": 4, "S": 4})
    assert a.level == "major"
    assert services.level_for("lec", Decimal("321")) == "major"  # LEC keeps the defaults


def test_current_level_is_latest_and_history_kept(users, units, audit_rows):
    unit = units["commerce"]
    today = timezone.localdate()
    before = audit_rows()
    services.risk_assess(
        actor=users["admin"], unit=unit, method="ls", inputs={"L": 5, "S": 5}, assessed_on=today - dt.timedelta(days=10)
    )
    services.risk_assess(actor=users["admin"], unit=unit, method="ls", inputs={"L": 1, "S": 2}, assessed_on=today)
    assert audit_rows() == before + 2
    # a back-dated assessment adds history but does not change the current level
    services.risk_assess(
        actor=users["admin"], unit=unit, method="ls", inputs={"L": 5, "S": 4}, assessed_on=today - dt.timedelta(days=30)
    )
    unit.refresh_from_db()
    assert unit.risk_level == "low" and unit.risk_assessed_on == today
    assert unit.assessments.count() == 3


def test_who_may_assess(users, units, orgs, make_site):
    services.risk_assess(actor=users["officer"], unit=units["commerce"], method="ls", inputs={"L": 1, "S": 1})
    services.risk_assess(actor=users["expert"], unit=units["construction"], method="ls", inputs={"L": 1, "S": 1})
    for role, unit in (("street", "commerce"), ("enterprise", "commerce"), ("officer", "construction")):
        with pytest.raises(PermissionDeniedError):
            services.risk_assess(actor=users[role], unit=units[unit], method="ls", inputs={"L": 1, "S": 1})
    site = make_site("small_works", street=orgs["hk-bwt"])
    services.risk_assess(actor=users["street"], site=site, method="ls", inputs={"L": 3, "S": 3})
    with pytest.raises(ValidationFailed):
        services.risk_assess(actor=users["admin"], method="ls", inputs={"L": 1, "S": 1})
    with pytest.raises(ValidationFailed):
        services.risk_assess(
            actor=users["admin"],
            unit=units["commerce"],
            method="ls",
            inputs={"L": 1, "S": 1},
            assessed_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_high_risk_list_by_month(users, units, make_site, login):
    admin = users["admin"]
    mall, works = units["commerce"], units["construction"]
    site = make_site("commercial_complex", "商场主楼", unit=mall)
    # mall: 较大 from 2025-03-10, downgraded to 低 on 2025-05-15
    services.risk_assess(actor=admin, unit=mall, method="ls", inputs={"L": 3, "S": 4}, assessed_on=dt.date(2025, 3, 10))
    services.risk_assess(actor=admin, unit=mall, method="ls", inputs={"L": 1, "S": 1}, assessed_on=dt.date(2025, 5, 15))
    # works: 重大 on 2025-04-20, valid until 2025-05-31 only
    services.risk_assess(
        actor=admin,
        unit=works,
        method="lec",
        inputs={"L": 10, "E": 6, "C": 7},
        assessed_on=dt.date(2025, 4, 20),
        valid_until=dt.date(2025, 5, 31),
    )
    # site: 较大 on 2025-06-01 (the first day of June)
    services.risk_assess(actor=admin, site=site, method="ls", inputs={"L": 4, "S": 3}, assessed_on=dt.date(2025, 6, 1))

    def names(year, month, user=admin):
        return [a.subject.name for a in high_risk(user, year, month)]

    assert names(2025, 2) == []
    assert names(2025, 3) == [mall.name]
    assert names(2025, 4) == [works.name, mall.name]  # 重大 first
    assert names(2025, 5) == [works.name, mall.name]  # mall was 较大 until 5-14
    assert names(2025, 6) == ["商场主楼"]  # works expired, mall superseded before June
    assert names(2025, 4, users["officer"]) == [mall.name]  # scope
    html = login(admin).get("/registry/high-risk/", {"month": "2025-04"}).content.decode()
    assert works.name in html and mall.name in html and "2025年4月" in html
    html = login(admin).get("/registry/high-risk/", {"month": "2025-06", "kind": "unit"}).content.decode()
    assert "商场主楼" not in html


def test_assessment_page_and_api(users, units, make_site, login):
    client = login(users["officer"])
    unit = units["commerce"]
    response = client.post(
        f"/units/{unit.pk}/assess/",
        {"method": "lec", "lec_l": "3", "lec_e": "6", "lec_c": "15", "assessed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.risk_level == "large"
    bad = client.post(f"/units/{unit.pk}/assess/", {"method": "ls", "ls_l": "3", "assessed_on": "2025-01-01"})
    assert bad.status_code == 422
    api = client.post(
        "/api/v1/risk-assessments",
        {"unit_id": unit.pk, "method": "ls", "inputs": {"L": 4, "S": 5}},
        content_type="application/json",
    )
    assert api.status_code == 201 and api.json()["level"] == "major" and api.json()["current_level"] == "major"
    other = client.post(
        "/api/v1/risk-assessments",
        {"unit_id": units["construction"].pk, "method": "ls", "inputs": {"L": 1, "S": 1}},
        content_type="application/json",
    )
    assert other.status_code == 404
    assert login(users["street"]).get(f"/units/{unit.pk}/assess/").status_code == 403
