"""serve_file: streams from storage with safe headers."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory
from PIL import Image

from zhiben.files.services import store_upload
from zhiben.files.views import CONTENT_SECURITY_POLICY, content_disposition, serve_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_():
    return RequestFactory().get("/some/permission-checked/url")


def body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def test_serves_original_image_inline_with_safe_headers(kit, request_):
    data = kit.image_bytes("JPEG", (120, 90))
    stored = store_upload(kit.upload("x.jpg", data))

    response = serve_file(request_, stored.pk, filename="整改前照片.jpg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == (
        f"inline; filename=\"file.jpg\"; filename*=UTF-8''{quote('整改前照片.jpg')}"
    )
    assert "%E6%95%B4%E6%94%B9%E5%89%8D" in response["Content-Disposition"]  # 整改前
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["ETag"] == f'"{stored.sha256}"'
    assert int(response["Content-Length"]) == len(data)
    assert body(response) == data


def test_pdf_is_always_a_sandboxed_download_so_its_scripts_never_run_in_our_origin(kit, request_):
    # A PDF can carry JavaScript, forms and links (and HTML when a browser
    # guesses): shown inline it would run in our origin. It is a download.
    data = kit.pdf_bytes()[:-6] + b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n%%EOF\n"
    stored = store_upload(kit.upload("验收材料.pdf", data))

    response = serve_file(request_, stored, filename="验收材料.pdf")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"file.pdf\"; filename*=UTF-8''{quote('验收材料.pdf')}"
    )
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["Content-Security-Policy"].endswith("; sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == data


def test_heic_original_is_a_download_but_its_thumbnail_is_shown(kit, request_):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("no HEIC encoder here")
    out = io.BytesIO()
    kit.two_tone((64, 48)).save(out, format="HEIF", quality=60)
    stored = store_upload(kit.upload("IMG_1.HEIC", out.getvalue()))

    original = serve_file(request_, stored, filename="IMG_1.HEIC")
    thumb = serve_file(request_, stored, variant="thumb", filename="IMG_1.HEIC")

    assert original["Content-Disposition"].startswith("attachment; ")
    assert thumb["Content-Disposition"].startswith("inline; ")
    assert original["Content-Security-Policy"] == thumb["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    body(original), body(thumb)


def test_serves_as_attachment_when_asked(kit, request_):
    stored = store_upload(kit.upload("a.pdf", kit.pdf_bytes()))
    response = serve_file(request_, stored.pk, filename="report.pdf", as_attachment=True)
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    body(response)


def test_serves_thumbnail(kit, request_):
    stored = store_upload(kit.upload("x.png", kit.image_bytes("PNG", (1000, 500))))

    response = serve_file(request_, stored.pk, variant="thumb", filename="现场.png")

    assert response["Content-Type"] == "image/webp"
    assert f"filename*=UTF-8''{quote('现场.webp')}" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    with Image.open(io.BytesIO(body(response))) as thumb:
        assert thumb.size == (320, 160)


def test_misleading_extension_is_corrected(kit, request_):
    stored = store_upload(kit.upload("page.html", kit.image_bytes("PNG")))
    response = serve_file(request_, stored.pk, filename="page.html", as_attachment=True)
    assert response["Content-Disposition"] == 'attachment; filename="page.html.png"'
    body(response)


def test_default_name_is_the_hash(kit, request_):
    stored = store_upload(kit.upload("a.jpg", kit.image_bytes("JPEG")))
    response = serve_file(request_, stored.pk)
    assert response["Content-Disposition"] == f'inline; filename="{stored.sha256[:16]}.jpg"'
    body(response)


def test_pdf_has_no_thumbnail(kit, request_):
    stored = store_upload(kit.upload("a.pdf", kit.pdf_bytes()))
    with pytest.raises(Http404):
        serve_file(request_, stored.pk, variant="thumb")


def test_unknown_file_and_missing_object_are_404(kit, request_):
    with pytest.raises(Http404):
        serve_file(request_, 999_999)
    stored = store_upload(kit.upload("a.jpg", kit.image_bytes("JPEG")))
    default_storage.delete(stored.path)
    with pytest.raises(Http404):
        serve_file(request_, stored.pk)


def test_unknown_variant_is_a_programming_error(kit, request_):
    stored = store_upload(kit.upload("a.jpg", kit.image_bytes("JPEG")))
    with pytest.raises(ValueError):
        serve_file(request_, stored.pk, variant="large")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", 'inline; filename="photo.jpg"'),
        ('a"b\\c.jpg', "inline; filename=\"a_b_c.jpg\"; filename*=UTF-8''a%22b%5Cc.jpg"),
        ("隐患 1.jpg", "inline; filename=\"1.jpg\"; filename*=UTF-8''%E9%9A%90%E6%82%A3%201.jpg"),
        ("整改.pdf", "inline; filename=\"file.pdf\"; filename*=UTF-8''%E6%95%B4%E6%94%B9.pdf"),
    ],
)
def test_content_disposition_encoding(name, expected):
    assert content_disposition(name) == expected
