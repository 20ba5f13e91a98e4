"""Every write operation of the API honours ``Idempotency-Key``.

A client on a bad network retries; with the key, the retry answers the first
result instead of acting twice. So every POST/PUT/PATCH/DELETE operation is
wrapped by ``@idempotent`` (``zhiben.api.idempotency``), which also declares
the header in the OpenAPI schema. Checked twice: on the schema clients read,
and on the routers' view functions. ``PENDING`` names the operations still
without it, each with its reason; a new one fails here, and so does an entry
that has been fixed (remove it).

Behaviour, one endpoint per app: the same key twice acts once and answers the
same. (Also pinned elsewhere: plans' report submit in tests/plans/test_api.py,
hazards' confirm in tests/hazards/test_api.py, parallel requests in
tests/api/test_idempotency_race.py, inspections in
tests/inspections/test_api_write.py.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from zhiben.api import routers  # noqa: F401  (mounts every app's router)
from zhiben.api.base import api
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.org.models import User
from zhiben.registry.models import Unit

WRITE_METHODS = {"post", "put", "patch", "delete"}
HEADER = "Idempotency-Key"

# (METHOD, path in the schema): why it does not honour the key yet. Fix, then delete the line.
PENDING: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/hazards/{pk}/evidence"): "multipart upload in hazards/api.py (the workflow helper's file)",
}


@pytest.fixture
def schema(users, login):
    return login(users["admin"]).get("/api/v1/openapi.json").json()


def _write_operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in WRITE_METHODS
    ]


def _declares_the_key(operation: dict) -> bool:
    return any(p.get("in") == "header" and p.get("name") == HEADER for p in operation.get("parameters", []))


def test_the_schema_has_write_operations_of_every_app_with_an_api(schema):
    paths = {path for _, path, _ in _write_operations(schema)}
    for expected in (
        "/api/v1/users",  # org
        "/api/v1/units",  # registry
        "/api/v1/plan-reports",  # plans
        "/api/v1/hazards",  # hazards
        "/api/v1/tips/{pk}/reject",  # tips
        "/api/v1/inspections",  # inspections
    ):
        assert expected in paths


def test_every_write_operation_declares_the_idempotency_key(schema):
    missing = [
        (method, path)
        for method, path, operation in _write_operations(schema)
        if not _declares_the_key(operation) and (method, path) not in PENDING
    ]
    assert missing == [], "wrap these with @idempotent (zhiben.api.idempotency)"


def test_the_key_is_declared_once_as_an_optional_bounded_header(schema):
    for method, path, operation in _write_operations(schema):
        declared = [p for p in operation.get("parameters", []) if p.get("name") == HEADER]
        if (method, path) in PENDING:
            continue
        assert len(declared) == 1, (method, path)
        assert declared[0]["required"] is False and declared[0]["schema"]["maxLength"] == 100


def test_read_operations_do_not_declare_it(schema):
    for path, methods in schema["paths"].items():
        if "get" in methods:
            assert not _declares_the_key(methods["get"]), path


def test_every_pending_entry_is_still_missing(schema):
    operations = {(method, path): operation for method, path, operation in _write_operations(schema)}
    stale = [key for key in PENDING if key not in operations or _declares_the_key(operations[key])]
    assert stale == [], "remove these from PENDING: they honour the key now (or are gone)"


def test_every_write_view_of_every_router_is_wrapped():
    """The same, read from the routers (the schema's source)."""
    missing = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                methods = {m.lower() for m in operation.methods}
                if not methods & WRITE_METHODS:
                    continue
                if getattr(operation.view_func, "honours_idempotency_key", False):
                    continue
                schema_path = "/api/v1" + prefix + path
                for method in sorted(methods & WRITE_METHODS):
                    key = (method.upper(), _normalise(schema_path))
                    if key not in PENDING:
                        missing.append((key, operation.view_func.__module__))
    assert missing == []


def _normalise(path: str) -> str:
    """Ninja's ``{pk}`` / ``{int:pk}`` path parameters as the schema writes them."""
    return re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path)


# --- Behaviour: the same key twice acts once and answers the same ---------------------------------


