"""API: list (filters, cursor), detail, create, update, state change and monthly
coverage; Idempotency-Key; 422 with nothing changed; 404 out of scope; 409 on 报废."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.civildefence.models import UseFiling


def _post(client, path, data, key=None, method="post"):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return getattr(client, method)(f"/api/v1{path}", data=data, content_type="application/json", **extra)


def _body(site, **data):
    return {
        "site_id": site.pk,
        "filing_no": "HKRF-API-1",
        "user_name": "某仓储公司",
        "purpose": "storage",
        "area_m2": "950.25",
        "filed_on": "2025-06-01",
        "valid_until": "2028-05-31",
        "manager_name": "张工",
        **data,
    }


def test_create_list_detail_update_and_transition(works, gdb, login):
    client = login(gdb["officer"])
    created = _post(client, "/civildefence/filings", _body(works["park"]), key="create-1")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "in_use" and data["area_m2"] == "950.25" and data["version"] == 1
    assert data["history"][0]["to_state"] == "in_use" and data["months"]
    pk = data["id"]
    replay = _post(client, "/civildefence/filings", _body(works["park"]), key="create-1")
    assert replay.status_code == 201 and replay["Idempotent-Replay"] == "true" and replay.json() == data
    assert UseFiling.objects.count() == 1

    _post(client, "/civildefence/filings", _body(works["river"], filing_no="HKRF-API-2", state="idle", user_name=""))
    listed = client.get("/api/v1/civildefence/filings", {"state": "idle"}).json()
    assert [f["filing_no"] for f in listed["items"]] == ["HKRF-API-2"]
    page = client.get("/api/v1/civildefence/filings", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get("/api/v1/civildefence/filings", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]

    updated = _post(
        client,
        f"/civildefence/filings/{pk}",
        {"purpose": "parking", "expected_version": 1, "reason": "改停车"},
        key="upd-1",
        method="patch",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["purpose"] == "parking" and updated.json()["version"] == 2
    stale = _post(client, f"/civildefence/filings/{pk}", {"note": "x", "expected_version": 1}, method="patch")
    assert stale.status_code == 409

    moved = _post(client, f"/civildefence/filings/{pk}/transition", {"name": "set_idle"}, key="t-1")
    assert moved.status_code == 200 and moved.json()["state"] == "idle"
    again = _post(client, f"/civildefence/filings/{pk}/transition", {"name": "set_idle"}, key="t-1")
    assert again.json() == moved.json()  # replayed, not refused
    assert UseFiling.objects.get(pk=pk).changes.count() == 2

    retired = _post(client, f"/civildefence/filings/{pk}/transition", {"name": "retire", "reason": "报废鉴定"})
    assert retired.status_code == 200 and retired.json()["state"] == "retired"
    refused = _post(client, f"/civildefence/filings/{pk}/transition", {"name": "resume"})
    assert refused.status_code == 409 and "报废为最终状态" in refused.json()["message"]
    assert UseFiling.objects.get(pk=pk).state == "retired"

    detail = client.get(f"/api/v1/civildefence/filings/{pk}").json()
    assert [h["to_state"] for h in detail["history"]] == ["in_use", "idle", "retired"]


@pytest.mark.parametrize(
    "override",
    [
        {"area_m2": "0"},
        {"area_m2": "1.234"},
        {"purpose": "party"},
        {"state": "retired"},
        {"filing_no": ""},
        {"filing_no": "x" * 41},
        {"filed_on": "2999-01-01"},
        {"valid_until": "1999-01-01"},
        {"unknown": 1},
        {"user_name": ""},
    ],
)
def test_bad_input_is_422_and_changes_nothing(works, gdb, login, override):
    response = _post(login(gdb["officer"]), "/civildefence/filings", _body(works["park"], **override))
    assert response.status_code == 422, response.content
    assert not UseFiling.objects.exists()


def test_out_of_scope_is_404_and_refusals_change_nothing(works, gdb, users, login, make_filing):
    filing = make_filing(works["park"])
    for who in ("enterprise", "officer", "expert"):
        client = login(users[who])
        assert client.get(f"/api/v1/civildefence/filings/{filing.pk}").status_code == 404
        assert (
            _post(
                client, f"/civildefence/filings/{filing.pk}/transition", {"name": "retire", "reason": "x"}
            ).status_code
            == 404
        )
        assert _post(client, f"/civildefence/filings/{filing.pk}", {"note": "x"}, method="patch").status_code == 404
        assert client.get("/api/v1/civildefence/filings").json()["items"] == []
    # a street officer sees it but may not change it
    street = login(gdb["oyl"])
    assert street.get(f"/api/v1/civildefence/filings/{filing.pk}").status_code == 200
    assert _post(street, f"/civildefence/filings/{filing.pk}/transition", {"name": "set_idle"}).status_code == 403
    # filing a work out of scope
    assert (
        _post(login(users["officer"]), "/civildefence/filings", _body(works["park"], filing_no="N2")).status_code == 404
    )
    filing.refresh_from_db()
    assert filing.state == "in_use" and filing.note == "" and filing.version == 1
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_monthly_endpoint(works, gdb, login, make_filing, check):
    today = timezone.localdate()
    make_filing(works["park"])
    make_filing(works["river"], filing_no="HKRF-T-002")
    check(works["park"], today)
    client = login(gdb["officer"])
    data = client.get("/api/v1/civildefence/monthly").json()
    assert (data["done"], data["total"], data["missing"]) == (1, 2, 1)
    assert {i["filing_no"]: i["done"] for i in data["items"]} == {"HKRF-T-001": True, "HKRF-T-002": False}
    page = client.get("/api/v1/civildefence/monthly", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"] == "1"
    assert client.get("/api/v1/civildefence/monthly", {"month": "2999-01"}).status_code == 422
    assert client.get("/api/v1/civildefence/monthly", {"month": "abc"}).status_code == 422
    earlier = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert client.get("/api/v1/civildefence/monthly", {"month": earlier}).json()["done"] == 0
