"""Staff pages (entry, list, detail with only the allowed forms, triage
through the forms) and the API endpoints; the menu; the demo data."""

from __future__ import annotations

import json

import pytest
from django.apps import apps

from zhiben.audit.models import AuditEvent
from zhiben.hazards.models import Hazard
from zhiben.tips.models import Tip
from zhiben.web.navigation import menu_for

from .conftest import NAME, PHONE, photo

pytestmark = pytest.mark.django_db


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_staff_entry_form(users, orgs, units, login):
    client = login(users["officer"])
    assert client.get("/tips/new/").status_code == 200
    response = client.post(
        "/tips/new/",
        {
            "channel": "suishenpai",
            "external_ref": "SSP-001",
            "received_on": "2026-11-02",
            "text": "随申拍：人行道上井盖缺失",
            "place": "四川北路",
            "street": orgs["hk-bwt"].pk,
            "reporter_name": NAME,
            "reporter_phone": PHONE,
            "photos": [photo()],
        },
    )
    assert response.status_code == 200
    tip = Tip.objects.get()
    assert tip.channel == "suishenpai" and tip.routed_to == orgs["hk-swj"] and tip.photos.count() == 1
    assert response.context["code"] in response.content.decode()
    bad = client.post("/tips/new/", {"channel": "12345", "received_on": "2026-11-02", "text": ""})
    assert bad.status_code == 422 and "请填写举报内容" in bad.content.decode()
    assert (
        client.post(
            "/tips/new/",
            {"channel": "12345", "received_on": "2026-11-02", "text": "有效内容五个字以上", "site_code": "CS-NOPE"},
        ).status_code
        == 422
    )
    for role in ("enterprise", "expert", "readonly"):
        assert login(users[role]).get("/tips/new/").status_code == 403


def test_detail_shows_only_allowed_forms(submit, users, login):
    tip, _ = submit()
    html = login(users["officer"]).get(f"/tips/{tip.pk}/").content.decode()
    for name in ("accept", "link", "transfer", "reject"):
        assert f'data-testid="action-{name}"' in html
    assert 'data-testid="action-reply"' not in html
    html = login(users["street"]).get(f"/tips/{tip.pk}/").content.decode()
    assert 'data-testid="action-' not in html and "当前没有您可以执行的操作" in html