def post(client, path, data, key):
    return client.post(f"/api/v1{path}", data=data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def _twice(client, path, data, key="same-key-1"):
    first, again = post(client, path, data, key), post(client, path, data, key)
    assert first.status_code == again.status_code and 200 <= first.status_code < 300, first.content
    assert again.json() == first.json()
    assert again["Idempotent-Replay"] == "true" and "Idempotent-Replay" not in first
    return first


def test_registry_registers_one_unit(users, orgs, login):
    before = Unit.objects.count()
    payload = {"name": "幂等测试单位", "owner_id": orgs["hk-swj"].pk, "street_id": orgs["hk-bwt"].pk}
    _twice(login(users["admin"]), "/units", payload)
    assert Unit.objects.count() == before + 1


def test_hazards_files_one_hazard(users, orgs, units, login):
    load_hazard_reference()
    payload = {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-10-01",
        "title": "消防通道堵塞",
        "description": "一层消防车道被占用",
        "unit_id": units["commerce"].pk,
        "owner_id": orgs["hk-swj"].pk,
    }
    _twice(login(users["officer"]), "/hazards", payload)
    assert Hazard.objects.count() == 1


def test_a_key_reused_for_another_request_is_422(users, orgs, login):
    client = login(users["admin"])
    _twice(client, "/units", {"name": "幂等单位甲", "owner_id": orgs["hk-swj"].pk}, key="reused")
    other = post(client, "/units", {"name": "幂等单位丙", "owner_id": orgs["hk-swj"].pk}, "reused")
    assert other.status_code == 201 and other["Idempotent-Replay"] == "true"  # same path: the first answer
    assert not Unit.objects.filter(name="幂等单位丙").exists()
    elsewhere = post(client, "/risk-assessments", {"method": "LEC", "inputs": {}}, "reused")
    assert elsewhere.status_code == 422 and "Idempotency-Key" in elsewhere.json()["details"]


def test_with_a_key_the_answer_has_the_schema_shape(users, orgs, login):
    """The wrapper renders the answer itself: it must be what the schema declares, key or no key."""
    client = login(users["admin"])
    payload = {"name": "幂等单位丁", "owner_id": orgs["hk-swj"].pk}
    plain = client.post("/api/v1/units", data=payload, content_type="application/json").json()
    keyed = post(client, "/units", {**payload, "name": "幂等单位戊"}, "shape-1").json()
    assert set(keyed) == set(plain)
    assert {k: type(v) for k, v in keyed.items()} == {k: type(v) for k, v in plain.items()}


def test_a_refused_request_releases_the_key(users, orgs, login):
    """A failure acts nowhere, so a retry with the same key acts (once it may)."""
    payload = {"name": "幂等单位乙", "owner_id": orgs["hk-swj"].pk}
    refused = post(login(users["readonly"]), "/units", payload, "retry-1")
    assert refused.status_code in {403, 404, 422}
    assert not Unit.objects.filter(name="幂等单位乙").exists()
    assert post(login(users["readonly"]), "/units", payload, "retry-1").status_code == refused.status_code


def test_inspections_record_one_inspection(users, sites_for_inspection, login):
    from zhiben.inspections.models import Inspection

    site, checklist = sites_for_inspection
    payload = {"site_id": site.pk, "checklist_id": checklist.pk, "inspected_on": str(dt.date(2026, 3, 10))}
    _twice(login(users["enterprise"]), "/self-checks", payload)
    assert Inspection.objects.count() == 1


@pytest.fixture
def sites_for_inspection(users, orgs, units):
    from zhiben.inspections.models import Checklist
    from zhiben.inspections.services import load_files as load_checklists
    from zhiben.registry import services as registry_services
    from zhiben.registry.models import SiteType
    from zhiben.registry.reference import load_files as load_registry_reference

    load_hazard_reference()
    load_registry_reference()
    load_checklists()
    site = registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": SiteType.objects.get(code="commercial_complex"),
            "name": "幂等商场",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
        },
    )
    return site, Checklist.objects.get(code="gas-restaurant")


def test_org_creates_one_user_and_replays_only_the_schema_fields(users, orgs, login):
    """A view returning a model instance (a User) is rendered through its
    response schema, also when the key is stored and replayed."""
    payload = {
        "username": "idem_user",
        "password": "Zb-幂等-2026-long-pass",
        "display_name": "幂等用户",
        "organization_id": orgs["hk-swj"].pk,
        "role": "dept_officer",
    }
    first = _twice(login(users["admin"]), "/users", payload)
    assert first.status_code == 201
    body = first.json()
    assert body["username"] == "idem_user" and "password" not in body
    assert User.objects.filter(username="idem_user").count() == 1
    user_id = body["id"]
    _twice(login(users["admin"]), f"/users/{user_id}/active", {"active": False, "reason": "调离"}, key="off-1")
    assert not User.objects.get(pk=user_id).is_active
