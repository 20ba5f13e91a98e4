"""The hazard ledger and Excel: the import template, the importer (kind
"hazards", run by zhiben.imports) and the export.

The template's header row is :data:`COLUMNS`; the export writes the same
columns plus the ledger's own (编号, 状态 …), so an export can be filled in
and imported again (unknown columns are ignored). Category and 科室 names
are written as "上级/下级" where a bare name could be ambiguous, and the
importer accepts a bare name, "上级/下级" or the full path.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import PermissionDeniedError, ServiceError
from zhiben.core.validators import uscc_problem
from zhiben.core.xlsxstream import SheetWriter
from zhiben.imports.parsing import (
    DATE_HINT,
    CellError,
    ChoiceParser,
    ImportFileError,
    Problems,
    RowError,
    SheetRows,
    max_bytes,
    max_rows,
    parse_date,
    parse_text,
)
from zhiben.imports.registry import Importer, Progress, RowsRefused, Written
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User
from zhiben.registry.models import Sector, Unit

from . import services
from .choices import OPEN_STATUSES, DeadlineKind, Difficulty, HazardLevel, HazardSource, HazardStatus
from .models import Hazard, HazardCategory, Supervision

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "隐患台账"
HELP_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
PROGRESS_EVERY = 200
BATCH = 500  # rows whose registered units are looked up together
# One write step (one transaction: SQLite holds its write lock that long) ends
# after WRITE_STEP rows or STEP_SECONDS, whichever comes first.
WRITE_STEP = 200
STEP_SECONDS = 0.5
UNIT_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the hazard_create data key
    width: int
    required: bool = False
    help: str = ""
    kind: str = "text"  # text | date | choice


COLUMNS: tuple[Column, ...] = (
    Column("行业领域", "sector", 16, True, "行业领域名称，从下拉列表中选择", "choice"),
    Column(
        "隐患类别",
        "category",
        28,
        True,
        "末级隐患类别，可只填类别名称，也可填“上级/下级”（同名类别须写上级）；须属于所填行业领域，见“填写说明”中的类别表",
        "choice",
    ),
    Column("隐患等级", "level", 10, False, "留空按一般隐患", "choice"),
    Column("来源", "source", 12, True, "隐患来源", "choice"),
    Column("发现日期", "found_on", 12, True, f"不能晚于今天；{DATE_HINT}", "date"),
    Column("隐患简述", "title", 30, True, "一句话概括，不超过 120 字"),
    Column("隐患内容", "description", 40, True, "隐患的具体情况"),
    Column("具体位置", "location", 24, False, "不超过 200 字"),
    Column("责任单位名称", "unit_name", 28, True, "不超过 200 字"),
    Column("统一社会信用代码", "unit_uscc", 22, False, "18 位，填写时校验校验位；已登记的单位将自动关联"),
    Column("地址", "address", 30, False, "不超过 255 字"),
    Column("所属街道", "street", 14, False, "街道名称，从下拉列表中选择；街道经办人只能导入本街道的隐患", "choice"),
    Column(
        "行业主管部门",
        "owner",
        18,
        False,
        "部门全称、简称或别名均可，科室写“部门/科室”；留空则为行业领域的主管部门；须为您有权登记的部门",
        "choice",
    ),
    Column("责任人", "responsible_person", 10, False, "不超过 50 字"),
    Column("责任人电话", "responsible_phone", 14, False, "不超过 30 字"),
    Column("整改难度", "difficulty", 10, False, "留空按易整改", "choice"),
    Column("整改要求", "requirement", 30, False, ""),
    Column("整改时限类型", "deadline_kind", 12, False, "留空按限期整改；立即整改时整改期限即为发现日期", "choice"),
    Column("整改期限", "deadline", 12, False, f"限期整改的期限，不能早于发现日期；{DATE_HINT}", "date"),
    Column("发现人/单位", "finder_name", 16, False, "留空则记为导入人"),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
HEADER_OF: dict[str, str] = {c.key: c.header for c in COLUMNS}
EXPORT_EXTRA = ("状态", "是否存量", "是否逾期", "督办", "上账时间", "销号时间", "验收人")
EXPORT_HEADERS: tuple[str, ...] = ("编号", *HEADERS, *EXPORT_EXTRA)
EXPORT_WIDTHS = (16, *(c.width for c in COLUMNS), 8, 8, 8, 12, 17, 17, 10)

IMPORT_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)


def _max_length(key: str) -> int | None:
    return Hazard._meta.get_field(key).max_length


def _clean_path(text: str) -> str:
    return "/".join(part.strip() for part in text.replace("／", "/").split("/"))


# --- Names of reference objects -----------------------------------------------------------------


def category_label(category: HazardCategory, by_id: dict[int, HazardCategory] | None = None) -> str:
    """ "上级/下级" (unambiguous for every leaf of the reference taxonomy)."""
    parent = (by_id or {}).get(category.parent_id) if by_id is not None else category.parent
    return f"{parent.name}/{category.name}" if parent is not None else category.name


def org_label(org: Organization, by_path: dict[str, Organization]) -> str:
    """Display name; a 科室 as "部门/科室" (section names repeat across departments)."""
    if org.kind != OrgKind.SECTION:
        return org.display_name
    path = org.path
    while True:
        path = path[: path.rstrip("/").rfind("/") + 1]
        parent = by_path.get(path)
        if parent is None:
            return org.display_name
        if parent.kind != OrgKind.SECTION:
            return f"{parent.display_name}/{org.display_name}"


def owner_options() -> list[str]:
    orgs = list(Organization.objects.filter(is_active=True).order_by("path"))
    by_path = {o.path: o for o in orgs}
    kinds = {OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET}
    return [org_label(o, by_path) for o in orgs if o.kind in kinds]


def leaf_categories() -> list[tuple[HazardCategory, str, list[str]]]:
    """Active leaf categories with their label and the sectors they fit."""
    categories = list(HazardCategory.objects.order_by("sort_order", "pk"))
    by_id = {c.pk: c for c in categories}
    parents = {c.parent_id for c in categories if c.parent_id}
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    root_sectors: dict[int, list[str]] = {}
    for category_id, sector_id in HazardCategory.sectors.through.objects.values_list("hazardcategory_id", "sector_id"):
        root_sectors.setdefault(category_id, []).append(sector_names[sector_id])
    result = []
    for category in categories:
        if category.pk in parents or not category.is_active:
            continue
        root = category
        while root.parent_id:
            root = by_id[root.parent_id]
        fits = ["全部行业"] if root.for_all_sectors else sorted(root_sectors.get(root.pk, []))
        result.append((category, category_label(category, by_id), fits))
    return result


# --- Template -----------------------------------------------------------------------------------


def hazard_template() -> bytes:
    """The import template: the header row, dropdowns on enum columns, a
    填写说明 sheet and a hidden 选项 sheet holding the dropdown lists."""
    import xlsxwriter

    sectors = list(Sector.objects.values_list("name", flat=True))
    streets = list(
        Organization.objects.filter(kind=OrgKind.STREET, is_active=True).order_by("path").values_list("name", flat=True)
    )
    leaves = leaf_categories()
    options: dict[str, list[str]] = {
        "隐患等级": [str(c.label) for c in HazardLevel],
        "来源": [str(c.label) for c in HazardSource],
        "整改难度": [str(c.label) for c in Difficulty],
        "整改时限类型": [str(c.label) for c in DeadlineKind],
        "行业领域": sectors,
        "所属街道": streets,
        "隐患类别": [label for _, label, _ in leaves],
        "行业主管部门": owner_options(),
    }
    strict = {"隐患等级", "来源", "整改难度", "整改时限类型", "行业领域", "所属街道"}

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header_fmt = workbook.add_format(
        {"bold": True, "bg_color": "#FDECEC", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    required_fmt = workbook.add_format(
        {
            "bold": True,
            "bg_color": "#FDECEC",
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "font_color": "#B91C1C",
        }
    )
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    text_fmt = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title_fmt = workbook.add_format({"bold": True, "font_size": 14})

    sheet = workbook.add_worksheet(DATA_SHEET)
    help_sheet = workbook.add_worksheet(HELP_SHEET)
    option_sheet = workbook.add_worksheet(OPTIONS_SHEET)

    # Hidden list sheet: one column per dropdown.
    ranges: dict[str, str] = {}
    for col, (name, values) in enumerate(options.items()):
        option_sheet.write_string(0, col, name, bold)
        for row, value in enumerate(values, start=1):
            option_sheet.write_string(row, col, value)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        ranges[name] = f"='{OPTIONS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    option_sheet.hide()

    last_row = max_rows()
    sheet.set_row(0, 30)
    for col, column in enumerate(COLUMNS):
        fmt = (
            date_fmt
            if column.kind == "date"
            else text_fmt
            if column.key in {"unit_uscc", "responsible_phone"}
            else None
        )
        sheet.set_column(col, col, column.width, fmt)
        sheet.write_string(0, col, column.header, required_fmt if column.required else header_fmt)
        validation: dict[str, Any]
        if column.header in ranges:
            validation = {
                "validate": "list",
                "source": ranges[column.header],
                "input_title": column.header[:32],
                "input_message": column.help[:255],
            }
            if column.header in strict:
                validation.update(error_title="输入值无效", error_message=f"请从下拉列表中选择{column.header}")
            else:
                validation["show_error"] = False
        else:
            validation = {"validate": "any", "input_title": column.header[:32], "input_message": column.help[:255]}
        if validation.get("input_message") or validation["validate"] != "any":
            sheet.data_validation(1, col, last_row, col, validation)
    sheet.freeze_panes(1, 0)
    sheet.activate()

    help_sheet.set_column(0, 0, 18)
    help_sheet.set_column(1, 1, 8)
    help_sheet.set_column(2, 2, 60)
    help_sheet.set_column(3, 3, 60)
    help_sheet.write_string(0, 0, "隐患批量导入填写说明", title_fmt)
    notes = [
        f"1. 在“{DATA_SHEET}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一条隐患。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）和原因，改正后重新上传即可。",
        f"4. 单个文件不超过 {max_rows()} 行数据、{max_bytes() // 1024 // 1024} MB；仅支持 .xlsx 格式。",
        f"5. 日期可填写 Excel 日期，也可填写文本：{DATE_HINT}。",
        "6. 导入的隐患状态为“待确认”，由行业主管部门确认后进入整改。",
    ]
    for row, note in enumerate(notes, start=1):
        help_sheet.write_string(row, 0, note)
    row = len(notes) + 2
    for col, title in enumerate(("列名", "必填", "说明", "可选值")):
        help_sheet.write_string(row, col, title, header_fmt)
    for column in COLUMNS:
        row += 1
        allowed = options.get(column.header) if column.header in strict else None
        help_sheet.write_string(row, 0, column.header, bold)
        help_sheet.write_string(row, 1, "是" if column.required else "")
        help_sheet.write_string(row, 2, column.help, wrap)
        help_sheet.write_string(row, 3, "、".join(allowed) if allowed else "", wrap)
    row += 2
    help_sheet.write_string(row, 0, "隐患类别（上级/下级）与适用行业领域", bold)
    row += 1
    for col, title in enumerate(("隐患类别", "", "适用行业领域")):
        if title:
            help_sheet.write_string(row, col, title, header_fmt)
    for _, label, fits in leaves:
        row += 1
        help_sheet.write_string(row, 0, label)
        help_sheet.write_string(row, 2, "、".join(fits), wrap)
    workbook.close()
    return out.getvalue()


# --- Import -------------------------------------------------------------------------------------


class _Lookups:
    """Reference data in dicts, so that a row costs no query: sectors and
    categories are loaded once; organizations and units are memoised per
    distinct name / 统一社会信用代码; the right to create per (owner, unit,
    street)."""

    def __init__(self, actor: User):
        self.actor = actor
        self.sectors: dict[str, Sector] = {}
        sectors = list(Sector.objects.select_related("owner"))
        for sector in sectors:
            self.sectors[sector.code] = sector
        for sector in sectors:
            self.sectors[sector.name] = sector
        self.sector_names = [s.name for s in sectors]

        categories = list(HazardCategory.objects.order_by("sort_order", "pk"))
        self.category_by_id = {c.pk: c for c in categories}
        for category in categories:  # set the parent so that no code path queries it
            if category.parent_id:
                category.parent = self.category_by_id[category.parent_id]
        self.parent_ids = {c.parent_id for c in categories if c.parent_id}
        self.root_sectors: dict[int, set[int]] = {}
        for category_id, sector_id in HazardCategory.sectors.through.objects.values_list(
            "hazardcategory_id", "sector_id"
        ):
            self.root_sectors.setdefault(category_id, set()).add(sector_id)
        self.categories_by_label: dict[str, list[HazardCategory]] = {}
        for category in categories:
            chain = [category]
            while chain[-1].parent_id:
                chain.append(self.category_by_id[chain[-1].parent_id])
            names = [c.name for c in reversed(chain)]
            for start in range(len(names)):
                label = _clean_path("/".join(names[start:]))
                self.categories_by_label.setdefault(label, []).append(category)
        self._orgs: dict[str, Organization | None] = {}
        self._units: dict[str, Unit | None] = {}
        self._allowed: dict[tuple, bool] = {}

    def root(self, category: HazardCategory) -> HazardCategory:
        while category.parent_id:
            category = self.category_by_id[category.parent_id]
        return category

    def fits(self, category: HazardCategory, sector: Sector) -> bool:
        root = self.root(category)
        return root.for_all_sectors or sector.pk in self.root_sectors.get(root.pk, set())

    def is_leaf(self, category: HazardCategory) -> bool:
        return category.pk not in self.parent_ids

    def org(self, text: str) -> Organization | None:
        text = _clean_path(text)
        if text not in self._orgs:
            org = Organization.objects.resolve(text)
            if org is None and "/" in text:
                parent_name, _, child = text.rpartition("/")
                parent = self.org(parent_name)
                if parent is not None:
                    org = Organization.objects.resolve(child, within=parent)
            self._orgs[text] = org
        return self._orgs[text]

    def unit(self, uscc: str) -> Unit | None:
        if uscc not in self._units:
            self.prefetch_units([uscc])
        return self._units[uscc]

    def prefetch_units(self, codes: Iterable[str]) -> None:
        """Look up the registered units of a batch of rows in one query."""
        wanted = {c for c in codes if c and c not in self._units}
        if not wanted:
            return
        found = {u.uscc: u for u in Unit.objects.select_related("street").filter(uscc__in=wanted)}
        for code in wanted:
            self._units[code] = found.get(code)
        if len(self._units) > UNIT_CACHE_LIMIT:  # bound the memory of a huge file with distinct units
            self._units = {code: self._units[code] for code in wanted}

    def may_create(self, owner: Organization, unit: Unit | None, street: Organization | None) -> bool:
        key = (owner.pk, unit.pk if unit else None, street.pk if street else None)
        if key not in self._allowed:
            self._allowed[key] = services.can_create_for(self.actor, owner, unit, street)
        return self._allowed[key]


class HazardImporter(Importer):
    """隐患批量导入 (kind "hazards")."""

    kind = "hazards"
    label = "隐患"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.today = timezone.localdate()
        self.level = ChoiceParser(HazardLevel, "隐患等级", default=HazardLevel.GENERAL)
        self.source = ChoiceParser(HazardSource, "来源")
        self.difficulty = ChoiceParser(Difficulty, "整改难度", default=Difficulty.EASY)
        self.deadline_kind = ChoiceParser(DeadlineKind, "整改时限类型", default=DeadlineKind.DATE)
        self._lookups: _Lookups | None = None

    @property
    def lookups(self) -> _Lookups:
        if self._lookups is None:
            self._lookups = _Lookups(self.actor)
        return self._lookups

    @classmethod
    def can_import(cls, user: User) -> bool:
        return bool(user and user.is_active and (user.is_district_admin or user.has_role(*IMPORT_ROLES)))

    def result_url(self) -> str:
        return reverse("hazards:list")

    def result_label(self) -> str:
        return "查看隐患台账"

    def upload_url(self) -> str:
        return reverse("hazards_xlsx:import")

    def _rows(self, fh: IO[bytes]) -> SheetRows:
        return SheetRows(fh, headers=HEADERS, required_headers=HEADERS, sheet_name=DATA_SHEET)

    def _batched(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """The rows again, with the registered units of every BATCH rows
        fetched in one query before they are parsed."""
        header = HEADER_OF["unit_uscc"]
        for batch in _batches(rows):
            self.lookups.prefetch_units(parse_text(raw.get(header), header).upper() for _, raw in batch)
            yield from batch

    # The two passes ------------------------------------------------------------------------------

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        errors = Problems()
        count = 0
        with self._rows(fh) as rows:
            estimate = rows.estimate
            for number, raw in self._batched(rows):
                count += 1
                _, row_errors = self.parse_row(number, raw, epoch=rows.epoch)
                errors.add_all(row_errors)
                if count % PROGRESS_EVERY == 0:
                    progress(count, max(estimate, count))
        if count == 0:
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写隐患（工作表“{DATA_SHEET}”）")
        progress(count, count)
        return count, errors

    def write(self, fh: IO[bytes]) -> int:
        """All steps in the caller's transaction (for callers that want one)."""
        steps = self.write_steps(fh)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        """Create the hazards through ``hazard_create``, at most WRITE_STEP
        rows or STEP_SECONDS per step (the runner commits each step on its
        own, see zhiben.imports).
        A step with refused rows raises RowsRefused with all of that step's
        problems; the runner then undoes the earlier steps."""
        created = 0
        per_owner: Counter[int] = Counter()
        with self._rows(fh) as rows:
            for batch in _batches(self._batched(rows), BATCH):
                errors = Problems()
                ids: list[int] = []
                step_began = time.monotonic()
                for number, raw in batch:
                    if len(ids) >= WRITE_STEP or time.monotonic() - step_began >= STEP_SECONDS:
                        if errors:
                            raise RowsRefused(errors)
                        created += len(ids)
                        yield Written(Hazard, ids)
                        ids, step_began = [], time.monotonic()
                    data, row_errors = self.parse_row(number, raw, epoch=rows.epoch)
                    if row_errors:  # reference data changed since the check
                        errors.add_all(row_errors)
                        continue
                    try:
                        hazard = services.hazard_create(
                            actor=self.actor, data=data, allow_duplicate=True, notify_owner=False
                        )
                    except ServiceError as exc:
                        errors.add_all(self._service_errors(number, exc))
                        continue
                    ids.append(hazard.pk)
                    per_owner[hazard.owner_id] += 1
                if errors:
                    raise RowsRefused(errors)
                created += len(ids)
                yield Written(Hazard, ids)
        audit_record(
            action="hazard.import",
            actor=self.actor,
            object_type="hazards.hazard",
            after={"job": self.job.pk, "created": created},
        )
        actor, file_name = self.actor, self.job.original_name
        transaction.on_commit(lambda: notify_owners(per_owner, actor=actor, file_name=file_name))
        return created

    @staticmethod
    def _service_errors(number: int, exc: ServiceError) -> list[RowError]:
        if isinstance(exc, PermissionDeniedError) or not isinstance(exc.details, dict):
            return [RowError(number, HEADER_OF["owner"], exc.message)]
        return [
            RowError(number, HEADER_OF.get(key, ""), msg if isinstance(msg, str) else "；".join(msg))
            for key, msg in exc.details.items()
        ]

    # One row -------------------------------------------------------------------------------------

    def parse_row(self, number: int, raw: dict[str, Any], *, epoch=None) -> tuple[dict[str, Any], list[RowError]]:
        """The hazard_create data of one row, and its problems (all of them)."""
        errors: list[RowError] = []
        data: dict[str, Any] = {}
        lookups = self.lookups

        def cell(key: str, parse, *args, **kwargs):
            header = HEADER_OF[key]
            try:
                return parse(raw.get(header), *args, **kwargs)
            except CellError as exc:
                errors.append(RowError(number, header, exc.message))
                return None

        def fail(key: str, message: str) -> None:
            errors.append(RowError(number, HEADER_OF[key], message))

        for key in ("title", "description", "unit_name"):
            data[key] = cell(key, parse_text, HEADER_OF[key], required=True, max_length=_max_length(key))
        for key in ("location", "address", "responsible_person", "responsible_phone", "requirement", "finder_name"):
            data[key] = cell(key, parse_text, HEADER_OF[key], max_length=_max_length(key))
        data["level"] = cell("level", self.level)
        data["source"] = cell("source", self.source)
        data["difficulty"] = cell("difficulty", self.difficulty)
        data["deadline_kind"] = cell("deadline_kind", self.deadline_kind)

        found_on = cell("found_on", parse_date, "发现日期", required=True, epoch=epoch)
        if found_on is not None and found_on > self.today:
            fail("found_on", f"发现日期 {found_on:%Y-%m-%d} 晚于今天")
        data["found_on"] = found_on
        deadline = cell("deadline", parse_date, "整改期限", epoch=epoch)
        if data["deadline_kind"] == DeadlineKind.IMMEDIATE:
            deadline = found_on
        elif deadline is not None and found_on is not None and deadline < found_on:
            fail("deadline", f"整改期限 {deadline:%Y-%m-%d} 早于发现日期 {found_on:%Y-%m-%d}")
        data["deadline"] = deadline

        sector = None
        sector_name = cell("sector", parse_text, "行业领域", required=True)
        if sector_name:
            sector = lookups.sectors.get(sector_name)
            if sector is None:
                fail("sector", f"行业领域“{sector_name}”不存在，可选：{'、'.join(lookups.sector_names)}")
        data["sector"] = sector
        data["category"] = self._category(cell("category", parse_text, "隐患类别", required=True), sector, fail)

        uscc = (cell("unit_uscc", parse_text, "统一社会信用代码") or "").upper()
        unit = None
        if uscc:
            problem = uscc_problem(uscc)
            if problem:
                fail("unit_uscc", problem)
            else:
                unit = lookups.unit(uscc)
        data["unit_uscc"] = uscc
        if unit is not None:
            data["unit"] = unit

        street = None
        street_name = cell("street", parse_text, "所属街道")
        if street_name:
            street = lookups.org(street_name)
            if street is None:
                fail("street", f"所属街道“{street_name}”不存在")
            elif street.kind != OrgKind.STREET:
                fail("street", f"“{street_name}”不是街道")
                street = None
            elif not street.is_active:
                fail("street", f"街道“{street_name}”已停用")
                street = None
        data["street"] = street

        owner = None
        owner_name = cell("owner", parse_text, "行业主管部门")
        if owner_name:
            owner = lookups.org(owner_name)
            if owner is None:
                fail("owner", f"行业主管部门“{owner_name}”不存在或有重名（科室请写“部门/科室”）")
            elif owner.kind not in services.OWNER_KINDS:
                fail("owner", f"“{owner_name}”不能作为行业主管部门（须为委办局、科室或街道）")
                owner = None
            elif not owner.is_active:
                fail("owner", f"行业主管部门“{owner_name}”已停用")
                owner = None
        elif sector is not None:
            owner = sector.owner
            if owner is None:
                fail("owner", f"请填写行业主管部门（“{sector.name}”领域没有默认的主管部门）")
        data["owner"] = owner

        if owner is not None:
            effective_street = street or (unit.street if unit is not None else None)
            if not lookups.may_create(owner, unit, effective_street):
                where = f"、街道“{effective_street.name}”" if effective_street is not None else ""
                fail("owner", f"您无权为行业主管部门“{owner.display_name}”{where}登记隐患")
        return data, errors

    def _category(self, text: str | None, sector: Sector | None, fail) -> HazardCategory | None:
        if not text:
            return None
        lookups = self.lookups
        candidates = lookups.categories_by_label.get(_clean_path(text), [])
        if not candidates:
            fail("category", f"隐患类别“{text}”不存在（见模板“{HELP_SHEET}”中的类别表）")
            return None
        leaves = [c for c in candidates if lookups.is_leaf(c)]
        if not leaves:
            fail("category", f"“{text}”不是末级类别，请填写具体的隐患类别")
            return None
        active = [c for c in leaves if c.is_active]
        if not active:
            fail("category", f"隐患类别“{text}”已停用")
            return None
        if sector is None:
            return active[0] if len(active) == 1 else None
        fitting = [c for c in active if lookups.fits(c, sector)]
        if not fitting:
            fail("category", f"隐患类别“{text}”不属于“{sector.name}”领域")
            return None
        if len(fitting) > 1:
            examples = "、".join(f"“{category_label(c)}”" for c in fitting)
            fail("category", f"隐患类别“{text}”有重名，请写成“上级/下级”：{examples}")
            return None
        return fitting[0]


