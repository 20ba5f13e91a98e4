"""举报 in a real browser: a member of the public reports a hazard at a site
(opened from the site's QR link) with a photo and gets a tracking code; an
officer accepts it into the hazard ledger and replies; the reporter sees
the reply with the code."""

from __future__ import annotations

import pytest
from PIL import Image

from zhiben.core.testing import PASSWORD
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Sector, Site, SiteType
from zhiben.tips.models import Tip

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_reports_officer_accepts_and_replies_reporter_reads(page, live_server, users, units, orgs, tmp_path):
    load_files()
    site_type = SiteType.objects.create(code="t-mall", name="测试商场", sector=Sector.objects.get(code="commerce"))
    site = Site.objects.create(
        public_code="CS-BROWSER2",
        name="北外滩商场B1",
        site_type=site_type,
        unit=units["commerce"],
        street=orgs["hk-bwt"],
        owner=orgs["hk-swj"],
    )
    image = tmp_path / "现场.jpg"
    Image.new("RGB", (320, 240), (180, 40, 40)).save(image, "JPEG")

    # the public, not logged in, from the site's QR link
    page.goto(f"{live_server.url}/report/?site={site.public_code}")
    assert "北外滩商场B1" in page.text_content("[data-testid=report-site]")
    page.fill("#id_text", "地下一层消防通道堆满纸箱，消防车进不来")
    page.fill("#id_place", "B1 东侧")
    page.set_input_files("#id_photos", str(image))
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=tracking-code]")
    code = page.text_content("[data-testid=tracking-code]").strip()
    assert len(code) == 14
    tip = Tip.objects.get()
    assert tip.routed_to == orgs["hk-swj"] and tip.photos.count() == 1

    # the officer accepts it into the ledger and replies
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_officer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")
    page.click("text=举报处理")
    page.click(f"text={tip.number}")
    assert page.text_content("[data-testid=tip-status]") == "待处理"
    # the photo really loads (wait: images load after the page)
    page.wait_for_function(
        "() => { const i = document.querySelector('.img-thumbnail'); return i && i.complete && i.naturalWidth > 0; }"
    )
    page.select_option("[data-testid=action-accept] select[name=sector]", label="商务")
    page.select_option("[data-testid=action-accept] select[name=category]", label="占用堵塞消防通道")
    page.click("[data-testid=action-accept] button[type=submit]")
    page.wait_for_selector("text=已受理（新建隐患）。")
    assert page.text_content("[data-testid=tip-status]") == "已受理"
    hazard = Hazard.objects.get()
    assert hazard.source == "report" and hazard.owner == orgs["hk-swj"] and hazard.street == orgs["hk-bwt"]
    assert hazard.code in page.text_content("[data-testid=tip-hazard]")
    page.fill("[data-testid=action-reply] textarea[name=text]", "感谢举报！已立案，责令商场三日内清理。")
    page.click("[data-testid=action-reply] button[type=submit]")
    page.wait_for_selector("text=已答复举报人。")
    assert page.text_content("[data-testid=tip-status]") == "已答复"
    page.click("[data-testid=logout]")

    # the reporter checks with the code
    page.goto(f"{live_server.url}/report/track/")
    page.fill("#id_code", code)
    page.click("[data-testid=track-submit]")
    page.wait_for_selector("[data-testid=track-result]")
    assert page.text_content("[data-testid=track-status]") == "已答复"
    assert "感谢举报！已立案，责令商场三日内清理。" in page.text_content("[data-testid=track-reply]")
    page.fill("#id_code", "AAAA-BBBB-CCCC")
    page.click("[data-testid=track-submit]")
    page.wait_for_selector("[data-testid=track-not-found]")
    assert page.locator("[data-testid=track-result]").count() == 0
