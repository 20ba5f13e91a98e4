"""Date and time widgets every form uses.

A browser's ``<input type="date">`` accepts only ``yyyy-MM-dd`` as its value
(``datetime-local`` only ``yyyy-MM-ddTHH:mm``); anything else, such as Django's
zh-hans ``2026/12/07``, shows as an empty field and is submitted empty, so
saving an unchanged form would erase the date. These widgets always render the
ISO shape, whatever the locale's input formats say. (The zh-hans input formats
are ISO-first too, see ``zhiben.config.formats``, for widgets built elsewhere.)
"""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """``<input type="date">`` with an ISO value."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">`` with an ISO value (minutes, local time)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or ISO_DATETIME_LOCAL)
