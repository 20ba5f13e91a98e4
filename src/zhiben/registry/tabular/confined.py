"""有限空间 ⇄ Excel on :mod:`zhiben.core.tabular`: the list export (as filtered and
scoped by the caller; one row per space with its number of 作业审批 and the latest
work date, constant memory, a fixed number of queries) and the importer of kind
"confined_spaces" (the export's columns, so that an export can be corrected and
imported again: unknown columns are ignored).

The importer checks every row with the service's own rules (``services.clean_space``)
and the right of ``access.confined_units`` (the unit, by 统一社会信用代码, must be one
the user may register spaces for), then writes the rows in bulk and ONE audit row
``confined.import`` ``{"job", "created", "first_id", "last_id"}``, like the unit and
site importers. A file holds at most ``MAX_ROWS`` rows (they are kept in memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Count, Max, Q

from zhiben.core.tabular import (
    CHOICE,
    DATE,
    Column,
    Problems,
    RowCells,
    RowError,
    add_field_errors,
    build_template,
    by_label,
    header_of,
    headers,
    labels,
    write_sheet,
)
from zhiben.imports.registry import Exporter, ExportProgress, PendingRow, SheetImporter, with_progress
from zhiben.org.models import User

from ..access import can_register_confined, confined_units
from ..models import ConfinedHazard, ConfinedSpace, ConfinedSpaceStatus, ConfinedSpaceType
from ..services.confined import TEXT_LIMITS, clean_space

CONFINED_SHEET = "有限空间"
CONFINED_EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("所属单位", "unit", 30, True, "", as_text=True),
    Column("统一社会信用代码", "uscc", 22, False, "", as_text=True),
    Column("编号", "code", 12, False, "", as_text=True),
    Column("名称", "name", 24, True, "", as_text=True),
    Column("类型", "space_type", 16, True, ""),
    Column("位置", "location", 24, False, "", as_text=True),
    Column("所在场所", "site", 20, False, "", as_text=True),
    Column("主要危险有害因素", "hazards", 24, False, ""),
    Column("已设置安全警示标识", "has_warning_sign", 10, False, ""),
    Column("管理责任人", "manager_name", 12, False, "", as_text=True),
    Column("状态", "status", 8, False, ""),
    Column("作业审批次数", "permits", 10, False, ""),
    Column("最近作业日期", "last_work", 12, False, "", DATE),
    Column("备注", "note", 24, False, "", as_text=True),
)
EXPORT_FIELDS = (
    "unit__name",
    "unit__uscc",
    "code",
    "name",
    "space_type",
    "location",
    "site__name",
    "hazards",
    "has_warning_sign",
    "manager_name",
    "status",
    "n_permits",
    "last_work",
    "note",
)


def export_confined_spaces(qs, path_or_file: str | IO[bytes], *, progress: ExportProgress | None = None) -> int:
    """Write the spaces of ``qs`` (already scoped and filtered) as .xlsx, with the number
    of permits recorded (not withdrawn) and the latest work date. ``progress(rows_written)`` every 1,000 rows."""
    types = {value: label.split("（")[0] for value, label in labels(ConfinedSpaceType).items()}
    hazards, statuses = labels(ConfinedHazard), labels(ConfinedSpaceStatus)
    kept = Q(permits__withdrawn_at__isnull=True)  # a withdrawn (撤回) permit does not count
    qs = qs.annotate(n_permits=Count("permits", filter=kept), last_work=Max("permits__work_date", filter=kept))

    def rows() -> Iterator[list[Any]]:
        for row in qs.values_list(*EXPORT_FIELDS).iterator(chunk_size=2000):
            unit, uscc, code, name, kind, location, site, found, sign, manager, status, n, last, note = row
            yield [
                unit,
                uscc or "",
                code,
                name,
                types.get(kind, kind),
                location,
                site or "",
                "、".join(hazards.get(h, h) for h in found or []),
                "是" if sign else "否",
                manager,
                statuses.get(status, status),
                n,
                last,
                note,
            ]

    return write_sheet(path_or_file, CONFINED_SHEET, CONFINED_EXPORT_COLUMNS, with_progress(rows(), progress))


class ConfinedSpaceExporter(Exporter):
    """The 有限空间 list as filtered (same query string as /confined-spaces/), within the viewer's scope."""

    kind = "confined_spaces"
    label = "有限空间"
    filename = "有限空间台账"
    action = "confined.export"
    object_type = "registry.confinedspace"
    list_url = "registry:confined_list"
    selector = "zhiben.registry.selectors.filter_confined_spaces"
    sheet_writer = staticmethod(export_confined_spaces)


# --- Import ------------------------------------------------------------------------------

