"""Exporting the unit and site lists: the list's filters, the viewer's scope,
phones masked for viewers who may not see them, and a number of queries that
does not grow with the rows."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.registry import services
from zhiben.registry.models import Sector, SiteType, Tag, Unit
from zhiben.registry.tabular import SITE_EXPORT_HEADERS, UNIT_EXPORT_HEADERS, export_units

pytestmark = pytest.mark.django_db


def read(response, sheet: str) -> list[tuple]:
    data = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def make_units(actor, owner, street, n: int, prefix: str) -> list[Unit]:
    commerce = Sector.objects.get(code="commerce")
    return [
        services.unit_create(
            actor=actor,
            name=f"{prefix}{i}",
            street=street,
            owner=owner,
            sector=commerce,
            tags=[Tag.objects.get(code="key_unit")],
            legal_rep_phone="13812345678",
            safety_contact_phone="021-65001234",
        )
        for i in range(n)
    ]


@pytest.fixture
def registry(reference, users, orgs):
    admin = users["admin"]
    return {
        "bwt": make_units(admin, orgs["hk-swj"], orgs["hk-bwt"], 3, "北外滩商户"),
        "jwz": make_units(admin, orgs["hk-jgw"], orgs["hk-jwz"], 2, "江湾工程"),
    }


def test_admin_export_has_every_unit_with_clear_phones_and_the_list_columns(registry, users, login):
    response = login(users["admin"]).get("/units/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = read(response, "生产经营单位")
    assert rows[0] == UNIT_EXPORT_HEADERS
    by_name = {r[0]: dict(zip(UNIT_EXPORT_HEADERS, r, strict=True)) for r in rows[1:]}
    assert {"北外滩商户0", "江湾工程1", "北外滩商场", "江湾工地"} <= set(by_name)
    first = by_name["北外滩商户0"]
    assert first["法定代表人电话"] == "13812345678" and first["安全管理联系人电话"] == "021-65001234"
    assert first["所属街道"] == "北外滩街道" and first["行业主管部门"] == "区商务委" and first["标签"] == "重点单位"
    event = AuditEvent.objects.filter(action="unit.export").latest("id")
    assert event.after["rows"] == len(rows) - 1


@pytest.mark.parametrize(
    ("role", "names", "clear"),
    [
        # 街道经办人 of 北外滩: units located in the 街道; phones masked.
        ("street", {"北外滩商户0", "北外滩商户1", "北外滩商户2", "北外滩商场"}, False),
        # 区商务委 officer: units it owns; phones in clear.
        ("officer", {"北外滩商户0", "北外滩商户1", "北外滩商户2", "北外滩商场"}, True),
        # An expert of 区建管委 sees its units but never the phones.
        ("expert", {"江湾工程0", "江湾工程1", "江湾工地"}, False),
    ],
)
def test_export_respects_scope_and_masks_phones(registry, users, login, role, names, clear):
    rows = read(login(users[role]).get("/units/export/"), "生产经营单位")
    by_name = {r[0]: dict(zip(UNIT_EXPORT_HEADERS, r, strict=True)) for r in rows[1:]}
    assert set(by_name) == names
    phones = {by_name[n]["法定代表人电话"] for n in names if n.startswith(("北外滩商户", "江湾工程"))}
    assert phones == ({"13812345678"} if clear else {"138****5678"})
    if not clear:
        assert all(
            by_name[n]["安全管理联系人电话"] == "021****1234" for n in names if n.startswith(("北外滩商户", "江湾工程"))
        )


def test_export_follows_the_list_filters(registry, users, login, orgs):
    client = login(users["admin"])
    rows = read(client.get(f"/units/export/?street={orgs['hk-jwz'].pk}"), "生产经营单位")
    assert {r[0] for r in rows[1:]} == {"江湾工程0", "江湾工程1", "江湾工地"}
    rows = read(client.get("/units/export/?q=商户1"), "生产经营单位")
    assert [r[0] for r in rows[1:]] == ["北外滩商户1"]


def test_export_query_count_does_not_grow_with_rows(registry, users, orgs, tmp_path):
    user = users["street"]  # masked phones: the contact rule is evaluated (and memoised) per owner
    qs = Unit.objects.restrict(user, "view").order_by("name", "pk")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export_units(qs, str(tmp_path / "u.xlsx"), user=user)
        return len(ctx.captured_queries)

    user.forget_memberships()
    small = queries()
    make_units(users["admin"], orgs["hk-swj"], orgs["hk-bwt"], 40, "追加商户")
    user.forget_memberships()
    assert queries() == small


def test_site_export_respects_scope_and_filters(reference, users, login, orgs, registry):
    admin = users["admin"]
    complex_type = SiteType.objects.get(code="commercial_complex")
    site_type = SiteType.objects.get(code="construction_site")
    services.site_create(
        actor=admin,
        data={
            "site_type": complex_type,
            "name": "北外滩综合体",
            "unit": registry["bwt"][0],
            "attributes": {"crowded": True},
        },
    )
    services.site_create(actor=admin, data={"site_type": site_type, "name": "江湾在建工地", "street": orgs["hk-jwz"]})

    rows = read(login(admin).get("/sites/export/"), "场所")
    assert rows[0] == SITE_EXPORT_HEADERS
    by_name = {r[1]: dict(zip(SITE_EXPORT_HEADERS, r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"北外滩综合体", "江湾在建工地"}
    assert by_name["北外滩综合体"]["所属单位统一社会信用代码"] == registry["bwt"][0].uscc
    assert by_name["北外滩综合体"]["专有信息"] == "人员密集场所：是"
    assert by_name["北外滩综合体"]["场所码"].startswith("CS-")

    street_rows = read(login(users["street"]).get("/sites/export/"), "场所")
    assert [r[1] for r in street_rows[1:]] == ["北外滩综合体"]
    filtered = read(login(admin).get("/sites/export/?site_type=construction_site"), "场所")
    assert [r[1] for r in filtered[1:]] == ["江湾在建工地"]


def test_list_pages_show_the_buttons(registry, users, login):
    page = login(users["officer"]).get("/units/?q=商户").content.decode()
    assert 'href="/units/export/?q=%E5%95%86%E6%88%B7"' in page and 'href="/units/import/"' in page
    page = login(users["expert"]).get("/units/").content.decode()
    assert 'href="/units/export/"' in page and "/units/import/" not in page
    page = login(users["street"]).get("/sites/").content.decode()
    assert 'href="/sites/export/"' in page and 'href="/sites/import/"' in page
