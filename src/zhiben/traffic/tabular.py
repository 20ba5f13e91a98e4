"""道路交通 ⇄ Excel on :mod:`zhiben.core.tabular`: the list exports of 事故多发点段 (with
their 整治 state) and 一校一方案 (as filtered and scoped by the caller), and the importers
of kinds "black_spots" and "school_plans".

An import creates records only (挂牌登记 / 编制方案): the 整治 state changes by its
transitions on the page or the API, never by a spreadsheet, so the export's 整治 columns
are not read back (unknown columns are ignored). Sites are named by their 场所码.

Every row is checked with the services' own rules (``services.clean_listing`` /
``clean_plan``) and rights, duplicates included (within the file and against the
register); any bad row fails the whole file with every bad row named. The rows are
then written through the SAME services (one audit row each) in one step, plus one
``black_spot.import`` / ``school_plan.import`` audit row for the job. A file holds at
most ``MAX_ROWS`` rows.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import ServiceError
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
    labels,
    write_sheet,
)
from zhiben.imports.registry import Exporter, ExportProgress, PendingRow, RowsRefused, SheetImporter, with_progress
from zhiben.org.models import User
from zhiben.org.tabular import OrgLookup, org_labels
from zhiben.registry.models import Site

from .access import (
    can_list_spots,
    can_manage_listing,
    can_manage_school_plan,
    can_plan_schools,
    visible_road_spots,
    visible_schools,
)
from .choices import ListingLevel, RectificationStatus, SchoolPlanStatus
from .models import BlackSpotListing, SchoolSafetyPlan, school_year_label
from .services import (
    TEXT_LIMITS,
    clean_listing,
    clean_plan,
    listing_create,
    school_plan_create,
)

MAX_ROWS = 5_000
CODE = "场所码"


# --- 事故多发点段 -----------------------------------------------------------------------------

LISTING_SHEET = "事故多发点段"
LISTING_EXPORT_COLUMNS: tuple[Column, ...] = (
    Column(CODE, "code", 12, True, "", as_text=True),
    Column("点段名称", "name", 24, False, "", as_text=True),
    Column("所属街道", "street", 12, False, ""),
    Column("挂牌年度", "year", 10, True, ""),
    Column("挂牌级别", "level", 10, True, ""),
    Column("认定事故起数", "accident_count", 10, False, ""),
    Column("牵头单位", "lead_org", 18, True, ""),
    Column("挂牌原因", "reason", 24, False, "", as_text=True),
    Column("备注", "note", 20, False, "", as_text=True),
    Column("整治状态", "status", 10, False, ""),
    Column("整治措施", "measures", 30, False, "", as_text=True),
    Column("开始日期", "started_on", 12, False, "", DATE),
    Column("完成日期", "finished_on", 12, False, "", DATE),
    Column("验收单位（人）", "accepted_by", 16, False, "", as_text=True),
    Column("验收日期", "accepted_on", 12, False, "", DATE),
)


def export_listings(qs, path_or_file, *, progress: ExportProgress | None = None) -> int:
    levels, statuses, orgs = labels(ListingLevel), labels(RectificationStatus), org_labels()

    def rows() -> Iterator[list[Any]]:
        fields = (
            "site__public_code", "site__name", "site__street_id", "year", "level", "accident_count", "lead_org_id",
            "reason", "note", "rectification__status", "rectification__measures", "rectification__started_on",
            "rectification__finished_on", "rectification__accepted_by", "rectification__accepted_on",
        )  # fmt: skip
        for row in qs.values_list(*fields).iterator(chunk_size=2000):
            code, name, street, year, level, count, lead, reason, note, status, measures, *rest = row
            yield [
                code,
                name,
                orgs.get(street, ""),
                year,
                levels.get(level, level),
                count,
                orgs.get(lead, ""),
                reason,
                note,
                statuses.get(status, status or ""),
                measures or "",
                *rest,
            ]

    return write_sheet(path_or_file, LISTING_SHEET, LISTING_EXPORT_COLUMNS, with_progress(rows(), progress))


class ListingExporter(Exporter):
    """The 事故多发点段 list as filtered (same query string as the page), within the viewer's scope."""

    kind = "black_spots"
    label = "事故多发点段"
    filename = "事故多发点段台账"
    action = "black_spot.export"
    object_type = "traffic.blackspotlisting"
    list_url = "traffic:listing_list"
    selector = "zhiben.traffic.selectors.filter_listings"
    sheet_writer = staticmethod(export_listings)