MAX_ROWS = 20_000
CHUNK = 2_000
USCC = "统一社会信用代码"
CONFINED_COLUMNS: tuple[Column, ...] = (
    Column(USCC, "unit", 22, True, "所属单位的统一社会信用代码：须为已登记、您有权登记有限空间的单位", as_text=True),
    Column("编号", "code", 12, False, "不超过 30 字", as_text=True),
    Column("名称", "name", 24, True, "不超过 100 字", as_text=True),
    Column("类型", "space_type", 16, True, "从下拉列表中选择", CHOICE, strict=True),
    Column("位置", "location", 24, False, "不超过 200 字", as_text=True),
    Column("主要危险有害因素", "hazards", 24, False, "可填多个，用顿号“、”分隔", CHOICE, list_in_help=True),
    Column("已设置安全警示标识", "has_warning_sign", 10, False, "是/否，留空为否", CHOICE, strict=True),
    Column("管理责任人", "manager_name", 12, False, "不超过 50 字", as_text=True),
    Column("状态", "status", 8, False, "在用/停用，留空为在用", CHOICE, strict=True),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
CONFINED_HEADERS = headers(CONFINED_COLUMNS)
CONFINED_HEADER_OF = header_of(CONFINED_COLUMNS)
YES_NO = {"是": True, "否": False, "": False}


def confined_template() -> bytes:
    notes = [
        f"1. 在“{CONFINED_SHEET}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一处有限空间。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因。",
        f"4. 单个文件不超过 {MAX_ROWS} 行数据；仅支持 .xlsx 格式。导出的有限空间台账可改正后重新导入（多余的列不读）。",
        "5. 作业审批记录请在有限空间页面逐次登记。",
    ]
    options = {
        "类型": [str(label).split("（")[0] for label in ConfinedSpaceType.labels],
        "主要危险有害因素": [str(label) for label in ConfinedHazard.labels],
        "已设置安全警示标识": ["是", "否"],
        "状态": [str(label) for label in ConfinedSpaceStatus.labels],
    }
    return build_template(
        [(CONFINED_SHEET, CONFINED_COLUMNS)], title="有限空间批量导入填写说明", notes=notes, options=options
    )


class ConfinedSpaceImporter(SheetImporter):
    """有限空间批量导入 (kind "confined_spaces")."""

    kind = "confined_spaces"
    label = "有限空间"
    title = "批量导入有限空间"
    sheet = CONFINED_SHEET
    list_url = "registry:confined_list"
    list_label = "返回有限空间列表"
    template_url = "registry:confined_template"
    template_filename = "有限空间导入模板.xlsx"
    template_builder = staticmethod(confined_template)
    result_text = "查看有限空间列表"
    upload_url_name = "registry:confined_import"
    denied_message = "只有单位、其行业主管部门或区安委办可以批量导入有限空间"
    page_notes = ("所属单位按统一社会信用代码关联已登记的单位；作业审批请在有限空间页面登记。",)
    columns = CONFINED_COLUMNS
    max_rows = MAX_ROWS
    chunk = CHUNK
    empty_what = "有限空间"
    model = ConfinedSpace
    import_action = "confined.import"
    object_type = "registry.confinedspace"

    types = by_label(ConfinedSpaceType, short=True)
    hazards = by_label(ConfinedHazard, short=True)
    statuses = by_label(ConfinedSpaceStatus, short=True)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register_confined(user)

    def parse_row(self, cells: RowCells) -> dict[str, Any]:
        """The row's cells as service data (the unit still as its code)."""
        data: dict[str, Any] = {"unit": cells.text(USCC, 18, required=True).upper()}
        for key, (_label, limit) in TEXT_LIMITS.items():
            if key in CONFINED_HEADER_OF and key != "unit":
                data[key] = cells.text(CONFINED_HEADER_OF[key], limit, required=key == "name")
        data["space_type"] = cells.choice(
            "类型", self.types, max_length=60, required=True, invalid="类型“{text}”不存在"
        )
        found = [h.strip() for h in cells.text("主要危险有害因素", 200).replace("，", "、").split("、") if h.strip()]
        unknown = [h for h in found if h not in self.hazards]
        if unknown:
            cells.fail("主要危险有害因素", "不认识：" + "、".join(unknown))
        data["hazards"] = [self.hazards[h] for h in found if h in self.hazards]
        data["has_warning_sign"] = cells.choice(
            "已设置安全警示标识", YES_NO, max_length=2, invalid="请填写“是”或“否”", unknown=False
        )
        data["status"] = cells.choice(
            "状态",
            self.statuses,
            max_length=10,
            blank=ConfinedSpaceStatus.IN_USE.label,
            invalid="请填写“在用”或“停用”",
            unknown=ConfinedSpaceStatus.IN_USE,
        )
        return data

    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        codes = {data["unit"] for _, data, _ in pending if data["unit"]}
        units = {u.uscc: u for u in confined_units(self.actor).filter(uscc__in=codes)}
        for number, data, cell_errors in pending:
            code = data["unit"]
            data["unit"] = units.get(code)
            if code and data["unit"] is None and not any(e.column == USCC for e in cell_errors):
                cell_errors.append(RowError(number, USCC, f"单位“{code}”不存在或您无权为其登记有限空间"))
            clean, errors = clean_space(data)
            add_field_errors(cell_errors, number, errors, CONFINED_HEADER_OF, USCC)
            self.keep(clean, cell_errors, problems)
