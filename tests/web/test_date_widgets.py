"""Every date and datetime input renders the ISO value a browser can show.

``<input type="date">`` accepts only ``yyyy-MM-dd``; Django's zh-hans input
format ``2026/12/07`` made every date field look empty, and saving an edit
then erased the date (issue 9, item 1). The real-browser round trips are in
tests/browser/test_date_fields.py.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.utils import timezone

import zhiben
from zhiben.web.widgets import DateInput, DateTimeInput

DAY = datetime.date(2026, 12, 7)
MOMENT = datetime.datetime(2026, 12, 7, 9, 5)
PACKAGE = Path(zhiben.__file__).parent


def _form_modules():
    for info in pkgutil.walk_packages(zhiben.__path__, "zhiben."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf in {"forms", "filters"} or leaf.startswith(("forms_", "filters_")):
            yield importlib.import_module(info.name)


def _date_fields():
    """(where, field) for every date/datetime field declared on a form or filter set."""
    seen = set()
    for module in _form_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls in seen or not cls.__module__.startswith("zhiben."):
                continue
            seen.add(cls)
            if issubclass(cls, forms.BaseForm):
                fields = cls.base_fields.items()
            elif issubclass(cls, django_filters.FilterSet):
                fields = [(key, flt.field) for key, flt in cls.base_filters.items()]
            else:
                continue
            for key, field in fields:
                if isinstance(field, forms.DateField | forms.DateTimeField):
                    yield f"{cls.__module__}.{name}.{key}", field


def test_the_scan_finds_the_known_date_fields():
    where = {w for w, _ in _date_fields()}
    for expected in (
        "zhiben.hazards.forms.HazardEditForm.deadline",
        "zhiben.hazards.forms.ConfirmForm.deadline",
        "zhiben.registry.forms.UnitForm.insurance_expiry",
        "zhiben.inspections.forms.CampaignForm.period_start",
        "zhiben.tips.forms.StaffTipForm.received_on",
        "zhiben.audit.forms.AuditFilterSet.since",
    ):
        assert expected in where


def test_every_date_widget_renders_iso(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    problems = []
    for where, field in _date_fields():
        widget = field.widget
        kind = widget.attrs.get("type") or getattr(widget, "input_type", "")
        if isinstance(field, forms.DateTimeField):
            value = timezone.make_aware(MOMENT)
            expected = {"datetime-local": 'value="2026-12-07T09:05"'}.get(kind, 'value="2026-12-07 09:05')
        elif kind == "month":
            value, expected = DAY, 'value="2026-12"'
        else:
            value, expected = DAY, 'value="2026-12-07"'
        html = widget.render("x", field.prepare_value(value))
        if expected not in html:
            problems.append(f"{where}: {html}")
        if kind not in {"date", "month", "datetime-local"}:
            problems.append(f"{where}: not a browser date input ({html})")
    assert problems == []


def test_plain_django_date_widgets_render_iso_too():
    """Widgets built elsewhere (ModelForm defaults, the admin) use the ISO-first zh-hans formats."""
    assert 'value="2026-12-07"' in forms.DateInput().render("x", DAY)
    assert forms.DateField().clean("2026-12-07") == DAY
    assert forms.DateField().clean("2026/12/07") == DAY
    assert forms.DateField().clean("2026年12月7日") == DAY


def test_shared_widgets():
    assert DateInput().render("d", DAY) == '<input type="date" name="d" value="2026-12-07">'
    html = DateTimeInput().render("t", MOMENT)
    assert 'type="datetime-local"' in html and 'value="2026-12-07T09:05"' in html
    assert forms.DateTimeField(widget=DateTimeInput()).clean("2026-12-07T09:05").minute == 5


def test_no_form_builds_a_date_input_without_the_shared_widget():
    """A new ``forms.DateInput(attrs={"type": "date"})`` would render the locale format again."""
    offenders = []
    pattern = re.compile(r"forms\.Date(Time)?Input\((?![^)]*format=)")
    for path in PACKAGE.rglob("*.py"):
        if path.name == "widgets.py" and path.parent.name == "web":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("value", ["2026-12-07", "2026/12/07"])
def test_date_fields_accept_iso_and_the_chinese_shape(value):
    assert forms.DateField(widget=DateInput()).clean(value) == DAY
