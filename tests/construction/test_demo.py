"""The demo content goes through the services and is idempotent."""

from __future__ import annotations

from zhiben.audit.models import AuditEvent
from zhiben.construction.demo import DEMO_SITE, create_demo_construction
from zhiben.construction.models import Crane, DangerousWork, PitReading
from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.registry import services as registry_services


def test_demo_data_through_the_services_once(reference, orgs, units, django_capture_on_commit_callbacks):
    admin = make_user("admin", Role.DISTRICT_ADMIN, orgs["hk-awb"])
    assert create_demo_construction() == "缺少演示工地或账号，未新增"
    registry_services.site_create(
        actor=admin,
        data={"site_type": reference["types"]["construction_site"], "name": DEMO_SITE, "unit": units["construction"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = create_demo_construction()
    assert message.startswith("危大工程 2 项，起重机械 2 台") and "报警 2 次" in message
    assert DangerousWork.objects.get(work_type="pit").status == "in_progress"
    assert Crane.objects.get(crane_type="tower").status == "in_use"
    assert PitReading.objects.filter(alarm=True).count() == 2
    assert AuditEvent.objects.filter(action="pit_reading.record").count() == 14
    assert create_demo_construction() == "已有危大工程，未新增"
    assert DangerousWork.objects.count() == 2
