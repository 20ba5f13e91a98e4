"""Bad input through the API is a 4xx in the error shape with a Chinese
message, never a 500, and nothing is stored (issue 9: "500s found by bad
input", API text lengths)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from zhiben.accounts.services import token_create
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "details"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TOO_BIG = "99999999999999999999999"


def assert_refused(response, status: int = 422) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert CHINESE.search(body["message"]), body
    return body


@pytest.fixture
def admin(users, login) -> Client:
    return login(users["admin"])


@pytest.fixture
def hazard_payload(orgs, users) -> dict:
    load_files()
    return {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": str(timezone.localdate()),
        "title": "消防通道堵塞",
        "description": "二楼消防通道堆放杂物",
        "unit_name": "北外滩商场",
        "owner_id": orgs["hk-swj"].pk,
        "deadline": str(timezone.localdate() + dt.timedelta(days=7)),
    }


# --- integers beyond 64 bits --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/users?organization_id={TOO_BIG}",
        f"/api/v1/audit?actor_id={TOO_BIG}",
        f"/api/v1/hazards?unit={TOO_BIG}",
        f"/api/v1/hazards/{TOO_BIG}",
        f"/api/v1/users/{TOO_BIG}",
        f"/api/v1/units?street={TOO_BIG}",
        f"/api/v1/sites?unit={TOO_BIG}",
        f"/api/v1/tips?street={TOO_BIG}",
        f"/api/v1/organizations/{TOO_BIG}",
        f"/api/v1/inspections/{TOO_BIG}",
        f"/api/v1/plans/{TOO_BIG}",
    ],
)
def test_integers_beyond_64_bits_are_422(admin, url):
    body = assert_refused(admin.get(url))
    assert body["code"] == "validation_failed"


def test_integer_beyond_64_bits_in_a_body_is_422(admin, hazard_payload):
    response = admin.post(
        "/api/v1/hazards", data={**hazard_payload, "owner_id": int(TOO_BIG)}, content_type="application/json"
    )
    body = assert_refused(response)
    assert body["details"][0]["field"] == "owner_id"
    assert not Hazard.objects.exists()


# --- dates out of range -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/hazards/figures?as_of=9999-12-31",
        "/api/v1/hazards/figures?as_of=0001-01-01",
        "/api/v1/plan-instances?month=9999-12",
        "/api/v1/plan-instances?month=0001-01",
        "/api/v1/plan-reports?month=9999-12-01",
        "/api/v1/hazards?found_from=0001-01-01",
    ],
)
def test_dates_out_of_range_are_422(admin, url):
    assert_refused(admin.get(url))


@pytest.mark.parametrize("found_on", ["0001-01-01", "1999-12-31", "tomorrow"])
def test_found_on_before_2000_or_in_the_future_is_refused(admin, hazard_payload, found_on):
    if found_on == "tomorrow":
        found_on = str(timezone.localdate() + dt.timedelta(days=1))
    response = admin.post(
        "/api/v1/hazards", data={**hazard_payload, "found_on": found_on}, content_type="application/json"
    )
    body = assert_refused(response)
    assert body["details"][0]["field"] == "found_on"
    assert not Hazard.objects.exists()


# --- text: length, NUL, lone surrogates ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "length", "limit"),
    [("title", 5000, 120), ("title", 121, 120), ("unit_name", 201, 200), ("description", 1_000_000, 5000)],
    ids=["title-5000", "title-121", "unit_name-201", "description-1000000"],
)
def test_text_over_the_limit_is_422_with_the_limit_in_chinese(admin, hazard_payload, field, length, limit):
    response = admin.post(
        "/api/v1/hazards",
        data=json.dumps({**hazard_payload, field: "长" * length}, ensure_ascii=False),  # 3 MB for a million
        content_type="application/json",
    )
    body = assert_refused(response)
    assert body["details"][0]["field"] == field
    assert str(limit) in body["message"]
    assert not Hazard.objects.exists()


def test_text_at_the_limit_is_stored(admin, hazard_payload):
    response = admin.post(
        "/api/v1/hazards",
        data={**hazard_payload, "title": "长" * 120, "description": "述" * 5000},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    assert Hazard.objects.get().title == "长" * 120


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00byte"])
def test_lone_surrogate_or_nul_in_text_is_422(admin, hazard_payload, text):
    raw = json.dumps({**hazard_payload, "title": text})  # ensure_ascii: "\ud800" escapes, as a client sends them
    body = assert_refused(admin.post("/api/v1/hazards", data=raw, content_type="application/json"))
    assert body["details"][0]["field"] == "title"
    assert not Hazard.objects.exists()


def test_nul_inside_a_free_form_object_is_422(admin, orgs):
    payload = {"name": "某工地", "site_type": "construction", "attributes": {"楼层": "3\x00"}}
    response = admin.post("/api/v1/sites", data=json.dumps(payload), content_type="application/json")
    body = assert_refused(response)
    assert body["details"] == [
        {"field": "attributes.楼层", "message": "文本不能包含空字符（\\u0000）", "type": "invalid_text"}
    ]


def test_nul_in_a_query_parameter_is_422(admin):
    assert_refused(admin.get("/api/v1/audit?action=login%00"))


def test_nan_is_not_json(admin, orgs):
    raw = '{"method": "lec", "inputs": {"L": NaN}, "unit_id": 1}'
    body = assert_refused(admin.post("/api/v1/risk-assessments", data=raw, content_type="application/json"), 400)
    assert body["code"] == "invalid_json"


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_json_is_refused_without_a_server_error(admin, depth):
    raw = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = admin.post("/api/v1/units", data=raw, content_type="application/json")
    assert response.status_code in (400, 422), response.content[:300]
    assert set(response.json()) == ERROR_KEYS


# --- body size ----------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413(admin, hazard_payload, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    raw = json.dumps({**hazard_payload, "description": "x" * 20_000})
    body = assert_refused(admin.post("/api/v1/hazards", data=raw, content_type="application/json"), 413)
    assert body["code"] == "payload_too_large"
    assert not Hazard.objects.exists()


def test_a_form_body_over_the_limit_is_413(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = admin.post(
        "/api/v1/hazards/1/evidence", data="phase=" + "x" * 20_000, content_type="application/x-www-form-urlencoded"
    )
    assert_refused(response, 413)


def test_a_multipart_body_without_boundary_is_400(admin):
    response = admin.post("/api/v1/hazards/1/evidence", data=b"--x--", content_type="multipart/form-data")
    assert_refused(response, 400)


# --- the contract: error statuses, filters, the schema for tokens ---------------------------


def test_every_operation_declares_the_error_statuses_with_the_error_shape(admin):
    schema = admin.get("/api/v1/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status in ("400", "401", "403", "404", "409", "413", "422", "429"):
                response = operation["responses"].get(status)
                assert response, (method, path, status)
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut"


def test_idempotent_operations_declare_the_idempotency_key_header(admin):
    schema = admin.get("/api/v1/openapi.json").json()

    def headers(path: str) -> set[str]:
        parameters = schema["paths"][path]["post"].get("parameters", [])
        return {p["name"] for p in parameters if p["in"] == "header"}

    assert "Idempotency-Key" in headers("/api/v1/hazards")
    assert "Idempotency-Key" in headers("/api/v1/hazards/{pk}/verify-pass")
    assert "Idempotency-Key" in headers("/api/v1/users")


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/api/v1/hazards", {"status", "level", "category", "owner", "unit", "found_from", "overdue", "cursor"}),
        ("/api/v1/units", {"q", "street", "owner", "sector", "tag", "risk", "cursor", "limit"}),
        ("/api/v1/sites", {"q", "site_type", "unit", "cursor", "limit"}),
        ("/api/v1/tips", {"status", "channel", "street", "late", "cursor", "limit"}),
    ],
)
def test_list_filters_are_declared_with_bounds(admin, path, names):
    schema = admin.get("/api/v1/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert names <= set(parameters)
    for parameter in parameters.values():
        assert parameter["in"] == "query"


def test_a_token_reads_the_openapi_schema(users):
    _, raw = token_create(actor=users["officer"], name="codegen", days=30)
    client = Client()
    response = client.get("/api/v1/openapi.json", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["info"]["title"].startswith("治本")
    bad = client.get("/api/v1/openapi.json", headers={"authorization": "Bearer zb_nope_nope"})
    assert_refused(bad, 401)
    assert client.get("/api/v1/openapi.json").status_code == 302  # anonymous: to the login page


def test_an_empty_cursor_is_the_first_page_and_a_forged_one_is_422(admin):
    assert admin.get("/api/v1/users?cursor=").status_code == 200
    body = assert_refused(admin.get("/api/v1/users?cursor=AAAA"))
    assert body["code"] == "invalid_cursor"
    assert_refused(admin.get("/api/v1/users?cursor=" + "A" * 33))


def test_validation_messages_are_chinese(admin):
    body = assert_refused(admin.get("/api/v1/users?limit=abc"))
    assert body["details"][0] == {"field": "limit", "message": "应为整数", "type": "int_parsing"}
