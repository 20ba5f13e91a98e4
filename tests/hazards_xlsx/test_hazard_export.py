"""Exporting the hazard list: the list's filters, the user's scope, real
dates, and a number of queries that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io
import os
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.hazards import services
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.hazards.tabular import EXPORT_HEADERS, export_hazards
from zhiben.registry.models import Sector

pytestmark = pytest.mark.django_db

EXPORT_URL = "/hazards/export/"


def create(
    actor,
    owner,
    *,
    n=1,
    level="general",
    found_on=dt.date(2025, 3, 1),
    deadline=dt.date(2025, 3, 15),
    sector="commerce",
    category="fire-tdzd",
    street=None,
    title="消防通道堵塞",
):
    sector_obj = Sector.objects.get(code=sector)
    category_obj = HazardCategory.objects.get(code=category)
    return [
        services.hazard_create(
            actor=actor,
            allow_duplicate=True,
            notify_owner=False,
            data={
                "sector": sector_obj,
                "category": category_obj,
                "level": level,
                "source": "supervision",
                "found_on": found_on,
                "deadline": deadline,
                "title": f"{title} {i}",
                "description": f"第 {i} 处",
                "unit_name": f"单位{i}",
                "owner": owner,
                "street": street,
                "responsible_person": "张三",
            },
        )
        for i in range(n)
    ]


def read(response) -> list[tuple]:
    # Consuming the test client's streaming_content closes the response (and the file).
    data = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(data))["隐患台账"]
    return list(ws.iter_rows(values_only=True))


@pytest.fixture
def ledger(reference, users, orgs):
    admin = users["admin"]
    return {
        "commerce": create(admin, orgs["hk-swj"], n=3, street=orgs["hk-bwt"])
        + create(admin, orgs["hk-swj"], n=2, level="major", title="重大"),
        "construction": create(admin, orgs["hk-jgw"], n=3, sector="construction", category="cons-gczl"),
    }


def test_export_contains_exactly_the_filtered_rows_in_the_users_scope(ledger, users, login):
    officer = login(users["officer"])

    rows = read(officer.get(EXPORT_URL, {"level": "major"}))
    assert rows[0] == EXPORT_HEADERS
    assert sorted(r[0] for r in rows[1:]) == sorted(h.code for h in ledger["commerce"] if h.level == "major")

    everything_visible = read(officer.get(EXPORT_URL))
    assert sorted(r[0] for r in everything_visible[1:]) == sorted(h.code for h in ledger["commerce"])

    # 区建管委's hazards are outside a 区商务委 officer's scope, even when asked for explicitly.
    jgw = ledger["construction"][0].owner
    assert read(officer.get(EXPORT_URL, {"owner": jgw.pk}))[1:] == []
    admin_rows = read(login(users["admin"]).get(EXPORT_URL, {"owner": jgw.pk}))
    assert sorted(r[0] for r in admin_rows[1:]) == sorted(h.code for h in ledger["construction"])

    # The street officer sees the hazards located in 北外滩.
    street_rows = read(login(users["street"]).get(EXPORT_URL))
    assert len(street_rows) == 1 + 3


def test_export_response_is_an_xlsx_attachment_and_the_temp_file_is_removed(ledger, users, login, monkeypatch):
    import tempfile

    from zhiben.imports import views as imports_views

    made = []
    original = tempfile.NamedTemporaryFile

    def named_temporary_file(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(imports_views.tempfile, "NamedTemporaryFile", named_temporary_file)
    response = login(users["officer"]).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"隐患台账_{timezone.localdate():%Y%m%d}.xlsx"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(filename)}" in disposition
    path = made[0].name
    assert os.path.exists(path)
    read(response)
    assert not os.path.exists(path)
    event = AuditEvent.objects.get(action="hazard.export")
    assert event.after == {"rows": 5, "query": ""} and event.actor == users["officer"]


def test_export_cells_dates_and_derived_columns(reference, users, orgs, login):
    admin = users["admin"]
    overdue = create(
        admin, orgs["hk-swj"], found_on=dt.date(2023, 6, 1), deadline=dt.date(2023, 7, 1), street=orgs["hk-bwt"]
    )[0]
    services.supervision_open(
        actor=admin, hazard=overdue, kind="listed", level="city", deadline=timezone.localdate() + dt.timedelta(days=10)
    )
    fresh = create(admin, orgs["hk-swj-scglk"], deadline=None)[0]

    data = b"".join(login(admin).get(EXPORT_URL, {"order": "code"}).streaming_content)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["隐患台账"]
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    assert ws.column_dimensions["A"].width >= 15
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}

    old = rows[overdue.code]
    assert old["发现日期"] == dt.datetime(2023, 6, 1) and old["整改期限"] == dt.datetime(2023, 7, 1)
    assert (old["行业领域"], old["隐患类别"], old["所属街道"], old["行业主管部门"]) == (
        "商务",
        "消防安全/占用堵塞消防通道",
        "北外滩街道",
        "区商务委",
    )
    assert (old["状态"], old["是否存量"], old["是否逾期"], old["督办"]) == ("待确认", "是", "是", "市级挂牌督办")
    assert (old["隐患等级"], old["来源"], old["整改难度"], old["整改时限类型"]) == (
        "一般隐患",
        "监督检查",
        "易整改",
        "限期整改",
    )
    assert old["发现人/单位"] == str(admin)
    assert isinstance(old["上账时间"], dt.datetime) and old["销号时间"] is None
    new = rows[fresh.code]
    assert (new["是否存量"], new["是否逾期"], new["督办"], new["整改期限"]) == ("否", "否", None, None)
    assert new["行业主管部门"] == "区商务委/市场管理科"

    date_cell = next(ws.iter_rows(min_row=2, max_row=2))[header.index("发现日期")]
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"


def test_export_query_count_does_not_grow_with_rows(reference, users, orgs):
    admin = users["admin"]

    def queries_for_export() -> int:
        out = io.BytesIO()
        with CaptureQueriesContext(connection) as ctx:
            written = export_hazards(Hazard.objects.restrict(admin, "view").order_by("-id"), out)
        assert written == Hazard.objects.count()
        return len(ctx.captured_queries)

    create(admin, orgs["hk-swj"], n=10)
    with_10 = queries_for_export()
    create(admin, orgs["hk-swj"], n=190)
    assert Hazard.objects.count() == 200
    assert queries_for_export() == with_10 <= 6


def test_export_of_nothing_is_a_header_only_workbook(reference, users, login):
    rows = read(login(users["readonly"]).get(EXPORT_URL))
    assert rows == [EXPORT_HEADERS]


def test_text_cells_are_never_formulas(reference, users, orgs):
    create(users["admin"], orgs["hk-swj"], title='=HYPERLINK("http://x")')
    out = io.BytesIO()
    export_hazards(Hazard.objects.all(), out)
    ws = load_workbook(io.BytesIO(out.getvalue()))["隐患台账"]
    cell = ws.cell(2, EXPORT_HEADERS.index("隐患简述") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
