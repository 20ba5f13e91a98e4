"""Issue 11 in a real browser: after `zhiben tick`, the enterprise user finds
the 整改时限 reminder in the inbox and clicks through to the hazard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhiben.core.testing import PASSWORD
from zhiben.hazards import services
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Sector

pytestmark = pytest.mark.django_db(transaction=True)


def test_enterprise_user_sees_the_deadline_reminder_and_opens_the_hazard(page, live_server, users, units, orgs):
    load_files()
    admin = users["admin"]
    hazard = services.hazard_create(
        actor=admin,
        data={
            "sector": Sector.objects.get(code="commerce"),
            "category": HazardCategory.objects.get(code="fire-tdzd"),
            "level": "general",
            "source": "supervision",
            "difficulty": "easy",
            "found_on": timezone.localdate() - dt.timedelta(days=5),
            "title": "疏散通道堵塞",
            "description": "二层东侧疏散通道堆放纸箱",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
            "deadline_kind": "date",
        },
        allow_duplicate=True,
    )
    deadline = timezone.localdate() + dt.timedelta(days=2)
    services.hazard_confirm(actor=admin, hazard=hazard, requirement="立即清理", deadline_kind="date", deadline=deadline)

    call_command("tick", "--app", "hazards")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_enterprise")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")
    page.goto(f"{live_server.url}/inbox/")
    reminder = page.locator(f"text=整改时限将到（还有2天）：{hazard.code} 疏散通道堵塞")
    reminder.wait_for()
    assert "您收到此提醒，是因为您是该隐患的责任单位用户" in page.content()
    reminder.click()
    page.wait_for_url(re.compile(rf"/hazards/{hazard.pk}/$"))
    assert hazard.code in page.content()
