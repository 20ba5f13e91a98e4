"""On a phone (390 px wide) lists are cards, filters fold away and the
Gantt stays readable; on a desktop the tables stay tables (issue 9, item 8).

Screenshots of each page are written to ``$ZHIBEN_SCREENSHOTS`` (default: the
test's tmp directory) so a person can look at them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest
from django.conf import settings

from zhiben.core.testing import PASSWORD
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.plans import services as plan_services
from zhiben.plans.models import Plan
from zhiben.plans.parsing import parse_plan_file
from zhiben.registry.models import Sector

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_UNIT = "上海虹口三角地农贸市场经营管理有限公司"
# Card lists by role: what each demo role opens from its menu.
LISTS = {
    "t_officer": ["/hazards/", "/units/", "/sites/", "/tips/", "/inspections/", "/plan-tasks/"],
    "t_street": ["/hazards/", "/units/", "/tips/"],
    "t_enterprise": ["/hazards/", "/units/", "/inspections/"],
    "t_admin": ["/hazards/", "/plans/", "/audit/", "/organizations/", "/imports/"],
}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("ZHIBEN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def content(users, units, orgs):
    load_hazard_reference()
    units["commerce"].name = LONG_UNIT
    units["commerce"].save(update_fields=["name"])
    for i in range(3):
        hazard_services.hazard_create(
            actor=users["admin"],
            data={
                "sector": Sector.objects.get(code="commerce"),
                "category": HazardCategory.objects.get(code="fire-tdzd"),
                "level": "general",
                "source": "supervision",
                "difficulty": "easy",
                "found_on": dt.date(2026, 11, 1 + i),
                "title": f"农贸市场消防车通道被占用（{i + 1}）",
                "description": "东侧消防车通道停放车辆",
                "unit": units["commerce"],
                "owner": orgs["hk-swj"],
                "street": orgs["hk-bwt"],
                "deadline_kind": "date",
                "deadline": dt.date(2026, 12, 20),
            },
            allow_duplicate=True,
        )
    path = Path(settings.DATA_DIR) / "plans" / "commerce.txt"
    plan_services.plan_import(actor=users["admin"], data=parse_plan_file(path), source_name=path.name)
    return Plan.objects.get()


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def _narrowest_cell(page) -> float:
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('table.table-cards tbody td')]
              .filter(td => td.offsetParent !== null && td.textContent.trim())
              .map(td => td.getBoundingClientRect().width))"""
    )


def _shot(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_lists_are_cards_on_a_phone_for_each_role(browser, live_server, content, shots):
    for username, urls in LISTS.items():
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        page = context.new_page()
        login(page, live_server, username)
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            _shot(page, shots, f"{username}-390{url.replace('/', '_')}")
            table = page.locator("table.table-cards").first
            assert table.count() == 1, url
            assert not page.locator("table.table-cards thead").first.is_visible(), url
            if page.locator("table.table-cards tbody td[data-label]").count():
                assert _narrowest_cell(page) > 300, url  # a cell spans the card, not one character
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{url} scrolls sideways ({width} px)"
        context.close()


def test_hazard_list_on_a_phone(browser, live_server, content, shots):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "t_officer")
    page.goto(f"{live_server.url}/hazards/")

    # The filters fold behind one button: the list starts on the first screen.
    assert not page.locator("#hazard-filters").is_visible()
    first_card = page.locator("[data-testid=hazard-table] tbody tr").first
    assert first_card.bounding_box()["y"] < PHONE["height"]
    # Each cell is labelled with its column, and 责任单位 reads on one or two lines.
    unit_cell = first_card.locator("td[data-label=责任单位]")
    assert LONG_UNIT in unit_cell.text_content()
    assert unit_cell.bounding_box()["height"] < 60
    assert first_card.locator("td.cell-title").bounding_box()["y"] <= unit_cell.bounding_box()["y"]
    _shot(page, shots, "hazards-390")

    page.click("[data-testid=filter-toggle]")
    page.wait_for_selector("#hazard-filters.show")
    assert page.locator("#id_q").is_visible()
    page.fill("#id_q", "（2）")
    page.click("#hazard-filters button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=hazard-table] tbody tr').length === 1")
    # htmx swapped the list in: its cells are labelled again.
    assert page.locator("[data-testid=hazard-table] td[data-label=责任单位]").count() == 1
    _shot(page, shots, "hazards-390-filtered")
    context.close()


def test_gantt_years_do_not_overlap_on_a_phone(browser, live_server, content, shots):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "t_admin")
    page.goto(f"{live_server.url}/plans/{content.pk}/")
    gantt = page.locator("[data-testid=gantt]")
    gantt.scroll_into_view_if_needed()
    gantt.screenshot(path=str(shots / "gantt-390.png"))
    years = page.eval_on_selector_all(
        "[data-testid=gantt] .gantt-axis span.year",
        "spans => spans.map(s => { const r = s.getBoundingClientRect(); return [r.left, r.right]; })",
    )
    assert len(years) >= 3
    for (_, right), (left, _) in itertools.pairwise(years):
        assert right <= left, years
    track = page.locator("[data-testid=gantt] .gantt-track").first.bounding_box()
    assert track["width"] > 250  # the bars get the width of the screen, not what a 16rem label leaves
    context.close()


def test_desktop_keeps_tables_and_open_filters(browser, live_server, content, shots):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "t_officer")
    page.goto(f"{live_server.url}/hazards/")
    assert page.locator("[data-testid=hazard-table] thead").is_visible()
    assert page.locator("#hazard-filters").is_visible()
    assert not page.locator("[data-testid=filter-toggle]").is_visible()
    display = page.eval_on_selector("[data-testid=hazard-table] tbody tr", "tr => getComputedStyle(tr).display")
    assert display == "table-row"
    _shot(page, shots, "hazards-1280")
    page.goto(f"{live_server.url}/plans/{content.pk}/")
    _shot(page, shots, "plan-1280")
    context.close()
