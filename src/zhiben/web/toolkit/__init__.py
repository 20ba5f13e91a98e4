"""The shared UI toolkit every app's pages are built on.

One definition of each piece a page form or list needs, imported from here by
every app (``from zhiben.web.toolkit import …``):

- ``StyledForm`` / ``style_form``: Bootstrap classes on every widget, on top of
  ``zhiben.core.forms.bound_text_fields`` (every text field bounded);
- ``OrgChoiceField``, ``MultipleFileField`` / ``MultipleFileInput``: shared fields;
- ``DateInput`` / ``DateTimeInput``: date widgets that always render ISO values;
- ``paginate`` / ``page_of``: one page of a list plus the query string of its links;
- ``apply_service_error``: a refused service call shown on the form it came from;
- ``error_page``: the Chinese error page (or the API's error shape) for a status.

These modules import only Django and ``zhiben.core``, so any app may use them
without an import cycle.
"""

from __future__ import annotations

from ..widgets import DateInput, DateTimeInput
from .errors import UPLOAD_DETAIL_KEYS, apply_service_error, error_page, wants_json
from .forms import MultipleFileField, MultipleFileInput, OrgChoiceField, StyledForm, style_form
from .pagination import PAGE_SIZE, page_of, paginate
from .workflow import post_transition as post_transition
from .workflow import posted_version as posted_version
from .workflow import transition_forms as transition_forms

__all__ = [
    "PAGE_SIZE",
    "UPLOAD_DETAIL_KEYS",
    "DateInput",
    "DateTimeInput",
    "MultipleFileField",
    "MultipleFileInput",
    "OrgChoiceField",
    "StyledForm",
    "apply_service_error",
    "error_page",
    "page_of",
    "paginate",
    "style_form",
    "wants_json",
]
