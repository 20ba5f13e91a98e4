"""建设工程 ⇄ Excel on :mod:`zhiben.core.tabular`.

* 危大工程 and 起重机械: the list exports (as filtered and scoped by the caller) and the
  importers of kinds ``dangerous_works`` and ``cranes`` with the exports' columns (an
  export can be corrected and imported again; extra columns are ignored). The project
  is named by its 场所码 (registry Site.public_code) and must be one whose registers the
  user may keep. Every row is checked with the services' own rules (``clean_work`` /
  ``work_not_ready``, ``clean_crane`` / ``crane_not_ready``): any bad row fails the
  whole file with every bad row named; otherwise the rows are written in bulk with ONE
  audit row (``dangerous_work.import`` / ``crane.import``), like the registry importers.
* 全国重大事故隐患数据库 (房屋市政工程): the 重大隐患 on construction sites the user
  sees, in the columns of the national database's fields as published with
  《房屋市政工程生产安全重大事故隐患判定标准（2022版）》 (see docs/construction.md —
  the layout follows the standard's fields, it is not a file taken from the national system).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from django.utils import timezone

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
from zhiben.hazards.choices import HazardStatus
from zhiben.imports.registry import Exporter, ExportProgress, PendingRow, SheetImporter, with_progress
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User

from .access import can_register, manageable_projects
from .choices import (
    MAJOR_HAZARD_CLAUSES,
    CraneStatus,
    CraneType,
    ExpertConclusion,
    InspectionResult,
    WorkStatus,
    WorkType,
)
from .models import Crane, DangerousWork
from .services import TEXT_LIMITS, clean_crane, clean_work, crane_not_ready, work_not_ready

MAX_ROWS = 20_000
SITE_CODE = "场所码"
YES_NO = {"是": True, "否": False, "": False}


def _yes(value: bool) -> str:
    return "是" if value else "否"


# --- Column declarations (export = import + the project's name) -------------------------

WORK_SHEET = "危大工程"
WORK_COLUMNS: tuple[Column, ...] = (
    Column(SITE_CODE, "site", 14, True, "工程（建筑工地）的场所码，见工地详情页", as_text=True),
    Column("工程名称", "site_name", 28, False, "仅供阅读，导入时不读", as_text=True),
    Column("名称/部位", "name", 24, True, "不超过 100 字", as_text=True),
    Column("类别", "work_type", 24, True, "从下拉列表中选择", CHOICE, strict=True),
    Column("超过一定规模", "over_scale", 10, False, "是/否，留空为否", CHOICE, strict=True),
    Column("专项方案审批日期", "scheme_approved_on", 14, False, "与审批人同时填写", DATE),
    Column("方案审批人", "scheme_approved_by", 12, False, "不超过 50 字", as_text=True),
    Column("专家论证日期", "expert_review_on", 14, False, "超规模危大工程施工前须论证", DATE),
    Column("专家论证结论", "expert_conclusion", 12, False, "通过/修改后通过/不通过", CHOICE, strict=True),
    Column("需第三方监测", "monitoring_required", 10, False, "是/否，留空为否", CHOICE, strict=True),
    Column("状态", "status", 10, False, "未施工/施工中/已完成，留空为未施工", CHOICE, strict=True),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
CRANE_SHEET = "起重机械"
CRANE_COLUMNS: tuple[Column, ...] = (
    Column(SITE_CODE, "site", 14, True, "工程（建筑工地）的场所码，见工地详情页", as_text=True),
    Column("工程名称", "site_name", 28, False, "仅供阅读，导入时不读", as_text=True),
    Column("类型", "crane_type", 14, True, "从下拉列表中选择", CHOICE, strict=True),
    Column("备案编号", "record_no", 18, True, "不超过 40 字；同一工地不重复", as_text=True),
    Column("规格型号", "model_no", 14, False, "不超过 60 字", as_text=True),
    Column("产权单位", "owner_unit", 24, True, "不超过 200 字", as_text=True),
    Column("安装单位", "installer", 24, False, "不超过 200 字", as_text=True),
    Column("安装告知日期", "install_notified_on", 14, False, "", DATE),
    Column("检验日期", "inspected_on", 14, False, "", DATE),
    Column("检验结果", "inspection_result", 10, False, "合格/不合格", CHOICE, strict=True),
    Column("检验有效期至", "inspection_valid_until", 14, False, "见检验报告", DATE),
    Column("使用登记日期", "use_registered_on", 14, False, "", DATE),
    Column("使用登记编号", "use_registration_no", 18, False, "不超过 40 字", as_text=True),
    Column("拆卸告知日期", "dismantle_notified_on", 14, False, "", DATE),
    Column("拆卸日期", "dismantled_on", 14, False, "", DATE),
    Column("状态", "status", 14, False, "安装中/检验合格在用/停用/已拆除，留空为安装中", CHOICE, strict=True),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
CRANE_EXPORT_COLUMNS = (*CRANE_COLUMNS, Column("检验有效期状态", "inspection_state", 24))


# --- Exports -----------------------------------------------------------------------------


def export_works(qs, fh, *, progress: ExportProgress | None = None) -> int:
    types, statuses, conclusions = labels(WorkType), labels(WorkStatus), labels(ExpertConclusion)

    def rows() -> Iterator[list[Any]]:
        for w in qs.select_related("site").iterator(chunk_size=2000):
            yield [
                w.site.public_code,
                w.site.name,
                w.name,
                types.get(w.work_type, w.work_type),
                _yes(w.over_scale),
                w.scheme_approved_on,
                w.scheme_approved_by,
                w.expert_review_on,
                conclusions.get(w.expert_conclusion, ""),
                _yes(w.monitoring_required),
                statuses.get(w.status, w.status),
                w.note,
            ]

    return write_sheet(fh, WORK_SHEET, WORK_COLUMNS, with_progress(rows(), progress))


def export_cranes(qs, fh, *, progress: ExportProgress | None = None) -> int:
    types, statuses, results = labels(CraneType), labels(CraneStatus), labels(InspectionResult)
    today = timezone.localdate()

    def rows() -> Iterator[list[Any]]:
        for c in qs.select_related("site").iterator(chunk_size=2000):
            yield [
                c.site.public_code,
                c.site.name,
                types.get(c.crane_type, c.crane_type),
                c.record_no,
                c.model_no,
                c.owner_unit,
                c.installer,
                c.install_notified_on,
                c.inspected_on,
                results.get(c.inspection_result, ""),
                c.inspection_valid_until,
                c.use_registered_on,
                c.use_registration_no,
                c.dismantle_notified_on,
                c.dismantled_on,
                statuses.get(c.status, c.status),
                c.note,
                c.inspection_state(today)[0],
            ]

    return write_sheet(fh, CRANE_SHEET, CRANE_EXPORT_COLUMNS, with_progress(rows(), progress))


class WorkExporter(Exporter):
    """The 危大工程 list as filtered (same query string as /construction/works/)."""

    kind = "dangerous_works"
    label = "危大工程"
    filename = "危大工程台账"
    action = "dangerous_work.export"
    object_type = "construction.dangerouswork"
    list_url = "construction:work_list"
    selector = "zhiben.construction.selectors.filter_works"
    sheet_writer = staticmethod(export_works)


class CraneExporter(Exporter):
    """The 起重机械 list as filtered (same query string as /construction/cranes/)."""

    kind = "cranes"
    label = "起重机械"
    filename = "起重机械台账"
    action = "crane.export"
    object_type = "construction.crane"
    list_url = "construction:crane_list"
    selector = "zhiben.construction.selectors.filter_cranes"
    sheet_writer = staticmethod(export_cranes)


# --- 全国房屋市政工程重大事故隐患数据库 ----------------------------------------------------

MAJOR_SHEET = "重大事故隐患"
MAJOR_COLUMNS: tuple[Column, ...] = (
    Column("序号", "n", 6),
    Column("工程名称", "site", 28),
    Column("工程地址", "address", 28),
    Column("建设单位", "builder", 24),
    Column("施工单位", "contractor", 24),
    Column("监理单位", "supervisor", 24),
    Column("隐患描述", "description", 40),
    Column("判定依据（条款）", "basis", 32),
    Column("排查日期", "found_on", 12, kind=DATE),
    Column("整改期限", "deadline", 12, kind=DATE),
    Column("整改责任人", "responsible", 14),
    Column("整改措施", "measures", 32),
    Column("整改完成情况", "progress", 24),
    Column("销号日期", "closed_on", 12, kind=DATE),
    Column("所属区", "district", 10),
    Column("系统隐患编号", "code", 16),
)
MAJOR_HEADERS = headers(MAJOR_COLUMNS)


def _district_name() -> str:
    district = Organization.objects.filter(kind=OrgKind.DISTRICT).order_by("pk").first()
    return district.name if district else ""


def _progress_text(h) -> str:
    if h.status == HazardStatus.CLOSED:
        return "已整改，已销号" + (f"：{h.rectification_note}" if h.rectification_note else "")
    if h.status == HazardStatus.AWAITING_VERIFICATION:
        return "已整改，待验收" + (f"：{h.rectification_note}" if h.rectification_note else "")
    return f"未完成（{h.get_status_display()}）"


def _measures(h) -> str:
    basis = getattr(h, "construction_basis", None)
    if basis is not None and basis.measures:
        return basis.measures
    plan = getattr(h, "plan", None)
    if plan is not None and plan.methods:
        return plan.methods
    return h.requirement


def _basis_text(h) -> str:
    basis = getattr(h, "construction_basis", None)
    if basis is None:
        return ""
    clause = MAJOR_HAZARD_CLAUSES.get(basis.clause, basis.clause)
    return f"{clause}：{basis.item}" if basis.item else clause


def major_hazard_rows(qs) -> Iterator[list[Any]]:
    """The rows of the national layout for the hazards of ``qs`` (already scoped)."""
    district = _district_name()
    qs = qs.select_related("site__unit", "site__construction_info", "construction_basis", "plan")
    for n, h in enumerate(qs.iterator(chunk_size=1000), start=1):
        site = h.site
        info = _related_or_none(site, "construction_info")
        contractor = (info.contractor if info else "") or (site.unit.name if site.unit else "") or h.unit_name
        yield [
            n,
            site.name,
            site.address or h.address,
            info.builder if info else "",
            contractor,
            info.supervisor if info else "",
            h.description,
            _basis_text(h),
            h.found_on,
            h.deadline,
            h.responsible_person or h.unit_name,
            _measures(h),
            _progress_text(h),
            timezone.localtime(h.closed_at).date() if h.closed_at else None,
            district,
            h.code,
        ]


def _related_or_none(obj, name: str):
    try:
        return getattr(obj, name)
    except Exception:
        return None


def export_major_hazards(qs, fh, *, progress: ExportProgress | None = None) -> int:
    return write_sheet(fh, MAJOR_SHEET, MAJOR_COLUMNS, with_progress(major_hazard_rows(qs), progress))


class MajorHazardExporter(Exporter):
    """重大事故隐患 on construction sites, in the national database's layout."""

    kind = "construction_major_hazards"
    label = "房屋市政工程重大事故隐患"
    filename = "房屋市政工程重大事故隐患清单"
    action = "major_hazard.export"
    object_type = "hazards.hazard"
    list_url = "construction:major_hazards"
    selector = "zhiben.construction.selectors.filter_major_hazards"
    sheet_writer = staticmethod(export_major_hazards)


