"""Issue 9 (2, 7) in a real browser: a 科室 officer records a hazard by picking
one of its department's units — choosing it fills 地址, 街道 and 主管部门, the
categories follow the 行业领域, the 来源 starts as the officer's — and the
unit's enterprise user then sees the hazard."""

from __future__ import annotations

import pytest

from zhiben.core.testing import PASSWORD
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def test_section_officer_picks_the_unit_and_the_enterprise_sees_the_hazard(page, live_server, users, units, orgs):
    load_files()
    Unit.objects.filter(pk=units["commerce"].pk).update(address="东大名路1号")

    login(page, live_server, "t_section")
    page.goto(f"{live_server.url}/hazards/new/")
    assert page.input_value("#id_source") == "supervision"  # 来源 defaults by role
    all_categories = page.locator("#id_category option").count()
    page.select_option("#id_sector", label="商务")
    visible = page.locator("#id_category option:not([hidden])").count()
    assert 1 < visible < all_categories  # only the 商务 categories (and those of every sector)
    page.select_option("#id_category", label="占用堵塞消防通道")
    page.select_option("#id_unit", label="北外滩商场")
    assert page.input_value("#id_address") == "东大名路1号"
    assert page.input_value("#id_street") == str(orgs["hk-bwt"].pk)
    assert page.input_value("#id_owner") == str(orgs["hk-swj-scglk"].pk)  # the 科室 records it under itself
    assert page.input_value("#id_unit_uscc") == units["commerce"].uscc
    page.fill("#id_found_on", "2026-11-20")
    page.fill("#id_title", "菜场通道被货物堵塞")
    page.fill("#id_description", "东侧安全通道堆放货物")
    page.fill("#id_deadline", "2026-12-20")
    page.click("[data-testid=hazard-save]")
    page.wait_for_selector("[data-testid=hazard-status]")
    hazard = Hazard.objects.get(title="菜场通道被货物堵塞")
    assert hazard.unit_id == units["commerce"].pk and hazard.address == "东大名路1号"
    page.click("[data-testid=hazard-unit-link]")  # the 一企一档 opens for the officer
    page.wait_for_url(f"{live_server.url}/units/{units['commerce'].pk}/")
    assert hazard.code in page.content()
    page.click("[data-testid=logout]")

    login(page, live_server, "t_enterprise")
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    assert page.text_content("[data-testid=hazard-status]") == "待确认"
    assert "菜场通道被货物堵塞" in page.content()
