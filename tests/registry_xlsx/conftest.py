"""Fixtures for the unit/site Excel tests: reference data, imports run
inline, and builders for filled-in workbooks."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhiben.core.testing import make_uscc
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.registry.reference import load_files
from zhiben.registry.tabular import SITE_HEADERS, SITE_SHEET, UNIT_HEADERS, UNIT_SHEET


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def reference(orgs):
    load_hazard_reference()
    load_files()
    return orgs


def unit_row(i: int = 0, **overrides) -> dict[str, object]:
    """A valid unit of 区商务委 (from the sector) in 北外滩街道."""
    row = {
        "单位名称": f"北外滩测试商贸有限公司{i}",
        "统一社会信用代码": make_uscc(300_000 + i),
        "地址": f"东大名路 {i} 号",
        "所属街道": "北外滩街道",
        "行业主管部门": "",
        "行业领域": "商务",
        "行业类型": "餐饮",
        "标签": "重点单位、人员密集场所" if i % 2 == 0 else "",
        "法定代表人": "张三",
        "法定代表人电话": "13800001234",
        "安全管理联系人": "李四",
        "安全管理联系人电话": "021-65001234",
        "安全生产责任险": "已投保",
        "安责险到期日": "2026-06-30",
        "安全生产标准化等级": "三级",
        "安全生产许可证": "不需要",
        "许可证有效期至": "",
        "备注": "",
    }
    row.update(overrides)
    return row


def site_row(i: int = 0, **overrides) -> dict[str, object]:
    row = {
        "场所名称": f"测试综合体{i}",
        "场所类型": "大型商业综合体",
        "所属单位统一社会信用代码": "",
        "地址": "",
        "所属街道": "北外滩街道",
        "负责部门": "",
        "纬度": 31.25,
        "经度": 121.49,
        "专有信息": "建筑面积（平方米）：12000；人员密集场所：是",
        "备注": "",
    }
    row.update(overrides)
    return row


def workbook_bytes(sheets: dict[str, tuple[tuple[str, ...], list[dict]]]) -> bytes:
    """{sheet title: (headers, rows)} → .xlsx bytes."""
    wb = Workbook(write_only=True)
    for title, (headers, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(list(headers))
        for row in rows:
            ws.append([row.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def units_file(rows) -> bytes:
    return workbook_bytes({UNIT_SHEET: (UNIT_HEADERS, list(rows))})


def sites_file(sites, units=None) -> bytes:
    sheets = {}
    if units is not None:
        sheets[UNIT_SHEET] = (UNIT_HEADERS, list(units))
    sheets[SITE_SHEET] = (SITE_HEADERS, list(sites))
    return workbook_bytes(sheets)


def upload(data: bytes, name: str = "导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def kit():
    return SimpleNamespace(
        unit_row=unit_row,
        site_row=site_row,
        units_file=units_file,
        sites_file=sites_file,
        workbook_bytes=workbook_bytes,
        upload=upload,
    )
