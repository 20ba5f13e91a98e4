"""Hazard API: list with filters and cursor, constant query count, create,
transitions (409 with codes), idempotency, evidence upload."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiben.audit.models import AuditEvent
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard

from .conftest import photo

pytestmark = pytest.mark.django_db


def post(client, url, data=None, **headers):
    return client.post(url, data=data or {}, content_type="application/json", **headers)


def test_list_filters_and_cursor(users, orgs, drive, login):
    drive(HazardStatus.RECTIFYING, level="major", description="a")
    drive(HazardStatus.PENDING, description="b")
    drive(
        HazardStatus.CLOSED, description="c", owner=orgs["hk-jgw"], unit=None, unit_name="工地", street=orgs["hk-jwz"]
    )
    client = login(users["admin"])
    assert len(client.get("/api/v1/hazards").json()["items"]) == 3
    assert [h["level"] for h in client.get("/api/v1/hazards?level=major").json()["items"]] == ["major"]
    assert len(client.get("/api/v1/hazards?status=pending&status=rectifying").json()["items"]) == 2
    assert len(client.get(f"/api/v1/hazards?owner={orgs['hk-jgw'].pk}").json()["items"]) == 1
    assert len(client.get(f"/api/v1/hazards?street={orgs['hk-jwz'].pk}").json()["items"]) == 1
    assert len(client.get("/api/v1/hazards?q=工地").json()["items"]) == 1
    page1 = client.get("/api/v1/hazards?limit=2").json()
    page2 = client.get(f"/api/v1/hazards?limit=2&cursor={page1['next_cursor']}").json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1 and page2["next_cursor"] is None
    assert page1["items"][0]["id"] > page1["items"][1]["id"] > page2["items"][0]["id"]
    bad = client.get("/api/v1/hazards?level=nonsense")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"
    # scoped: the 建管委 hazard is invisible to the 商务委 officer
    assert len(login(users["officer"]).get("/api/v1/hazards").json()["items"]) == 2


def test_list_query_count_does_not_grow_with_page_size(users, make_hazard, login):
    for i in range(30):
        make_hazard(description=f"隐患{i}")
    client = login(users["admin"])

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(f"/api/v1/hazards?limit={limit}").json()["items"]) == limit
        return len(ctx.captured_queries)

    assert queries(3) == queries(30)


def test_list_page_query_count_does_not_grow_with_rows(users, make_hazard, login):
    client = login(users["admin"])
    for i in range(3):
        make_hazard(description=f"少{i}")
    with CaptureQueriesContext(connection) as few:
        client.get("/hazards/")
    for i in range(40):
        make_hazard(description=f"多{i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/hazards/")
    assert len(few.captured_queries) == len(many.captured_queries)


def test_create_detail_and_transitions_through_the_api(users, orgs, units, reference, login):
    client = login(users["officer"])
    payload = {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-10-01",
        "title": "消防通道堵塞",
        "description": "一层消防车道被占用",
        "unit_id": units["commerce"].pk,
        "owner_id": orgs["hk-swj"].pk,
    }
    created = post(client, "/api/v1/hazards", payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["code"].startswith("YH-2026-")
    assert "confirm" in body["allowed_transitions"]
    pk = body["id"]
    wrong = post(client, f"/api/v1/hazards/{pk}/verify-pass", {"note": "x"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "invalid_transition"
    confirmed = post(
        client,
        f"/api/v1/hazards/{pk}/confirm",
        {"requirement": "清理", "deadline_kind": "date", "deadline": "2026-12-31"},
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "rectifying"
    stale = post(client, f"/api/v1/hazards/{pk}/void", {"reason": "x", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    not_allowed = post(login(users["enterprise"]), f"/api/v1/hazards/{pk}/void", {"reason": "x"})
    assert not_allowed.status_code == 409 and not_allowed.json()["code"] == "transition_not_permitted"
    # evidence (multipart), then submit
    enterprise = login(users["enterprise"])
    upload = enterprise.post(f"/api/v1/hazards/{pk}/evidence", {"phase": "after", "files": [photo()]})
    assert upload.status_code == 201, upload.content
    assert upload.json()["evidence"][0]["content_type"] == "image/jpeg"
    submitted = post(enterprise, f"/api/v1/hazards/{pk}/submit", {"note": "已清理"})
    assert submitted.json()["status"] == "awaiting"
    closed = post(client, f"/api/v1/hazards/{pk}/verify-pass", {"note": "合格"})
    assert closed.json()["status"] == "closed"
    detail = client.get(f"/api/v1/hazards/{pk}").json()
    assert detail["allowed_transitions"] == ["reopen"]


def test_create_refuses_unknown_fields_and_bad_values(users, orgs, reference, login):
    client = login(users["officer"])
    base = {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-10-01",
        "title": "t",
        "description": "d",
        "unit_name": "某单位",
        "owner_id": orgs["hk-swj"].pk,
    }
    unknown = post(client, "/api/v1/hazards", {**base, "severity": "high"})
    assert unknown.status_code == 422 and any(d["field"] == "severity" for d in unknown.json()["details"])
    bad = post(client, "/api/v1/hazards", {**base, "level": "huge", "unit_uscc": "123"})
    assert bad.status_code == 422
    assert {"level"} <= set(bad.json()["details"])
    bad_uscc = post(client, "/api/v1/hazards", {**base, "unit_uscc": "913101091234567890"})
    assert bad_uscc.status_code == 422 and "unit_uscc" in bad_uscc.json()["details"]
    assert not Hazard.objects.exists()


def test_idempotency_key_replays_the_first_response(users, drive, login):
    hazard = drive(HazardStatus.PENDING)
    client = login(users["officer"])
    data = {"requirement": "清理", "deadline_kind": "immediate"}
    first = post(client, f"/api/v1/hazards/{hazard.pk}/confirm", data, HTTP_IDEMPOTENCY_KEY="abc-123")
    again = post(client, f"/api/v1/hazards/{hazard.pk}/confirm", data, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and again["Idempotent-Replay"] == "true"
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="hazard.confirm").count() == 1
    without_key = post(client, f"/api/v1/hazards/{hazard.pk}/confirm", data)
    assert without_key.status_code == 409
    reused = post(client, f"/api/v1/hazards/{hazard.pk}/void", {"reason": "x"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert reused.status_code == 422


def test_figures_endpoint(users, drive, login):
    drive(HazardStatus.RECTIFYING, level="major", found_on=dt.date(2023, 3, 1))
    body = login(users["admin"]).get("/api/v1/hazards/figures").json()
    assert body["major_stock_remaining"] == 1 and body["open"] == 1


def test_out_of_scope_detail_and_transition_are_404(users, more_users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING)
    client = login(more_users["jgw_officer"])
    assert client.get(f"/api/v1/hazards/{hazard.pk}").status_code == 404
    assert post(client, f"/api/v1/hazards/{hazard.pk}/void", {"reason": "x"}).status_code == 404
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING
