"""The anonymous 举报 form (/report/) with photos that are too large to decode
or arrive while the decoders are busy: a clear Chinese message, no 500,
nothing stored (issue 9, item 11)."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from zhiben.files import services
from zhiben.files.models import StoredFile
from zhiben.tips.models import Tip

from .test_store import real_png

pytestmark = pytest.mark.django_db


def post(photos: list[tuple[str, bytes]]):
    return Client().post(
        "/report/",
        {
            "text": "商场地下车库消防通道堆满纸箱，消防车无法通行",
            "place": "北外滩某商场",
            "street": "",
            "reporter_name": "",
            "reporter_phone": "",
            "photos": [SimpleUploadedFile(name, data) for name, data in photos],
        },
    )


def jpeg(size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "gray").save(out, format="JPEG")
    return out.getvalue()


def test_three_79_megapixel_pngs_are_refused_with_a_message(orgs):
    bomb = real_png(10000, 7900)
    response = post([("1.png", bomb), ("2.png", bomb + b"\0"), ("3.png", bomb + b"\0\0")])

    html = response.content.decode()
    assert response.status_code == 422
    assert "文件“1.png”的图片尺寸过大（10000×7900 像素，上限 1600 万像素）" in html
    assert "3.png" in html
    assert not Tip.objects.exists() and not StoredFile.objects.exists()


def test_busy_decoders_give_a_plain_message_and_the_tip_can_be_sent_again(orgs, settings, monkeypatch):
    settings.ZHIBEN_IMAGE_DECODE_SLOTS = 1
    settings.ZHIBEN_IMAGE_DECODE_WAIT = 0.2
    entered, release = threading.Event(), threading.Event()
    original = services._decode_thumbnail

    def slow(*args, **kwargs):
        entered.set()
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_decode_thumbnail", slow)
    holder = threading.Thread(target=services.check_upload, args=(SimpleUploadedFile("a.jpg", jpeg()),))
    holder.start()
    try:
        assert entered.wait(5)
        response = post([("现场.jpg", jpeg((500, 300)))])
    finally:
        release.set()
        holder.join(10)

    assert response.status_code == 429  # busy, not "your report is wrong"
    assert "服务器繁忙，请稍后再试" in response.content.decode()
    assert not Tip.objects.exists() and not StoredFile.objects.exists()

    assert post([("现场.jpg", jpeg((500, 300)))]).status_code == 200
    assert Tip.objects.count() == 1
