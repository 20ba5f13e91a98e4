"""The upload form of every import kind."""

from __future__ import annotations

from django import forms

from zhiben.core.tabular import XLSX_CONTENT_TYPE


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
        error_messages={"required": "请选择要导入的 Excel 文件", "empty": "文件为空"},
    )
