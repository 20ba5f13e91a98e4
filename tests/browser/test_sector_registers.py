"""The sector registers (行业台账) used on a phone (390 px), one whole task per app:
a 深基坑 reading over its 报警值 raises the alarm on the point's page; a 事故多发点段 goes
启动整治 → 完成整治; a 人防工程 is filed and turned 闲置; a vehicle with a bad plate is
refused in Chinese next to the field, then registered with a good one. Each page must
not scroll sideways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhiben.civildefence.models import UseFiling
from zhiben.construction import services as construction_services
from zhiben.core.testing import PASSWORD, make_uscc, make_user
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.inspections import services as inspection_services
from zhiben.org.choices import Role
from zhiben.registry import services as registry_services
from zhiben.registry.models import SiteType, Unit
from zhiben.registry.reference import load_files as load_registry_reference
from zhiben.traffic import services as traffic_services
from zhiben.transport.models import Vehicle

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 500 and failures.append(f"{r.status} {r.url}"))
    yield page
    context.close()
    assert not failures, failures


@pytest.fixture
def reference(orgs):
    load_registry_reference()
    return {t.code: t for t in SiteType.objects.all()}


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def assert_fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width} px)"


def field_error(page, field_id: str) -> str:
    """The error text shown in the field's own block (label, input, messages)."""
    return page.locator(f"div.mb-3:has(#{field_id}) .invalid-feedback").all_inner_texts()


def test_pit_reading_over_threshold_raises_the_alarm(phone, live_server, reference, orgs, units, users):
    load_hazard_reference()
    jgw = make_user("t_jgw", Role.DEPT_OFFICER, orgs["hk-jgw"])
    site = registry_services.site_create(
        actor=users["admin"],
        data={"site_type": reference["construction_site"], "name": "场中路住宅项目", "unit": units["construction"]},
    )
    work = construction_services.work_create(
        actor=jgw, data={"site": site, "name": "1#楼深基坑", "work_type": "pit", "over_scale": True}
    )
    point = construction_services.point_create(
        actor=jgw,
        data={"work": work, "code": "ZQS-01", "item": "wall_top_h", "unit": "mm", "alarm_cumulative": Decimal("30")},
    )
    today = timezone.localdate()
    construction_services.reading_record(
        actor=jgw, point=point, data={"measured_on": today - dt.timedelta(days=1), "value": Decimal("12")}
    )

    login(phone, live_server, "t_jgw")
    # 住建部令第37号: an over-scale work without 专家论证 may not start; said next to 状态
    phone.goto(f"{live_server.url}/construction/works/{work.pk}/edit/")
    phone.select_option("#id_status", "in_progress")
    phone.click("main form button[type=submit]")
    phone.wait_for_selector(".invalid-feedback")
    assert "尚未通过专家论证" in " ".join(field_error(phone, "id_status"))
    assert_fits(phone)

    phone.goto(f"{live_server.url}/construction/points/{point.pk}/")
    assert phone.locator("[data-testid=point-alarm]").count() == 0
    assert "未达报警值" in phone.inner_text("[data-testid=point-latest]")
    phone.fill("#id_measured_on", today.isoformat())
    phone.fill("#id_value", "31.5")
    phone.click("[data-testid=reading-save]")
    phone.wait_for_selector("[data-testid=point-alarm]")
    alarm = phone.inner_text("[data-testid=point-alarm]")
    assert "报警中" in alarm and "31.50mm" in alarm and "30.00mm" in alarm
    assert "已触发报警" in phone.inner_text(".alert-warning")
    first = phone.locator("[data-testid=reading-table] tbody tr").first
    assert "报警" in first.inner_text() and "table-danger" in first.get_attribute("class")
    assert phone.locator("#pit-chart canvas").count() == 1  # the chart is drawn
    assert_fits(phone)


def test_black_spot_started_then_completed(phone, live_server, reference, orgs, users):
    make_user("t_gafj", Role.DEPT_OFFICER, orgs["hk-gafj"])
    spot = registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": reference["road_spot"],
            "name": "东大名路—旅顺路口",
            "street": orgs["hk-bwt"],
            "attributes": {"spot_kind": "事故多发点段", "road": "东大名路"},
        },
    )
    listing = traffic_services.listing_create(
        actor=users["admin"],
        data={"site": spot, "year": 2024, "level": "district", "accident_count": 3, "lead_org": orgs["hk-gafj"]},
    )

    login(phone, live_server, "t_gafj")
    phone.goto(f"{live_server.url}/traffic/black-spots/{listing.pk}/")
    assert phone.inner_text("[data-testid=rect-status]") == "未启动"
    start = "form:has([data-testid=transition-start])"
    phone.fill(f"{start} input[name=started_on]", timezone.localdate().isoformat())
    phone.click("[data-testid=transition-start]")  # 整治措施 left empty
    phone.wait_for_selector(f"{start} .invalid-feedback")
    assert "请填写整治措施" in phone.inner_text(f"{start} .invalid-feedback")
    assert phone.inner_text("[data-testid=rect-status]") == "未启动"
    phone.fill(f"{start} textarea[name=measures]", "增设信号灯与减速带，施划导向标线")
    phone.click("[data-testid=transition-start]")
    phone.wait_for_selector("text=已启动整治")
    assert phone.inner_text("[data-testid=rect-status]") == "整治中"
    phone.click("[data-testid=transition-complete]")
    phone.wait_for_selector("text=已完成整治")
    assert phone.inner_text("[data-testid=rect-status]") == "已完成"
    assert "增设信号灯" in phone.inner_text("[data-testid=rect-facts]")
    assert phone.locator("[data-testid=transition-complete]").count() == 0
    assert_fits(phone)

    phone.goto(f"{live_server.url}/traffic/black-spots/progress/")
    assert phone.locator("[data-testid=points-2026] tbody tr").count() == 1
    assert_fits(phone)


