"""Scope and rights on the pages: government users by the site's scope, everyone else
404 on a filing (403 on the government lists); only the owner department and the
district office edit and change the state."""

from __future__ import annotations

import re

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.civildefence import access
from zhiben.civildefence.models import UseFiling


@pytest.fixture
def filing(works, make_filing):
    return make_filing(works["park"])  # 区国动办's work in 欧阳路街道


def test_visibility_role_matrix(filing, works, gdb, users, make_filing):
    other = make_filing(works["river"], filing_no="HKRF-T-002")  # in 北外滩街道
    seen = {
        name: set(access.visible_filings(user).values_list("pk", flat=True))
        for name, user in {**users, **{f"gdb_{k}": v for k, v in gdb.items()}}.items()
    }
    everything = {filing.pk, other.pk}
    assert seen["admin"] == seen["gdb_officer"] == seen["gdb_leader"] == seen["gdb_readonly"] == everything
    assert seen["gdb_center"] == everything  # a 科室 of 区国动办 follows the department's works
    assert seen["gdb_oyl"] == {filing.pk}  # 街道: works in its 街道
    assert seen["street"] == {other.pk}  # 北外滩街道
    for name in ("leader", "officer", "section", "enterprise", "expert", "readonly"):
        assert seen[name] == set(), name


@pytest.mark.parametrize("who", ["enterprise", "officer", "expert", "readonly"])
def test_out_of_scope_filing_pages_are_404_and_audited(filing, users, login, who):
    client = login(users[who])
    for url in (f"/civildefence/filings/{filing.pk}/", f"/civildefence/filings/{filing.pk}/edit/"):
        assert client.get(url).status_code == 404
    response = client.post(f"/civildefence/filings/{filing.pk}/transition/retire/", {"reason": "x"})
    assert response.status_code == 404
    assert UseFiling.objects.get().state == "in_use"
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_enterprise_users_are_refused_the_lists(filing, users, login):
    client = login(users["enterprise"])
    for url in ("/civildefence/filings/", "/civildefence/monthly/", "/civildefence/filings/export/"):
        assert client.get(url).status_code == 403


def test_pages_render_for_the_owner_department(filing, gdb, login):
    client = login(gdb["officer"])
    listing = client.get("/civildefence/filings/")
    assert listing.status_code == 200 and "HKRF-T-001" in listing.content.decode()
    detail = client.get(f"/civildefence/filings/{filing.pk}/").content.decode()
    assert "虹口公园人防工程" in detail and 'data-testid="transition-retire"' in detail
    assert client.get("/civildefence/filings/new/").status_code == 200
    assert client.get(f"/civildefence/filings/{filing.pk}/edit/").status_code == 200
    assert client.get("/civildefence/filings/", {"state": "idle"}).content.decode().count("HKRF-T-001") == 0
    assert "HKRF-T-001" in client.get("/civildefence/filings/", {"due": "valid"}).content.decode()
    assert "HKRF-T-001" not in client.get("/civildefence/filings/", {"due": "expired"}).content.decode()


def test_street_officer_and_readonly_see_but_may_not_change(filing, gdb, login):
    for user in (gdb["oyl"], gdb["readonly"]):
        client = login(user)
        page = client.get(f"/civildefence/filings/{filing.pk}/")
        assert page.status_code == 200 and 'data-testid="transition-retire"' not in page.content.decode()
        assert client.get(f"/civildefence/filings/{filing.pk}/edit/").status_code == 403
        client.post(f"/civildefence/filings/{filing.pk}/transition/set_idle/", {"reason": ""})
        assert UseFiling.objects.get().state == "in_use"


def test_forms_create_edit_and_change_the_state(works, gdb, login, units, users):
    client = login(users["admin"])  # sees the 商务委 unit used as 使用单位
    response = client.post(
        "/civildefence/filings/new/",
        {
            "site": works["park"].pk,
            "filing_no": "HKRF-W-1",
            "state": "in_use",
            "user_uscc": units["commerce"].uscc,
            "purpose": "commercial",
            "area_m2": "300",
            "filed_on": "2025-01-01",
            "valid_until": "2027-12-31",
            "manager_name": "李工",
        },
    )
    assert response.status_code == 302, response.content.decode()
    filing = UseFiling.objects.get()
    assert filing.user_unit == units["commerce"]
    response = client.post(
        f"/civildefence/filings/{filing.pk}/edit/",
        {
            "filing_no": "HKRF-W-1",
            "user_uscc": "",
            "user_name": "新的使用单位",
            "purpose": "storage",
            "area_m2": "300",
            "filed_on": "2025-01-01",
            "valid_until": "2027-12-31",
            "manager_name": "李工",
            "version": "1",
            "reason": "更换使用单位",
        },
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.user_unit is None and filing.user_name == "新的使用单位" and filing.purpose == "storage"
    # a stale form is refused, nothing changes
    stale = client.post(
        f"/civildefence/filings/{filing.pk}/edit/",
        {
            "filing_no": "HKRF-W-9",
            "purpose": "storage",
            "area_m2": "300",
            "filed_on": "2025-01-01",
            "valid_until": "2027-12-31",
            "manager_name": "李工",
            "user_name": "x",
            "version": "1",
        },
    )
    assert stale.status_code == 422 and "已被他人修改" in stale.content.decode()
    client.post(f"/civildefence/filings/{filing.pk}/transition/retire/", {"reason": "", "version": "2"})
    filing.refresh_from_db()
    assert filing.state == "in_use"  # a reason is required
    client.post(f"/civildefence/filings/{filing.pk}/transition/retire/", {"reason": "结构损坏", "version": "2"})
    filing.refresh_from_db()
    assert filing.state == "retired"
    page = client.get(f"/civildefence/filings/{filing.pk}/", follow=True).content.decode()
    assert "报废为最终状态" in page
    again = client.post(f"/civildefence/filings/{filing.pk}/transition/resume/", {"reason": ""}, follow=True)
    assert "状态未变更" in again.content.decode()
    filing.refresh_from_db()
    assert filing.state == "retired"


def test_bad_form_input_is_422_with_messages(works, gdb, login):
    client = login(gdb["officer"])
    response = client.post(
        "/civildefence/filings/new/",
        {
            "site": works["park"].pk,
            "filing_no": "A",
            "state": "in_use",
            "purpose": "parking",
            "area_m2": "-1",
            "filed_on": "2025-01-01",
            "valid_until": "2024-01-01",
            "manager_name": "李工",
            "user_uscc": "NOPE",
        },
    )
    assert response.status_code == 422
    assert not UseFiling.objects.exists()


def test_a_section_of_the_department_inspects_the_departments_works(filing, gdb, login):
    client = login(gdb["center"])  # 区民防管理中心: the works belong to 区国动办 itself
    page = client.get(f"/civildefence/filings/{filing.pk}/").content.decode()
    assert 'data-testid="transition-set_idle"' in page  # it manages the filing
    assert f"/sites/{filing.site_id}/" in page  # and, like a department's units, sees the department's sites
    monthly = client.get("/civildefence/monthly/").content.decode()
    assert "HKRF-T-001" in monthly and 'data-testid="start-inspection"' in monthly
    start = re.search(r'href="([^"]+)" data-testid="start-inspection"', monthly).group(1).replace("&amp;", "&")
    form = client.get(start).content.decode()
    assert f'<option value="{filing.site_id}" selected>' in form  # the work and the
    assert re.search(r'name="checklist_version"[^>]*>.*?<option value="\d+" selected>', form, re.S)  # checklist
    assert 'data-testid="start-inspection"' in login(gdb["officer"]).get("/civildefence/monthly/").content.decode()