def test_triage_through_the_pages(submit, users, orgs, reference, login):
    tip, _ = submit(photos=[photo()])
    client = login(users["officer"])
    thumb = client.get(f"/tips/{tip.pk}/photos/{tip.photos.get().pk}/thumb/")
    assert thumb.status_code == 200
    assert login(users["expert"]).get(f"/tips/{tip.pk}/photos/{tip.photos.get().pk}/").status_code == 404
    refused = client.post(f"/tips/{tip.pk}/do/reject/", {"reason": ""})
    assert refused.status_code == 422
    response = client.post(
        f"/tips/{tip.pk}/do/accept/",
        {"sector": reference["commerce"].pk, "category": reference["fire_category"].pk, "level": "general"},
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    html = client.get(f"/tips/{tip.pk}/").content.decode()
    assert hazard.code in html and 'data-testid="action-reply"' in html
    assert client.post(f"/tips/{tip.pk}/do/reply/", {"text": "已受理，正在整改"}).status_code == 302
    assert Tip.objects.get(pk=tip.pk).status == "replied"
    assert (
        client.post(f"/tips/{tip.pk}/rewards/", {"amount": "50", "basis": "x", "approved_on": "2026-01-01"}).status_code
        == 422
    )
    assert (
        login(users["leader"])
        .post(f"/tips/{tip.pk}/rewards/", {"amount": "50", "basis": "奖励办法", "approved_on": "2026-01-01"})
        .status_code
        == 302
    )
    assert tip.rewards.count() == 1


def test_duplicate_warning_then_link_through_the_pages(submit, users, reference, login, make_existing):
    existing = make_existing()
    tip, _ = submit()
    client = login(users["officer"])
    form = {"sector": reference["commerce"].pk, "category": reference["fire_category"].pk, "level": "general"}
    warned = client.post(f"/tips/{tip.pk}/do/accept/", form)
    assert warned.status_code == 422 and existing.code in warned.content.decode()
    assert Hazard.objects.count() == 1
    assert client.post(f"/tips/{tip.pk}/do/link/", {"hazard_code": "YH-0000-000000"}).status_code == 422
    assert client.post(f"/tips/{tip.pk}/do/link/", {"hazard_code": existing.code.lower()}).status_code == 302
    assert Tip.objects.get(pk=tip.pk).hazard == existing


def test_transfer_out_of_scope_redirects_to_the_list(submit, users, orgs, login):
    tip, _ = submit()
    response = login(users["officer"]).post(
        f"/tips/{tip.pk}/do/transfer/", {"to_org": orgs["hk-jgw"].pk, "reason": "建管委监管"}
    )
    assert response.status_code == 302 and response["Location"] == "/tips/"


def test_list_filters(submit, street_tip, users, orgs, login):
    a, _ = submit(text="商场举报内容很详细")
    b, _ = street_tip
    client = login(users["admin"])
    html = client.get("/tips/").content.decode()
    assert a.number in html and b.number in html and "共 2 条" in html
    html = client.get("/tips/", {"street": orgs["hk-bwt"].pk, "status": "pending", "channel": "web"}).content.decode()
    assert a.number in html and b.number in html
    html = client.get("/tips/", {"channel": "12345"}).content.decode()
    assert a.number not in html
    html = login(users["officer"]).get("/tips/").content.decode()
    assert a.number in html and b.number not in html


def test_api_triage(submit, users, orgs, reference, login):
    tip, _ = submit()
    client = login(users["officer"])
    listed = client.get("/api/v1/tips", {"status": "pending"}).json()
    assert [t["id"] for t in listed["items"]] == [tip.pk] and listed["items"][0]["contact"]["phone"] == PHONE
    assert post_json(client, f"/api/v1/tips/{tip.pk}/reject", {"reason": ""}).status_code == 422
    assert post_json(client, f"/api/v1/tips/{tip.pk}/reject", {"reason": "x", "extra": 1}).status_code == 422
    assert post_json(client, f"/api/v1/tips/{tip.pk}/reply", {"text": "x"}).json()["code"] == "invalid_transition"
    accepted = post_json(
        client, f"/api/v1/tips/{tip.pk}/accept", {"sector": "commerce", "category": reference["fire_category"].code}
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["hazard_code"] == Hazard.objects.get().code
    replied = post_json(client, f"/api/v1/tips/{tip.pk}/reply", {"text": "已受理"})
    assert replied.json()["reply"] == "已受理"
    reward = post_json(
        login(users["leader"]),
        f"/api/v1/tips/{tip.pk}/rewards",
        {"amount": "80", "basis": "办法", "approved_on": "2026-01-02"},
    )
    assert reward.status_code == 201 and reward.json()["rewards"][0]["amount"] == "80.00"
    assert AuditEvent.objects.filter(object_type="tips.tip", action__startswith="tip.").count() == 4


def test_api_transfer_and_out_of_scope(submit, users, orgs, login):
    tip, _ = submit()
    assert post_json(login(users["expert"]), f"/api/v1/tips/{tip.pk}/reject", {"reason": "x"}).status_code == 404
    assert post_json(login(users["street"]), f"/api/v1/tips/{tip.pk}/reject", {"reason": "x"}).status_code == 403
    moved = post_json(
        login(users["officer"]), f"/api/v1/tips/{tip.pk}/transfer", {"to_org_id": orgs["hk-jgw"].pk, "reason": "建管委"}
    )
    assert moved.status_code == 204
    assert login(users["officer"]).get(f"/api/v1/tips/{tip.pk}").status_code == 404


def test_menu_entry(users):
    def labels(user):
        return [i["label"] for g in menu_for(user, "/tips/") for i in g["items"]]

    for role in ("admin", "leader", "officer", "street", "readonly"):
        assert "举报处理" in labels(users[role])
    assert "举报处理" not in labels(users["enterprise"])
    groups = [g["name"] for g in menu_for(users["admin"], "/")]
    assert groups.index("举报") < groups.index("基础")


def test_demo_data_is_idempotent(users, site):
    config = apps.get_app_config("tips")
    first = config.demo_data()
    assert Tip.objects.count() == 2 and "2 条" in first
    config.demo_data()
    assert Tip.objects.count() == 2
    hotline = Tip.objects.get(channel="12345")
    assert hotline.has_contact and not Tip.objects.get(channel="web").has_contact
