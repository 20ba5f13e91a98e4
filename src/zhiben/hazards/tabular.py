"""The hazard ledger and Excel: the columns, the import template, the
importer (kind "hazards", run by zhiben.imports) and the export.

Built on the one tabular layer (:mod:`zhiben.core.tabular`: columns, reader,
writer, template builder) and :mod:`zhiben.org.tabular` (organisation
names). The template's header row is :data:`COLUMNS`; the export writes the
same columns plus the ledger's own (编号, 状态 …), so an export can be filled
in and imported again (unknown columns are ignored). Category and 科室 names
are written as "上级/下级" where a bare name could be ambiguous, and the
importer accepts a bare name, "上级/下级" or the full path. Every hazard is
created by ``services.hazard_create`` (the same rules, audit and numbering
as the form).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import IO, Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import PermissionDeniedError, ServiceError
from zhiben.core.tabular import (
    DATE,
    DATE_HINT,
    HELP_SHEET,
    OPTIONS_SHEET,
    XLSX_CONTENT_TYPE,
    CellError,
    ChoiceParser,
    Column,
    HelpTable,
    ImportFileError,
    Problems,
    RowError,
    SheetRows,
    build_template,
    by_code_and_name,
    clean_path,
    header_of,
    headers,
    labels,
    max_bytes,
    max_rows,
    parse_cells,
    parse_date,
    parse_text,
    widths,
    write_sheet,
)
from zhiben.core.validators import uscc_problem
from zhiben.imports.registry import (
    Exporter,
    ExportFilterError,
    ExportProgress,
    Importer,
    Progress,
    RowsRefused,
    Written,
    with_progress,
)
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.org.tabular import OrgLookup, org_labels, owner_column, owner_options, street_names
from zhiben.registry.models import Sector, Unit

from . import access, services
from .choices import (
    OPEN_STATUSES,
    DeadlineKind,
    Difficulty,
    HazardLevel,
    HazardSource,
    HazardStatus,
    SupervisionKind,
    SupervisionLevel,
)
from .models import Hazard, HazardCategory, Supervision

__all__ = ["HELP_SHEET", "OPTIONS_SHEET", "XLSX_CONTENT_TYPE", "HazardImporter", "export_hazards", "hazard_template"]

DATA_SHEET = "隐患台账"
PROGRESS_EVERY = 200
BATCH = 500  # rows whose registered units are looked up together
# One write step (one transaction: SQLite holds its write lock that long) ends
# after WRITE_STEP rows or STEP_SECONDS, whichever comes first.
WRITE_STEP = 200
STEP_SECONDS = 0.5
UNIT_CACHE_LIMIT = 20_000


def _text(key: str, header: str, *, required: bool = False) -> Callable[[Any], str]:
    """The parser of a plain text column, limited to its model field's length."""
    max_length = Hazard._meta.get_field(key).max_length

    def parse(value: Any) -> str:
        return parse_text(value, header, required=required, max_length=max_length)

    return parse


