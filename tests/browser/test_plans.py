"""The plan ledger in a real browser: a district admin imports the commerce
plan on the upload page and sees its tasks; the 商务委 officer submits a
monthly report for a section-led task, then fulfils the month's reporting
duty on the compliance calendar with a photo and sees its state change."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from zhiben.core.testing import PASSWORD
from zhiben.hazards.reference import load_files
from zhiben.plans.models import ObligationInstance, ProgressReport, Task

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace/")


def test_import_report_and_calendar(page, live_server, users, orgs, tmp_path):
    load_files()
    image = tmp_path / "报送截图.jpg"
    Image.new("RGB", (320, 240), (30, 160, 60)).save(image, "JPEG")

    login(page, live_server, "t_admin")
    page.goto(f"{live_server.url}/plans/")
    page.click("[data-testid=plan-upload]")
    page.set_input_files(
        "[data-testid=upload-form] input[type=file]", str(Path(settings.DATA_DIR) / "plans" / "commerce.txt")
    )
    page.click("[data-testid=upload-save]")
    page.wait_for_selector("[data-testid=task-table]")
    assert "虹口区商务领域" in page.text_content("[data-testid=plan-title]")
    table = page.text_content("[data-testid=task-table]")
    assert "市场管理科" in table and "进一步强化区商务委党组责任" in table
    assert page.locator("[data-testid=gantt] .gantt-row").count() == 14  # axis + 13 tasks
    page.click("[data-testid=logout]")

    task = Task.objects.get(number="2")
    login(page, live_server, "t_officer")
    page.goto(f"{live_server.url}/plan-tasks/")
    page.click(f"text={task.title}")
    page.select_option("[data-testid=report-form] select[name=organization]", label="市场管理科")
    page.fill("[data-testid=report-form] input[name=month]", "2026-03")
    page.fill("[data-testid=report-form] textarea[name=summary]", "完成农贸市场燃气安全检查 32 家")
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=report-status]")
    assert page.text_content("[data-testid=report-status]") == "已报送"
    assert ProgressReport.objects.get().status == "submitted"

    instance = ObligationInstance.objects.get(obligation__due_day=24, due_date="2026-03-24")
    page.goto(f"{live_server.url}/plan-calendar/?month=2026-03")
    row = f"[data-testid=instance-{instance.pk}]"
    assert page.text_content(f"{row} [data-testid=instance-state]") == "未完成（逾期）"
    page.fill(f"{row} input[name=note]", "已向委工作专班报送")
    page.set_input_files(f"{row} input[type=file]", str(image))
    page.click(f"{row} button[type=submit]")
    page.wait_for_selector("text=完成情况")
    assert page.text_content(f"{row} [data-testid=instance-state]") == "逾期完成"
    assert "报送截图.jpg" in page.text_content(row)
    assert "区商务委" in page.text_content("[data-testid=compliance-org]")
