"""API: create/update 危大工程 and 起重机械 (rules as 409, bad input as 422, nothing
changed), cursor lists, a reading with its alarm, Idempotency-Key on every write."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.construction.models import Crane, DangerousWork, PitReading
from zhiben.notify.models import Notification

from .conftest import past

JSON = "application/json"


def _post(client, url, body, key=None, method="post"):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return getattr(client, method)(url, body, content_type=JSON, **extra)


def test_work_create_update_and_the_rule(people, project, login):
    client = login(people["builder"])
    body = {"site_id": project.pk, "name": "高支模", "work_type": "formwork", "over_scale": True}
    first = _post(client, "/api/v1/construction/works", body, key="k-1")
    again = _post(client, "/api/v1/construction/works", body, key="k-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert DangerousWork.objects.count() == 1
    pk = first.json()["id"]
    refused = _post(client, f"/api/v1/construction/works/{pk}", {"status": "in_progress"}, method="patch")
    assert refused.status_code == 409 and "专家论证" in refused.json()["message"]
    assert DangerousWork.objects.get().status == "not_started"
    ok = _post(
        client,
        f"/api/v1/construction/works/{pk}",
        {
            "status": "in_progress",
            "scheme_approved_on": str(past(3)),
            "scheme_approved_by": "王工",
            "expert_review_on": str(past(5)),
            "expert_conclusion": "pass",
            "reason": "论证通过",
        },
        method="patch",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    assert AuditEvent.objects.filter(action="dangerous_work.update").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"work_type": "cave"},
        {"scheme_approved_on": "2999-01-01"},
        {"surprise": 1},
        {"name": None},
    ],
)
def test_bad_work_input_is_422_and_nothing_changes(people, make_work, login, change):
    work = make_work()
    response = _post(login(people["jgw"]), f"/api/v1/construction/works/{work.pk}", change, method="patch")
    assert response.status_code == 422, response.content
    assert DangerousWork.objects.get().name == "1#楼基坑"


def test_out_of_scope_writes_are_404(people, project, make_work, login):
    client = login(people["officer"])
    work = make_work()
    assert (
        _post(
            client, "/api/v1/construction/works", {"site_id": project.pk, "name": "x", "work_type": "pit"}
        ).status_code
        == 404
    )
    assert _post(client, f"/api/v1/construction/works/{work.pk}", {"note": "x"}, method="patch").status_code == 404
    assert (
        login(people["jgw_expert"])
        .patch(f"/api/v1/construction/works/{work.pk}", {"note": "x"}, content_type=JSON)
        .status_code
        == 403
    )
    assert DangerousWork.objects.get().note == ""


def test_cranes_list_with_cursor_and_the_in_use_rule(people, project, login):
    client = login(people["jgw"])
    for n in range(3):
        created = _post(
            client,
            "/api/v1/construction/cranes",
            {"site_id": project.pk, "crane_type": "hoist", "record_no": f"S-{n}", "owner_unit": "租赁"},
        )
        assert created.status_code == 201
    page = client.get("/api/v1/construction/cranes", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get("/api/v1/construction/cranes", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    pk = page["items"][0]["id"]
    refused = _post(client, f"/api/v1/construction/cranes/{pk}", {"status": "in_use"}, method="patch")
    assert refused.status_code == 409 and "尚未办理使用登记" in refused.json()["message"]
    assert Crane.objects.get(pk=pk).status == "installing"
    assert client.get("/api/v1/construction/cranes", {"status": "bogus"}).status_code == 422


def test_point_and_reading_with_alarm(people, make_work, login, django_capture_on_commit_callbacks):
    work = make_work()
    client = login(people["builder"])
    point = _post(
        client,
        "/api/v1/construction/points",
        {"work_id": work.pk, "code": "ZL-1", "item": "strut_force", "unit": "kN", "alarm_cumulative": "4800"},
    )
    assert point.status_code == 201
    pk = point.json()["id"]
    assert (
        _post(
            client, f"/api/v1/construction/points/{pk}/readings", {"measured_on": str(past(2)), "value": "3100"}
        ).status_code
        == 201
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(
            client,
            f"/api/v1/construction/points/{pk}/readings",
            {"measured_on": str(past(1)), "value": "4850.5"},
            key="r-1",
        )
        again = _post(
            client,
            f"/api/v1/construction/points/{pk}/readings",
            {"measured_on": str(past(1)), "value": "4850.5"},
            key="r-1",
        )
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["alarm"] and first.json()["alarm_reasons"] == ["累计值 4850.50kN 达到报警值 4800.00kN"]
    assert PitReading.objects.count() == 2
    assert Notification.objects.filter(kind="pit_alarm").count() == 2  # the builder and the 建管委 officer
    bad = _post(client, f"/api/v1/construction/points/{pk}/readings", {"measured_on": str(past(0)), "value": "1e30"})
    assert bad.status_code == 422 and PitReading.objects.count() == 2
    detail = client.get(f"/api/v1/construction/points/{pk}").json()
    assert [r["value"] for r in detail["readings"]] == ["3100.00", "4850.50"]
    assert (
        _post(
            client,
            "/api/v1/construction/points",
            {"work_id": work.pk, "code": "ZL-1", "item": "strut_force", "alarm_cumulative": "0"},
        ).status_code
        == 422
    )
