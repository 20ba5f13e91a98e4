"""Fixtures of the plan/task ledger: sectors, the six real plans parsed once
per session, and an importer that goes through the service."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.core.testing import make_user
from zhiben.hazards.reference import load_files
from zhiben.org.choices import Role
from zhiben.plans import services
from zhiben.plans.models import Plan
from zhiben.plans.parsing import parse_plan_file

PLAN_FILES = ["civil-defense", "commerce", "construction", "ecology", "economy", "road-traffic"]


@pytest.fixture(scope="session")
def parsed() -> dict[str, dict]:
    """name → parser output, parsed once."""
    return {name: parse_plan_file(Path(settings.DATA_DIR) / "plans" / f"{name}.txt") for name in PLAN_FILES}


@pytest.fixture
def sectors(orgs):
    load_files()


@pytest.fixture
def import_plan(sectors, orgs, parsed):
    """import_plan(name, actor=None, **kw) -> Plan (economy gets 区安委办 as owner)."""

    def run(name: str, actor=None, **kw) -> Plan:
        if name == "economy":
            kw.setdefault("owner", orgs["hk-awb"])
        return services.plan_import(actor=actor, data=parsed[name], source_name=f"{name}.txt", **kw).plan

    return run


@pytest.fixture
def plan_users(orgs):
    """Users around the commerce plan besides the shared fixtures."""
    return {
        "sthjj_officer": make_user("t_sthjj_officer", Role.DEPT_OFFICER, orgs["hk-sthjj-fsyjk"]),
        "sthjj_leader": make_user("t_sthjj_leader", Role.DEPT_LEADER, orgs["hk-sthjj"]),
        "gafj_officer": make_user("t_gafj_officer", Role.DEPT_OFFICER, orgs["hk-gafj"]),
        "jyj_officer": make_user("t_jyj_officer", Role.DEPT_OFFICER, orgs["hk-jyj"]),
        "fgj_officer": make_user("t_fgj_officer", Role.DEPT_OFFICER, orgs["hk-fgj"]),
    }


def photo(name: str = "佐证.jpg", color=(30, 120, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def month(year: int, m: int) -> dt.date:
    return dt.date(year, m, 1)


@pytest.fixture
def frozen(monkeypatch):
    """frozen(datetime) pins django.utils.timezone.now (and so localdate)."""
    from django.utils import timezone

    def pin(moment: dt.datetime) -> None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return pin


def audit_count(obj) -> int:
    from zhiben.audit.models import AuditEvent

    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).count()
