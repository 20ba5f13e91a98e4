"""Fixtures for the hazard ledger: reference data, a hazard factory and
helpers that drive a hazard into any state through the services."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.core.testing import make_user
from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.hazards.reference import load_files
from zhiben.org.choices import Role
from zhiben.registry.models import Sector


@pytest.fixture
def reference(orgs):
    load_files()
    return {
        "commerce": Sector.objects.get(code="commerce"),
        "fire_category": HazardCategory.objects.get(code="fire-tdzd"),
    }


@pytest.fixture
def more_users(orgs, units):
    return {
        "jgw_officer": make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs["hk-jgw"]),
        "other_street": make_user("t_other_street", Role.STREET_OFFICER, orgs["hk-jwz"]),
        "other_enterprise": make_user(
            "t_other_enterprise", Role.ENTERPRISE, orgs["hk-jgw"], unit=units["construction"]
        ),
    }


@pytest.fixture
def everyone(users, more_users):
    return {**users, **more_users}


def photo(name: str = "after.jpg", color=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def hazard_data(reference, orgs, units):
    def make(**overrides):
        data = {
            "sector": reference["commerce"],
            "category": reference["fire_category"],
            "level": "general",
            "source": "supervision",
            "difficulty": "easy",
            "found_on": dt.date(2026, 3, 1),
            "title": "疏散通道堵塞",
            "description": "二层东侧疏散通道堆放纸箱",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
            "deadline_kind": "date",
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def make_hazard(users, hazard_data):
    def make(**overrides) -> Hazard:
        return services.hazard_create(actor=users["admin"], data=hazard_data(**overrides), allow_duplicate=True)

    return make


@pytest.fixture
def drive(users, orgs, make_hazard):
    """drive(status, **hazard fields) -> a hazard brought to ``status``."""
    admin = users["admin"]
    # Separation of duties: whoever records the rectification does not verify it.
    rectifier = make_user("t_admin_rectifier", Role.DISTRICT_ADMIN, orgs["hk-awb"])

    def to(status: str, **overrides) -> Hazard:
        hazard = make_hazard(**overrides)
        if status == HazardStatus.PENDING:
            return hazard
        if status == HazardStatus.TRANSFERRING:
            services.hazard_transfer(actor=admin, hazard=hazard, to_org=orgs["hk-jgw"], reason="属建管委监管")
            return Hazard.objects.get(pk=hazard.pk)
        services.hazard_confirm(
            actor=admin, hazard=hazard, requirement="立即清理", deadline_kind="date", deadline=dt.date(2026, 12, 31)
        )
        if status == HazardStatus.VOID:
            services.hazard_void(actor=admin, hazard=hazard, reason="误报")
            return Hazard.objects.get(pk=hazard.pk)
        if status == HazardStatus.RECTIFYING:
            return Hazard.objects.get(pk=hazard.pk)
        if hazard.level == "major":
            services.governance_plan_save(
                actor=admin,
                hazard=hazard,
                parts={
                    "objectives": "消除",
                    "methods": "清理",
                    "funding": "自筹",
                    "organization": "物业部",
                    "schedule": "一周",
                    "safety": "设置警示",
                },
            )
        services.hazard_submit(actor=rectifier, hazard=hazard, note="已清理", files=[photo()])
        if status == HazardStatus.AWAITING_VERIFICATION:
            return Hazard.objects.get(pk=hazard.pk)
        services.hazard_verify_pass(actor=admin, hazard=hazard, note="合格")
        return Hazard.objects.get(pk=hazard.pk)

    return to
