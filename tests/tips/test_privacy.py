"""The reporter's name and phone: encrypted at rest, shown only to 区安委办
and the staff of the organization the tip is routed to — on every page and
API endpoint, for every role — and never in the audit trail, notifications
or the hazard a tip becomes."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from zhiben.audit.models import AuditEvent
from zhiben.hazards.models import Hazard
from zhiben.notify.models import Notification
from zhiben.tips import services
from zhiben.tips.models import Tip

from .conftest import NAME, NAME_B, PHONE, PHONE_B, photo

pytestmark = pytest.mark.django_db

ROLES = ["admin", "leader", "officer", "section", "street", "enterprise", "expert", "readonly"]
# tip A: at a site owned by 区商务委 in 北外滩; tip B: no site, routed to 北外滩街道 itself.
CONTACT_ALLOWED = {"a": {"admin", "leader", "officer"}, "b": {"admin", "street"}}
SEES = {"a": {"admin", "leader", "officer", "street"}, "b": {"admin", "street"}}


@pytest.fixture
def tips(submit, street_tip):
    a, code_a = submit(photos=[photo()])
    b, code_b = street_tip
    return {"a": a, "b": b, "codes": {"a": code_a, "b": code_b}}


def _requests(tips):
    a, b = tips["a"].pk, tips["b"].pk
    yield "get", "/tips/", None
    yield "get", "/tips/?status=pending", None
    yield "get", "/tips/?late=false&channel=web", None
    yield "get", "/tips/new/", None
    for pk in (a, b):
        yield "get", f"/tips/{pk}/", None
        yield "post", f"/tips/{pk}/do/reply/", {"text": "已收到"}  # refused: not decided yet
        yield "post", f"/tips/{pk}/do/reject/", {"reason": ""}
        yield "get", f"/api/v1/tips/{pk}", None
        yield "api", f"/api/v1/tips/{pk}/reply", {"text": "已收到"}
        yield "api", f"/api/v1/tips/{pk}/reject", {"reason": ""}
    yield "get", "/api/v1/tips", None
    yield "get", "/api/v1/tips?street=" + str(tips["b"].street_id), None


def _call(client, method, url, data):
    if method == "get":
        return client.get(url)
    if method == "post":
        return client.post(url, data)
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_contact_absent_from_every_response_unless_allowed(tips, users, login, role):
    client = login(users[role])
    seen_contact = {"a": False, "b": False}
    for method, url, data in _requests(tips):
        response = _call(client, method, url, data)
        assert response.status_code < 500, url
        body = response.content.decode()
        for key, name, phone in (("a", NAME, PHONE), ("b", NAME_B, PHONE_B)):
            if role in CONTACT_ALLOWED[key]:
                seen_contact[key] |= phone in body
            else:
                assert name not in body and phone not in body, f"{role} saw contact of tip {key} at {method} {url}"
    for key in ("a", "b"):
        # the allowed ones really get it (on the detail page and in the API)
        assert seen_contact[key] == (role in CONTACT_ALLOWED[key])


@pytest.mark.parametrize("role", ROLES)
def test_detail_visibility_follows_the_routing(tips, users, login, role):
    client = login(users[role])
    for key in ("a", "b"):
        status = client.get(f"/tips/{tips[key].pk}/").status_code
        assert status == (200 if role in SEES[key] else 404), (role, key)
        api = client.get(f"/api/v1/tips/{tips[key].pk}")
        assert api.status_code == (200 if role in SEES[key] else 404)
        if api.status_code == 200:
            data = api.json()
            assert data["contact_provided"] is True
            assert (data["contact"] is not None) == (role in CONTACT_ALLOWED[key])


def test_street_officer_sees_a_tip_in_the_street_but_not_its_contact(tips, users, login):
    html = login(users["street"]).get(f"/tips/{tips['a'].pk}/").content.decode()
    assert "已留联系方式（仅承办人员可见）" in html and PHONE not in html


def test_anonymous_sees_no_staff_page_or_api(tips, client):
    for method, url, data in _requests(tips):
        response = _call(client, method, url, data)
        assert response.status_code in (302, 401, 403), url
        assert NAME not in response.content.decode() and PHONE not in response.content.decode()


def test_never_in_audit_notifications_hazards_or_tracking(
    tips, submit, users, orgs, reference, login, client, django_capture_on_commit_callbacks
):
    a, b = tips["a"], tips["b"]
    with django_capture_on_commit_callbacks(execute=True):
        submit(text="又一条：仓库里违规住人，电线乱拉")
        services.tip_submit(
            actor=users["officer"],
            data={
                "channel": "12345",
                "text": "热线：餐馆液化气瓶放在过道",
                "reporter_name": NAME,
                "reporter_phone": PHONE,
            },
        )
        services.tip_accept(
            actor=users["officer"], tip=a, sector=reference["commerce"], category=reference["fire_category"]
        )
        services.tip_reply(actor=users["officer"], tip=a, text="已立案整改")
        services.tip_transfer(actor=users["street"], tip=b, to_org=orgs["hk-swj"], reason="商务委监管")
        services.tip_reject(actor=users["leader"], tip=b, reason="不实")
        services.tip_reward_record(
            actor=users["leader"], tip=a, amount="100", basis="奖励办法", approved_on=a.received_on
        )
    # audit: before/after/reason/repr of every row
    for event in AuditEvent.objects.all():
        dumped = json.dumps([event.before, event.after, event.reason, event.object_repr], ensure_ascii=False)
        for secret in (NAME, PHONE, NAME_B, PHONE_B):
            assert secret not in dumped, event.action
    submitted = AuditEvent.objects.get(action="tip.submit", object_id=str(a.pk))
    assert submitted.after["contact"] == "provided" and submitted.actor_id is None
    # notifications
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"tip.submit", "tip.transfer", "hazard.create"} <= kinds
    for n in Notification.objects.all():
        for secret in (NAME, PHONE, NAME_B, PHONE_B):
            assert secret not in f"{n.title} {n.body} {n.url}"
    # the hazard, on its page and in the API, for its most privileged viewers
    hazard = Hazard.objects.get()
    assert hazard.tips.get() == a
    for field in Hazard._meta.concrete_fields:
        value = str(getattr(hazard, field.attname))
        assert NAME not in value and PHONE not in value
    for role in ("admin", "officer"):
        for url in (f"/hazards/{hazard.pk}/", f"/api/v1/hazards/{hazard.pk}"):
            body = login(users[role]).get(url).content.decode()
            assert NAME not in body and PHONE not in body
    # the tracking page
    body = client.post("/report/track/", {"code": tips["codes"]["a"]}).content.decode()
    assert "已立案整改" in body and NAME not in body and PHONE not in body


def test_contact_is_encrypted_in_the_database(tips):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, reporter_name, reporter_phone, tracking_hash FROM tips_tip")
        rows = cursor.fetchall()
    assert len(rows) == 2
    for _, name, phone, tracking_hash in rows:
        assert name.startswith("fernet:") and phone.startswith("fernet:")
        for secret in (NAME, PHONE, NAME_B, PHONE_B):
            assert secret not in name and secret not in phone
        assert len(tracking_hash) == 64
    code = tips["codes"]["a"]
    assert code not in str(rows) and code.replace("-", "") not in str(rows)
    assert Tip.objects.get(pk=tips["a"].pk).reporter_phone == PHONE  # decrypted for the code


def test_anonymous_tip_stores_empty_contact(submit):
    tip, _ = submit(reporter_name="", reporter_phone="")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_name, reporter_phone FROM tips_tip WHERE id = %s", [tip.pk])
        assert cursor.fetchone() == ("", "")
    assert AuditEvent.objects.get(action="tip.submit").after["contact"] == "none"
