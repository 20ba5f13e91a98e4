"""The site list filtered by a site type's choice attribute once a type is chosen
(医疗机构's 机构类别: 二级以上医院 / 社区卫生服务中心 / 社会办医疗机构 …): page, API
and export, bounded and validated (bad values are a clear message, never a 500)."""

from __future__ import annotations

import io

import pytest
from django.http import QueryDict
from openpyxl import load_workbook

from zhiben.registry.filters import MAX_ATTRIBUTE_FILTERS, SiteFilterSet
from zhiben.registry.models import Site, SiteType
from zhiben.registry.selectors import filter_sites


@pytest.fixture
def medical(users, make_site, orgs):
    """Four medical sites of three 机构类别 and a park, all of 区卫健委 / 区绿化市容局 (admin sees all)."""
    for name, category in (
        ("江湾医院", "二级以上医院"),
        ("市北医院", "二级以上医院"),
        ("欧阳社区卫生服务中心", "社区卫生服务中心"),
        ("某民营诊所", "社会办医疗机构"),
    ):
        make_site("medical", name, street=orgs["hk-oyl"], attributes={"category": category})
    make_site("park", "鲁迅公园", street=orgs["hk-oyl"])
    return SiteType.objects.get(code="medical")


def _names(user, **params) -> list[str]:
    query = QueryDict(mutable=True)
    query.update(params)
    filterset, qs = filter_sites(user, query)
    assert filterset.is_valid(), filterset.errors
    return sorted(qs.values_list("name", flat=True))


def test_filter_by_institution_category(users, medical):
    admin = users["admin"]
    assert _names(admin, site_type="medical", attr_category="二级以上医院") == ["市北医院", "江湾医院"]
    assert _names(admin, site_type="medical", attr_category="社区卫生服务中心") == ["欧阳社区卫生服务中心"]
    assert _names(admin, site_type="medical", attr_category="社会办医疗机构") == ["某民营诊所"]
    assert _names(admin, site_type="medical", attr_category="") == [
        "市北医院",
        "某民营诊所",
        "欧阳社区卫生服务中心",
        "江湾医院",
    ]
    # The select offers exactly the type's declared choices.
    spec = next(a for a in medical.attributes if a["key"] == "category")
    filterset = SiteFilterSet({"site_type": "medical"}, queryset=Site.objects.all())
    field = filterset.form.fields["attr_category"]
    assert field.label == "机构类别" and [c for c, _ in field.choices][1:] == spec["choices"]
    # Only choice attributes become filters (fire_standard_year is a number, hr_oxygen a yes/no).
    assert all(
        next(a for a in medical.attributes if "attr_" + a["key"] == name)["kind"] == "choice"
        for name in filterset.attribute_names
    )
    assert len(filterset.attribute_names) <= MAX_ATTRIBUTE_FILTERS
    # Without a type, no attribute filter.
    assert SiteFilterSet({}, queryset=Site.objects.all()).attribute_names == []


@pytest.mark.parametrize(
    "params",
    [
        {"site_type": "medical", "attr_category": "三甲医院"},  # not a declared choice
        {"site_type": "medical", "attr_fire_standard_year": "2024"},  # not a choice attribute
        {"site_type": "medical", "attr_nope": "x"},  # not an attribute at all
        {"attr_category": "二级以上医院"},  # no type chosen
        {"site_type": "park", "attr_category": "二级以上医院"},  # another type's attribute
        {"site_type": "medical", "attr_category": "二" * 5000},
        {"site_type": "x" * 500, "attr_category": "二级以上医院"},
        {"site_type": "medical", "attr_": "x", "attr_a'b": "1"},
    ],
)
def test_bad_attribute_filters_are_refused_clearly(users, login, medical, params):
    query = QueryDict(mutable=True)
    query.update(params)
    filterset, qs = filter_sites(users["admin"], query)
    assert not filterset.is_valid()
    assert qs.count() == Site.objects.count()  # an invalid filter shows every visible site
    page = login(users["admin"]).get("/sites/", params)
    assert page.status_code == 200
    assert 'data-testid="filter-errors"' in page.content.decode()
    api = login(users["admin"]).get("/api/v1/sites", params)
    assert api.status_code == 422 and "有误" in api.json()["message"]


def test_page_shows_the_attribute_select_once_a_type_is_chosen(users, login, medical):
    client = login(users["admin"])
    html = client.get("/sites/").content.decode()
    assert 'name="attr_category"' not in html
    html = client.get("/sites/", {"site_type": "medical", "attr_category": "二级以上医院"}).content.decode()
    assert 'name="attr_category"' in html and '<option value="二级以上医院" selected>' in html
    assert "江湾医院" in html and "市北医院" in html and "欧阳社区卫生服务中心" not in html
    assert "共 2 处" in html and 'data-testid="filter-errors"' not in html


def test_api_and_export_honour_the_attribute_filter(users, login, medical):
    client = login(users["admin"])
    params = {"site_type": "medical", "attr_category": "社区卫生服务中心"}
    data = client.get("/api/v1/sites", params).json()
    assert [s["name"] for s in data["items"]] == ["欧阳社区卫生服务中心"]
    response = client.get("/sites/export/", params)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "欧阳社区卫生服务中心" in rows[1]


def test_scope_still_applies(users, login, medical):
    """A 区商务委 officer sees none of 区卫健委's hospitals, filter or not."""
    assert _names(users["officer"], site_type="medical", attr_category="二级以上医院") == []
