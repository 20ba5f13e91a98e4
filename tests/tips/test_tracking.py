"""The tracking page: the reporter's code shows status and reply, nothing
else; a wrong code shows a neutral message; lookups are rate-limited."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from zhiben.tips import services

from .conftest import NAME, PHONE

pytestmark = pytest.mark.django_db


def test_code_shows_status_then_reply(submit, users):
    tip, code = submit(text="电梯井口没有防护栏，很危险，请尽快处理")
    response = Client().post("/report/track/", {"code": code})
    html = response.content.decode()
    assert response.status_code == 200
    assert "待处理" in html and "尚未答复" in html and tip.number in html
    for private in (NAME, PHONE, "电梯井口", tip.routed_to.name):
        assert private not in html
    services.tip_reject(actor=users["officer"], tip=tip, reason="经核实现场已整改")
    services.tip_reply(actor=users["officer"], tip=tip, text="感谢监督，现场已清理完毕。")
    html = Client().post("/report/track/", {"code": code.lower().replace("-", " ")}).content.decode()
    assert "已答复" in html and "感谢监督，现场已清理完毕。" in html
    assert "经核实现场已整改" not in html  # internal reason stays internal


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC", "2222-2222-2222", "short", "", "<script>"])
def test_wrong_code_shows_nothing(submit, code):
    tip, real = submit()
    response = Client().post("/report/track/", {"code": code})
    html = response.content.decode()
    assert tip.number not in html and "待处理" not in html
    if code.strip() and code != real:
        assert "没有查到" in html or "查询码" in html


def test_get_shows_only_the_form(submit):
    submit()
    html = Client().get("/report/track/").content.decode()
    assert "没有查到" not in html and "track-result" not in html


@override_settings(ZHIBEN_TIP_TRACK_RATE=(3, 600))
def test_lookups_are_rate_limited(submit):
    tip, code = submit()
    client = Client()
    for _ in range(3):
        client.post("/report/track/", {"code": "AAAA-BBBB-CCCC"})
    response = client.post("/report/track/", {"code": code})
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()
    assert tip.number not in response.content.decode()


def test_codes_are_random_and_unambiguous():
    codes = {services.new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        raw = code.replace("-", "")
        assert len(raw) == 12 and not set(raw) & set("01OI")
    assert services.normalize_code(" abcd-efgh-jkmn ") == "ABCDEFGHJKMN"
    assert services.normalize_code("ABCD-EFGH-JKM0") is None