LISTING_COLUMNS: tuple[Column, ...] = (
    Column(CODE, "site", 12, True, "“道路点段”类场所的场所码（在“场所与点位”查看），须为您可见的点段", as_text=True),
    Column("点段名称", "name", 24, False, "仅供核对，不读取", as_text=True),
    Column("挂牌年度", "year", 10, True, "四位年份，如 2024"),
    Column("挂牌级别", "level", 10, True, "市级/区级", CHOICE, strict=True),
    Column("认定事故起数", "accident_count", 10, False, "导致挂牌的事故起数，留空为 0"),
    Column("牵头单位", "lead_org", 18, True, "部门全称、简称或别名，科室写“部门/科室”"),
    Column("挂牌原因", "reason", 24, False, "不超过 300 字", as_text=True),
    Column("备注", "note", 20, False, "不超过 300 字", as_text=True),
)
LISTING_HEADER_OF = header_of(LISTING_COLUMNS)


def listing_template() -> bytes:
    notes = [
        f"1. 在“{LISTING_SHEET}”工作表填写：第 1 行为表头，请勿修改列名；从第 2 行起每行一条挂牌记录。",
        "2. 红色列名为必填项。点段须先在“场所与点位”登记为“道路点段”，以场所码关联。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行、列和原因。",
        f"4. 单个文件不超过 {MAX_ROWS} 行；仅支持 .xlsx。导出的台账可改正后重新导入新的挂牌记录（整治相关列不读取）。",
        "5. 导入只登记挂牌；整治状态请在点段页面通过“启动整治/完成整治/验收”办理。",
    ]
    return build_template(
        [(LISTING_SHEET, LISTING_COLUMNS)],
        title="事故多发点段批量导入填写说明",
        notes=notes,
        options={"挂牌级别": [str(x) for x in ListingLevel.labels]},
    )


class _TrafficImporter(SheetImporter):
    """Shared run: read rows, check each (references, duplicates and rights included) with
    ``parse_row``, then write each kept ``(row, data)`` through ``create_service``."""

    max_rows = MAX_ROWS
    chunk = None
    progress_every = 200
    create_service: Callable[..., Any]

    @abstractmethod
    def parse_row(self, cells: RowCells) -> dict[str, Any] | None:
        """The row as service data (None when it has errors, which go to ``cells.errors``)."""

    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        for number, data, errors in pending:
            if errors or data is not None:
                self.keep((number, data), errors, problems)

    def write(self, fh: IO[bytes]) -> int:
        created = []
        for number, data in self.clean_rows:
            try:
                created.append(type(self).create_service(actor=self.actor, data=data))
            except ServiceError as exc:
                raise RowsRefused([RowError(number, "", exc.message)]) from exc
        if created:
            audit_record(
                action=self.import_action,
                actor=self.actor,
                object_type=self.object_type,
                after={"job": self.job.pk, "created": len(created), "ids": [x.pk for x in created][:1000]},
            )
        return len(created)


