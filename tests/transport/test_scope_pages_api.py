"""Scope (404 out of scope for pages and API, an enterprise sees its own unit only), the
pages (lists, details, forms) and the API (create, list with cursor, update,
Idempotency-Key, 422 on bad input)."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.transport.models import Driver, Vehicle, Violation

VALID_ID = "310109198003150015"


@pytest.fixture
def records(fleet, make_vehicle, make_driver, make_violation):
    bus = make_vehicle(fleet["coach"], plate="沪B12345")
    truck = make_vehicle(fleet["muck"], plate="沪D34567", vehicle_type="muck_truck")
    wang = make_driver(fleet["coach"], name="王建国", id_number=VALID_ID, phone="13916612345")
    zhao = make_driver(fleet["muck"], name="赵大勇", licence_class="B2")
    return {
        "bus": bus,
        "truck": truck,
        "wang": wang,
        "zhao": zhao,
        "bus_violation": make_violation(vehicle=bus, driver=wang),
        "truck_violation": make_violation(vehicle=truck, driver=zhao, kind="overload"),
    }


def _detail_urls(r, own: bool) -> list[str]:
    vehicle, driver, violation = (
        (r["bus"], r["wang"], r["bus_violation"]) if own else (r["truck"], r["zhao"], r["truck_violation"])
    )
    return [
        f"/transport/vehicles/{vehicle.pk}/",
        f"/transport/drivers/{driver.pk}/",
        f"/transport/violations/{violation.pk}/",
        f"/api/v1/transport/vehicles/{vehicle.pk}",
        f"/api/v1/transport/drivers/{driver.pk}",
        f"/api/v1/transport/violations/{violation.pk}",
    ]


def test_enterprise_sees_its_own_unit_only_and_404_elsewhere(fleet, records, login):
    client = login(fleet["coach_user"])
    for url in _detail_urls(records, own=True):
        assert client.get(url).status_code == 200, url
    denied = AuditEvent.objects.filter(action="access.denied").count()
    for url in _detail_urls(records, own=False):
        assert client.get(url).status_code == 404, url
    assert AuditEvent.objects.filter(action="access.denied").count() == denied + 6
    assert client.get(f"/transport/vehicles/{records['truck'].pk}/edit/").status_code == 404
    listed = client.get("/transport/vehicles/").content.decode()
    assert "沪B12345" in listed and "沪D34567" not in listed
    api = client.get("/api/v1/transport/violations").json()
    assert [v["id"] for v in api["items"]] == [records["bus_violation"].pk]
    assert {d["name"] for d in client.get("/api/v1/transport/drivers").json()["items"]} == {"王建国"}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"沪B12345", "沪D34567"}),
        ("police", {"沪B12345", "沪D34567"}),
        ("street", {"沪B12345"}),
        ("officer", set()),
        ("readonly", set()),
        ("muck_user", {"沪D34567"}),
    ],
)
def test_role_matrix_of_the_vehicle_list(fleet, records, users, login, who, sees):
    user = fleet.get(who) or users[who]
    plates = {v["plate"] for v in login(user).get("/api/v1/transport/vehicles").json()["items"]}
    assert plates == sees


def test_government_out_of_scope_is_404(fleet, records, users, login):
    client = login(users["officer"])  # 区商务委: no transport unit
    for url in _detail_urls(records, own=True):
        assert client.get(url).status_code == 404, url
    street = login(users["street"])  # 北外滩: the coach operator is located there, the muck one is not
    assert street.get(f"/transport/vehicles/{records['bus'].pk}/").status_code == 200
    assert street.get(f"/transport/vehicles/{records['truck'].pk}/").status_code == 404


def test_phone_and_id_are_masked_for_who_may_not_read_contacts(fleet, records, users, login):
    url = f"/transport/drivers/{records['wang'].pk}/"
    clear = login(fleet["police"]).get(url).content.decode()
    assert VALID_ID in clear and "13916612345" in clear
    masked = login(users["street"]).get(url).content.decode()
    assert VALID_ID not in masked and "310109********0015" in masked and "139****2345" in masked
    api = login(users["street"]).get(f"/api/v1/transport/drivers/{records['wang'].pk}").json()
    assert api["id_number"] == "310109********0015" and api["phone"] == "139****2345"


def test_pages_render_and_forms_create_and_edit(fleet, records, login, today):
    client = login(fleet["coach_user"])
    for url in (
        "/transport/vehicles/",
        "/transport/drivers/",
        "/transport/violations/",
        "/transport/high-risk/",
        "/transport/vehicles/new/",
        "/transport/drivers/new/",
        "/transport/vehicles/?q=沪B&status=in_use",
        f"/transport/violations/new/?vehicle={records['bus'].pk}",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/transport/riders/").status_code == 403  # the government side only
    response = client.post(
        "/transport/vehicles/new/",
        {"unit": fleet["coach"].pk, "plate": "沪B99999", "vehicle_type": "coach_line", "status": "in_use"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Vehicle.objects.filter(plate="沪B99999", unit=fleet["coach"]).exists()
    bad = client.post(
        "/transport/vehicles/new/",
        {"unit": fleet["coach"].pk, "plate": "沪I99999", "vehicle_type": "coach_line", "status": "in_use"},
    )
    assert bad.status_code == 422 and "车牌号码格式不正确" in bad.content.decode()
    response = client.post(
        f"/transport/violations/new/?driver={records['wang'].pk}",
        {
            "driver": records["wang"].pk,
            "occurred_on": today.isoformat(),
            "kind": "fatigue",
            "points": 0,
            "source": "self_check",
        },
    )
    assert response.status_code == 302
    edit = client.post(
        f"/transport/drivers/{records['wang'].pk}/edit/",
        {"name": "王建国", "licence_class": "A1", "points": 6, "status": "active", "reason": "交管12123核对"},
    )
    assert edit.status_code == 302
    assert Driver.objects.get(pk=records["wang"].pk).points == 6
    assert Driver.objects.get(pk=records["wang"].pk).id_number == ""  # cleared: the form sent no ID


def test_api_create_list_update_and_idempotency(fleet, records, login, today):
    client = login(fleet["police"])
    body = {"unit_id": fleet["coach"].pk, "plate": "沪ad 54321", "vehicle_type": "ride_hailing"}
    first = client.post("/api/v1/transport/vehicles", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and first.json()["plate"] == "沪AD54321"
    again = client.post("/api/v1/transport/vehicles", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Vehicle.objects.filter(plate="沪AD54321").count() == 1
    page = client.get("/api/v1/transport/vehicles", {"limit": 2}).json()
    rest = client.get("/api/v1/transport/vehicles", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    pk = first.json()["id"]
    patched = client.patch(
        f"/api/v1/transport/vehicles/{pk}",
        {"status": "suspended", "reason": "停运整改"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["status"] == "suspended"
    violation = client.post(
        "/api/v1/transport/violations",
        {"vehicle_id": pk, "occurred_on": today.isoformat(), "kind": "speeding_50", "points": 6, "source": "police"},
        content_type="application/json",
    )
    assert violation.status_code == 201 and violation.json()["kind_label"] == "超速50%以上"
    driver = client.post(
        "/api/v1/transport/drivers",
        {"unit_id": fleet["muck"].pk, "name": "钱师傅", "licence_class": "A2", "points": 4},
        content_type="application/json",
    )
    assert driver.status_code == 201 and driver.json()["points"] == 4


def test_api_bad_input_is_422_and_out_of_scope_is_404(fleet, records, login, users, today):
    client = login(fleet["coach_user"])
    vehicles = Vehicle.objects.count()
    for bad in (
        {"unit_id": fleet["coach"].pk, "plate": "沪I12345", "vehicle_type": "bus"},
        {"unit_id": fleet["coach"].pk, "plate": "沪B1", "vehicle_type": "rocket"},
        {"unit_id": fleet["coach"].pk, "plate": "沪B11111", "vehicle_type": "bus", "extra": 1},
        {"unit_id": fleet["coach"].pk, "plate": "沪B11111", "vehicle_type": "bus", "insurance_due": "1900-01-01"},
    ):
        assert client.post("/api/v1/transport/vehicles", bad, content_type="application/json").status_code == 422
    assert Vehicle.objects.count() == vehicles
    foreign = {"unit_id": fleet["muck"].pk, "plate": "沪D11111", "vehicle_type": "muck_truck"}
    assert client.post("/api/v1/transport/vehicles", foreign, content_type="application/json").status_code == 404
    assert (
        client.patch(
            f"/api/v1/transport/vehicles/{records['truck'].pk}", {"note": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    police = client.post(
        "/api/v1/transport/violations",
        {"vehicle_id": records["bus"].pk, "occurred_on": today.isoformat(), "kind": "drunk", "source": "police"},
        content_type="application/json",
    )
    assert police.status_code == 403 and "企业自查" in police.json()["message"]
    assert Violation.objects.count() == 2
    assert (
        login(users["street"])
        .post(
            "/api/v1/transport/vehicles",
            {"unit_id": fleet["coach"].pk, "plate": "沪B22222", "vehicle_type": "bus"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def _menu(user) -> set[str]:
    from zhiben.web.navigation import menu_for

    return {item["label"] for group in menu_for(user, "/workspace/") for item in group["items"]}


def test_menu_shows_the_register_to_transport_enterprises_and_government(fleet, records, users, login):
    register = {"运输车辆", "驾驶员", "交通违法", "运输高风险清单"}
    assert register <= _menu(fleet["coach_user"]) and "骑手违法红黑榜" not in _menu(fleet["coach_user"])
    assert register | {"骑手违法红黑榜"} <= _menu(users["street"])
    assert not register & _menu(users["enterprise"])  # a 商务 unit without vehicles
    page = login(users["enterprise"]).get("/transport/vehicles/")
    assert page.status_code == 200 and "没有符合条件的车辆" in page.content.decode()


def test_api_points_must_be_a_number_within_range(fleet, login):
    client = login(fleet["police"])
    base = {"unit_id": fleet["coach"].pk, "name": "钱师傅", "licence_class": "A2"}
    for points in (False, True, 13, -1, "3", 2.5):
        response = client.post("/api/v1/transport/drivers", {**base, "points": points}, content_type="application/json")
        assert response.status_code == 422, points
    assert not fleet["coach"].drivers.exists()