def test_civil_defence_work_filed_then_idle(phone, live_server, reference, orgs, users):
    load_hazard_reference()
    inspection_services.load_files()
    make_user("t_gdb", Role.DEPT_OFFICER, orgs["hk-gdb"])
    work = registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": reference["civil_air_defense"],
            "name": "虹口公园人防工程",
            "street": orgs["hk-oyl"],
            "attributes": {"category": "公用人防工程", "usage": "在用"},
        },
    )
    today = timezone.localdate()

    login(phone, live_server, "t_gdb")
    phone.goto(f"{live_server.url}/civildefence/filings/new/")
    phone.select_option("#id_site", value=str(work.pk))
    phone.fill("#id_filing_no", "HKRF-2026-101")
    phone.fill("#id_user_name", "上海虹口公园停车管理有限公司")
    phone.select_option("#id_purpose", value="parking")
    phone.fill("#id_area_m2", "1200.5")
    phone.fill("#id_filed_on", today.isoformat())
    phone.fill("#id_valid_until", (today - dt.timedelta(days=1)).isoformat())
    phone.fill("#id_manager_name", "周管理")
    phone.click("main form button[type=submit]")
    phone.wait_for_selector(".invalid-feedback")
    assert "不能早于备案日期" in " ".join(field_error(phone, "id_valid_until"))
    assert not UseFiling.objects.exists()
    phone.fill("#id_valid_until", (today + dt.timedelta(days=365)).isoformat())
    phone.click("main form button[type=submit]")
    phone.wait_for_selector("[data-testid=filing-state]")
    assert phone.inner_text("[data-testid=filing-state]") == "在用"
    assert_fits(phone)

    phone.fill("#reason-set_idle", "使用单位退租")
    phone.click("[data-testid=transition-set_idle]")
    phone.wait_for_selector("text=使用状态已变更为“闲置”")
    assert phone.inner_text("[data-testid=filing-state]") == "闲置"
    history = phone.inner_text("[data-testid=filing-history]")
    assert "在用 → 闲置" in history and "使用单位退租" in history and "t_gdb" in history
    assert UseFiling.objects.get().state == "idle"
    assert_fits(phone)

    # 区国动办 supervises no transport operator: no empty vehicle form, a Chinese reason instead
    phone.goto(f"{live_server.url}/transport/vehicles/new/")
    phone.wait_for_url(f"{live_server.url}/transport/vehicles/")
    assert "没有您可登记车辆的企业" in phone.inner_text(".alert-warning")
    assert phone.locator("main a[href$='/transport/vehicles/new/']").count() == 0


def test_vehicle_with_a_bad_plate_then_a_good_one(phone, live_server, orgs, users):
    unit = Unit.objects.create(
        name="上海虹口旅游客运有限公司", uscc=make_uscc(41), street=orgs["hk-bwt"], owner=orgs["hk-gafj"]
    )
    make_user("t_police", Role.DEPT_OFFICER, orgs["hk-gafj"])

    login(phone, live_server, "t_police")
    phone.goto(f"{live_server.url}/transport/vehicles/new/")
    phone.select_option("#id_unit", value=str(unit.pk))
    phone.fill("#id_plate", "ABC-123")
    phone.select_option("#id_vehicle_type", value="tourist_charter")
    phone.click("[data-testid=vehicle-save]")
    phone.wait_for_selector(".invalid-feedback")
    assert "车牌号码格式不正确" in " ".join(field_error(phone, "id_plate"))
    assert not Vehicle.objects.exists()
    assert_fits(phone)

    phone.fill("#id_plate", "沪B12345")
    phone.click("[data-testid=vehicle-save]")
    phone.wait_for_selector("text=车辆 沪B12345 已登记")
    assert "沪B12345" in phone.inner_text("h1")
    assert Vehicle.objects.get().unit == unit
    phone.goto(f"{live_server.url}/transport/vehicles/")
    assert "沪B12345" in phone.inner_text("[data-testid=vehicle-table]")
    assert not phone.locator("[data-testid=vehicle-table] thead").is_visible()  # a card, not a table
    assert_fits(phone)
