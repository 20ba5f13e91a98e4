"""Scope: who sees which project, 危大工程, crane and point (404 out of scope, audited; 403
for a visible record the user may not change); the pages render for each role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.construction import services
from zhiben.construction.models import Crane, DangerousWork
from zhiben.web.navigation import menu_for


@pytest.fixture
def records(people, project, make_work):
    work = make_work()
    crane = services.crane_create(
        actor=people["jgw"], data={"site": project, "crane_type": "tower", "record_no": "T-1", "owner_unit": "租赁公司"}
    )
    point = services.point_create(
        actor=people["jgw"],
        data={"work": work, "code": "D1", "item": "deep_h", "unit": "mm", "alarm_cumulative": Decimal("40")},
    )
    return {"work": work, "crane": crane, "point": point, "project": project}


def _urls(r) -> list[str]:
    return [
        f"/construction/projects/{r['project'].pk}/",
        f"/construction/works/{r['work'].pk}/",
        f"/construction/cranes/{r['crane'].pk}/",
        f"/construction/points/{r['point'].pk}/",
    ]


@pytest.mark.parametrize("who", ["admin", "jgw", "jwz", "builder", "jgw_expert"])
def test_those_in_scope_see_every_page(people, records, login, who):
    client = login(people[who])
    for url in _urls(records):
        assert client.get(url).status_code == 200, url
    for url in (
        "/construction/projects/",
        "/construction/works/",
        "/construction/cranes/",
        "/construction/major-hazards/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url


@pytest.mark.parametrize("who", ["officer", "street", "enterprise", "readonly"])
def test_out_of_scope_is_404_and_audited(people, records, login, who):
    client = login(people[who])
    before = AuditEvent.objects.filter(action="access.denied").count()
    for url in _urls(records):
        assert client.get(url).status_code == 404, url
        assert client.get(url + "edit/").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() > before
    api = [
        f"/api/v1/construction/works/{records['work'].pk}",
        f"/api/v1/construction/cranes/{records['crane'].pk}",
        f"/api/v1/construction/points/{records['point'].pk}",
    ]
    for url in api:
        assert client.get(url).status_code == 404, url


def test_lists_are_scoped(people, records, login, other_project):
    theirs = services.work_create(
        actor=people["admin"], data={"site": other_project, "name": "北外滩基坑", "work_type": "pit"}
    )
    builder = login(people["builder"]).get("/construction/works/").content.decode()
    assert "1#楼基坑" in builder and "北外滩基坑" not in builder
    commerce = login(people["enterprise"]).get("/construction/works/").content.decode()
    assert "北外滩基坑" in commerce and "1#楼基坑" not in commerce
    projects = login(people["builder"]).get("/construction/projects/").content.decode()
    assert "场中路住宅项目" in projects and "北外滩改造工程" not in projects
    listed = login(people["builder"]).get("/api/v1/construction/works").json()
    assert [w["id"] for w in listed["items"]] == [records["work"].pk]
    # Both sites are 建筑工地 owned by the 区建管委 (data/ownership.yaml): its officer sees both, 商务委 none.
    assert {w["id"] for w in login(people["jgw"]).get("/api/v1/construction/works").json()["items"]} == {
        records["work"].pk,
        theirs.pk,
    }
    assert login(people["officer"]).get("/api/v1/construction/works").json()["items"] == []


def test_seeing_is_not_changing(people, records, login):
    client = login(people["jgw_expert"])
    assert client.get(f"/construction/works/{records['work'].pk}/edit/").status_code == 403
    assert client.get(f"/construction/cranes/{records['crane'].pk}/edit/").status_code == 403
    assert client.get(f"/construction/projects/{records['project'].pk}/edit/").status_code == 403
    assert client.get("/construction/works/new/").status_code == 403


def test_forms_create_and_edit_with_one_audit_row(people, project, login):
    client = login(people["builder"])
    assert client.get("/construction/works/new/").status_code == 200
    bad = client.post(
        "/construction/works/new/", {"site": project.pk, "name": "", "work_type": "pit", "status": "not_started"}
    )
    assert bad.status_code == 422 and not DangerousWork.objects.exists()
    refused = client.post(
        "/construction/works/new/",
        {"site": project.pk, "name": "高支模", "work_type": "formwork", "over_scale": "on", "status": "in_progress"},
    )
    assert refused.status_code == 422 and "专家论证" in refused.content.decode()
    assert not DangerousWork.objects.exists()
    ok = client.post(
        "/construction/works/new/",
        {"site": project.pk, "name": "高支模", "work_type": "formwork", "over_scale": "on", "status": "not_started"},
    )
    work = DangerousWork.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/construction/works/{work.pk}/"
    detail = client.get(ok["Location"]).content.decode()
    assert "超过一定规模的危大工程尚未通过专家论证" in detail
    ok = client.post(
        "/construction/cranes/new/",
        {"site": project.pk, "crane_type": "hoist", "record_no": "S-1", "owner_unit": "租赁", "status": "installing"},
    )
    assert ok.status_code == 302 and Crane.objects.get().created_by == people["builder"]
    info = client.post(
        f"/construction/projects/{project.pk}/edit/",
        {"builder": "城建公司", "supervisor": "建科监理", "responsible": [people["jgw"].pk]},
    )
    assert info.status_code == 302
    page = client.get(f"/construction/projects/{project.pk}/").content.decode()
    assert "城建公司" in page and "建科监理" in page
    assert AuditEvent.objects.filter(action="construction_project.update").count() == 1


def test_menu_entries(people, project):
    def labels(user):
        return {i["label"] for g in menu_for(user, "/workspace/") for i in g["items"]}

    assert {"建筑工地", "危大工程", "起重机械", "重大隐患（住建）"} <= labels(people["jgw"])
    builder = labels(people["builder"])
    assert {"建筑工地", "危大工程", "起重机械"} <= builder and "重大隐患（住建）" not in builder
    assert not {"建筑工地", "危大工程", "起重机械"} & labels(people["enterprise"])  # no construction site
