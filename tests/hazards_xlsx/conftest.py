"""Fixtures for the hazard import/export tests: reference sectors and
categories, imports run inline, and builders for filled-in workbooks."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhiben.core.testing import make_uscc
from zhiben.hazards.reference import load_files
from zhiben.hazards.tabular import DATA_SHEET, HEADERS


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def reference(orgs):
    """Sectors and hazard categories from data/ (needs the organizations)."""
    load_files()
    return orgs


def good_row(i: int = 0, **overrides) -> dict[str, object]:
    """A valid row for 区商务委 in 北外滩街道 (header → value)."""
    row = {
        "行业领域": "商务",
        "隐患类别": "占用堵塞消防通道",
        "隐患等级": "一般隐患",
        "来源": "监督检查",
        "发现日期": "2025-03-01",
        "隐患简述": f"消防通道堵塞 {i}",
        "隐患内容": f"商场后门消防通道堆放货物（第 {i} 处）",
        "具体位置": "后门",
        "责任单位名称": f"测试商场{i}",
        "统一社会信用代码": make_uscc(100_000 + i),
        "地址": "东大名路 1 号",
        "所属街道": "北外滩街道",
        "行业主管部门": "区商务委",
        "责任人": "张三",
        "责任人电话": "13800000000",
        "整改难度": "易整改",
        "整改要求": "立即清理",
        "整改时限类型": "限期整改",
        "整改期限": "2025-03-15",
        "发现人/单位": "区商务委执法队",
    }
    row.update(overrides)
    return row


def workbook_bytes(rows, headers=HEADERS, sheet_title=DATA_SHEET) -> bytes:
    """An .xlsx with ``headers`` in row 1 and ``rows`` (dicts) below."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "隐患.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def kit():
    return SimpleNamespace(good_row=good_row, workbook_bytes=workbook_bytes, upload=upload)
