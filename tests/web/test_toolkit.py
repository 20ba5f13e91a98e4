"""The shared UI toolkit (issue 10, item 3): one definition of the form
styling, the shared fields, pagination and the service-error mapping, in
``zhiben.web.toolkit``, importing only Django and ``zhiben.core``."""

from __future__ import annotations

import ast
from pathlib import Path

from django import forms
from django.test import RequestFactory

import zhiben
from zhiben.web import toolkit

SRC = Path(zhiben.__file__).parent
TOOLKIT = SRC / "web" / "toolkit"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_toolkit_imports_only_django_and_core():
    for path in TOOLKIT.glob("*.py"):
        for name in _imported_modules(path):
            if name.startswith("zhiben"):
                assert name.startswith("zhiben.core"), f"{path.name} imports {name}"


def test_no_app_defines_its_own_styling_pagination_or_error_mapping():
    own = {"style", "_bootstrap", "_page", "paginate", "_apply_service_error", "apply_service_error", "style_form"}
    own_classes = {"Styled", "BootstrapMixin", "MultipleFileField", "MultipleFileInput", "OrgChoiceField"}
    for path in SRC.rglob("*.py"):
        if TOOLKIT in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                assert node.name not in own, f"{path.relative_to(SRC)} defines {node.name}"
            if isinstance(node, ast.ClassDef):
                assert node.name not in own_classes, f"{path.relative_to(SRC)} defines {node.name}"


class _Sample(forms.Form):
    name = forms.CharField(label="名称", max_length=20)
    note = forms.CharField(label="说明", widget=forms.Textarea)
    kind = forms.ChoiceField(label="类型", choices=[("a", "甲")])
    done = forms.BooleanField(label="完成", required=False)
    tags = forms.MultipleChoiceField(label="标签", choices=[("a", "甲")], widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(label="密码", widget=forms.PasswordInput)


def test_style_form_gives_bootstrap_classes_and_bounds_text():
    form = _Sample()
    toolkit.style_form(form)
    attrs = {name: field.widget.attrs for name, field in form.fields.items()}
    assert attrs["name"] == {"maxlength": "20", "class": "form-control"}
    assert attrs["note"]["maxlength"] == "5000" and attrs["note"]["class"] == "form-control"
    assert attrs["kind"] == {"class": "form-select"}
    assert attrs["done"] == {"class": "form-check-input"}
    assert attrs["tags"] == {"class": "form-control"}
    assert attrs["secret"] == {"maxlength": "128", "class": "form-control"}  # passwords too: nothing unbounded
    assert form.fields["name"].error_messages["max_length"] == "不能超过 20 个字符（当前 %(show_value)d 个）"


def test_style_form_options_placeholders_and_unstyled_checkbox_lists():
    form = _Sample()
    toolkit.style_form(form, placeholders=True, checkbox_lists=False)
    assert form.fields["name"].widget.attrs["placeholder"] == "名称"
    assert "placeholder" not in form.fields["note"].widget.attrs
    assert "placeholder" not in form.fields["secret"].widget.attrs
    assert form.fields["tags"].widget.attrs == {}


def test_the_mixin_reads_its_options_from_the_class():
    class AdminSample(toolkit.StyledForm, _Sample):
        text_placeholders = True
        style_checkbox_lists = False

    form = AdminSample()
    assert form.fields["name"].widget.attrs["placeholder"] == "名称"
    assert form.fields["tags"].widget.attrs == {}
    assert 'class="form-select"' in str(form["kind"])


def test_multiple_file_field_keeps_every_file_and_is_optional():
    field = toolkit.MultipleFileField(label="材料")
    assert field.required is False
    assert field.widget.attrs["multiple"] is True
    assert field.clean(["a", "", "b"]) == ["a", "b"]
    assert field.clean(None) == []


def test_paginate_keeps_the_filters_in_the_page_links():
    request = RequestFactory().get("/x/", {"q": "火", "page": "2"})
    context = toolkit.paginate(request, list(range(120)))
    assert context["page_obj"].number == 2
    assert list(context["page_obj"]) == list(range(50, 100))
    assert context["querystring_without_page"] == "q=%E7%81%AB&"
    assert toolkit.paginate(RequestFactory().get("/x/"), [1])["querystring_without_page"] == ""
    assert toolkit.page_of(RequestFactory().get("/x/", {"page": "99"}), list(range(120)), 50).number == 3
