"""Id filters of the hazard list beyond what a database key holds (or not a number at all)
answer a Chinese message on the page, 400 on the export and 422 in the API — never a 500,
never the unfiltered list exported as if it were the one asked for."""

from __future__ import annotations

import pytest

from zhiben.hazards.filters import MAX_ID

BAD_IDS = ["99999999999999999999999", str(MAX_ID + 1), "-1", "0", "1.5", "abc"]


@pytest.fixture
def unit_hazards(make_hazard, units):
    return make_hazard(unit=units["commerce"]), make_hazard(unit=None, unit_name="无登记单位")


@pytest.fixture
def client(users, login):
    client = login(users["admin"])
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("value", BAD_IDS)
def test_api_refuses_a_bad_unit_id(client, unit_hazards, value):
    response = client.get("/api/v1/hazards", {"unit": value})
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["message"]
    assert "unit" in str(body["details"])


@pytest.mark.parametrize("value", BAD_IDS)
def test_list_page_says_what_is_wrong(client, unit_hazards, value):
    response = client.get("/hazards/", {"unit": value})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="filter-errors"' in text
    assert "筛选条件有误：单位" in text


def test_list_page_overflow_names_the_range(client, unit_hazards):
    text = client.get("/hazards/", {"unit": "99999999999999999999999"}).content.decode()
    assert "单位编号超出范围" in text


@pytest.mark.parametrize("value", BAD_IDS)
def test_export_refuses_rather_than_exporting_everything(client, unit_hazards, value):
    response = client.get("/hazards/export/", {"unit": value})
    assert response.status_code == 400
    text = response.content.decode()
    assert "筛选条件有误：单位" in text
    assert "spreadsheetml" not in response.get("Content-Type", "")


def test_a_real_unit_id_still_filters(client, unit_hazards, units):
    with_unit, without_unit = unit_hazards
    unit_id = units["commerce"].pk
    items = client.get("/api/v1/hazards", {"unit": unit_id}).json()["items"]
    assert [item["id"] for item in items] == [with_unit.pk]
    page = client.get("/hazards/", {"unit": unit_id}).content.decode()
    assert with_unit.code in page and without_unit.code not in page
    assert 'data-testid="filter-errors"' not in page
    export = client.get("/hazards/export/", {"unit": unit_id})
    assert export.status_code == 200
    assert "spreadsheetml" in export["Content-Type"]


def test_an_unknown_but_valid_unit_id_finds_nothing(client, unit_hazards):
    assert client.get("/api/v1/hazards", {"unit": MAX_ID}).json()["items"] == []
    assert client.get("/hazards/", {"unit": MAX_ID}).status_code == 200


OVERFLOW = "99999999999999999999999"
ID_FILTERS = ["unit", "sector", "owner", "street", "category"]


@pytest.mark.parametrize("param", ID_FILTERS)
def test_every_id_filter_beyond_64_bits_is_a_message_never_a_500(client, unit_hazards, param):
    api = client.get("/api/v1/hazards", {param: OVERFLOW})
    assert api.status_code == 422, api.content[:300]
    assert param in str(api.json()["details"])
    page = client.get("/hazards/", {param: OVERFLOW})
    assert page.status_code == 200
    assert "筛选条件有误：" in page.content.decode()
    export = client.get("/hazards/export/", {param: OVERFLOW})
    assert export.status_code == 400
    assert "筛选条件有误：" in export.content.decode()


def test_a_page_number_beyond_64_bits_shows_the_last_page(client, unit_hazards):
    response = client.get("/hazards/", {"page": OVERFLOW})
    assert response.status_code == 200
    assert unit_hazards[0].code in response.content.decode()


@pytest.mark.parametrize("q", ["疏散\x00通道", "\x00"])
def test_a_nul_byte_in_the_keyword_is_refused_everywhere(client, unit_hazards, q):
    """PostgreSQL cannot even compare text with a NUL byte; SQLite would search for it."""
    assert client.get("/api/v1/hazards", {"q": q}).status_code == 422
    page = client.get("/hazards/", {"q": q})
    assert page.status_code == 200
    assert "筛选条件有误：" in page.content.decode()
    assert client.get("/hazards/export/", {"q": q}).status_code == 400
