"""The 工作台 panel counts what needs attention; notifications reach the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard
from zhiben.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_workspace_panel_counts(users, drive, login):
    overdue = drive(HazardStatus.RECTIFYING, description="甲")
    Hazard.objects.filter(pk=overdue.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    drive(HazardStatus.AWAITING_VERIFICATION, description="乙")
    drive(HazardStatus.CLOSED, description="丙")
    html = login(users["officer"]).get("/workspace/").content.decode()
    panel = html[html.index('data-testid="hazard-panel"') :]
    assert '<div class="fs-4 fw-semibold">2</div><div class="small text-muted">未销号</div>' in panel
    assert '<div class="fs-4 fw-semibold">1</div><div class="small text-muted">逾期</div>' in panel
    assert '<div class="fs-4 fw-semibold">1</div><div class="small text-muted">待验收</div>' in panel


def test_transfer_reaches_the_inbox_and_can_be_read(
    users, more_users, orgs, drive, login, django_capture_on_commit_callbacks
):
    hazard = drive(HazardStatus.RECTIFYING)
    with django_capture_on_commit_callbacks(execute=True):
        services.hazard_transfer(actor=users["officer"], hazard=hazard, to_org=orgs["hk-jgw"], reason="属建管委")
    client = login(more_users["jgw_officer"])
    workspace = client.get("/workspace/").content.decode()
    assert "条移交给本部门的隐患待接收" in workspace
    inbox = client.get("/inbox/").content.decode()
    assert f"移交隐患 {hazard.code}" in inbox
    note = Notification.objects.get(recipient=more_users["jgw_officer"])
    response = client.post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/hazards/{hazard.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    # nobody else can mark it
    other = login(users["leader"])
    other.post(f"/inbox/{note.pk}/read/")
    assert Notification.objects.filter(recipient=users["leader"]).count() == 0
