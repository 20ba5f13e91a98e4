"""The closed loop in a real browser: an officer puts a hazard on the ledger
and confirms it, the enterprise submits its rectification with a photo, the
officer verifies it and it shows as 已销号 with its timeline."""

from __future__ import annotations

import pytest
from PIL import Image

from zhiben.core.testing import PASSWORD
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def logout(page):
    page.click("[data-testid=logout]")


def test_officer_enterprise_officer_close_the_loop(page, live_server, users, units, orgs, tmp_path):
    load_files()
    image = tmp_path / "整改后.jpg"
    Image.new("RGB", (320, 240), (30, 160, 60)).save(image, "JPEG")

    login(page, live_server, "t_officer")
    page.goto(f"{live_server.url}/hazards/new/")
    page.select_option("#id_sector", label="商务")
    page.select_option("#id_category", label="占用堵塞消防通道")
    page.fill("#id_found_on", "2026-11-20")
    page.fill("#id_title", "安全出口被货物堵塞")
    page.fill("#id_description", "一层北侧安全出口堆放货物，无法正常开启")
    page.select_option("#id_unit", label="北外滩商场")
    page.select_option("#id_owner", value=str(orgs["hk-swj"].pk))
    page.fill("#id_deadline", "2026-12-20")
    page.click("[data-testid=hazard-save]")
    page.wait_for_selector("[data-testid=hazard-status]")
    assert page.text_content("[data-testid=hazard-status]") == "待确认"
    hazard = Hazard.objects.get()
    page.fill("[data-testid=transition-confirm] textarea[name=requirement]", "立即清理，保持安全出口畅通")
    page.select_option("[data-testid=transition-confirm] select[name=deadline_kind]", "date")
    page.fill("[data-testid=transition-confirm] input[name=deadline]", "2026-12-20")
    page.click("[data-testid=transition-confirm] button[type=submit]")
    page.wait_for_selector("text=已确认上账")
    assert page.text_content("[data-testid=hazard-status]") == "整改中"
    logout(page)

    login(page, live_server, "t_enterprise")
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    page.fill("[data-testid=transition-submit] textarea[name=note]", "货物已清走，安全出口已恢复畅通")
    page.set_input_files("[data-testid=transition-submit] input[type=file]", str(image))
    page.click("[data-testid=transition-submit] button[type=submit]")
    page.wait_for_selector("text=已提交整改")
    assert page.text_content("[data-testid=hazard-status]") == "待验收"
    assert page.locator("[data-testid=after-evidence] img").count() == 1
    assert page.locator("[data-testid=transition-verify_pass]").count() == 0
    logout(page)

    login(page, live_server, "t_officer")
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    # 验收意见 is required
    page.fill("[data-testid=transition-verify_pass] textarea[name=note]", "现场复核，安全出口畅通")
    page.click("[data-testid=transition-verify_pass] button[type=submit]")
    page.wait_for_selector("text=已验收通过（销号）")
    assert page.text_content("[data-testid=hazard-status]") == "已销号"
    timeline = page.text_content("[data-testid=timeline]")
    for step in ("上账", "确认上账", "提交整改", "验收通过，销号"):
        assert step in timeline
    # the thumbnail is really served to the browser
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=after-evidence] img'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
