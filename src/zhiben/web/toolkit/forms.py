"""Form styling and the fields several apps' forms share.

``style_form`` gives every widget its Bootstrap class (``form-check-input`` on
a checkbox, ``form-select`` on a select, ``form-control`` on anything else)
after ``bound_text_fields`` has bounded every text field (``maxlength`` and a
Chinese length message). Two documented options keep what each page had:

- ``placeholders``: a text input shows its label as placeholder (the system
  administration pages and their filters);
- ``checkbox_lists``: when false, a list of checkboxes
  (``CheckboxSelectMultiple``) is left unstyled (the registry forms, whose
  templates lay the boxes out themselves).

``StyledForm`` is the mixin: ``class MyForm(StyledForm, forms.Form)``; set
``text_placeholders`` / ``style_checkbox_lists`` on the class to choose.
"""

from __future__ import annotations

from django import forms

from zhiben.core.forms import bound_text_fields


def style_form(form: forms.BaseForm, *, placeholders: bool = False, checkbox_lists: bool = True) -> None:
    bound_text_fields(form)
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.CheckboxSelectMultiple) and not checkbox_lists:
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
        if placeholders and isinstance(widget, forms.TextInput):
            widget.attrs.setdefault("placeholder", field.label)


class StyledForm:
    """Mixin: style the form once its fields are built (see ``style_form``).
    A form that adds fields later calls ``self.apply_style()`` again."""

    text_placeholders = False
    style_checkbox_lists = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.apply_style()

    def apply_style(self) -> None:
        style_form(self, placeholders=self.text_placeholders, checkbox_lists=self.style_checkbox_lists)


class OrgChoiceField(forms.ModelChoiceField):
    """Organizations indented by depth under their parents (the queryset is
    ordered by ``path``)."""

    def label_from_instance(self, obj):
        return ("　" * max(obj.depth - 1, 0)) + obj.name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos/PDFs in one input (checked by content in the service)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []
