"""A refused service call is shown once, on the form it concerns (issue 9,
item 7: upload errors were shown three times)."""

from __future__ import annotations

import io

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image

from zhiben.core.errors import ValidationFailed
from zhiben.web.toolkit import apply_service_error

UPLOAD_MESSAGE = "文件“坏.jpg”已损坏或不完整，无法识别为图片"


class UploadForm(forms.Form):
    note = forms.CharField(required=False)
    files = forms.FileField(required=False)


class NoteForm(forms.Form):
    note = forms.CharField(required=False)


def _rendered(form) -> str:
    html = render_to_string("includes/form_errors.html", {"form": form})
    for field in form:
        html += render_to_string("includes/field.html", {"field": field})
    return html


def _upload_error(*messages: str) -> ValidationFailed:
    # the shape zhiben.files raises
    message = messages[0] if len(messages) == 1 else f"{len(messages)} 个文件未通过检查：" + "；".join(messages)
    return ValidationFailed(message, details={"file": message, "files": list(messages)})


@pytest.mark.parametrize("form_class", [UploadForm, NoteForm])
def test_an_upload_error_is_shown_once(form_class):
    form = form_class({})
    assert form.is_valid()
    apply_service_error(form, _upload_error(UPLOAD_MESSAGE))
    assert _rendered(form).count(UPLOAD_MESSAGE) == 1


def test_an_upload_error_goes_on_the_file_input():
    form = UploadForm({})
    form.is_valid()
    apply_service_error(form, _upload_error(UPLOAD_MESSAGE, "文件“b.png”是空文件"))
    assert list(form.errors) == ["files"]
    assert _rendered(form).count("文件“b.png”是空文件") == 1


def test_field_errors_on_their_fields_and_the_rest_once_above():
    form = NoteForm({})
    form.is_valid()
    apply_service_error(
        form, ValidationFailed("信息有误：备注太长；单位不存在", details={"note": "备注太长", "unit": "单位不存在"})
    )
    html = _rendered(form)
    assert form.errors["note"] == ["备注太长"]
    assert html.count("单位不存在") == 1 and html.count("备注太长") == 2  # the field, and the summary naming both
    assert len(form.non_field_errors()) == 1


def _corrupt_jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile("坏.jpg", buffer.getvalue()[:200], content_type="image/jpeg")


@pytest.mark.django_db
def test_public_tip_form_shows_a_broken_photo_once(orgs):
    response = Client().post(
        "/report/", {"text": "楼道里堆放大量纸箱，堵塞了安全出口", "place": "某小区", "photos": [_corrupt_jpeg()]}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count("坏.jpg") == 1, html


@pytest.mark.django_db
def test_staff_tip_form_shows_a_broken_photo_once(users, login):
    response = login(users["officer"]).post(
        "/tips/new/",
        {
            "channel": "12345",
            "received_on": "2026-11-02",
            "text": "楼道里堆放大量纸箱，堵塞了安全出口",
            "photos": [_corrupt_jpeg()],
        },
    )
    assert response.status_code == 422
    assert response.content.decode().count("坏.jpg") == 1
