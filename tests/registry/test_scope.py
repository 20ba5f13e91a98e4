"""Who sees which units and sites (lists, details, API); out of scope is 404
and written to the audit trail."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# role -> (sees the 区商务委 unit in 北外滩, sees the 区建管委 unit in 江湾镇)
UNIT_SCOPE = {
    "admin": (True, True),
    "leader": (True, False),
    "officer": (True, False),
    "section": (True, False),  # 市场管理科 sees its department's (区商务委) units
    "street": (True, False),  # 北外滩街道
    "enterprise": (True, False),  # its own unit
    "expert": (False, True),  # commissioned by 区建管委
    "readonly": (False, False),  # 区生态环境局
}


@pytest.mark.parametrize("role", list(UNIT_SCOPE))
def test_unit_list_detail_and_api_scope(users, units, login, role):
    client = login(users[role])
    html = client.get("/units/").content.decode()
    api_ids = {u["id"] for u in client.get("/api/v1/units").json()["items"]}
    for key, visible in zip(("commerce", "construction"), UNIT_SCOPE[role], strict=True):
        unit = units[key]
        assert (unit.name in html) == visible
        assert (unit.pk in api_ids) == visible
        assert client.get(f"/units/{unit.pk}/").status_code == (200 if visible else 404)
        assert client.get(f"/api/v1/units/{unit.pk}").status_code == (200 if visible else 404)


def test_out_of_scope_detail_is_audited(users, units, login):
    before = AuditEvent.objects.filter(action="access.denied").count()
    assert login(users["street"]).get(f"/units/{units['construction'].pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1


def test_site_scope_by_owner_street_and_unit(users, units, orgs, make_site, login):
    mall = make_site("commercial_complex", "北外滩商场主楼", unit=units["commerce"])  # 商业发展科, 北外滩
    works = make_site("construction_site", "江湾工地一标段", unit=units["construction"])  # 区建管委, 江湾镇
    market = make_site("farmers_market", "北外滩菜场", street=orgs["hk-bwt"])  # 市场管理科, no unit
    expected = {
        "admin": {mall, works, market},
        "leader": {mall, market},
        "section": {mall, market},  # a 科室 sees its department's sites (its sibling 商业发展科's mall too)
        "street": {mall, market},
        "enterprise": {mall},
        "expert": {works},
        "readonly": set(),
    }
    for role, visible in expected.items():
        client = login(users[role])
        html = client.get("/sites/").content.decode()
        api_ids = {s["id"] for s in client.get("/api/v1/sites").json()["items"]}
        assert api_ids == {s.pk for s in visible}, role
        for site in (mall, works, market):
            assert (site.name in html) == (site in visible), (role, site.name)
            assert client.get(f"/sites/{site.pk}/").status_code == (200 if site in visible else 404), role
            assert client.get(f"/api/v1/sites/{site.pk}").status_code == (200 if site in visible else 404), role


def test_edit_pages_need_change_scope(users, units, make_site, login):
    site = make_site("construction_site", "江湾工地", unit=units["construction"])
    assert login(users["readonly"]).get(f"/sites/{site.pk}/edit/").status_code == 404
    assert login(users["officer"]).get(f"/sites/{site.pk}/edit/").status_code == 404
    assert login(users["admin"]).get(f"/sites/{site.pk}/edit/").status_code == 200
    assert login(users["street"]).get(f"/units/{units['construction'].pk}/edit/").status_code == 404


def test_section_sees_but_does_not_change_its_departments_units(users, units, login):
    from zhiben.registry.models import Unit

    unit = units["commerce"]  # owned by 区商务委, the 市场管理科's department
    client = login(users["section"])
    assert client.get(f"/units/{unit.pk}/").status_code == 200
    assert client.get(f"/units/{unit.pk}/edit/").status_code == 404
    assert not Unit.objects.restrict(users["section"], "change").filter(pk=unit.pk).exists()
    # Read-only and expert members of other departments gain nothing from the rule.
    assert not Unit.objects.restrict(users["readonly"], "view").filter(pk=unit.pk).exists()
