"""The API: authentication, the one error shape, schema and docs, tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from zhiben.accounts.models import PersonalAccessToken
from zhiben.accounts.services import token_create, token_revoke
from zhiben.audit.models import AuditEvent
from zhiben.org.models import User

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "details"}


def test_unauthenticated_requests_get_401_in_the_error_shape(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["code"] == "unauthenticated"


def test_me_returns_the_user_and_memberships(users, login):
    body = login(users["enterprise"]).get("/api/v1/me").json()
    assert body["username"] == "t_enterprise"
    assert body["is_district_admin"] is False
    [membership] = body["memberships"]
    assert membership["role"] == "enterprise" and membership["role_label"] == "企业用户"
    assert membership["unit_name"] == "北外滩商场"


def test_invalid_json_is_400(users, login):
    response = login(users["admin"]).post("/api/v1/users", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert set(response.json()) == ERROR_KEYS


def test_unknown_fields_are_422_with_field_details(users, orgs, login):
    payload = {
        "username": "x",
        "password": "Abcdef#12345",
        "organization_id": orgs["hk-swj"].pk,
        "role": "dept_officer",
        "colour": "red",
    }
    response = login(users["admin"]).post("/api/v1/users", data=payload, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert any(d["field"] == "colour" for d in body["details"])
    assert not User.objects.filter(username="x").exists()


def test_missing_fields_are_422(users, login):
    response = login(users["admin"]).post("/api/v1/users", data={"username": "y"}, content_type="application/json")
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert {"password", "organization_id", "role"} <= fields


def test_admin_creates_user_through_api(users, orgs, login):
    payload = {
        "username": "new_officer",
        "password": "Hongkou#2024x",
        "display_name": "新人",
        "organization_id": orgs["hk-jgw"].pk,
        "role": "dept_officer",
    }
    response = login(users["admin"]).post("/api/v1/users", data=payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["memberships"][0]["organization"]["code"] == "hk-jgw"
    assert AuditEvent.objects.filter(action="user.create", object_id=str(response.json()["id"])).count() == 1


def test_weak_password_is_refused_in_chinese(users, orgs, login):
    payload = {"username": "weak", "password": "password", "organization_id": orgs["hk-jgw"].pk, "role": "dept_officer"}
    response = login(users["admin"]).post("/api/v1/users", data=payload, content_type="application/json")
    assert response.status_code == 422
    assert "密码" in response.json()["message"]
    assert not User.objects.filter(username="weak").exists()


def test_role_must_fit_the_organization(users, orgs, login):
    payload = {
        "username": "s1",
        "password": "Hongkou#2024x",
        "organization_id": orgs["hk-swj"].pk,
        "role": "street_officer",
    }
    response = login(users["admin"]).post("/api/v1/users", data=payload, content_type="application/json")
    assert response.status_code == 422
    assert "organization" in response.json()["details"]


@pytest.mark.parametrize("role", ["leader", "officer", "street", "enterprise", "expert", "readonly"])
def test_user_and_audit_endpoints_are_for_admins_only(users, login, role):
    client = login(users[role])
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get(f"/api/v1/users/{users['admin'].pk}").status_code == 404
    event = AuditEvent.objects.order_by("-id").first()
    assert client.get(f"/api/v1/audit/{event.pk}").status_code == 404
    response = client.post(
        "/api/v1/users",
        data={"username": "z", "password": "Hongkou#2024x", "organization_id": 1, "role": "readonly"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_admin_reads_users_and_audit_with_cursor_pagination(users, login):
    client = login(users["admin"])
    first = client.get("/api/v1/users?limit=3").json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(f"/api/v1/users?limit=3&cursor={first['next_cursor']}").json()
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}
    audit = client.get("/api/v1/audit?limit=2").json()
    assert audit["items"][0]["id"] > audit["items"][1]["id"]
    assert client.get("/api/v1/users?cursor=AAAA").json()["code"] == "invalid_cursor"


def test_openapi_schema_and_local_docs(users, login):
    client = login(users["admin"])
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/me", "/api/v1/organizations", "/api/v1/users", "/api/v1/audit"} <= set(paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "/static/ninja/swagger-ui-bundle.js" in html


def test_docs_need_login(db):
    assert Client().get("/api/v1/docs").status_code == 302


# --- Personal access tokens ---------------------------------------------------------------------


def test_token_authenticates_and_is_stored_hashed(users):
    token, full = token_create(actor=users["officer"], name="数据对接", days=30)
    assert full.startswith("zb_") and full not in token.secret_hash
    assert full.split("_", 2)[2] not in PersonalAccessToken.objects.values_list("secret_hash", flat=True)
    client = Client()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {full}")
    assert response.status_code == 200 and response.json()["username"] == "t_officer"
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {full}x").status_code == 401
    token_revoke(actor=users["officer"], token=token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {full}").status_code == 401


def test_token_of_disabled_user_stops_working(users):
    from zhiben.org.services import user_set_active

    _, full = token_create(actor=users["officer"], name="x", days=30)
    user_set_active(actor=users["admin"], user=users["officer"], active=False, reason="离职")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {full}").status_code == 401


def test_token_scope_is_the_users_scope(users, orgs):
    _, full = token_create(actor=users["officer"], name="x", days=30)
    client = Client()
    own = client.get(f"/api/v1/organizations/{orgs['hk-swj'].pk}", HTTP_AUTHORIZATION=f"Bearer {full}")
    other = client.get(f"/api/v1/organizations/{orgs['hk-jgw'].pk}", HTTP_AUTHORIZATION=f"Bearer {full}")
    assert own.status_code == 200 and other.status_code == 404


def test_token_ui_creates_shows_once_and_revokes(users, login):
    client = login(users["officer"])
    response = client.post("/accounts/tokens/new/", {"name": "报表对接", "days": 90}, follow=True)
    html = response.content.decode()
    match = re.search(r'data-testid="new-token">(zb_[^<]+)<', html)
    assert match, html
    assert 'data-testid="new-token"' not in client.get("/accounts/security/").content.decode()
    token = PersonalAccessToken.objects.get(user=users["officer"])
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    # Someone else's token cannot be revoked (404).
    other = login(users["leader"])
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