class ListingImporter(_TrafficImporter):
    """事故多发点段批量挂牌登记 (kind "black_spots")."""

    kind = "black_spots"
    label = "事故多发点段"
    title = "批量导入事故多发点段"
    sheet = LISTING_SHEET
    list_url = "traffic:listing_list"
    list_label = "返回事故多发点段列表"
    template_url = "traffic:listing_template"
    template_filename = "事故多发点段导入模板.xlsx"
    template_builder = staticmethod(listing_template)
    result_text = "查看事故多发点段"
    upload_url_name = "traffic:listing_import"
    denied_message = "只有区安委办和部门人员可以批量导入事故多发点段"
    page_notes = ("点段以场所码关联已登记的“道路点段”；导入只登记挂牌，整治状态请在点段页面办理。",)
    columns = LISTING_COLUMNS
    create_service = staticmethod(listing_create)
    import_action = "black_spot.import"
    object_type = "traffic.blackspotlisting"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._orgs = OrgLookup()
        self._sites = {s.public_code: s for s in visible_road_spots(self.actor).select_related("site_type", "owner")}
        self._seen: dict[tuple[int, int], int] = {}
        self._today = timezone.localdate()
        self._levels = by_label(ListingLevel)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_list_spots(user)

    def parse_row(self, cells: RowCells) -> dict[str, Any] | None:
        code = cells.text(CODE, 16, required=True)
        site = self._sites.get(code.upper())
        if code and site is None:
            cells.fail(CODE, f"场所码“{code}”不是您可见的在册道路点段")
        year = cells.integer("挂牌年度", required=True)
        level = cells.choice("挂牌级别", self._levels, max_length=10, required=True)
        count = cells.integer("认定事故起数")
        lead_text = cells.text("牵头单位", 100, required=True)
        lead = self._orgs(lead_text) if lead_text else None
        if lead_text and lead is None:
            cells.fail("牵头单位", f"找不到单位“{lead_text}”")
        data: dict[str, Any] = {
            "site": site,
            "year": year,
            "level": level,
            "accident_count": count or 0,
            "lead_org": lead,
        }
        for key in ("reason", "note"):
            data[key] = cells.text(LISTING_HEADER_OF[key], TEXT_LIMITS[key][1])
        clean, problems = clean_listing(data, self._today)
        add_field_errors(cells.errors, cells.number, problems, LISTING_HEADER_OF, CODE)
        if cells.errors or site is None:
            return None
        if lead is not None and not can_manage_listing(self.actor, site, lead):
            cells.fail("牵头单位", "您无权为该点段或以该牵头单位挂牌登记")
        key = (site.pk, clean["year"])
        if key in self._seen:
            cells.fail("挂牌年度", f"与第 {self._seen[key]} 行重复（同一点段同一年度）")
        elif BlackSpotListing.objects.filter(site=site, year=clean["year"]).exists():
            cells.fail("挂牌年度", f"该点段已有{clean['year']}年的挂牌记录")
        self._seen.setdefault(key, cells.number)
        return None if cells.errors else clean


# --- 一校一方案 -------------------------------------------------------------------------------

PLAN_SHEET = "一校一方案"
PLAN_COLUMNS: tuple[Column, ...] = (
    Column(CODE, "site", 12, True, "“学校周边”类场所的场所码，须为您可管理的学校", as_text=True),
    Column("学校名称", "name", 24, False, "仅供核对，不读取", as_text=True),
    Column("学年", "school_year", 10, True, "学年起始年份，如 2024 表示 2024-2025学年"),
    Column("护学岗", "guard_posts", 24, False, "不超过 1000 字", as_text=True),
    Column("交通设施", "traffic_facilities", 24, False, "不超过 1000 字", as_text=True),
    Column("接送秩序", "pickup_order", 24, False, "不超过 1000 字", as_text=True),
    Column("责任民警/交警", "police_name", 12, False, "不超过 50 字", as_text=True),
    Column("联系电话", "police_phone", 14, False, "6～20 位数字，可含“-”", as_text=True),
    Column("审核日期", "reviewed_on", 12, False, "如 2024-09-01", DATE),
    Column(
        "状态", "status", 10, False, "编制中/已落实，留空为编制中；已落实须填齐方案内容和审核日期", CHOICE, strict=True
    ),
    Column("备注", "note", 20, False, "不超过 300 字", as_text=True),
)
PLAN_HEADER_OF = header_of(PLAN_COLUMNS)
PLAN_TEXTS = ("guard_posts", "traffic_facilities", "pickup_order", "police_name", "police_phone", "note")


def export_plans(qs, path_or_file, *, progress: ExportProgress | None = None) -> int:
    statuses, orgs = labels(SchoolPlanStatus), org_labels()
    columns = (*PLAN_COLUMNS[:2], Column("所属街道", "street", 12, False, ""), *PLAN_COLUMNS[2:])

    def rows() -> Iterator[list[Any]]:
        fields = (
            "site__public_code", "site__name", "site__street_id", "school_year", "guard_posts", "traffic_facilities",
            "pickup_order", "police_name", "police_phone", "reviewed_on", "status", "note",
        )  # fmt: skip
        for row in qs.values_list(*fields).iterator(chunk_size=2000):
            code, name, street, year, *texts, reviewed, status, note = row
            yield [code, name, orgs.get(street, ""), year, *texts, reviewed, statuses.get(status, status), note]

    return write_sheet(path_or_file, PLAN_SHEET, columns, with_progress(rows(), progress))


