"""一校一方案: services (one per school per 学年, 已落实 needs its content), rights, audit,
and the list's coverage of the current 学年 with the schools still without a plan."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.traffic import services
from zhiben.traffic.models import SchoolSafetyPlan, current_school_year

pytestmark = pytest.mark.django_db

FULL = {
    "guard_posts": "校门口护学岗 2 个",
    "traffic_facilities": "减速标线、黄闪灯",
    "pickup_order": "即停即走",
    "police_name": "刘警官",
    "police_phone": "021-65550110",
    "reviewed_on": dt.date(2026, 9, 5),
}


def plan(traffic, index=0, *, year=2026, actor=None, **data):
    return services.school_plan_create(
        actor=actor or traffic["admin"], data={"site": traffic["schools"][index], "school_year": year, **data}
    )


def test_school_year_starts_in_september():
    assert current_school_year(dt.date(2026, 8, 31)) == 2025
    assert current_school_year(dt.date(2026, 9, 1)) == 2026


def test_create_and_update_are_audited(traffic, today):
    created = plan(traffic, actor=traffic["gafj"], guard_posts="护学岗 1 个")
    assert created.status == "drafting" and str(created) == "北外滩小学 2026-2027学年一校一方案"
    event = AuditEvent.objects.get(action="school_plan.create")
    assert event.after["guard_posts"] == "护学岗 1 个"
    updated = services.school_plan_update(
        actor=traffic["street"], plan=created, data={**FULL, "status": "implemented"}, reason="落实"
    )
    assert updated.status == "implemented" and updated.version == 1
    event = AuditEvent.objects.get(action="school_plan.update")
    assert event.before["status"] == "drafting" and event.after["status"] == "implemented" and event.reason == "落实"
    with pytest.raises(ConflictError):
        services.school_plan_update(actor=traffic["admin"], plan=created, data={"note": "x"}, expected_version=0)


def test_implemented_needs_the_content_and_nothing_changes_otherwise(traffic, today):
    with pytest.raises(ValidationFailed) as exc:
        plan(traffic, status="implemented", guard_posts="有")
    assert {"traffic_facilities", "pickup_order", "police_name", "reviewed_on"} <= set(exc.value.details)
    assert not SchoolSafetyPlan.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"year": 2014}, "school_year"),
        ({"year": 2030}, "school_year"),
        ({"police_phone": "call me"}, "police_phone"),
        ({"reviewed_on": dt.date(2027, 6, 1)}, "reviewed_on"),
        ({"guard_posts": "x" * 1001}, "guard_posts"),
        ({"status": "done"}, "status"),
    ],
)
def test_bad_plan_is_refused_in_chinese(traffic, today, change, field):
    with pytest.raises(ValidationFailed) as exc:
        plan(traffic, **change)
    assert field in exc.value.details
    assert not SchoolSafetyPlan.objects.exists()


def test_one_plan_per_school_and_year_and_only_for_schools(traffic, today):
    plan(traffic)
    with pytest.raises(ValidationFailed, match="已有2026-2027学年"):
        plan(traffic)
    plan(traffic, year=2025)
    with pytest.raises(ValidationFailed, match="学校周边"):
        services.school_plan_create(actor=traffic["admin"], data={"site": traffic["spots"][0], "school_year": 2026})


def test_who_may_write_a_plan(traffic, today):
    plan(traffic, 0, actor=traffic["street"])  # 北外滩街道, its own school
    with pytest.raises(PermissionDeniedError):
        plan(traffic, 1, actor=traffic["street"])  # 江湾镇
    for who in ("other", "jgw", "readonly", "enterprise"):
        with pytest.raises(PermissionDeniedError):
            plan(traffic, 2, actor=traffic[who])
    assert SchoolSafetyPlan.objects.count() == 1


def test_list_shows_coverage_and_the_schools_without_a_plan(traffic, today, login):
    plan(traffic, 0)  # current 学年 (2026)
    plan(traffic, 1, year=2025)  # last year's only
    client = login(traffic["gafj"])
    html = client.get("/traffic/school-plans/").content.decode()
    assert 'data-testid="coverage-fraction">1/3<' in html
    without = html.split('data-testid="without-plan"')[1].split("</ul>")[0]
    assert "江湾中学" in without and "北外滩幼儿园" in without and "北外滩小学" not in without
    street = login(traffic["street"]).get("/traffic/school-plans/").content.decode()
    assert 'data-testid="coverage-fraction">1/2<' in street  # 北外滩's two schools
    api = client.get("/api/v1/traffic/school-plans/coverage").json()
    assert (api["school_year"], api["covered"], api["total"]) == (2026, 1, 3)
    assert sorted(s["name"] for s in api["without_plan"]) == ["北外滩幼儿园", "江湾中学"]
    filtered = client.get("/traffic/school-plans/", {"school_year": 2025}).content.decode()
    assert "共 1 份方案" in filtered


def test_plan_pages_create_edit_and_404(traffic, today, login):
    client = login(traffic["street"])
    school = traffic["schools"][0]
    assert client.get(f"/traffic/school-plans/new/?site={school.pk}").status_code == 200
    response = client.post(
        "/traffic/school-plans/new/",
        {"site": school.pk, "school_year": 2026, "status": "drafting", "guard_posts": "护学岗"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = SchoolSafetyPlan.objects.get()
    bad = client.post(f"/traffic/school-plans/{created.pk}/edit/", {"status": "implemented", "version": 0})
    assert bad.status_code == 422 and "方案已落实须填写交通设施" in bad.content.decode()
    good = client.post(
        f"/traffic/school-plans/{created.pk}/edit/",
        {**{k: str(v) for k, v in FULL.items()}, "status": "implemented", "version": 0, "change_reason": "落实"},
    )
    assert good.status_code == 302
    assert SchoolSafetyPlan.objects.get().status == "implemented"
    assert "已落实" in client.get(f"/traffic/school-plans/{created.pk}/").content.decode()
    other = login(traffic["other"])
    assert other.get(f"/traffic/school-plans/{created.pk}/").status_code == 404
    assert other.get(f"/traffic/school-plans/{created.pk}/edit/").status_code == 404
    assert login(traffic["enterprise"]).get("/traffic/school-plans/").status_code == 404
    assert login(traffic["jgw"]).get(f"/traffic/school-plans/{created.pk}/").status_code == 404
