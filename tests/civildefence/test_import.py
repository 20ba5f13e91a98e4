"""Excel import (all or nothing, every bad row named) and export of 使用备案."""

from __future__ import annotations

import io

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.civildefence import services
from zhiben.civildefence.models import FilingStateChange, UseFiling


@pytest.fixture
def sync_imports(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"


def _workbook(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    from zhiben.civildefence.tabular import HEADERS, SHEET

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append([row.get(h, "") for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(actor, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiben.imports.services import start_import

    upload = SimpleUploadedFile(
        "备案.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return start_import(actor=actor, kind="civildefence_filings", upload=upload)


def _row(site, **data):
    return {
        "备案编号": "HKRF-X-1",
        "场所码": site.public_code,
        "使用状态": "在用",
        "使用单位名称": "某停车公司",
        "用途": "停车",
        "使用面积（平方米）": 1500,
        "备案日期": "2025-03-01",
        "备案有效期至": "2028-02-28",
        "维护管理责任人": "王工",
        **data,
    }


def test_import_creates_the_filings_with_history_and_one_audit_row(works, gdb, sync_imports):
    job = _import(
        gdb["officer"],
        _workbook(
            [
                _row(works["park"]),
                _row(
                    works["river"], **{"备案编号": "HKRF-X-2", "使用状态": "闲置", "使用单位名称": "", "用途": "仓储"}
                ),
            ]
        ),
    )
    assert job.status == "done", job.errors
    filings = {f.filing_no: f for f in UseFiling.objects.all()}
    assert filings["HKRF-X-1"].state == "in_use" and filings["HKRF-X-1"].purpose == "parking"
    assert filings["HKRF-X-2"].state == "idle" and filings["HKRF-X-2"].purpose == "storage"
    assert FilingStateChange.objects.count() == 2
    assert str(filings["HKRF-X-1"].filed_on) == "2025-03-01"
    event = AuditEvent.objects.get(action="civildefence.import")
    assert event.after["created"] == 2


def test_one_bad_row_refuses_the_whole_file_and_names_every_bad_row(works, gdb, make_filing, sync_imports):
    make_filing(works["lane"], filing_no="TAKEN")
    job = _import(
        gdb["officer"],
        _workbook(
            [
                _row(works["park"]),  # row 2: good
                _row(works["river"], **{"备案编号": "HKRF-X-1"}),  # 3: number twice in the file
                _row(works["mall"], **{"备案编号": "B"}),  # 4: not a civil-defence work
                _row(works["lane"], **{"备案编号": "C"}),  # 5: work already filed
                _row(works["river"], **{"备案编号": "TAKEN"}),  # 6: number taken
                _row(works["river"], **{"备案编号": "E", "用途": "聚会"}),  # 7
                _row(works["river"], **{"备案编号": "F", "使用面积（平方米）": "-5"}),  # 8
                _row(works["river"], **{"备案编号": "G", "备案有效期至": "2020-01-01"}),  # 9
                _row(works["river"], **{"备案编号": "H", "使用状态": "报废"}),  # 10
                _row(works["river"], **{"备案编号": "I", "使用单位统一社会信用代码": "91310000XXXXXXXXXX"}),  # 11
            ]
        ),
    )
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} >= {
        (3, "备案编号"),
        (4, "场所码"),
        (5, "场所码"),
        (6, "备案编号"),
        (7, "用途"),
        (8, "使用面积（平方米）"),
        (9, "备案有效期至"),
        (10, "使用状态"),
        (11, "使用单位统一社会信用代码"),
    }
    # row 2 alone is good, but shares its number with row 3: both are named
    assert {(e["column"], e["message"]) for e in job.errors if e["row"] == 2} == {("备案编号", "备案编号在文件中重复")}
    assert UseFiling.objects.count() == 1  # only the one filed before


def test_an_export_is_the_filtered_list_and_imports_again(works, gdb, login, make_filing, sync_imports):
    from openpyxl import load_workbook

    filing = make_filing(works["park"])
    make_filing(works["river"], filing_no="HKRF-T-002", state="idle", user_name="")
    client = login(gdb["officer"])
    response = client.get("/civildefence/filings/export/", {"state": "in_use"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "备案编号" and [r[0] for r in rows[1:]] == ["HKRF-T-001"]
    assert rows[1][-1] == "未检查"
    assert AuditEvent.objects.filter(action="civildefence.export").exists()
    # retire it, then the corrected export is imported again as a new filing of the same work
    services.filing_transition(actor=gdb["officer"], filing=filing, name="retire", reason="改建")
    sheet.cell(row=2, column=1, value="HKRF-T-001B")
    out = io.BytesIO()
    sheet.parent.save(out)
    job = _import(gdb["officer"], out.getvalue())
    assert job.status == "done", job.errors
    copy = UseFiling.objects.get(filing_no="HKRF-T-001B")
    assert (copy.site, copy.user_name, copy.purpose, copy.area_m2) == (
        filing.site,
        filing.user_name,
        filing.purpose,
        filing.area_m2,
    )


def test_template_and_rights(works, gdb, users, login):
    assert login(gdb["officer"]).get("/civildefence/filings/import/template/").status_code == 200
    assert login(gdb["officer"]).get("/civildefence/filings/import/").status_code == 200
    assert login(gdb["oyl"]).get("/civildefence/filings/import/").status_code == 403