def _batches(rows: Iterable, size: int = BATCH) -> Iterator[tuple]:
    iterator = iter(rows)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def notify_owners(per_owner: dict[int, int], *, actor: User, file_name: str) -> int:
    """One notification per owning department (not one per hazard)."""
    sent = 0
    list_url = reverse("hazards:list")
    for owner in Organization.objects.filter(pk__in=list(per_owner)):
        count = per_owner[owner.pk]
        sent += notify.notify(
            notify.recipients_in(owner),
            title=f"批量导入隐患 {count} 条，待确认",
            body=f"{actor} 通过 Excel 导入（{file_name}），请确认后安排整改。",
            url=f"{list_url}?owner={owner.pk}&status={HazardStatus.PENDING.value}",
            kind="hazard.import",
            exclude=actor,
        )
    return sent


# --- Export -------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "code",
    "sector_id",
    "category_id",
    "level",
    "source",
    "found_on",
    "title",
    "description",
    "location",
    "unit_name",
    "unit_uscc",
    "address",
    "street_id",
    "owner_id",
    "responsible_person",
    "responsible_phone",
    "difficulty",
    "requirement",
    "deadline_kind",
    "deadline",
    "finder_name",
    "finder_id",
    "status",
    "is_stock",
    "created_at",
    "closed_at",
    "verified_by_id",
    "_supervision_kind",
    "_supervision_level",
)


