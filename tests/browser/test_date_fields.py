"""Date fields in a real browser (issue 9, item 1).

Chrome shows ``<input type="date" value="2026/12/07">`` as an empty field and
submits it empty, so saving an edit erased the dates. Each edit form that
carries dates is opened, saved unchanged (or with another field changed), and
the record keeps its dates; the confirm form shows 整改时限 filled.
"""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.core.testing import PASSWORD
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.registry import services as registry_services
from zhiben.registry.models import Sector, Site, SiteType, Unit
from zhiben.registry.reference import load_files as load_registry_reference

pytestmark = pytest.mark.django_db(transaction=True)

FOUND = dt.date(2026, 3, 1)
DEADLINE = dt.date(2026, 12, 20)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def _hazard(users, units, orgs) -> Hazard:
    load_hazard_reference()
    return hazard_services.hazard_create(
        actor=users["admin"],
        data={
            "sector": Sector.objects.get(code="commerce"),
            "category": HazardCategory.objects.get(code="fire-tdzd"),
            "level": "general",
            "source": "supervision",
            "difficulty": "easy",
            "found_on": FOUND,
            "title": "疏散通道堵塞",
            "description": "二层东侧疏散通道堆放纸箱",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
            "requirement": "立即清理，保持通道畅通",
            "deadline_kind": "date",
            "deadline": DEADLINE,
        },
        allow_duplicate=True,
    )


def test_hazard_edit_keeps_its_dates_and_confirm_shows_the_deadline(page, live_server, users, units, orgs):
    hazard = _hazard(users, units, orgs)
    login(page, live_server, "t_officer")

    page.goto(f"{live_server.url}/hazards/{hazard.pk}/edit/")
    assert page.input_value("#id_found_on") == "2026-03-01"
    assert page.input_value("#id_deadline") == "2026-12-20"
    page.fill("#id_title", "疏散通道被纸箱堵塞")
    page.click("[data-testid=hazard-save]")
    page.wait_for_selector("text=隐患信息已修改")
    hazard.refresh_from_db()
    assert hazard.title == "疏散通道被纸箱堵塞"
    assert (hazard.found_on, hazard.deadline) == (FOUND, DEADLINE)

    # 确认上账 without retyping anything: the deadline is there.
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    confirm = "[data-testid=transition-confirm]"
    assert page.input_value(f"{confirm} input[name=deadline]") == "2026-12-20"
    page.click(f"{confirm} button[type=submit]")
    page.wait_for_selector("text=已确认上账")
    assert page.text_content("[data-testid=hazard-status]") == "整改中"
    hazard.refresh_from_db()
    assert hazard.deadline == DEADLINE

    # Saving the edit form once more, unchanged, keeps everything.
    before = {f: getattr(hazard, f) for f in hazard_services.EDITABLE_FIELDS}
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/edit/")
    page.click("[data-testid=hazard-save]")
    page.wait_for_url(f"{live_server.url}/hazards/{hazard.pk}/")
    hazard.refresh_from_db()
    assert {f: getattr(hazard, f) for f in hazard_services.EDITABLE_FIELDS} == before


def test_unit_and_site_edits_keep_their_dates(page, live_server, users, units, orgs):
    load_hazard_reference()
    load_registry_reference()
    unit = units["commerce"]
    Unit.objects.filter(pk=unit.pk).update(
        insurance_status="insured", insurance_expiry=dt.date(2027, 6, 30), license_expiry=dt.date(2028, 1, 15)
    )
    site = registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": SiteType.objects.get(code="small_works"),
            "name": "北外滩商场外立面修缮",
            "unit": unit,
            "owner": orgs["hk-swj"],
            "street": orgs["hk-bwt"],
            "attributes": {"start_on": "2026-11-02", "works_kind": "修缮"},
        },
    )
    login(page, live_server, "t_officer")

    page.goto(f"{live_server.url}/units/{unit.pk}/edit/")
    assert page.input_value("#id_insurance_expiry") == "2027-06-30"
    assert page.input_value("#id_license_expiry") == "2028-01-15"
    page.click("[data-testid=unit-save]")
    page.wait_for_url(f"{live_server.url}/units/{unit.pk}/")
    unit.refresh_from_db()
    assert (unit.insurance_expiry, unit.license_expiry) == (dt.date(2027, 6, 30), dt.date(2028, 1, 15))

    page.goto(f"{live_server.url}/sites/{site.pk}/edit/")
    assert page.input_value("#id_attr_start_on") == "2026-11-02"
    page.click("[data-testid=site-save]")
    page.wait_for_url(f"{live_server.url}/sites/{site.pk}/")
    assert Site.objects.get(pk=site.pk).attributes["start_on"] == "2026-11-02"
