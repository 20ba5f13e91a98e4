"""Plan API: list/detail scoping (out of scope → 404), report save and
transitions with their errors, idempotency."""

from __future__ import annotations

import pytest

from zhiben.plans.models import Task

pytestmark = pytest.mark.django_db


def post(client, url, data=None, **headers):
    return client.post(url, data=data or {}, content_type="application/json", **headers)


@pytest.fixture
def plans(import_plan):
    return {"commerce": import_plan("commerce"), "ecology": import_plan("ecology")}


def test_plan_list_and_detail_scoped(users, plans, login):
    admin = login(users["admin"])
    assert len(admin.get("/api/v1/plans").json()) == 2
    officer = login(users["officer"])
    listed = officer.get("/api/v1/plans").json()
    assert [p["owner"]["name"] for p in listed] == ["虹口区商务委员会"]
    assert listed[0]["report_due_day"] == 24 and listed[0]["task_count"] == 13
    eco = plans["ecology"].pk
    assert officer.get(f"/api/v1/plans/{eco}").status_code == 404
    assert officer.get(f"/api/v1/plans/{eco}/tasks").status_code == 404
    assert officer.get(f"/api/v1/plans/{eco}/obligations").status_code == 404
    tasks = officer.get(f"/api/v1/plans/{plans['commerce'].pk}/tasks").json()
    assert len(tasks) == 13 and tasks[1]["lead_units"][0]["organization"]["name"] == "市场管理科"
    eco_task = Task.objects.filter(plan=plans["ecology"]).first()
    assert officer.get(f"/api/v1/plan-tasks/{eco_task.pk}").status_code == 404
    detail = admin.get(f"/api/v1/plan-tasks/{eco_task.pk}").json()
    assert detail["milestones"] and "text" in detail
    obligations = officer.get(f"/api/v1/plans/{plans['commerce'].pk}/obligations").json()
    assert any(o["due_day"] == 24 and len(o["instances"]) == 36 for o in obligations)
    march = officer.get("/api/v1/plan-instances?month=2025-03").json()
    assert march and all(i["due_date"].startswith("2025-03") for i in march)
    assert officer.get("/api/v1/plan-instances?month=bad").status_code == 422
    assert login(users["enterprise"]).get("/api/v1/plans").json() == []


def test_report_transitions_through_the_api(users, orgs, plans, login):
    task = Task.objects.get(plan=plans["commerce"], number="2")
    section = login(users["section"])
    payload = {
        "task_id": task.pk,
        "organization_id": orgs["hk-swj-scglk"].pk,
        "month": "2025-03-01",
        "summary": "检查32家",
    }
    created = post(section, "/api/v1/plan-reports", payload)
    assert created.status_code == 201, created.content
    report = created.json()
    assert report["status"] == "draft" and report["due_date"] == "2025-03-24"
    assert post(section, "/api/v1/plan-reports", {**payload, "extra": 1}).status_code == 422
    denied = post(login(users["street"]), "/api/v1/plan-reports", payload)
    assert denied.status_code == 404  # the 街道 does not see the plan at all
    other = post(login(users["officer"]), "/api/v1/plan-reports", {**payload, "organization_id": orgs["hk-sthjj"].pk})
    assert other.status_code == 403

    rid = report["id"]
    submitted = post(section, f"/api/v1/plan-reports/{rid}/submit", {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["is_late"] is True  # submitted now, long after 2025-03-24
    replay = post(section, f"/api/v1/plan-reports/{rid}/submit", {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert replay["Idempotent-Replay"] == "true"
    again = post(section, f"/api/v1/plan-reports/{rid}/submit", {})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    leader = login(users["leader"])
    assert post(section, f"/api/v1/plan-reports/{rid}/accept", {}).status_code == 403
    missing_reason = post(leader, f"/api/v1/plan-reports/{rid}/return", {"reason": ""})
    assert missing_reason.status_code == 422
    returned = post(leader, f"/api/v1/plan-reports/{rid}/return", {"reason": "请补充照片"})
    assert returned.json()["status"] == "returned" and returned.json()["return_reason"] == "请补充照片"
    post(section, f"/api/v1/plan-reports/{rid}/submit", {})
    accepted = post(leader, f"/api/v1/plan-reports/{rid}/accept", {})
    assert accepted.json()["status"] == "accepted"

    assert len(leader.get("/api/v1/plan-reports?month=2025-03-01&status=accepted").json()) == 1
    assert leader.get("/api/v1/plan-reports?status=nonsense").status_code == 422
    assert leader.get(f"/api/v1/plan-reports/{rid}").json()["id"] == rid
    assert login(users["readonly"]).get(f"/api/v1/plan-reports/{rid}").status_code == 404
    assert post(login(users["readonly"]), f"/api/v1/plan-reports/{rid}/accept", {}).status_code == 404
