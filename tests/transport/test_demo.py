"""The demo data: written through the services, idempotent, and it fills the reports."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.registry.reference import load_files
from zhiben.transport import selectors
from zhiben.transport.models import Driver, RiderViolation, Vehicle, Violation


def test_demo_data_is_idempotent_and_fills_the_reports(orgs):
    load_files()
    admin = make_user("admin", Role.DISTRICT_ADMIN, orgs["hk-awb"])
    hook = apps.get_app_config("transport").demo_data
    assert "车辆 5 辆" in hook()
    assert hook() == "已有车辆，未新增"
    assert (Vehicle.objects.count(), Driver.objects.count(), Violation.objects.count()) == (5, 3, 6)
    assert RiderViolation.objects.count() == 6
    assert AuditEvent.objects.filter(action="transport.vehicle_create").count() == 5
    assert Vehicle.objects.first().unit.sector.code == "road_traffic"
    today = timezone.localdate()
    last_month = selectors.previous_month(today)
    rows = selectors.high_risk(admin, last_month, today)
    assert {r.label for r in rows} >= {"沪D45678", "赵大勇"}  # three violations last month
    assert selectors.rider_ranking(admin, last_month).black[0].station == "北外滩站"
