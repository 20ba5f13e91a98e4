"""The demo content (TrafficConfig.demo_data): made through the services, idempotent, and
showing every 整治 state and schools with and without a plan."""

from __future__ import annotations

import pytest
from django.apps import apps

from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.registry.reference import load_files
from zhiben.traffic.models import BlackSpotListing, SchoolSafetyPlan

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_shows_every_state(orgs, today, login):
    load_files()
    admin = make_user("admin", Role.DISTRICT_ADMIN, orgs["hk-awb"])
    config = apps.get_app_config("traffic")
    message = config.demo_data()
    assert "事故多发点段 6 处" in message and "一校一方案 3 份" in message
    assert "未新增" in config.demo_data()
    assert BlackSpotListing.objects.count() == 6 and SchoolSafetyPlan.objects.count() == 3
    states = set(BlackSpotListing.objects.values_list("rectification__status", flat=True))
    assert states == {"not_started", "in_progress", "completed", "accepted"}
    html = login(admin).get("/traffic/black-spots/progress/").content.decode()
    for year, fraction in ((2024, "1/4"), (2025, "3/6"), (2026, "3/6")):
        assert f'data-testid="fraction-{year}">{fraction}<' in html
    plans = login(admin).get("/traffic/school-plans/").content.decode()
    assert 'data-testid="coverage-fraction">2/4<' in plans
    jgw = make_user("jgw_demo", Role.DEPT_OFFICER, orgs["hk-jgw"])
    assert "共 4 处" in login(jgw).get("/traffic/black-spots/").content.decode()  # the points 区建管委 leads