def _labels(choices) -> dict[str, str]:
    return {member.value: str(member.label) for member in choices}


def _user_names() -> dict[int, str]:
    return {
        pk: display_name or username
        for pk, display_name, username in User.objects.values_list("pk", "display_name", "username")
    }


def export_hazards(qs, path_or_file: str | IO[bytes]) -> int:
    """Write the hazards of ``qs`` (already scoped and filtered) as .xlsx.

    Written by ``core.xlsxstream.SheetWriter`` (XlsxWriter is too slow per
    cell for 100,000 rows: bench/RESULTS.md), rows from ``values_list`` in
    chunks and names from dicts loaded once: memory and the number of queries
    do not grow with the number of rows. Returns the number of rows written.
    """
    sectors = dict(Sector.objects.values_list("pk", "name"))
    categories = {c.pk: c for c in HazardCategory.objects.all()}
    category_names = {pk: category_label(c, categories) for pk, c in categories.items()}
    orgs = list(Organization.objects.all())
    by_path = {o.path: o for o in orgs}
    org_names = {o.pk: org_label(o, by_path) for o in orgs}
    users = _user_names()
    levels, sources, statuses = _labels(HazardLevel), _labels(HazardSource), _labels(HazardStatus)
    difficulties, deadline_kinds = _labels(Difficulty), _labels(DeadlineKind)
    from .choices import SupervisionKind, SupervisionLevel

    supervision_kinds, supervision_levels = _labels(SupervisionKind), _labels(SupervisionLevel)
    open_statuses = {s.value for s in OPEN_STATUSES}
    today = timezone.localdate()

    active = Supervision.objects.filter(hazard=OuterRef("pk"), is_active=True).order_by("-opened_at")
    rows: Iterable[tuple] = (
        qs.annotate(
            _supervision_kind=Subquery(active.values("kind")[:1]),
            _supervision_level=Subquery(active.values("level")[:1]),
        )
        .values_list(*EXPORT_FIELDS)
        .iterator(chunk_size=2000)
    )

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return timezone.localtime(value).replace(tzinfo=None) if value is not None else None

    def cells(row: tuple) -> list[Any]:
        (
            code,
            sector_id,
            category_id,
            level,
            source,
            found_on,
            title,
            description,
            location,
            unit_name,
            unit_uscc,
            address,
            street_id,
            owner_id,
            person,
            phone,
            difficulty,
            requirement,
            deadline_kind,
            deadline,
            finder_name,
            finder_id,
            status,
            is_stock,
            created_at,
            closed_at,
            verified_by_id,
            supervision_kind,
            supervision_level,
        ) = row
        overdue = status in open_statuses and deadline is not None and deadline < today
        supervision = (
            f"{supervision_levels.get(supervision_level, '')}{supervision_kinds[supervision_kind]}"
            if supervision_kind
            else ""
        )
        return [
            code,
            sectors.get(sector_id, ""),
            category_names.get(category_id, ""),
            levels.get(level, level),
            sources.get(source, source),
            found_on,
            title,
            description,
            location,
            unit_name,
            unit_uscc,
            address,
            org_names.get(street_id, ""),
            org_names.get(owner_id, ""),
            person,
            phone,
            difficulties.get(difficulty, difficulty),
            requirement,
            deadline_kinds.get(deadline_kind, ""),
            deadline,
            finder_name or users.get(finder_id, ""),
            statuses.get(status, status),
            "是" if is_stock else "否",
            "是" if overdue else "否",
            supervision,
            local(created_at),
            local(closed_at),
            users.get(verified_by_id, ""),
        ]

    with SheetWriter(path_or_file, DATA_SHEET, EXPORT_HEADERS, EXPORT_WIDTHS) as sheet:
        count = sheet.write_rows(cells(row) for row in rows)
    return count
