"""人防工程使用备案 ⇄ Excel on :mod:`zhiben.core.tabular`: the list export (as filtered
and scoped by the caller, with this month's check) and the importer of kind
"civildefence_filings" (the export's leading columns, so a corrected export can be
imported again; columns it does not read are ignored).

The importer checks every row with the service's own rules (``services.clean_filing``),
the right of ``access.filing_sites`` (the work, by 场所码, must be one the user may
file), the visibility of the 使用单位 (by 统一社会信用代码), that no 备案编号 is taken
(in the database or twice in the file) and that no work gets a second filing that is
not 报废. Any bad row fails the whole file with every bad row named; otherwise all
rows are written with their first history entry and ONE audit row
``civildefence.import`` ``{"job", "created", "first_id", "last_id"}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhiben.core.tabular import (
    CHOICE,
    DATE,
    NUMBER,
    Column,
    Problems,
    RowCells,
    RowError,
    build_template,
    by_label,
    header_of,
    headers,
    labels,
    write_sheet,
)
from zhiben.imports.registry import Exporter, ExportProgress, PendingRow, SheetImporter, with_progress
from zhiben.inspections.choices import InspectionStatus
from zhiben.inspections.models import Inspection
from zhiben.org.models import User
from zhiben.registry.models import Unit

from .access import can_register_filings, filing_sites
from .choices import CHECKED_STATES, FilingState, Purpose
from .models import CHECKLIST_CODE, FilingStateChange, UseFiling
from .services import TEXT_LIMITS, clean_filing

SHEET = "人防工程使用备案"
SITE_CODE = "场所码"
USCC = "使用单位统一社会信用代码"
FILING_COLUMNS: tuple[Column, ...] = (
    Column("备案编号", "filing_no", 16, True, "不超过 40 字，全区唯一", as_text=True),
    Column(SITE_CODE, "site", 14, True, "人防工程的场所码（场所页面可查），须为您负责的在册人防工程", as_text=True),
    Column("使用状态", "state", 8, False, "在用/闲置，留空为在用", CHOICE, strict=True),
    Column(USCC, "user_unit", 22, False, "使用单位已在系统登记时填写", as_text=True),
    Column("使用单位名称", "user_name", 24, False, "使用单位未登记时填写；在用工程须有使用单位", as_text=True),
    Column("用途", "purpose", 8, True, "停车/仓储/商业/其他", CHOICE, strict=True),
    Column("使用面积（平方米）", "area_m2", 12, True, "大于 0，最多两位小数", NUMBER),
    Column("备案日期", "filed_on", 12, True, "不晚于今天", DATE),
    Column("备案有效期至", "valid_until", 12, True, "不早于备案日期", DATE),
    Column("维护管理责任人", "manager_name", 12, True, "不超过 50 字", as_text=True),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
EXPORT_COLUMNS: tuple[Column, ...] = (
    *FILING_COLUMNS,
    Column("人防工程", "site_name", 24),
    Column("所属街道", "street", 12),
    Column("本月检查", "checked", 10),
)
HEADERS = headers(FILING_COLUMNS)
HEADER_OF = header_of(FILING_COLUMNS)
MAX_ROWS = 5_000


def _month_checked():
    first = timezone.localdate().replace(day=1)
    return Exists(
        Inspection.objects.filter(
            site_id=OuterRef("site_id"),
            status=InspectionStatus.FINISHED,
            checklist_version__checklist__code=CHECKLIST_CODE,
            inspected_on__gte=first,
            inspected_on__lte=timezone.localdate(),
        )
    )


def export_filings(qs, path_or_file: str | IO[bytes], *, progress: ExportProgress | None = None) -> int:
    """Write the filings of ``qs`` (already scoped and filtered) as .xlsx, with whether this
    month's check is done. ``progress(rows_written)`` every 1,000 rows."""
    states, purposes = labels(FilingState), labels(Purpose)
    fields = (
        "filing_no",
        "site__public_code",
        "state",
        "user_unit__uscc",
        "user_unit__name",
        "user_name",
        "purpose",
        "area_m2",
        "filed_on",
        "valid_until",
        "manager_name",
        "note",
        "site__name",
        "site__street__name",
        "checked",
    )
    qs = qs.annotate(checked=_month_checked()).order_by("-filed_on", "-pk")

    def rows() -> Iterator[list[Any]]:
        for row in qs.values_list(*fields).iterator(chunk_size=2000):
            no, code, state, uscc, unit, name, purpose, area, filed, until, manager, note, site, street, checked = row
            month = "不需检查" if state not in CHECKED_STATES else "已检查" if checked else "未检查"
            yield [
                no,
                code,
                states.get(state, state),
                uscc or "",
                unit or name,
                purposes.get(purpose, purpose),
                area,
                filed,
                until,
                manager,
                note,
                site,
                street or "",
                month,
            ]

    return write_sheet(path_or_file, SHEET, EXPORT_COLUMNS, with_progress(rows(), progress))


class FilingExporter(Exporter):
    """The filing list as filtered (same query string as the list page), within the viewer's scope."""

    kind = "civildefence_filings"
    label = "人防工程使用备案"
    filename = "人防工程使用备案"
    action = "civildefence.export"
    object_type = "civildefence.usefiling"
    list_url = "civildefence:list"
    selector = "zhiben.civildefence.selectors.filter_filings"
    sheet_writer = staticmethod(export_filings)


# --- Import ------------------------------------------------------------------------------