COLUMNS: tuple[Column, ...] = (
    Column("行业领域", "sector", 16, True, "行业领域名称，从下拉列表中选择", "choice", strict=True),
    Column(
        "隐患类别",
        "category",
        28,
        True,
        "末级隐患类别，可只填类别名称，也可填“上级/下级”（同名类别须写上级）；须属于所填行业领域，见“填写说明”中的类别表",
        "choice",
    ),
    Column(
        "隐患等级",
        "level",
        10,
        False,
        "留空按一般隐患",
        "choice",
        strict=True,
        parse=ChoiceParser(HazardLevel, "隐患等级", default=HazardLevel.GENERAL),
    ),
    Column("来源", "source", 12, True, "隐患来源", "choice", strict=True, parse=ChoiceParser(HazardSource, "来源")),
    Column("发现日期", "found_on", 12, True, f"不能晚于今天；{DATE_HINT}", DATE),
    Column("隐患简述", "title", 30, True, "一句话概括，不超过 120 字", parse=_text("title", "隐患简述", required=True)),
    Column(
        "隐患内容", "description", 40, True, "隐患的具体情况", parse=_text("description", "隐患内容", required=True)
    ),
    Column("具体位置", "location", 24, False, "不超过 200 字", parse=_text("location", "具体位置")),
    Column(
        "责任单位名称", "unit_name", 28, True, "不超过 200 字", parse=_text("unit_name", "责任单位名称", required=True)
    ),
    Column("统一社会信用代码", "unit_uscc", 22, False, "18 位，填写时校验校验位；已登记的单位将自动关联", as_text=True),
    Column("地址", "address", 30, False, "不超过 255 字", parse=_text("address", "地址")),
    Column(
        "所属街道",
        "street",
        14,
        False,
        "街道名称，从下拉列表中选择；街道经办人只能导入本街道的隐患",
        "choice",
        strict=True,
    ),
    owner_column(),
    Column("责任人", "responsible_person", 10, False, "不超过 50 字", parse=_text("responsible_person", "责任人")),
    Column(
        "责任人电话",
        "responsible_phone",
        14,
        False,
        "不超过 30 字",
        as_text=True,
        parse=_text("responsible_phone", "责任人电话"),
    ),
    Column(
        "整改难度",
        "difficulty",
        10,
        False,
        "留空按易整改",
        "choice",
        strict=True,
        parse=ChoiceParser(Difficulty, "整改难度", default=Difficulty.EASY),
    ),
    Column("整改要求", "requirement", 30, False, "", parse=_text("requirement", "整改要求")),
    Column(
        "整改时限类型",
        "deadline_kind",
        12,
        False,
        "留空按限期整改；立即整改时整改期限即为发现日期",
        "choice",
        strict=True,
        parse=ChoiceParser(DeadlineKind, "整改时限类型", default=DeadlineKind.DATE),
    ),
    Column("整改期限", "deadline", 12, False, f"限期整改的期限，不能早于发现日期；{DATE_HINT}", DATE),
    Column("发现人/单位", "finder_name", 16, False, "留空则记为导入人", parse=_text("finder_name", "发现人/单位")),
)
HEADERS: tuple[str, ...] = headers(COLUMNS)
HEADER_OF: dict[str, str] = header_of(COLUMNS)
_COLUMN = {c.key: c for c in COLUMNS}
# The columns parsed on their own, in the order their problems are listed.
_SIMPLE_KEYS = (
    "title description unit_name location address responsible_person responsible_phone requirement finder_name"
    " level source difficulty deadline_kind"
)
SIMPLE_COLUMNS = tuple(_COLUMN[key] for key in _SIMPLE_KEYS.split())
EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("编号", width=16),
    *COLUMNS,
    Column("状态", width=8),
    Column("是否存量", width=8),
    Column("是否逾期", width=8),
    Column("督办", width=12),
    Column("上账时间", width=17),
    Column("销号时间", width=17),
    Column("验收人", width=10),
)
EXPORT_HEADERS: tuple[str, ...] = headers(EXPORT_COLUMNS)
EXPORT_WIDTHS = widths(EXPORT_COLUMNS)


# --- Names of reference objects -----------------------------------------------------------------


