"""The public form (/report/): anonymous, CSRF-protected, rate-limited,
size-limited, spam-refusing; and the site QR code."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from zhiben.files.models import StoredFile
from zhiben.tips import views
from zhiben.tips.models import Tip, TipPhoto

from .conftest import NAME, PHONE, pdf, photo

pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {
        "text": "商场地下车库消防通道堆满纸箱，消防车无法通行",
        "place": "北外滩某商场",
        "street": "",
        "reporter_name": "",
        "reporter_phone": "",
    }
    data.update(overrides)
    return data


def test_anonymous_gets_the_form_with_a_csrf_cookie(orgs):
    response = Client().get("/report/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    html = response.content.decode()
    assert "安全隐患举报" in html and 'name="csrfmiddlewaretoken"' in html


def test_site_code_prefills_the_site(site):
    html = Client().get("/report/", {"site": site.public_code}).content.decode()
    assert site.name in html and f'value="{site.public_code}"' in html
    html = Client().get("/report/", {"site": "CS-NOPE9999"}).content.decode()
    assert "场所码无效" in html


def test_post_without_csrf_token_is_refused(orgs):
    client = Client(enforce_csrf_checks=True)
    client.get("/report/")
    response = client.post("/report/", form())
    assert response.status_code == 403
    assert not Tip.objects.exists()


def test_post_with_csrf_token_works(orgs, site):
    client = Client(enforce_csrf_checks=True)
    client.get("/report/")
    token = client.cookies["csrftoken"].value
    response = client.post("/report/", {**form(site=site.public_code), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Tip.objects.count() == 1


def test_anonymous_submission_with_photo_routes_by_site_and_shows_a_tracking_code(orgs, site):
    response = Client().post(
        "/report/",
        form(site=site.public_code, reporter_name=NAME, reporter_phone=PHONE, photos=[photo(), photo("b.png")]),
    )
    assert response.status_code == 200
    html = response.content.decode()
    tip = Tip.objects.get()
    assert tip.channel == "web" and tip.created_by is None
    assert tip.site == site and tip.routed_to == orgs["hk-swj"] and tip.street == orgs["hk-bwt"]
    assert tip.unit == site.unit
    assert tip.photos.count() == 2
    code = response.context["code"]
    assert code in html and len(code) == 14 and code.count("-") == 2
    assert code.replace("-", "") not in tip.tracking_hash  # only the hash is stored
    assert NAME not in html and PHONE not in html
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_public_tip_without_site_or_street_goes_to_the_district_desk(orgs):
    Client().post("/report/", form())
    assert Tip.objects.get().routed_to == orgs["hk-awb"]


def test_employee_box_makes_it_an_internal_report(orgs):
    Client().post("/report/", form(is_employee="on", street=orgs["hk-bwt"].pk))
    tip = Tip.objects.get()
    assert tip.channel == "internal" and tip.routed_to == orgs["hk-bwt"]


@override_settings(ZHIBEN_TIP_RATE=(5, 600))
def test_sixth_post_in_the_window_is_refused_and_nothing_saved(orgs):
    client = Client()
    for i in range(5):
        assert client.post("/report/", form(text=f"第{i}条：楼道里堆放大量易燃杂物")).status_code == 200
    response = client.post("/report/", form(text="第六条：楼道里堆放大量易燃杂物"))
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert Tip.objects.count() == 5
    # another client IP is not affected
    assert Client(REMOTE_ADDR="10.1.2.3").post("/report/", form()).status_code == 200


@override_settings(ZHIBEN_TIP_RATE=(5, 600), ZHIBEN_TIP_ATTEMPT_RATE=(30, 600))
def test_mistakes_do_not_use_up_the_limit_of_reports(orgs):
    """Six refused forms (too short, bad phone …), then the corrected report is accepted."""
    client = Client()
    mistakes = [{"text": "有隐患"}, {"reporter_phone": "abc"}, {"text": ""}] * 2
    for overrides in mistakes:
        assert client.post("/report/", form(**overrides)).status_code == 422
    response = client.post("/report/", form())
    assert response.status_code == 200, response.content.decode()
    assert Tip.objects.count() == 1
    # the cap on accepted reports still holds: four more, then refused
    for i in range(4):
        assert client.post("/report/", form(text=f"第{i}条：楼道里堆放大量易燃杂物")).status_code == 200
    response = client.post("/report/", form(text="第六条：楼道里堆放大量易燃杂物"))
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert Tip.objects.count() == 5


@override_settings(ZHIBEN_TIP_RATE=(5, 600), ZHIBEN_TIP_ATTEMPT_RATE=(8, 600))
def test_a_flood_of_bad_posts_is_stopped_by_the_higher_attempt_cap(orgs):
    client = Client()
    for _ in range(8):
        assert client.post("/report/", form(text="有隐患")).status_code == 422
    response = client.post("/report/", form())
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert not Tip.objects.exists()
    assert Client(REMOTE_ADDR="10.1.2.3").post("/report/", form()).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": ""}, "请填写举报内容"),
        ({"text": "   "}, "请填写举报内容"),
        ({"text": "有隐患"}, "至少 5 个字"),
        ({"text": "隐" * 2001}, "举报内容不能超过 2000 字"),
        ({"text": "便宜好货 http://a.example.com 速来 https://b.example.com www.c.com"}, "网址过多"),
        ({"text": "啊啊啊啊啊啊啊啊啊啊啊啊"}, "举报内容无效"),
        ({"reporter_phone": "abc"}, "联系电话格式不正确"),
        ({"reporter_name": "名" * 31}, "姓名不能超过 30 字"),
        ({"place": "地" * 201}, "地点不能超过 200 字"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_saved(orgs, overrides, message):
    response = Client().post("/report/", form(**overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Tip.objects.exists()


def test_too_many_files_refused_before_anything_is_stored(orgs):
    photos = [photo(f"{i}.jpg", (i * 40, 10, 10)) for i in range(4)]
    response = Client().post("/report/", form(photos=photos))
    assert response.status_code == 422
    assert "最多上传 3 张照片" in response.content.decode()
    assert not Tip.objects.exists() and not StoredFile.objects.exists()


def test_non_image_refused(orgs):
    response = Client().post("/report/", form(photos=[photo(), pdf()]))
    assert response.status_code == 422
    assert "“doc.pdf”不是照片" in response.content.decode()
    assert not Tip.objects.exists() and not TipPhoto.objects.exists() and not StoredFile.objects.exists()


def test_fake_image_refused_by_content(orgs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = Client().post("/report/", form(photos=[fake]))
    assert response.status_code == 422 and "不是照片" in response.content.decode()
    assert not Tip.objects.exists()


def test_honeypot_refused(orgs):
    response = Client().post("/report/", form(website="http://spam.example"))
    assert response.status_code == 422 and "提交失败" in response.content.decode()
    assert not Tip.objects.exists()


def test_logged_in_staff_using_the_public_form_is_still_anonymous(users, orgs):
    client = Client()
    client.force_login(users["officer"])
    assert client.post("/report/", form()).status_code == 200
    assert Tip.objects.get().created_by is None


def test_site_qr_code_svg_encodes_the_report_url(site, users, login, monkeypatch):
    seen = []
    real_make = views.segno.make

    def spy(content, **kwargs):
        seen.append(content)
        return real_make(content, **kwargs)

    monkeypatch.setattr(views.segno, "make", spy)
    response = login(users["officer"]).get(f"/report/qr/{site.public_code}.svg", HTTP_HOST="zhiben.hk.gov.cn")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert seen == [f"http://zhiben.hk.gov.cn/report/?site={site.public_code}"]
    png = login(users["officer"]).get(f"/report/qr/{site.public_code}.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_site_qr_needs_login_and_scope(site, users, login):
    assert Client().get(f"/report/qr/{site.public_code}.svg").status_code == 302
    assert login(users["readonly"]).get(f"/report/qr/{site.public_code}.svg").status_code == 404
    assert login(users["officer"]).get("/report/qr/CS-NOPE9999.svg").status_code == 404
