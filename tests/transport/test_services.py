"""Services of the road-transport register: validation in Chinese, rights, one audit
row per change, masked personal data in the trail."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.transport import services
from zhiben.transport.models import Driver, Vehicle, Violation

VALID_ID = "310109198003150015"


@pytest.mark.parametrize(
    ("raw", "plate"),
    [
        ("沪B12345", "沪B12345"),
        ("沪b 123·45", "沪B12345"),
        ("沪AD12345", "沪AD12345"),
        ("沪A12345F", "沪A12345F"),
        ("沪A1234挂", "沪A1234挂"),
        ("京AF1234 5", "京AF12345"),
    ],
)
def test_chinese_plates_are_accepted_and_normalised(fleet, make_vehicle, raw, plate):
    assert make_vehicle(fleet["coach"], plate=raw).plate == plate


@pytest.mark.parametrize(
    "plate", ["沪I12345", "沪A1234", "AB12345", "沪A123456", "沪AO1234", "沪AD1A234", "", "粤" * 11]
)
def test_bad_plates_are_refused_and_nothing_is_written(fleet, make_vehicle, plate):
    rows = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        make_vehicle(fleet["coach"], plate=plate)
    assert "plate" in exc.value.details
    assert not Vehicle.objects.exists() and AuditEvent.objects.count() == rows


def test_vehicle_create_writes_one_audit_row_and_checks_fields(fleet, make_vehicle, users, today):
    before = AuditEvent.objects.count()
    vehicle = make_vehicle(fleet["coach"], inspection_due=today + dt.timedelta(days=30))
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert [e.action for e in events] == ["transport.vehicle_create"]
    assert events[0].after["plate"] == "沪B12345" and events[0].object_id == str(vehicle.pk)
    with pytest.raises(ValidationFailed) as exc:
        make_vehicle(
            fleet["coach"],
            plate="沪B54321",
            vehicle_type="tank",
            status="lost",
            inspection_due=dt.date(1999, 1, 1),
            note="x" * 301,
        )
    assert set(exc.value.details) == {"vehicle_type", "status", "inspection_due", "note"}
    assert "车辆类型应为" in exc.value.message


def test_a_live_plate_is_held_once_and_free_again_after_cancellation(fleet, make_vehicle, users):
    first = make_vehicle(fleet["coach"])
    with pytest.raises(ValidationFailed) as exc:
        make_vehicle(fleet["muck"], plate="沪B 12345")
    assert "已有未注销的车辆" in exc.value.details["plate"]
    services.vehicle_update(actor=users["admin"], vehicle=first, data={"status": "cancelled"}, reason="报废")
    assert make_vehicle(fleet["muck"]).unit == fleet["muck"]
    event = AuditEvent.objects.get(action="transport.vehicle_update")
    assert event.before["status"] == "in_use" and event.after["status"] == "cancelled" and event.reason == "报废"


def test_who_may_register_and_edit(fleet, make_vehicle, users):
    assert make_vehicle(fleet["coach"], actor=fleet["coach_user"]).created_by == fleet["coach_user"]
    assert make_vehicle(fleet["coach"], plate="沪B00001", actor=fleet["police"]).unit == fleet["coach"]
    for who in (users["officer"], users["street"], users["expert"], users["readonly"], fleet["muck_user"]):
        with pytest.raises(PermissionDeniedError):
            make_vehicle(fleet["coach"], plate="沪B00002", actor=who)
    vehicle = Vehicle.objects.get(plate="沪B12345")
    with pytest.raises(PermissionDeniedError):
        services.vehicle_update(actor=fleet["muck_user"], vehicle=vehicle, data={"note": "改"})
    with pytest.raises(ValidationFailed):
        services.vehicle_update(actor=users["admin"], vehicle=vehicle, data={"unit": fleet["muck"]})
    assert Vehicle.objects.count() == 2 and AuditEvent.objects.filter(action="access.denied").exists()


def test_driver_id_and_phone_are_checked_and_masked_in_the_audit_trail(fleet, make_driver, users):
    with pytest.raises(ValidationFailed) as exc:
        make_driver(fleet["coach"], id_number="310109198003150016", phone="abc", points=13, licence_class="Z9", name="")
    assert set(exc.value.details) == {"id_number", "phone", "points", "licence_class", "name"}
    assert "校验位" in exc.value.details["id_number"]
    driver = make_driver(fleet["coach"], id_number=VALID_ID.lower(), phone="13916612345", points=3)
    assert driver.id_number == VALID_ID
    event = AuditEvent.objects.get(action="transport.driver_create")
    assert event.after["id_number"] == "310109********0015" and event.after["phone"] == "139****2345"
    assert VALID_ID not in str(event.after) and "13916612345" not in str(event.after)
    services.driver_update(actor=fleet["coach_user"], driver=driver, data={"points": 9, "phone": "13800000000"})
    update = AuditEvent.objects.get(action="transport.driver_update")
    assert update.before["points"] == 3 and update.after["points"] == 9 and update.after["phone"] == "138****0000"
    assert Driver.objects.get().points == 9


def test_violation_needs_a_subject_of_one_unit_and_a_past_date(fleet, make_vehicle, make_driver, make_violation, today):
    bus = make_vehicle(fleet["coach"])
    other_driver = make_driver(fleet["muck"], name="赵大勇", licence_class="B2")
    with pytest.raises(ValidationFailed) as exc:
        make_violation()
    assert "至少一项" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        make_violation(vehicle=bus, driver=other_driver)
    assert "同一企业" in exc.value.details["driver"]
    with pytest.raises(ValidationFailed) as exc:
        make_violation(vehicle=bus, occurred_on=today + dt.timedelta(days=1), kind="ghost", points=20, source="tv")
    assert set(exc.value.details) == {"occurred_on", "kind", "points", "source"}
    violation = make_violation(vehicle=bus, kind="drunk", points=12)
    assert violation.unit == fleet["coach"] and violation.import_job is None
    assert AuditEvent.objects.filter(action="transport.violation_create").count() == 1
    assert Violation.objects.count() == 1


def test_an_enterprise_records_only_self_check_violations(fleet, make_vehicle, make_violation, users):
    bus = make_vehicle(fleet["coach"])
    with pytest.raises(PermissionDeniedError):
        make_violation(vehicle=bus, source="police", actor=fleet["coach_user"])
    own = make_violation(vehicle=bus, source="self_check", actor=fleet["coach_user"])
    police = make_violation(vehicle=bus, source="police", actor=fleet["police"])
    services.violation_update(actor=fleet["coach_user"], violation=own, data={"note": "已教育"})
    with pytest.raises(PermissionDeniedError):
        services.violation_update(actor=fleet["coach_user"], violation=police, data={"note": "不认"})
    with pytest.raises(PermissionDeniedError):
        services.violation_update(actor=fleet["coach_user"], violation=own, data={"source": "police"})
    police.refresh_from_db()
    own.refresh_from_db()
    assert police.note == "" and own.source == "self_check" and own.note == "已教育"


def test_rider_violations_add_is_all_or_nothing(users, fleet, today):
    good = {"platform": "美团", "station": "北外滩站", "rider_name": "张三", "occurred_on": today, "offence": "闯红灯"}
    with pytest.raises(ValidationFailed) as exc:
        services.rider_violations_add(actor=users["admin"], rows=[good, {**good, "station": ""}])
    assert "第 2 条" in exc.value.message
    with pytest.raises(PermissionDeniedError):
        services.rider_violations_add(actor=fleet["coach_user"], rows=[good])
    assert len(services.rider_violations_add(actor=fleet["police"], rows=[good, good])) == 2
    assert AuditEvent.objects.get(action="transport.rider_add").after["created"] == 2