# --- Imports -----------------------------------------------------------------------------


class _RegisterImporter(SheetImporter):
    """What the 危大工程 and 起重机械 importers share: the rows' project by 场所码,
    text/date/choice/yes-no cells, the service's checks, bulk write, one audit row."""

    choices: ClassVar[dict[str, Any]] = {}  # key -> TextChoices
    defaults: ClassVar[dict[str, str]] = {}
    flags: ClassVar[tuple[str, ...]] = ()
    max_rows = MAX_ROWS
    denied_message = "只有工地的施工单位、行业主管部门、属地街道或区安委办可以批量导入"
    page_notes = ("工程按场所码关联已登记的建筑工地（工地详情页可见）；导出的台账可改正后重新导入（多余的列不读）。",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._seen: set = set()

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register(user)

    @classmethod
    def options(cls) -> dict[str, list[str]]:
        found = {header_of(cls.columns)[key]: [str(label) for label in ch.labels] for key, ch in cls.choices.items()}
        found.update({header_of(cls.columns)[key]: ["是", "否"] for key in cls.flags})
        return found

    @classmethod
    def template(cls) -> bytes:
        notes = [
            f"1. 在“{cls.sheet}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一条。",
            "2. 红色列名为必填项；带下拉列表的列请从列表中选择；日期可填 2025-03-01。",
            "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因。",
            f"4. 单个文件不超过 {MAX_ROWS} 行数据；仅支持 .xlsx 格式。",
        ]
        return build_template(
            [(cls.sheet, cls.columns)], title=f"{cls.title}填写说明", notes=notes, options=cls.options()
        )

    def parse_row(self, cells: RowCells) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for column in self.columns:
            key, header, required = column.key, column.header, column.required
            if key == "site_name":
                continue
            if column.kind == DATE:
                data[key] = cells.date(header)
            elif key in self.flags:
                data[key] = cells.choice(
                    header, YES_NO, max_length=40, required=required, invalid="请填写“是”或“否”", unknown=False
                )
            elif key in self.choices:
                data[key] = cells.choice(
                    header,
                    by_label(self.choices[key]),
                    max_length=40,
                    required=required,
                    blank=self.defaults.get(key, ""),
                    invalid="“{text}”不是可选值",
                    unknown="",
                )
            else:
                text = cells.text(header, TEXT_LIMITS.get(key, ("", 40))[1], required=required)
                data[key] = text.upper() if key == "site" else text
        return data

    @abstractmethod
    def check(self, data: dict[str, Any], today) -> tuple[dict[str, Any], dict[str, str], str]:
        """``(clean data, errors by field, the state rule's refusal)`` of one row."""

    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        codes = {data["site"] for _, data, _ in pending if data.get("site")}
        sites = {s.public_code: s for s in manageable_projects(self.actor).filter(public_code__in=codes)}
        today = timezone.localdate()
        header = header_of(self.columns)
        for number, data, cell_errors in pending:
            code = data.get("site")
            data["site"] = sites.get(code)
            if code and data["site"] is None:
                cell_errors.append(RowError(number, SITE_CODE, f"场所码“{code}”不是您可登记的建筑工地"))
            clean, errors, rule = self.check(data, today)
            add_field_errors(cell_errors, number, errors, header, SITE_CODE)
            if not errors and rule:
                cell_errors.append(RowError(number, header["status"], rule))
            duplicate = self.duplicate_key(clean)
            if duplicate is not None and not cell_errors:
                if duplicate in self._seen:
                    cell_errors.append(RowError(number, header.get("record_no", SITE_CODE), "与文件中前面的行重复"))
                self._seen.add(duplicate)
            self.keep(clean, cell_errors, problems)

    def duplicate_key(self, data: dict[str, Any]):
        return None


class WorkImporter(_RegisterImporter):
    """危大工程批量导入 (kind "dangerous_works")."""

    kind = "dangerous_works"
    label = "危大工程"
    title = "批量导入危大工程"
    sheet = WORK_SHEET
    list_url = "construction:work_list"
    list_label = result_text = "查看危大工程列表"
    upload_url_name = "construction:work_import"
    template_url = "construction:work_template"
    template_filename = "危大工程导入模板.xlsx"
    model = DangerousWork
    columns = WORK_COLUMNS
    choices = {"work_type": WorkType, "expert_conclusion": ExpertConclusion, "status": WorkStatus}
    defaults = {"status": str(WorkStatus.NOT_STARTED.label)}
    flags = ("over_scale", "monitoring_required")
    import_action = "dangerous_work.import"
    object_type = "construction.dangerouswork"

    def check(self, data, today):
        clean, errors = clean_work(data, today)
        return clean, errors, "" if errors else work_not_ready(clean)


class CraneImporter(_RegisterImporter):
    """起重机械批量导入 (kind "cranes")."""

    kind = "cranes"
    label = "起重机械"
    title = "批量导入起重机械"
    sheet = CRANE_SHEET
    list_url = "construction:crane_list"
    list_label = result_text = "查看起重机械列表"
    upload_url_name = "construction:crane_import"
    template_url = "construction:crane_template"
    template_filename = "起重机械导入模板.xlsx"
    model = Crane
    columns = CRANE_COLUMNS
    choices = {"crane_type": CraneType, "inspection_result": InspectionResult, "status": CraneStatus}
    defaults = {"status": str(CraneStatus.INSTALLING.label)}
    import_action = "crane.import"
    object_type = "construction.crane"

    def check(self, data, today):
        clean, errors = clean_crane(data, today)
        site = clean.get("site")
        if not errors and Crane.objects.filter(site=site, record_no=clean["record_no"]).exists():
            errors["record_no"] = f"该工地已登记备案编号为“{clean['record_no']}”的起重机械"
        return clean, errors, "" if errors else crane_not_ready(clean, today)

    def duplicate_key(self, data):
        site = data.get("site")
        return (site.pk, data.get("record_no")) if site is not None else None
