"""A refused service call, shown on the page form it came from."""

from __future__ import annotations

from django import forms

from zhiben.core.errors import ServiceError

UPLOAD_DETAIL_KEYS = ("file", "files")


def apply_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a refused service call on the form it came from, each problem once.

    A detail whose key is a field of the form goes on that field; an upload
    problem (``file``/``files``, see ``zhiben.files``) goes on the form's file
    input. Anything else is told once above the form by the error's message,
    which names every problem (``"…有误：A；B"``)."""
    details = dict(exc.details) if isinstance(exc.details, dict) else {}
    if "file" in details:
        details.pop("files", None)  # the per-file list behind the "file" summary
    file_fields = [name for name, field in form.fields.items() if isinstance(field, forms.FileField)]
    unplaced = not details
    for key, value in details.items():
        target = key if key in form.fields else None
        if target is None and key in UPLOAD_DETAIL_KEYS and len(file_fields) == 1:
            target = file_fields[0]
        if target is None:
            unplaced = True
            continue
        text = value if isinstance(value, str) else "；".join(str(v) for v in value)
        if text not in form.errors.get(target, []):
            form.add_error(target, text)
    if unplaced and exc.message not in form.non_field_errors():
        form.add_error(None, exc.message)
