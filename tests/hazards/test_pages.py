"""Hazard pages: list, filters, sorting, create (with duplicate warning),
detail with timeline and only the allowed transition forms, bulk assign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard

from .conftest import photo

pytestmark = pytest.mark.django_db


def test_list_filters_sorts_and_counts(users, orgs, drive, login):
    a = drive(HazardStatus.RECTIFYING, level="major", description="甲")
    b = drive(HazardStatus.PENDING, description="乙", found_on=dt.date(2023, 2, 1))
    Hazard.objects.filter(pk=a.pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    client = login(users["officer"])
    html = client.get("/hazards/").content.decode()
    assert a.code in html and b.code in html and "共 2 条" in html
    assert "逾期" in html
    html = client.get("/hazards/", {"overdue": "true"}).content.decode()
    assert a.code in html and b.code not in html
    html = client.get("/hazards/", {"stock": "stock"}).content.decode()
    assert b.code in html and a.code not in html
    html = client.get("/hazards/", {"order": "found_on"}).content.decode()
    assert html.index(b.code) < html.index(a.code)
    html = client.get("/hazards/", {"order": "-found_on"}).content.decode()
    assert html.index(a.code) < html.index(b.code)
    partial = client.get("/hazards/", {"level": "major"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and a.code in partial and b.code not in partial


def test_create_page_then_duplicate_warning_then_link(users, orgs, units, reference, login):
    client = login(users["officer"])
    form = {
        "sector": reference["commerce"].pk,
        "category": reference["fire_category"].pk,
        "level": "general",
        "source": "supervision",
        "difficulty": "easy",
        "found_on": "2026-10-01",
        "title": "消防通道堵塞",
        "description": "一层消防车道被电动车占用",
        "unit": units["commerce"].pk,
        "owner": orgs["hk-swj"].pk,
        "deadline_kind": "date",
        "before_files": [photo("before.jpg")],
    }
    response = client.post("/hazards/new/", form)
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.evidence.get().phase == "before"
    form["before_files"] = [photo("again.jpg")]
    warning = client.post("/hazards/new/", form)
    assert warning.status_code == 200 and "关联到 " + hazard.code in warning.content.decode()
    form["before_files"] = [photo("third.jpg")]
    linked = client.post("/hazards/new/", {**form, "link_to": hazard.pk})
    assert linked.status_code == 302 and Hazard.objects.count() == 1
    assert hazard.notes.get().kind == "duplicate"
    form["before_files"] = [photo("fourth.jpg")]
    forced = client.post("/hazards/new/", {**form, "allow_duplicate": "1"})
    assert forced.status_code == 302 and Hazard.objects.count() == 2


def test_create_page_shows_errors_in_chinese(users, login, reference):
    response = login(users["officer"]).post("/hazards/new/", {"title": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert "这个字段是必填项" in html or "请" in html
    assert not Hazard.objects.exists()


def test_detail_shows_timeline_and_only_allowed_forms(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING)
    html = login(users["enterprise"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-testid="transition-submit"' in html
    assert 'data-testid="transition-void"' not in html and 'data-testid="transition-verify_pass"' not in html
    assert "上账" in html and "确认上账" in html  # the timeline
    leader = login(users["leader"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-testid="transition-void"' in leader and 'data-testid="transition-transfer"' in leader
    assert 'data-testid="transition' not in login(users["readonly"]).get("/hazards/").content.decode()


def test_major_hazard_detail_explains_the_missing_plan(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    html = login(users["enterprise"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert "治理方案" in html and "重大隐患须先编制治理方案" in html


def test_transition_form_errors_keep_the_record(users, drive, login):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION)
    response = login(users["officer"]).post(f"/hazards/{hazard.pk}/do/verify_fail/", {"reason": ""})
    assert response.status_code == 422
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.AWAITING_VERIFICATION
    ok = login(users["officer"]).post(f"/hazards/{hazard.pk}/do/verify_fail/", {"reason": "照片不清楚"})
    assert ok.status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING


def test_evidence_is_served_only_to_those_who_see_the_hazard(users, more_users, drive, login):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION)
    evidence = hazard.evidence.get()
    own = login(users["enterprise"]).get(f"/hazards/{hazard.pk}/evidence/{evidence.pk}/")
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    thumb = login(users["officer"]).get(f"/hazards/{hazard.pk}/evidence/{evidence.pk}/thumb/")
    assert thumb.status_code == 200
    assert login(more_users["other_enterprise"]).get(f"/hazards/{hazard.pk}/evidence/{evidence.pk}/").status_code == 404


def test_bulk_assign(users, orgs, drive, login):
    a = drive(HazardStatus.RECTIFYING, description="甲")
    b = drive(HazardStatus.PENDING, description="乙")
    client = login(users["leader"])
    response = client.post("/hazards/bulk-assign/", {"hazards": [a.pk, b.pk], "assignee": users["officer"].pk})
    assert response.status_code == 302
    assert set(Hazard.objects.filter(assignee=users["officer"]).values_list("pk", flat=True)) == {a.pk, b.pk}
    mine = login(users["officer"]).get("/hazards/", {"mine": "on"}).content.decode()
    assert a.code in mine and b.code in mine
    # someone without rights on one of them changes none
    other = drive(HazardStatus.PENDING, description="丙", owner=orgs["hk-jgw"], unit=None, unit_name="x")
    client.post("/hazards/bulk-assign/", {"hazards": [a.pk, other.pk], "assignee": ""})
    assert Hazard.objects.get(pk=a.pk).assignee == users["officer"]


def test_recheck_pages(users, orgs, drive, login):
    drive(HazardStatus.CLOSED)
    client = login(users["leader"])
    today = timezone.localdate().isoformat()
    response = client.post(
        "/hazards-recheck/",
        {"organization": orgs["hk-swj"].pk, "period_start": today, "period_end": today, "percent": 100},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "YH-2026-" in page
    item = Hazard.objects.get().rechecks.get()
    client.post(f"/hazards-recheck/{item.batch_id}/items/{item.pk}/", {"passed": "0", "note": "返潮"})
    assert Hazard.objects.get().status == HazardStatus.RECTIFYING


def test_figures_page(users, drive, login):
    drive(HazardStatus.RECTIFYING, level="major", found_on=dt.date(2023, 3, 1))
    html = login(users["admin"]).get("/hazards/figures/").content.decode()
    assert 'data-testid="major-stock-remaining">1<' in html


def test_a_broken_photo_on_a_transition_is_told_once_and_the_banner_points_to_the_form(users, drive, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    hazard = drive(HazardStatus.RECTIFYING)
    broken = SimpleUploadedFile("坏.jpg", b"\xff\xd8\xff\xe0not really a jpeg", content_type="image/jpeg")
    response = login(users["officer"]).post(
        f"/hazards/{hazard.pk}/do/submit/", {"note": "已清理", "files": [broken], "version": hazard.version}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count("坏.jpg") == 1, html  # on the file input only, not again in a banner
    assert "请按表单中的提示修改" in html
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING


@pytest.mark.parametrize(
    "post",
    [
        {"hazards": ["99999999999999999999999"], "assignee": ""},
        {"hazards": ["1"], "assignee": "99999999999999999999999"},
        {"hazards": ["1"], "assignee": "abc"},
        {"hazards": [str(i) for i in range(1, 600)], "assignee": ""},
    ],
)
def test_bulk_assign_bad_input_is_a_message_never_a_500_or_an_offsite_redirect(users, drive, login, post):
    hazard = drive(HazardStatus.RECTIFYING)
    client = login(users["leader"])
    response = client.post("/hazards/bulk-assign/", {**post, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/hazards/"
    page = client.get("/hazards/").content.decode()
    assert "无效" in page or "最多选择" in page or "请选择" in page
    assert Hazard.objects.get(pk=hazard.pk).assignee is None
