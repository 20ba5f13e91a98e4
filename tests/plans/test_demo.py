"""The demo hook imports all eight plans idempotently and adds activity."""

from __future__ import annotations

import pytest

from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.plans.demo import _demo_activity, import_demo_plans
from zhiben.plans.models import IndicatorValue, ObligationInstance, Plan, ProgressReport

pytestmark = pytest.mark.django_db


def test_demo_plans_idempotent(sectors, orgs):
    assert import_demo_plans()["created"] == 8
    assert import_demo_plans() == {"created": 0, "unchanged": 8, "revision": 0, "updated": 0}
    assert Plan.objects.count() == 8
    make_user("swj_leader", Role.DEPT_LEADER, orgs["hk-swj"])
    make_user("swj_officer", Role.DEPT_OFFICER, orgs["hk-swj-scglk"])
    make_user("sthjj_officer", Role.DEPT_OFFICER, orgs["hk-sthjj-fsyjk"])
    assert _demo_activity() >= 5
    assert ProgressReport.objects.filter(status="accepted").count() == 1
    assert ObligationInstance.objects.filter(fulfilled_at__isnull=False).count() == 2
    assert IndicatorValue.objects.count() == 1
