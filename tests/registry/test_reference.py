"""Reference data: site types and ownership load idempotently, every code in
data/ownership.yaml exists, a bad code refuses the load; the demo data; the
menu."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ValidationFailed
from zhiben.registry import services
from zhiben.registry.choices import DEFAULT_TAGS
from zhiben.registry.models import Grid, RiskAssessment, Site, SiteType, UnitFlag
from zhiben.registry.reference import load_files, read_yaml

pytestmark = pytest.mark.django_db


def _codes(nodes):
    for node in nodes:
        yield node["code"]
        yield from _codes(node.get("children") or [])


def test_ownership_codes_exist_in_organizations_and_site_types():
    orgs = set(_codes(read_yaml(settings.DATA_DIR / "organizations.yaml")))
    types = {t["code"] for t in read_yaml(settings.DATA_DIR / "site_types.yaml")}
    owned = read_yaml(settings.DATA_DIR / "ownership.yaml")["site_types"]
    assert set(owned) <= types
    for code, entry in owned.items():
        assert entry["department"] in orgs, code
        assert entry.get("section") is None or entry["section"].startswith(entry["department"] + "-"), code
        assert entry.get("section") is None or entry["section"] in orgs, code


def test_load_is_idempotent(orgs, reference):
    assert SiteType.objects.count() >= 28 - 2
    before = AuditEvent.objects.count()
    assert load_files() == {"sectors": 0, "tags": 0, "site_types": 0}
    assert AuditEvent.objects.count() == before


def test_unknown_owner_code_refuses_the_load(orgs, reference):
    rows = read_yaml(settings.DATA_DIR / "site_types.yaml")
    with pytest.raises(ValidationFailed):
        services.registry_reference_load(
            tags=DEFAULT_TAGS, site_types=rows, ownership={"site_types": {"park": {"department": "hk-nope"}}}
        )
    with pytest.raises(ValidationFailed):
        services.registry_reference_load(
            tags=DEFAULT_TAGS, site_types=rows, ownership={"site_types": {"nope": {"department": "hk-swj"}}}
        )
    assert SiteType.objects.get(code="park").owner.code == "hk-lhsrj"


def test_site_types_file_covers_the_plans():
    names = {t["name"] for t in read_yaml(settings.DATA_DIR / "site_types.yaml")}
    for name in ("建筑工地", "人防工程", "大型商业综合体", "农贸市场", "道路点段", "防空警报器", "产业园区", "冷库"):
        assert name in names


def test_demo_is_idempotent(db):
    call_command("demo", stdout=io.StringIO())
    sites = Site.objects.count()
    assert sites >= 6 and Grid.objects.count() == 1 and RiskAssessment.objects.count() == 6
    assert UnitFlag.objects.count() == 1
    assert {s.site_type.code for s in Site.objects.all()} >= {
        "commercial_complex",
        "construction_site",
        "civil_air_defense",
    }
    call_command("demo", stdout=io.StringIO())
    assert Site.objects.count() == sites and RiskAssessment.objects.count() == 6


def test_menu_group(users, login):
    html = login(users["officer"]).get("/units/").content.decode()
    assert "单位与场所" in html and "/registry/high-risk/" in html and "/registry/blind-spots/" in html
    assert html.index("单位与场所") < html.index("组织机构")


def test_every_page_renders_on_demo_data(db, login):
    from zhiben.org.models import User
    from zhiben.registry.models import Unit

    call_command("demo", stdout=io.StringIO())
    unit, site, grid = Unit.objects.order_by("pk").first(), Site.objects.order_by("pk").first(), Grid.objects.get()
    for username in ("admin", "swj_leader", "street_jwz", "qiye_bwt", "readonly"):
        client = login(User.objects.get(username=username))
        for url in ("/units/", "/sites/", "/grids/", "/registry/high-risk/", "/registry/blind-spots/"):
            # Government pages refuse enterprise users (web/access.py).
            government_only = url not in ("/units/", "/sites/") and username == "qiye_bwt"
            assert client.get(url).status_code == (403 if government_only else 200), (username, url)
    client = login(User.objects.get(username="admin"))
    for url in (
        "/units/new/",
        f"/units/{unit.pk}/",
        f"/units/{unit.pk}/edit/",
        f"/units/{unit.pk}/assess/",
        "/sites/new/?type=civil_air_defense",
        f"/sites/{site.pk}/",
        f"/sites/{site.pk}/edit/",
        f"/sites/{site.pk}/assess/",
        "/grids/new/",
        f"/grids/{grid.pk}/edit/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        f"/grids/{grid.pk}/edit/",
        {"name": "北片区（调整）", "owner": grid.owner_id, "streets": list(grid.streets.values_list("pk", flat=True))},
    )
    assert response.status_code == 302
    assert Grid.objects.get().name == "北片区（调整）" and not Grid.objects.get().sites.exists()