class PlanExporter(Exporter):
    kind = "school_plans"
    label = "一校一方案"
    filename = "一校一方案台账"
    action = "school_plan.export"
    object_type = "traffic.schoolsafetyplan"
    list_url = "traffic:plan_list"
    selector = "zhiben.traffic.selectors.filter_school_plans"
    sheet_writer = staticmethod(export_plans)


def plan_template() -> bytes:
    notes = [
        f"1. 在“{PLAN_SHEET}”工作表填写：第 1 行为表头，请勿修改列名；从第 2 行起每行一所学校一个学年的方案。",
        "2. 红色列名为必填项。学校须先在“场所与点位”登记为“学校周边”，以场所码关联。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行、列和原因。",
        f"4. 单个文件不超过 {MAX_ROWS} 行；仅支持 .xlsx。同一学校同一学年只能有一份方案，已有的请在页面修改。",
    ]
    return build_template(
        [(PLAN_SHEET, PLAN_COLUMNS)],
        title="一校一方案批量导入填写说明",
        notes=notes,
        options={"状态": [str(x) for x in SchoolPlanStatus.labels]},
    )


class PlanImporter(_TrafficImporter):
    """一校一方案批量导入 (kind "school_plans")."""

    kind = "school_plans"
    label = "一校一方案"
    title = "批量导入一校一方案"
    sheet = PLAN_SHEET
    list_url = "traffic:plan_list"
    list_label = "返回一校一方案列表"
    template_url = "traffic:plan_template"
    template_filename = "一校一方案导入模板.xlsx"
    template_builder = staticmethod(plan_template)
    result_text = "查看一校一方案"
    upload_url_name = "traffic:plan_import"
    denied_message = "只有区安委办、部门和街道人员可以批量导入一校一方案"
    page_notes = ("学校以场所码关联已登记的“学校周边”类场所；同一学校同一学年只能有一份方案。",)
    columns = PLAN_COLUMNS
    create_service = staticmethod(school_plan_create)
    import_action = "school_plan.import"
    object_type = "traffic.schoolsafetyplan"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sites: dict[str, Site] = {
            s.public_code: s for s in visible_schools(self.actor).select_related("site_type", "owner", "street")
        }
        self._seen: dict[tuple[int, int], int] = {}
        self._today = timezone.localdate()
        self._statuses = by_label(SchoolPlanStatus)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_plan_schools(user)

    def parse_row(self, cells: RowCells) -> dict[str, Any] | None:
        code = cells.text(CODE, 16, required=True)
        site = self._sites.get(code.upper())
        if code and site is None:
            cells.fail(CODE, f"场所码“{code}”不是您可见的在册学校")
        data: dict[str, Any] = {
            "site": site,
            "school_year": cells.integer("学年", required=True),
            "reviewed_on": cells.date("审核日期"),
        }
        for key in PLAN_TEXTS:
            data[key] = cells.text(PLAN_HEADER_OF[key], TEXT_LIMITS[key][1])
        data["status"] = cells.choice("状态", self._statuses, max_length=10, blank=SchoolPlanStatus.DRAFTING.label)
        clean, problems = clean_plan(data, self._today)
        add_field_errors(cells.errors, cells.number, problems, PLAN_HEADER_OF, CODE)
        if cells.errors or site is None:
            return None
        if not can_manage_school_plan(self.actor, site):
            cells.fail(CODE, "您无权为该学校编制方案")
        key = (site.pk, clean["school_year"])
        label = school_year_label(clean["school_year"])
        if key in self._seen:
            cells.fail("学年", f"与第 {self._seen[key]} 行重复（同一学校同一学年）")
        elif SchoolSafetyPlan.objects.filter(site=site, school_year=clean["school_year"]).exists():
            cells.fail("学年", f"该学校已有{label}的方案")
        self._seen.setdefault(key, cells.number)
        return None if cells.errors else clean