def filing_template() -> bytes:
    notes = [
        f"1. 在“{SHEET}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一份使用备案。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 人防工程按场所码关联（须已在“场所与点位”登记为人防工程，且由您所在部门负责）；"
        "一处工程只能有一份未报废的备案。",
        "4. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因。",
        f"5. 单个文件不超过 {MAX_ROWS} 行数据；仅支持 .xlsx 格式。报废请在备案页面办理。",
    ]
    options = {
        "使用状态": [FilingState.IN_USE.label, FilingState.IDLE.label],
        "用途": [str(label) for label in Purpose.labels],
    }
    return build_template(
        [(SHEET, FILING_COLUMNS)], title="人防工程使用备案批量导入填写说明", notes=notes, options=options
    )


class FilingImporter(SheetImporter):
    """人防工程使用备案批量导入 (kind "civildefence_filings")."""

    kind = "civildefence_filings"
    label = "人防工程使用备案"
    page_what = "使用备案"
    title = "批量导入人防工程使用备案"
    sheet = SHEET
    list_url = "civildefence:list"
    list_label = "返回使用备案列表"
    template_url = "civildefence:template"
    template_filename = "人防工程使用备案导入模板.xlsx"
    template_builder = staticmethod(filing_template)
    result_text = "查看使用备案列表"
    upload_url_name = "civildefence:import"
    denied_message = "只有工程负责部门或区安委办可以批量导入使用备案"
    page_notes = ("人防工程按场所码关联已登记的人防工程；使用单位按统一社会信用代码关联已登记的单位。",)
    columns = FILING_COLUMNS
    max_rows = MAX_ROWS
    chunk = None  # one check of the whole file (at most MAX_ROWS rows)
    empty_what = "使用备案"

    states = by_label(FilingState)
    purposes = by_label(Purpose)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register_filings(user)

    def parse_row(self, cells: RowCells) -> dict[str, Any]:
        """The row's cells as service data (the work and unit still as codes)."""
        data: dict[str, Any] = {
            "site": cells.text(SITE_CODE, 16, required=True).upper(),
            "user_unit": cells.text(USCC, 18).upper(),
        }
        for key, (_label, limit) in TEXT_LIMITS.items():
            data[key] = cells.text(HEADER_OF[key], limit, required=key in ("filing_no", "manager_name"))
        state = cells.text("使用状态", 10) or FilingState.IN_USE.label
        if state not in self.states or self.states[state] == FilingState.RETIRED:
            cells.fail("使用状态", "请填写“在用”或“闲置”（报废请在备案页面办理）")
        data["state"] = self.states.get(state, FilingState.IN_USE)
        data["purpose"] = cells.choice(
            "用途", self.purposes, max_length=10, required=True, invalid="用途应为：" + "、".join(Purpose.labels)
        )
        area = cells.raw.get(HEADER_OF["area_m2"])
        data["area_m2"] = "" if area is None else str(area).strip()
        data["filed_on"] = cells.date("备案日期", required=True)
        data["valid_until"] = cells.date("备案有效期至", required=True)
        return data

    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        sites = {
            s.public_code: s
            for s in filing_sites(self.actor)
            .select_related("site_type")
            .filter(public_code__in={d["site"] for _, d, _ in pending if d["site"]})
        }
        units = {
            u.uscc: u
            for u in Unit.objects.restrict(self.actor, "view").filter(
                uscc__in={d["user_unit"] for _, d, _ in pending if d["user_unit"]}
            )
        }
        numbers = Counter(d["filing_no"] for _, d, _ in pending if d["filing_no"])
        taken_numbers = set(UseFiling.objects.filter(filing_no__in=list(numbers)).values_list("filing_no", flat=True))
        open_sites = set(
            UseFiling.objects.filter(site__in=list(sites.values()))
            .exclude(state=FilingState.RETIRED)
            .values_list("site_id", flat=True)
        )
        site_rows = Counter(d["site"] for _, d, _ in pending if d["site"])
        today = timezone.localdate()
        for number, data, cell_errors in pending:
            taken = {e.column for e in cell_errors}

            def add(header: str, message: str, taken=taken, cell_errors=cell_errors, number=number) -> None:
                if header not in taken:
                    cell_errors.append(RowError(number, header, message))
                    taken.add(header)

            code, uscc = data["site"], data["user_unit"]
            data["site"] = sites.get(code)
            data["user_unit"] = units.get(uscc) if uscc else None
            if code and data["site"] is None:
                add(SITE_CODE, f"场所码“{code}”不是您负责的在册人防工程")
            elif data["site"] is not None and data["site"].pk in open_sites:
                add(SITE_CODE, "该工程已有未报废的使用备案")
            elif code and site_rows[code] > 1:
                add(SITE_CODE, "同一工程在文件中出现多次")
            if uscc and data["user_unit"] is None:
                add(USCC, f"单位“{uscc}”不存在或您无权查看")
            no = data["filing_no"]
            if no in taken_numbers:
                add("备案编号", f"备案编号“{no}”已被使用")
            elif no and numbers[no] > 1:
                add("备案编号", "备案编号在文件中重复")
            if data["site"] is None:
                data.pop("site")  # reported above; clean_filing would add a second message
            clean, errors = clean_filing(data, today)
            for key, message in errors.items():
                if key == "site":
                    continue
                add(HEADER_OF.get(key, USCC if key == "user_unit" else SITE_CODE), message)
            self.keep(clean, cell_errors, problems)

    def write(self, fh: IO[bytes]) -> int:
        created = self.create_in_bulk(UseFiling, self.clean_rows)
        FilingStateChange.objects.bulk_create(
            FilingStateChange(
                filing=f, from_state="", to_state=f.state, changed_on=f.filed_on, actor=self.actor, reason="批量导入"
            )
            for f in created
        )
        self.audit_import("civildefence.import", "civildefence.usefiling", created)
        return len(created)
