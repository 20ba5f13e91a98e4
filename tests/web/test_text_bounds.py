"""Every text field of every page form is bounded (issue 9, item 10: a
120,000-character description was accepted through a form)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms

import zhiben
from zhiben.core.forms import FREE_TEXT_MAX_LENGTH
from zhiben.tips.models import Tip

pytestmark = pytest.mark.django_db


def _form_classes():
    for module_info in pkgutil.walk_packages(zhiben.__path__, "zhiben."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__ and cls.base_fields:
                yield f"{module.__name__}.{name}", cls


def _instances(users):
    """Each form built the way its views build it (a user where it asks for one)."""
    for name, cls in _form_classes():
        for attempt in ({}, {"user": users["admin"]}, {"actor": users["admin"]}):
            try:
                yield name, cls(**attempt)
                break
            except TypeError:
                continue


def test_no_form_accepts_unbounded_text(users):
    checked, unbounded = 0, []
    for name, form in _instances(users):
        checked += 1
        for field_name, field in form.fields.items():
            bound = 128 if isinstance(field.widget, forms.PasswordInput) else FREE_TEXT_MAX_LENGTH
            if isinstance(field, forms.CharField) and (field.max_length is None or field.max_length > bound):
                unbounded.append(f"{name}.{field_name}")
    assert checked >= 30, checked  # the walk really reached the forms
    assert not unbounded, unbounded


def test_an_administrators_password_reset_refuses_an_oversized_password(users, login):
    """org's 重置密码 form: a megabyte password is a message on the field, never hashed."""
    from zhiben.org.forms import PasswordResetForm
    from zhiben.web.toolkit import style_form

    form = PasswordResetForm({"new_password": "Aa1!" * 250_000})
    style_form(form)
    assert not form.is_valid()
    assert "不能超过 128 个字符" in str(form.errors["new_password"])


def test_public_tip_with_a_huge_text_is_refused_with_a_message_and_nothing_saved(orgs):
    from django.test import Client

    response = Client().post("/report/", {"text": "堵" * 120_000, "place": "某小区"})
    assert response.status_code == 422
    assert "不能超过" in response.content.decode()
    assert not Tip.objects.exists()


def test_a_plan_report_summary_over_the_bound_is_refused(users):
    from zhiben.plans.forms import ReportForm

    form = ReportForm({"summary": "进" * (FREE_TEXT_MAX_LENGTH + 1)})
    assert not form.is_valid()
    assert "不能超过 5000 个字符" in str(form.errors["summary"])
    assert form.fields["summary"].widget.attrs["maxlength"] == str(FREE_TEXT_MAX_LENGTH)
