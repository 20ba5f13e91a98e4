"""Sites: the owner from data/ownership.yaml (三管三必须), type-specific
attributes, the public code, grids as a filter, one audit row per change."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.registry import services
from zhiben.registry.models import Grid, Site

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("type_code", "owner_code"),
    [
        ("commercial_complex", "hk-swj-syfzk"),
        ("supermarket", "hk-swj-syfzk"),
        ("farmers_market", "hk-swj-scglk"),
        ("catering", "hk-swj-scglk"),
        ("ecommerce_warehouse", "hk-swj-qyxtfwk"),
        ("exhibition", "hk-swj-mycjk"),
        ("grain_emergency_outlet", "hk-swj-lyspk"),
        ("central_reserve", "hk-swj-wzcbk"),
        ("construction_site", "hk-jgw"),
        ("civil_air_defense", "hk-gdb"),
        ("park", "hk-lhsrj"),
        ("medical", "hk-wjw"),
        ("road_spot", "hk-gafj"),
    ],
)
def test_ownership_mapping_fills_the_owner(make_site, orgs, type_code, owner_code):
    attributes = {"category": "公用人防工程", "usage": "在用"} if type_code == "civil_air_defense" else {}
    if type_code == "road_spot":
        attributes = {"spot_kind": "临水无护栏"}
    site = make_site(type_code, street=orgs["hk-bwt"], attributes=attributes)
    assert site.owner == orgs[owner_code]


def test_street_owned_type_and_explicit_owner(make_site, orgs):
    assert make_site("small_works", street=orgs["hk-jwz"]).owner == orgs["hk-jwz"]
    assert make_site("small_works").owner == orgs["hk-jgw"]  # no 街道: the department
    assert make_site("commercial_complex", owner=orgs["hk-swj"]).owner == orgs["hk-swj"]
    assert make_site("cold_storage").owner is None  # not assigned: a 盲区


def test_site_takes_street_and_address_from_unit(make_site, units):
    site = make_site(unit=units["commerce"])
    assert site.street == units["commerce"].street
    assert site.public_code.startswith("CS-") and len(site.public_code) == 11


def test_attributes_validated_against_the_type(make_site):
    with pytest.raises(ValidationFailed) as exc:
        make_site("civil_air_defense", attributes={"category": "防空洞", "area_m2": "很大"})
    assert set(exc.value.details) == {"attr_category", "attr_usage", "attr_area_m2"}
    site = make_site(
        "civil_air_defense", attributes={"category": "普通地下室", "usage": "闲置", "area_m2": "350", "junk": "x"}
    )
    assert site.attributes == {"category": "普通地下室", "usage": "闲置", "area_m2": 350}
    assert ("使用状态", "闲置") in site.attribute_rows()


def test_map_point_must_be_complete(make_site):
    with pytest.raises(ValidationFailed):
        make_site(latitude="31.25")
    site = make_site(latitude="31.2504101", longitude="121.49937")
    assert str(site.latitude) == "31.250410"


def test_who_may_register_sites(users, orgs, make_site):
    make_site("small_works", actor=users["street"], street=orgs["hk-bwt"])
    with pytest.raises(PermissionDeniedError):
        make_site("construction_site", actor=users["street"], street=orgs["hk-jwz"])
    with pytest.raises(PermissionDeniedError):
        make_site("construction_site", actor=users["officer"])  # owned by 区建管委
    make_site("farmers_market", actor=users["section"])  # its own 科室
    with pytest.raises(PermissionDeniedError):
        make_site("farmers_market", actor=users["enterprise"])


def test_create_and_update_write_one_audit_row_each(users, make_site, audit_rows):
    before = audit_rows()
    site = make_site()
    assert audit_rows() == before + 1
    services.site_update(actor=users["admin"], site=site, data={"name": "新名字"}, reason="更名")
    assert audit_rows() == before + 2
    event = AuditEvent.objects.latest("id")
    assert event.action == "site.update" and event.before["name"] == "测试场所" and event.reason == "更名"
    services.site_update(actor=users["admin"], site=site, data={"name": "新名字"})
    assert audit_rows() == before + 2


def test_site_pages_create_with_type_attributes_and_edit(users, orgs, units, reference, login):
    client = login(users["officer"])
    picker = client.get("/sites/new/").content.decode()
    assert "农贸市场" in picker and "未明确负责部门" in picker
    page = client.get("/sites/new/", {"type": "farmers_market"}).content.decode()
    assert 'name="attr_stalls"' in page
    response = client.post(
        "/sites/new/",
        {
            "type": "farmers_market",
            "name": "北外滩菜场",
            "site_type": reference["types"]["farmers_market"].pk,
            "unit": units["commerce"].pk,
            "attr_stalls": "88",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    site = Site.objects.get(name="北外滩菜场")
    assert site.owner == orgs["hk-swj-scglk"] and site.attributes == {"stalls": 88} and site.street == orgs["hk-bwt"]
    detail = client.get(f"/sites/{site.pk}/").content.decode()
    assert site.public_code in detail and "摊位数" in detail
    response = client.post(
        f"/sites/{site.pk}/edit/",
        {
            "name": "北外滩菜场（新）",
            "unit": units["commerce"].pk,
            "street": orgs["hk-bwt"].pk,
            "owner": orgs["hk-swj-scglk"].pk,
            "attr_stalls": "90",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    site.refresh_from_db()
    assert site.name == "北外滩菜场（新）" and site.attributes["stalls"] == 90


def test_api_create_site_fills_owner(users, orgs, units, reference, login):
    client = login(users["admin"])
    response = client.post(
        "/api/v1/sites",
        {"name": "API工地", "site_type": "construction_site", "unit_id": units["construction"].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["owner"]["id"] == orgs["hk-jgw"].pk
    bad = client.post("/api/v1/sites", {"name": "x", "site_type": "nope"}, content_type="application/json")
    assert bad.status_code == 422


def test_grid_filters_unit_and_site_lists(users, orgs, units, make_site, login, audit_rows):
    inside = make_site("park", "凉城公园", street=orgs["hk-lcxc"])
    listed = make_site("commercial_complex", "单列商场", street=orgs["hk-scbl"])
    outside = make_site("commercial_complex", "北外滩商场主楼", unit=units["commerce"])
    before = audit_rows()
    grid = services.grid_create(
        actor=users["admin"],
        data={
            "name": "北片区",
            "owner": orgs["hk-awb"],
            "streets": [orgs["hk-lcxc"], orgs["hk-jwz"]],
            "sites": [listed],
            "inspectors": [users["street"]],
        },
    )
    assert audit_rows() == before + 1
    client = login(users["admin"])
    html = client.get("/sites/", {"grid": grid.pk}).content.decode()
    assert inside.name in html and listed.name in html and outside.name not in html
    html = client.get("/units/", {"grid": grid.pk}).content.decode()
    assert units["construction"].name in html and units["commerce"].name not in html
    api = client.get("/api/v1/units", {"grid": grid.pk}).json()
    assert [u["id"] for u in api["items"]] == [units["construction"].pk]
    assert "北片区" in client.get("/grids/").content.decode()


def test_grid_scope_and_rights(users, orgs):
    with pytest.raises(PermissionDeniedError):
        services.grid_create(
            actor=users["officer"], data={"name": "x", "owner": orgs["hk-jgw"], "streets": [orgs["hk-jwz"]]}
        )
    grid = services.grid_create(
        actor=users["street"], data={"name": "北外滩南片", "owner": orgs["hk-bwt"], "streets": [orgs["hk-bwt"]]}
    )
    assert list(Grid.objects.restrict(users["street"], "view")) == [grid]
    assert not Grid.objects.restrict(users["officer"], "view").exists()
    with pytest.raises(ValidationFailed):
        services.grid_create(actor=users["admin"], data={"name": "空网格", "owner": orgs["hk-awb"]})
