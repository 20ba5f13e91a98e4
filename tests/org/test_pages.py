"""The organization and user-administration pages (org/views.py): only the
district office administers users, every refusal is audited, and every
change goes through org's services from the UI."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.audit.models import AuditEvent
from zhiben.org.models import Membership, User

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin-users/", "/admin-users/new/", "/audit/"]


@pytest.mark.parametrize("role", ["leader", "officer", "street", "enterprise", "expert", "readonly"])
def test_admin_pages_are_forbidden_to_others_and_denials_audited(users, login, role):
    client = login(users[role])
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "仅区安委办管理员可访问" in response.content.decode()
    assert AuditEvent.objects.filter(action="access.denied", actor=users[role]).count() == len(ADMIN_PAGES)
    assert client.get(f"/admin-users/{users['admin'].pk}/").status_code == 403


def test_admin_creates_user_from_the_ui(users, orgs, login):
    client = login(users["admin"])
    response = client.post(
        "/admin-users/new/",
        {
            "username": "li.si",
            "display_name": "李四",
            "organization": orgs["hk-gdb"].pk,
            "role": "dept_officer",
            "password": "Guodong#2024a",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="li.si")
    assert user.memberships.get().organization == orgs["hk-gdb"]
    page = client.get(f"/admin-users/{user.pk}/").content.decode()
    assert "李四" in page and "区国动办" in page


def test_user_form_shows_every_problem_in_chinese_and_saves_nothing(users, orgs, login):
    client = login(users["admin"])
    response = client.post(
        "/admin-users/new/",
        {
            "username": "t_officer",
            "display_name": "重复",
            "organization": orgs["hk-swj"].pk,
            "role": "street_officer",
            "password": "short",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "已存在" in html
    assert User.objects.filter(username="t_officer").count() == 1


def test_enterprise_user_needs_a_unit(users, orgs, units, login):
    client = login(users["admin"])
    data = {
        "username": "qiye2",
        "display_name": "企业",
        "organization": orgs["hk-swj"].pk,
        "role": "enterprise",
        "password": "Qiye#2024abc",
    }
    response = client.post("/admin-users/new/", data)
    assert response.status_code == 422 and "企业用户必须绑定一个生产经营单位" in response.content.decode()
    assert not User.objects.filter(username="qiye2").exists()
    assert client.post("/admin-users/new/", {**data, "unit": units["commerce"].pk}).status_code == 302


def test_admin_disables_with_reason_and_enables(users, login):
    client = login(users["admin"])
    officer = users["officer"]
    missing = client.post(f"/admin-users/{officer.pk}/disable/", {"reason": ""})
    assert missing.status_code == 422
    officer.refresh_from_db()
    assert officer.is_active
    client.post(f"/admin-users/{officer.pk}/disable/", {"reason": "调离虹口"})
    officer.refresh_from_db()
    assert not officer.is_active
    assert AuditEvent.objects.get(action="user.disable").reason == "调离虹口"
    client.post(f"/admin-users/{officer.pk}/enable/")
    officer.refresh_from_db()
    assert officer.is_active


def test_admin_cannot_disable_self(users, login):
    client = login(users["admin"])
    response = client.post(f"/admin-users/{users['admin'].pk}/disable/", {"reason": "试试"})
    assert "不能停用自己的账号" in response.content.decode()
    users["admin"].refresh_from_db()
    assert users["admin"].is_active
    assert AuditEvent.objects.filter(action="transition.refused", actor=users["admin"]).exists()


def test_admin_manages_memberships(users, orgs, login):
    client = login(users["admin"])
    officer = users["officer"]
    client.post(
        f"/admin-users/{officer.pk}/memberships/", {"organization": orgs["hk-bwt"].pk, "role": "street_officer"}
    )
    added = Membership.objects.get(user=officer, organization=orgs["hk-bwt"])
    assert added.is_active
    duplicate = client.post(
        f"/admin-users/{officer.pk}/memberships/", {"organization": orgs["hk-bwt"].pk, "role": "street_officer"}
    )
    assert "已在此组织担任此角色" in duplicate.content.decode()
    client.post(f"/admin-users/{officer.pk}/memberships/{added.pk}/remove/")
    added.refresh_from_db()
    assert not added.is_active
    assert AuditEvent.objects.filter(action="membership.remove", object_id=str(officer.pk)).count() == 1


def test_admin_resets_password_with_policy(users, login):
    client = login(users["admin"])
    weak = client.post(f"/admin-users/{users['officer'].pk}/password/", {"new_password": "12345"})
    assert weak.status_code == 422 and "密码" in weak.content.decode()
    client.post(f"/admin-users/{users['officer'].pk}/password/", {"new_password": "Reset#Pass2024"})
    users["officer"].refresh_from_db()
    assert users["officer"].check_password("Reset#Pass2024")


def test_user_list_filters(users, orgs, login):
    client = login(users["admin"])
    html = client.get("/admin-users/", {"organization": orgs["hk-swj"].pk}).content.decode()
    assert ">t_officer<" in html and ">t_section<" in html and ">t_street<" not in html
    html = client.get("/admin-users/", {"role": "street_officer"}).content.decode()
    assert ">t_street<" in html and ">t_officer<" not in html


def test_the_pages_keep_their_paths():
    assert reverse("org:organization_list") == "/organizations/"
    assert reverse("org:organization_detail", args=[7]) == "/organizations/7/"
    assert reverse("org:user_list") == "/admin-users/"
    assert reverse("org:user_create") == "/admin-users/new/"
    assert reverse("org:user_detail", args=[3]) == "/admin-users/3/"
    assert reverse("org:membership_remove", args=[3, 5]) == "/admin-users/3/memberships/5/remove/"
    assert reverse("web:user_remove_totp", args=[3]) == "/admin-users/3/totp/remove/"


def test_admin_removes_a_users_second_factor_with_a_reason(users, login):
    officer = users["officer"]
    TOTPDevice.objects.create(user=officer, name="身份验证器", confirmed=True)
    client = login(users["admin"])
    page = client.get(f"/admin-users/{officer.pk}/").content.decode()
    assert "已启用。" in page and f'action="/admin-users/{officer.pk}/totp/remove/"' in page
    missing = client.post(f"/admin-users/{officer.pk}/totp/remove/", {"reason": ""})
    assert missing.status_code == 422 and TOTPDevice.objects.filter(user=officer).exists()
    done = client.post(f"/admin-users/{officer.pk}/totp/remove/", {"reason": "手机遗失"})
    assert done.status_code == 302 and done["Location"] == f"/admin-users/{officer.pk}/"
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert AuditEvent.objects.get(action="totp.remove").reason == "手机遗失"
    assert "未启用。" in client.get(f"/admin-users/{officer.pk}/").content.decode()
    refused = login(users["leader"]).post(f"/admin-users/{officer.pk}/totp/remove/", {"reason": "x"})
    assert refused.status_code == 403


def test_organization_pages_link_members_to_the_user_pages(users, orgs, login):
    html = login(users["admin"]).get(f"/organizations/{orgs['hk-swj'].pk}/").content.decode()
    assert f'href="/admin-users/{users["officer"].pk}/"' in html
    assert 'href="/organizations/"' in html
    assert f'href="/admin-users/{users["officer"].pk}/"' not in (
        login(users["officer"]).get(f"/organizations/{orgs['hk-swj'].pk}/").content.decode()
    )
