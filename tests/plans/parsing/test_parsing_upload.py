"""The upload page takes the new formats: a saved web page imports like the
.txt, a scanned PDF is refused with the parser's message, and the file input
offers the accepted extensions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.plans.models import Plan

pytestmark = pytest.mark.django_db


def _page(name: str) -> bytes:
    text = (Path(settings.DATA_DIR) / "plans" / f"{name}.txt").read_text("utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    nav = "<div class='nav'><a href='/'>首页</a><a href='/zw'>政务公开</a></div>"
    return f"<html><head><meta charset='gbk'></head><body>{nav}<div class='content'>{paragraphs}</div></body></html>".encode(
        "gb18030"
    )


def test_upload_offers_the_accepted_extensions(users, login):
    page = login(users["admin"]).get("/plans/upload/").content.decode()
    assert 'accept=".docx,.txt,.pdf,.html,.htm"' in page


def test_upload_a_saved_web_page(users, sectors, login):
    client = login(users["admin"])
    response = client.post("/plans/upload/", {"file": SimpleUploadedFile("commerce.htm", _page("commerce"))})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.tasks.count() == 13


def test_upload_a_scanned_pdf(users, sectors, login):
    buffer = io.BytesIO()
    Image.new("RGB", (595, 842), (255, 255, 255)).save(buffer, "PDF")
    client = login(users["admin"])
    response = client.post("/plans/upload/", {"file": SimpleUploadedFile("scan.pdf", buffer.getvalue())})
    assert response.status_code == 422
    assert "该 PDF 没有文字层（可能是扫描件）" in response.content.decode()
    assert not Plan.objects.exists()


def test_an_oversized_file_is_refused_by_the_form_before_it_is_read(users, sectors, login, monkeypatch):
    from zhiben.plans.parsing import decoding

    def never(*args, **kwargs):  # the parser must not even see it
        raise AssertionError("an oversized upload reached the parser")

    monkeypatch.setattr(decoding, "load_blocks", never)
    client = login(users["admin"])
    big = SimpleUploadedFile("huge.txt", b"x" * (decoding.MAX_BYTES + 1))
    response = client.post("/plans/upload/", {"file": big})
    assert response.status_code == 422
    assert "方案文件不能超过 20 MB" in response.content.decode()
    assert not Plan.objects.exists()
