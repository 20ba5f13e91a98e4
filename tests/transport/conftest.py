"""Fixtures of the transport tests: a 道路交通 operator supervised by 区公安分局 with
its own enterprise user, the police officer, and factories through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.core.testing import make_uscc, make_user
from zhiben.org.choices import Role
from zhiben.registry.models import Unit
from zhiben.transport import services


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def fleet(orgs, users) -> dict:
    """Two operators of 区公安分局 (in 北外滩 and 江湾镇), the police officer, each operator's
    enterprise user."""
    coach = Unit.objects.create(name="虹口客运公司", uscc=make_uscc(11), street=orgs["hk-bwt"], owner=orgs["hk-gafj"])
    muck = Unit.objects.create(name="江湾渣土公司", uscc=make_uscc(12), street=orgs["hk-jwz"], owner=orgs["hk-gafj"])
    return {
        "coach": coach,
        "muck": muck,
        "police": make_user("t_police", Role.DEPT_OFFICER, orgs["hk-gafj"]),
        "coach_user": make_user("t_coach", Role.ENTERPRISE, orgs["hk-gafj"], unit=coach),
        "muck_user": make_user("t_muck", Role.ENTERPRISE, orgs["hk-gafj"], unit=muck),
    }


@pytest.fixture
def make_vehicle(users):
    def make(unit, plate="沪B12345", vehicle_type="tourist_charter", actor=None, **data):
        return services.vehicle_create(
            actor=actor or users["admin"], data={"unit": unit, "plate": plate, "vehicle_type": vehicle_type, **data}
        )

    return make


@pytest.fixture
def make_driver(users):
    def make(unit, name="王建国", licence_class="A1", actor=None, **data):
        return services.driver_create(
            actor=actor or users["admin"], data={"unit": unit, "name": name, "licence_class": licence_class, **data}
        )

    return make


@pytest.fixture
def make_violation(users, today):
    def make(occurred_on=None, kind="speeding", source="police", actor=None, **data):
        return services.violation_create(
            actor=actor or users["admin"],
            data={"occurred_on": occurred_on or today, "kind": kind, "source": source, **data},
        )

    return make


@pytest.fixture
def sync_imports(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"
