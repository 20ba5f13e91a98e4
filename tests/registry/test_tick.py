"""zhiben tick for the registry: 安责险, 许可证 and document expiries are
reminded 30 days ahead and on the day, once, to the unit's 企业用户 and the
owner department's staff."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zhiben.core.testing import make_user
from zhiben.notify.models import Notification
from zhiben.org.choices import Role
from zhiben.registry import services, tick
from zhiben.registry.models import Unit

pytestmark = pytest.mark.django_db


def photo(name="licence.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _told(**filters) -> set[str]:
    return set(
        Notification.objects.filter(kind="registry.expiry", **filters).values_list("recipient__username", flat=True)
    )


def test_insurance_expiry_reminded_30_days_ahead_and_on_the_day(users, units, orgs, login):
    other = make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs["hk-jgw"])
    unit = units["commerce"]
    now = timezone.now()
    today = timezone.localdate(now)
    Unit.objects.filter(pk=unit.pk).update(insurance_expiry=today + dt.timedelta(days=30))
    assert tick.run(now - dt.timedelta(days=1))["到期提醒"] == 0  # 31 days ahead: not yet
    count = tick.run(now)["到期提醒"]
    told = _told(target_id=unit.pk)
    assert {"t_enterprise", "t_leader", "t_officer"} <= told
    assert other.username not in told and "t_other_enterprise" not in told
    assert count == len(told)
    message = Notification.objects.get(kind="registry.expiry", recipient=users["enterprise"])
    assert "安全生产责任险将于30天后到期" in message.title and unit.name in message.title
    assert "您收到此提醒" in message.body
    assert login(users["enterprise"]).get(message.url).status_code == 200
    assert tick.run(now)["到期提醒"] == 0
    assert tick.run(now + dt.timedelta(days=10))["到期提醒"] == 0
    assert tick.run(now + dt.timedelta(days=30))["到期提醒"] == count  # on the day
    assert tick.run(now + dt.timedelta(days=31))["到期提醒"] == 0


def test_document_and_licence_expiries(users, units):
    unit = units["commerce"]
    now = timezone.now()
    today = timezone.localdate(now)
    services.document_add(
        actor=users["officer"], unit=unit, kind="license", title="营业执照", file=photo(), expires_on=today
    )
    Unit.objects.filter(pk=unit.pk).update(license_expiry=today + dt.timedelta(days=5))
    tick.run(now)
    titles = set(Notification.objects.filter(recipient=users["enterprise"]).values_list("title", flat=True))
    assert titles == {
        f"档案材料“营业执照”今天到期：{unit.name}",
        f"安全生产许可证将于5天后到期：{unit.name}",
    }