def category_label(category: HazardCategory, by_id: dict[int, HazardCategory] | None = None) -> str:
    """ "上级/下级" (unambiguous for every leaf of the reference taxonomy)."""
    parent = (by_id or {}).get(category.parent_id) if by_id is not None else category.parent
    return f"{parent.name}/{category.name}" if parent is not None else category.name


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
    填写说明 sheet (with the category table) and a hidden 选项 sheet."""
    leaves = leaf_categories()
    options: dict[str, list[str]] = {
        "隐患等级": [str(c.label) for c in HazardLevel],
        "来源": [str(c.label) for c in HazardSource],
        "整改难度": [str(c.label) for c in Difficulty],
        "整改时限类型": [str(c.label) for c in DeadlineKind],
        "行业领域": list(Sector.objects.values_list("name", flat=True)),
        "所属街道": street_names(),
        "隐患类别": [label for _, label, _ in leaves],
        "行业主管部门": owner_options(),
    }
    notes = [
        f"1. 在“{DATA_SHEET}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一条隐患。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）和原因，改正后重新上传即可。",
        f"4. 单个文件不超过 {max_rows()} 行数据、{max_bytes() // 1024 // 1024} MB；仅支持 .xlsx 格式。",
        f"5. 日期可填写 Excel 日期，也可填写文本：{DATE_HINT}。",
        "6. 导入的隐患状态为“待确认”，由行业主管部门确认后进入整改。",
    ]
    categories = HelpTable(
        "隐患类别（上级/下级）与适用行业领域",
        ("隐患类别", "", "适用行业领域"),
        [(label, None, "、".join(fits)) for _, label, fits in leaves],
    )
    return build_template(
        [(DATA_SHEET, COLUMNS)], title="隐患批量导入填写说明", notes=notes, options=options, tables=[categories]
    )


# --- Import -------------------------------------------------------------------------------------


class _Lookups:
    """Reference data in dicts, so that a row costs no query: sectors and
    categories are loaded once; organizations and units are memoised per
    distinct name / 统一社会信用代码; the right to create per (owner, unit,
    street)."""

    def __init__(self, actor: User):
        self.actor = actor
        sectors = list(Sector.objects.select_related("owner"))
        self.sectors: dict[str, Sector] = by_code_and_name(sectors)
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
                label = clean_path("/".join(names[start:]))
                self.categories_by_label.setdefault(label, []).append(category)
        self.org = OrgLookup()
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


class _Row:
    """One row being parsed: its cells by header, and its problems."""

    def __init__(self, number: int, raw: dict[str, Any]):
        self.number = number
        self.raw = raw
        self.errors: list[RowError] = []

    def cell(self, key: str, parse, *args, **kwargs):
        header = HEADER_OF[key]
        try:
            return parse(self.raw.get(header), *args, **kwargs)
        except CellError as exc:
            self.errors.append(RowError(self.number, header, exc.message))
            return None

    def fail(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, HEADER_OF[key], message))


class HazardImporter(Importer):
    """隐患批量导入 (kind "hazards")."""

    kind = "hazards"
    label = "隐患"
    title = "批量导入隐患"
    sheet = DATA_SHEET
    list_url = "hazards:list"
    list_label = "返回隐患台账"
    template_url = "hazards:import_template"
    template_filename = "隐患导入模板.xlsx"
    template_builder = staticmethod(hazard_template)
    result_text = "查看隐患台账"
    upload_url_name = "hazards:import"
    denied_message = "只有区安委办、部门和街道人员可以批量导入隐患"
    page_notes = ("导入的隐患状态为“待确认”，各主管部门会收到一条汇总通知。",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.today = timezone.localdate()
        self._lookups: _Lookups | None = None

    @property
    def lookups(self) -> _Lookups:
        if self._lookups is None:
            self._lookups = _Lookups(self.actor)
        return self._lookups

    @classmethod
    def can_import(cls, user: User) -> bool:
        return access.can_import(user)

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
                    hazard = self._create(number, raw, rows.epoch, errors)
                    if hazard is not None:
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

    def _create(self, number: int, raw: dict[str, Any], epoch, errors: Problems) -> Hazard | None:
        data, row_errors = self.parse_row(number, raw, epoch=epoch)
        if row_errors:  # reference data changed since the check
            errors.add_all(row_errors)
            return None
        try:
            return services.hazard_create(actor=self.actor, data=data, allow_duplicate=True, notify_owner=False)
        except ServiceError as exc:
            errors.add_all(self._service_errors(number, exc))
            return None

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
        row = _Row(number, raw)
        data: dict[str, Any] = {}
        parse_cells(SIMPLE_COLUMNS, number, raw, data, row.errors)
        self._dates(row, data, epoch)
        data["sector"] = sector = self._sector(row)
        data["category"] = self._category(row.cell("category", parse_text, "隐患类别", required=True), sector, row.fail)
        unit = self._unit(row, data)
        data["street"] = street = self._street(row)
        data["owner"] = owner = self._owner(row, sector)
        if owner is not None:
            effective_street = street or (unit.street if unit is not None else None)
            if not self.lookups.may_create(owner, unit, effective_street):
                where = f"、街道“{effective_street.name}”" if effective_street is not None else ""
                row.fail("owner", f"您无权为行业主管部门“{owner.display_name}”{where}登记隐患")
        return data, row.errors

    def _dates(self, row: _Row, data: dict[str, Any], epoch) -> None:
        found_on = row.cell("found_on", parse_date, "发现日期", required=True, epoch=epoch)
        if found_on is not None and found_on > self.today:
            row.fail("found_on", f"发现日期 {found_on:%Y-%m-%d} 晚于今天")
        data["found_on"] = found_on
        deadline = row.cell("deadline", parse_date, "整改期限", epoch=epoch)
        if data["deadline_kind"] == DeadlineKind.IMMEDIATE:
            deadline = found_on
        elif deadline is not None and found_on is not None and deadline < found_on:
            row.fail("deadline", f"整改期限 {deadline:%Y-%m-%d} 早于发现日期 {found_on:%Y-%m-%d}")
        data["deadline"] = deadline

    def _sector(self, row: _Row) -> Sector | None:
        name = row.cell("sector", parse_text, "行业领域", required=True)
        if not name:
            return None
        sector = self.lookups.sectors.get(name)
        if sector is None:
            row.fail("sector", f"行业领域“{name}”不存在，可选：{'、'.join(self.lookups.sector_names)}")
        return sector

    def _unit(self, row: _Row, data: dict[str, Any]) -> Unit | None:
        uscc = (row.cell("unit_uscc", parse_text, "统一社会信用代码") or "").upper()
        unit = None
        if uscc:
            problem = uscc_problem(uscc)
            if problem:
                row.fail("unit_uscc", problem)
            else:
                unit = self.lookups.unit(uscc)
        data["unit_uscc"] = uscc
        if unit is not None:
            data["unit"] = unit
        return unit

    def _street(self, row: _Row) -> Organization | None:
        name = row.cell("street", parse_text, "所属街道")
        if not name:
            return None
        street = self.lookups.org(name)
        if street is None:
            row.fail("street", f"所属街道“{name}”不存在")
        elif street.kind != OrgKind.STREET:
            row.fail("street", f"“{name}”不是街道")
            return None
        elif not street.is_active:
            row.fail("street", f"街道“{name}”已停用")
            return None
        return street

    def _owner(self, row: _Row, sector: Sector | None) -> Organization | None:
        name = row.cell("owner", parse_text, "行业主管部门")
        if not name:
            if sector is None:
                return None
            if sector.owner is None:
                row.fail("owner", f"请填写行业主管部门（“{sector.name}”领域没有默认的主管部门）")
            return sector.owner
        owner = self.lookups.org(name)
        if owner is None:
            row.fail("owner", f"行业主管部门“{name}”不存在或有重名（科室请写“部门/科室”）")
        elif owner.kind not in services.OWNER_KINDS:
            row.fail("owner", f"“{name}”不能作为行业主管部门（须为委办局、科室或街道）")
            return None
        elif not owner.is_active:
            row.fail("owner", f"行业主管部门“{name}”已停用")
            return None
        return owner

    def _category(self, text: str | None, sector: Sector | None, fail) -> HazardCategory | None:
        if not text:
            return None
        lookups = self.lookups
        candidates = lookups.categories_by_label.get(clean_path(text), [])
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

# In the order ``cells`` below unpacks them.
_EXPORT_NAMES = (
    "code sector_id category_id level source found_on title description location unit_name unit_uscc address"
    " street_id owner_id responsible_person responsible_phone difficulty requirement deadline_kind deadline"
    " finder_name finder_id status is_stock created_at closed_at verified_by_id"
    " _supervision_kind _supervision_level"
)
EXPORT_FIELDS: tuple[str, ...] = tuple(_EXPORT_NAMES.split())


def _user_names() -> dict[int, str]:
    return {
        pk: display_name or username
        for pk, display_name, username in User.objects.values_list("pk", "display_name", "username")
    }


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def export_hazards(qs, path_or_file: str | IO[bytes], *, progress: ExportProgress | None = None) -> int:
    """Write the hazards of ``qs`` (already scoped and filtered) as .xlsx;
    ``progress(rows_written)`` is called every 1,000 rows (a background export).

    Written by the streaming ``core.tabular.write_sheet`` (XlsxWriter is too
    slow per cell for 100,000 rows: bench/RESULTS.md), rows from
    ``values_list`` in chunks and names from dicts loaded once: memory and the
    number of queries do not grow with the number of rows. Returns the number
    of rows written.
    """
    sectors = dict(Sector.objects.values_list("pk", "name"))
    categories = {c.pk: c for c in HazardCategory.objects.all()}
    category_names = {pk: category_label(c, categories) for pk, c in categories.items()}
    org_names = org_labels()
    users = _user_names()
    levels, sources, statuses = labels(HazardLevel), labels(HazardSource), labels(HazardStatus)
    difficulties, deadline_kinds = labels(Difficulty), labels(DeadlineKind)
    supervision_kinds, supervision_levels = labels(SupervisionKind), labels(SupervisionLevel)
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
            _local(created_at),
            _local(closed_at),
            users.get(verified_by_id, ""),
        ]

    return write_sheet(path_or_file, DATA_SHEET, EXPORT_COLUMNS, with_progress((cells(row) for row in rows), progress))


class HazardExporter(Exporter):
    """The ledger as filtered on the list page (kind "hazards", zhiben.imports)."""

    kind = "hazards"
    label = "隐患台账"
    filename = "隐患台账"
    action = "hazard.export"
    object_type = "hazards.hazard"
    list_url = "hazards:list"

    @classmethod
    def select(cls, user, params):
        from .selectors import filtered_hazards

        filterset, qs = filtered_hazards(user, params, params.get("order"))
        if filterset.error_message:  # never export the whole list for a filter that was meant
            raise ExportFilterError(filterset.error_message)
        return qs

    @classmethod
    def write(cls, qs, fh, *, user, progress=None) -> int:
        return export_hazards(qs, fh, progress=progress)
