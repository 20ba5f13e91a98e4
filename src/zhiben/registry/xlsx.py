"""Units and sites ⇄ Excel: the import templates, the importers (kinds
"units" and "sites", run by zhiben.imports) and the exports.

Import = one service-level change, written in bulk
---------------------------------------------------
``unit_create`` costs several queries and one audit row per unit; at
500,000 rows that is far too slow. The importers therefore:

1. validate every row with the *services' own rules*
   (``services.unit_errors`` / ``services.prepare_site``,
   ``services.normalize_unit``, ``can_create_unit``, ``can_manage_site``),
   answering the queries those rules need from caches and from one query per
   chunk of 5,000 rows (registered 统一社会信用代码, visible units);
2. spool the clean rows (ids and plain values) to an anonymous temporary file
   while validating, so the workbook is parsed once;
3. ``bulk_create`` the rows in chunks of 5,000 — each chunk one step of
   ``write_steps``: its own short transaction, undone if a later one fails
   (see zhiben.imports); phones are encrypted by
   ``EncryptedCharField.get_prep_value``, i.e. ``crypto.encrypt``, as for
   every save — and write ONE audit row per kind:
   ``unit.import`` / ``site.import`` with ``{"job", "created", "first_id",
   "last_id"}``. See docs/registry.md.

Reading the sheets
------------------
:class:`FastSheetRows` opens the workbook with openpyxl ``read_only`` (zip
checks, shared strings, date styles, epoch, sheet lookup) but walks the
sheet XML itself with ``lxml.etree.iterparse`` and converts only the cells of
the columns the importer reads: openpyxl's per-cell objects (notably
``Text.from_tree`` for inline strings, which XlsxWriter and many exporters
write) cost ~5× more, which alone would exceed the 60 s budget of 500,000
rows. Values follow openpyxl's ``data_only`` conversion (shared/inline
strings, numbers, booleans, dates by number format, ISO dates).
"""

from __future__ import annotations

import datetime as dt
import io
import marshal
import re
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db import connection, models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl.utils.datetime import from_excel, from_ISO8601

from zhiben.audit.services import audit_record
from zhiben.core.validators import uscc_problem
from zhiben.imports.parsing import (
    DATE_HINT,
    NOT_XLSX,
    CellError,
    ChoiceParser,
    ImportFileError,
    Problems,
    RowError,
    SheetRows,
    max_bytes,
    max_rows,
    normalize_header,
    parse_date,
    parse_text,
)
from zhiben.imports.registry import Importer, Progress, RowsRefused, Written
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User

from . import services
from .choices import InsuranceStatus, LicenseStatus, RiskLevel, StandardizationLevel
from .crypto import mask_phone
from .models import Sector, Site, SiteType, Tag, Unit, new_public_code

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_SHEET = "生产经营单位"
SITE_SHEET = "场所"
HELP_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
CHUNK = 5_000  # rows per existence query, per spool record and per bulk_create
PROGRESS_EVERY = 5_000
TAG_SPLIT = re.compile(r"[、,，;；/／\s]+")
ATTR_SPLIT = re.compile(r"[;；\n]+")

UNIT_IMPORT_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER)
SITE_IMPORT_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int
    required: bool = False
    help: str = ""
    kind: str = "text"  # text | date | choice | number


UNIT_COLUMNS: tuple[Column, ...] = (
    Column("单位名称", "name", 30, True, "不超过 200 字"),
    Column(
        "统一社会信用代码",
        "uscc",
        22,
        False,
        "18 位，校验校验位；不能与已登记的单位或本文件其他行重复；场所导入按此代码关联单位",
    ),
    Column("地址", "address", 30, False, "不超过 255 字"),
    Column("所属街道", "street", 14, False, "街道名称，从下拉列表中选择", "choice"),
    Column(
        "行业主管部门",
        "owner",
        18,
        False,
        "部门全称、简称或别名均可，科室写“部门/科室”；留空则为行业领域的主管部门；须为您有权登记的部门",
        "choice",
    ),
    Column("行业领域", "sector", 16, False, "从下拉列表中选择", "choice"),
    Column("行业类型", "industry_type", 14, False, "如：餐饮、危险货物运输；不超过 60 字"),
    Column("标签", "tags", 20, False, "可填多个，用顿号“、”分隔", "choice"),
    Column("法定代表人", "legal_rep_name", 10, False, "不超过 50 字"),
    Column("法定代表人电话", "legal_rep_phone", 16, False, "数字，可含区号连字符，如 13800000000、021-65000000"),
    Column("安全管理联系人", "safety_contact_name", 12, False, "不超过 50 字"),
    Column("安全管理联系人电话", "safety_contact_phone", 16, False, "同上"),
    Column("安全生产责任险", "insurance_status", 12, False, "留空按“未知”；已投保的须填到期日", "choice"),
    Column("安责险到期日", "insurance_expiry", 12, False, DATE_HINT, "date"),
    Column("安全生产标准化等级", "standardization_level", 14, False, "留空按“未定级”", "choice"),
    Column("安全生产许可证", "license_status", 12, False, "留空按“未知”", "choice"),
    Column("许可证有效期至", "license_expiry", 12, False, DATE_HINT, "date"),
    Column("备注", "note", 24, False, "不超过 300 字"),
)
UNIT_HEADERS: tuple[str, ...] = tuple(c.header for c in UNIT_COLUMNS)
UNIT_HEADER_OF: dict[str, str] = {c.key: c.header for c in UNIT_COLUMNS}
UNIT_REQUIRED: tuple[str, ...] = ("单位名称",)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("场所名称", "name", 30, True, "不超过 200 字"),
    Column("场所类型", "site_type", 18, True, "类型名称或编码，从下拉列表中选择", "choice"),
    Column(
        "所属单位统一社会信用代码",
        "unit",
        24,
        False,
        f"已登记的单位，或本文件“{UNIT_SHEET}”工作表中的单位；留空表示不属于任何单位",
    ),
    Column("地址", "address", 30, False, "留空则取所属单位的地址"),
    Column("所属街道", "street", 14, False, "留空则取所属单位的街道", "choice"),
    Column("负责部门", "owner", 18, False, "留空则按场所类型的分工（三管三必须）确定", "choice"),
    Column("纬度", "latitude", 12, False, "-90 到 90，最多 6 位小数；须与经度同时填写", "number"),
    Column("经度", "longitude", 12, False, "-180 到 180，最多 6 位小数", "number"),
    Column("专有信息", "attributes", 36, False, "按场所类型填写，格式“字段：值”，多项用分号分隔，见“填写说明”"),
    Column("备注", "note", 24, False, "不超过 300 字"),
)
SITE_HEADERS: tuple[str, ...] = tuple(c.header for c in SITE_COLUMNS)
SITE_HEADER_OF: dict[str, str] = {c.key: c.header for c in SITE_COLUMNS}
SITE_REQUIRED: tuple[str, ...] = ("场所名称", "场所类型")

UNIT_EXPORT_EXTRA = ("风险等级", "风险评估日期", "登记时间")
UNIT_EXPORT_HEADERS = (*UNIT_HEADERS, *UNIT_EXPORT_EXTRA)
UNIT_EXPORT_WIDTHS = (*(c.width for c in UNIT_COLUMNS), 10, 12, 17)
SITE_EXPORT_HEADERS = ("场所码", *SITE_HEADERS, "所属单位", "在册", "风险等级", "风险评估日期", "登记时间")
SITE_EXPORT_WIDTHS = (13, *(c.width for c in SITE_COLUMNS), 28, 6, 10, 12, 17)


def _safe_reverse(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the URLs are not mounted (config/urls.py)
        return ""


def _labels(choices) -> dict[str, str]:
    return {member.value: str(member.label) for member in choices}


# --- Reading sheets ---------------------------------------------------------------------------

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _V, _IS, _T, _R = f"{_NS}row", f"{_NS}v", f"{_NS}is", f"{_NS}t", f"{_NS}r"
_IS_T = f"{_IS}/{_T}"
_COL_RE = re.compile(r"[A-Z]+")


_COLUMNS: dict[str, int] = {}
# The regular-expression scan of plain sheet XML (see FastSheetRows._scan_rows).
_ROW_RE = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_NUMBER_RE = re.compile(r'(?:^|\s)r="(\d+)"')
_CELL_RE = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR_RE = re.compile(r'(?:^|\s)([rst])="([^"]*)"')
_USUAL_ATTRS_RE = re.compile(r' r="([A-Z]{1,3})[0-9]+"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*')
_V_RE = re.compile(r"<v(?:\s[^>]*)?>([^<]*)</v>")
_T_RE = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")
_PHONETIC_RE = re.compile(r"<rPh\b.*?</rPh>", re.S)
_UNPLAIN = ("<![CDATA[", "<!--", "<!DOCTYPE", "<!ENTITY", ":sheetData", ":row", ":c ", ":c>")


class _NotPlain(Exception):
    """The sheet XML is not in the plain form the scanner reads."""


def _col_index(ref: str) -> int:
    """ "C12" → 2 (memoised per column letters)."""
    key = ref.rstrip("0123456789")
    index = _COLUMNS.get(key)
    if index is None:
        index = -1
        if _COL_RE.fullmatch(key):
            index = 0
            for char in key:
                index = index * 26 + ord(char) - 64
            index -= 1
        _COLUMNS[key] = index
    return index


class FastSheetRows:
    """The data rows of one worksheet, like
    :class:`zhiben.imports.parsing.SheetRows` (same header mapping, messages and
    row limit; yields ``(excel_row_number, {header: value})`` for rows with a
    value in one of the columns read), but faster: see the module docstring.

    ``optional=True``: a missing sheet gives no rows (``present`` is False)
    instead of falling back to the first worksheet.
    """

    def __init__(
        self,
        fh: IO[bytes],
        *,
        headers: Sequence[str],
        required_headers: Sequence[str] = (),
        sheet_name: str | None = None,
        optional: bool = False,
        limit: int | None = None,
    ):
        from openpyxl import load_workbook

        self.present = True
        self.index: dict[str, int] = {}
        self.estimate = 0
        try:
            fh.seek(0)
            self.workbook = load_workbook(fh, read_only=True, data_only=True)
        except Exception:
            raise ImportFileError(NOT_XLSX) from None
        try:
            worksheets = [ws for ws in self.workbook.worksheets if hasattr(ws, "iter_rows")]
            if not worksheets:
                raise ImportFileError("文件中没有工作表")
            by_name = {ws.title: ws for ws in worksheets}
            sheet = by_name.get(sheet_name) if sheet_name else None
            if sheet is None and optional:
                self.present = False
                return
            self.sheet = sheet or worksheets[0]
            self.limit = limit if limit is not None else max_rows()
            self.epoch = self.workbook.epoch
            self._shared = self.sheet._shared_strings  # the reader passes them to each sheet
            self._dates = self.workbook._date_formats
            self._timedeltas = self.workbook._timedelta_formats
            try:
                self.estimate = max(int(self.sheet.max_row or 0) - 1, 0)
            except (TypeError, ValueError):  # pragma: no cover
                self.estimate = 0
            self._source = self.workbook._archive.open(self.sheet._worksheet_path)
            self._rows = self._iter_xml_rows()
            first = next(self._rows, None)
            if first is None or first[0] != 1 or not first[1]:
                raise ImportFileError("文件没有表头（第 1 行应为列名），请使用导入模板")
            cells = first[1]
            header = [None] * (max(cells) + 1)
            for position, value in cells.items():
                header[position] = value
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in header):
                raise ImportFileError("文件没有表头（第 1 行应为列名），请使用导入模板")
            self.index = SheetRows._map_header(header, headers, required_headers)
            self._wanted = {position: name for name, position in self.index.items()}
        except ImportFileError:
            self.close()
            raise
        except Exception:
            self.close()
            raise ImportFileError(NOT_XLSX) from None

    def _iter_xml_rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column position: value}); only wanted columns once
        the header is read. Machine-written sheet XML (no namespace prefix,
        CDATA, comments or DTD) is scanned with regular expressions; anything
        else falls back to lxml, resuming after the last row read."""
        last = 0
        try:
            for number, cells in self._scan_rows():
                last = number
                yield number, cells
            return
        except _NotPlain:
            pass
        self._source.close()
        self._source = self.workbook._archive.open(self.sheet._worksheet_path)
        for number, cells in self._lxml_rows():
            if number > last:
                yield number, cells

    def _scan_rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        import html

        text = io.TextIOWrapper(self._source, encoding="utf-8")
        buffer, number = "", 0
        convert = self._convert_text
        while True:
            chunk = text.read(1 << 20)
            probe = buffer[-16:] + chunk  # a mark may straddle two chunks
            if any(mark in probe for mark in _UNPLAIN):
                raise _NotPlain
            buffer += chunk
            end = 0
            wanted = getattr(self, "_wanted", None)
            for match in _ROW_RE.finditer(buffer):
                end = match.end()
                attrs, body = match.group(1), match.group(2)
                r = _ROW_NUMBER_RE.search(attrs)
                number = int(r.group(1)) if r else number + 1
                cells: dict[int, Any] = {}
                col = -1
                if body:
                    for cell in _CELL_RE.finditer(body):
                        attributes = cell.group(1)
                        usual = _USUAL_ATTRS_RE.fullmatch(attributes)  # r="B7" s="3" t="s", in this order
                        if usual is not None:
                            letters, style, kind = usual.groups()
                            col = _COLUMNS.get(letters)
                            if col is None:
                                col = _col_index(letters)
                        else:
                            ref = kind = style = None
                            for name, value in _ATTR_RE.findall(attributes):
                                if name == "r":
                                    ref = value
                                elif name == "t":
                                    kind = value
                                else:
                                    style = value
                            col = _col_index(ref) if ref else col + 1
                        if col < 0:
                            raise _NotPlain
                        if wanted is not None and col not in wanted:
                            continue
                        inner = cell.group(2)
                        if not inner:
                            continue
                        if kind == "inlineStr":
                            if "<rPh" in inner:
                                inner = _PHONETIC_RE.sub("", inner)
                            raw = "".join(_T_RE.findall(inner))
                            if not raw:
                                continue
                            value = html.unescape(raw) if "&" in raw else raw
                        else:
                            v = _V_RE.search(inner)
                            if v is None or not v.group(1):
                                continue
                            raw = v.group(1)
                            value = convert(html.unescape(raw) if "&" in raw else raw, kind, style)
                        if value is not None:
                            cells[col] = value
                yield number, cells
                wanted = getattr(self, "_wanted", None)
            buffer = buffer[end:]
            if not chunk:
                if "<row" in buffer:
                    raise _NotPlain  # an unterminated row: let lxml report it
                return

    def _lxml_rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        from lxml import etree

        convert = self._convert
        number = 0
        parser = etree.iterparse(
            self._source,
            events=("end",),
            tag=_ROW,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
        )
        for _, row in parser:
            wanted = getattr(self, "_wanted", None)
            r = row.get("r")
            number = int(r) if r else number + 1
            cells: dict[int, Any] = {}
            col = -1
            for cell in row:
                ref = cell.get("r")
                col = _col_index(ref) if ref else col + 1
                if wanted is not None and col not in wanted:
                    continue
                value = convert(cell)
                if value is not None:
                    cells[col] = value
            row.clear()
            previous = row.getprevious()
            while previous is not None:
                parent = row.getparent()
                del parent[0]
                previous = row.getprevious()
            yield number, cells

    def _convert_text(self, value: str, kind: str | None, style: str | None) -> Any:
        """A <v> value by the cell's type, as openpyxl (data_only) reads it."""
        if kind is None or kind == "n":
            number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            if style and int(style) in self._dates:
                try:
                    return from_excel(number, self.epoch, timedelta=int(style) in self._timedeltas)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self._shared[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (formula result), "e" (error text)

    def _convert(self, cell) -> Any:
        kind = cell.get("t")
        if kind == "inlineStr":
            text = cell.findtext(_IS_T)  # the usual <is><t>…</t></is>
            if text:
                return text
            parts = []
            for child in cell:
                if child.tag == _IS:
                    for piece in child:
                        if piece.tag == _T:
                            parts.append(piece.text or "")
                        elif piece.tag == _R:
                            parts.append(piece.findtext(_T) or "")
            return "".join(parts) if parts else None
        value = cell.findtext(_V)
        if value is None or value == "":
            return None
        return self._convert_text(value, kind, cell.get("s"))

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.present:
            return
        count = 0
        items = list(self.index.items())
        try:
            for number, cells in self._rows:
                if not cells or all(isinstance(v, str) and not v.strip() for v in cells.values()):
                    continue
                count += 1
                if count > self.limit:
                    raise ImportFileError(f"数据超过 {self.limit} 行，请拆分后分批导入")
                yield number, {name: cells.get(pos) for name, pos in items}
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(NOT_XLSX) from None

    def close(self) -> None:
        source = getattr(self, "_source", None)
        if source is not None:
            source.close()
        workbook = getattr(self, "workbook", None)
        if workbook is not None:
            workbook.close()

    def __enter__(self) -> FastSheetRows:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- Spool ------------------------------------------------------------------------------------


class Spool:
    """Clean rows, written in chunks to an anonymous temporary file (deleted
    when closed, or by the OS if the process dies) so that the workbook is
    parsed once and memory does not grow with the file."""

    def __init__(self):
        self._file = tempfile.TemporaryFile(prefix="zhiben-import-")  # noqa: SIM115 (closed in close())
        self.rows = 0

    def add(self, chunk: list[tuple]) -> None:
        if chunk:
            marshal.dump(chunk, self._file)
            self.rows += len(chunk)

    def chunks(self) -> Iterator[list[tuple]]:
        self._file.seek(0)
        while True:
            try:
                yield marshal.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


def _ordinal(day: dt.date | None) -> int | None:
    return day.toordinal() if day is not None else None


def _from_ordinal(value: int | None) -> dt.date | None:
    return dt.date.fromordinal(value) if value is not None else None


# --- Reference lookups ------------------------------------------------------------------------


def _clean_path(text: str) -> str:
    return "/".join(part.strip() for part in text.replace("／", "/").split("/"))


class Lookups:
    """Reference data in dicts so that a row costs no query: sectors, tags and
    site types loaded once; organizations memoised per distinct name; the
    actor's rights per owner (and 街道)."""

    def __init__(self, actor: User):
        self.actor = actor
        self.sectors: dict[str, Sector] = {}
        sectors = list(Sector.objects.select_related("owner"))
        for sector in sectors:
            self.sectors[sector.code] = sector
        for sector in sectors:
            self.sectors[sector.name] = sector
        self.sector_names = [s.name for s in sectors]
        tags = list(Tag.objects.all())
        self.tags: dict[str, Tag] = {t.code: t for t in tags}
        self.tags.update({t.name: t for t in tags})
        self.tag_names = [t.name for t in tags]
        types = list(SiteType.objects.select_related("owner"))
        self.site_types: dict[str, SiteType] = {t.code: t for t in types}
        self.site_types.update({t.name: t for t in types})
        self._orgs: dict[str, Organization | None] = {}
        self.org_by_id: dict[int, Organization] = {}
        self._may_unit: dict[int | None, bool] = {}
        self._may_site: dict[tuple[int | None, int | None], bool] = {}

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
            if org is not None:
                self.org_by_id[org.pk] = org
        return self._orgs[text]

    def org_id(self, pk: int | None) -> Organization | None:
        if pk is None:
            return None
        if pk not in self.org_by_id:
            self.org_by_id[pk] = Organization.objects.get(pk=pk)
        return self.org_by_id[pk]

    def may_create_unit(self, owner: Organization | None) -> bool:
        key = owner.pk if owner is not None else None
        if key not in self._may_unit:
            self._may_unit[key] = services.can_create_unit(self.actor, owner)
        return self._may_unit[key]

    def may_manage_site(self, owner: Organization | None, street: Organization | None) -> bool:
        key = (owner.pk if owner is not None else None, street.pk if street is not None else None)
        if key not in self._may_site:
            self._may_site[key] = services.can_manage_site(self.actor, owner, street)
        return self._may_site[key]


def _street(lookups: Lookups, text: str, fail: Callable[[str], None]) -> Organization | None:
    street = lookups.org(text)
    if street is None:
        fail(f"所属街道“{text}”不存在")
    elif not street.is_active:
        fail(f"街道“{text}”已停用")
        return None
    return street  # a non-street organization is refused by the service rule


def _owner(lookups: Lookups, text: str, label: str, fail: Callable[[str], None]) -> Organization | None:
    owner = lookups.org(text)
    if owner is None:
        fail(f"{label}“{text}”不存在或有重名（科室请写“部门/科室”）")
    elif not owner.is_active:
        fail(f"{label}“{text}”已停用")
        return None
    return owner


def _mapped(
    errors: dict[str, str], number: int, header_of: dict[str, str], default: str, cell_errors: list[RowError]
) -> list[RowError]:
    """The service rules' errors (by field) as row errors (by column); a
    column that already has a problem with its cell keeps that one only."""
    taken = {e.column for e in cell_errors}
    out = list(cell_errors)
    for key, message in errors.items():
        header = header_of.get(key) or (header_of.get("attributes") if key.startswith("attr_") else None)
        if (header or default) not in taken:
            out.append(RowError(number, header or default, message))
    return out


# --- Units: validation and writing ------------------------------------------------------------

_INSURANCE = ChoiceParser(InsuranceStatus, "安全生产责任险", default=InsuranceStatus.UNKNOWN)
_STANDARD = ChoiceParser(StandardizationLevel, "安全生产标准化等级", default=StandardizationLevel.NONE)
_LICENSE = ChoiceParser(LicenseStatus, "安全生产许可证", default=LicenseStatus.UNKNOWN)
_UNIT_TEXT = ("name", "uscc", "address", "industry_type", "legal_rep_name", "safety_contact_name", "note")
_UNIT_TEXT_AND_PHONES = (*_UNIT_TEXT, *services.PHONE_FIELDS)


def _unit_values(row: tuple) -> dict[str, Any]:
    """Field values (by attname) of a spooled unit row."""
    return {
        "name": row[1],
        "uscc": row[2],
        "address": row[3],
        "street_id": row[4],
        "owner_id": row[5],
        "sector_id": row[6],
        "industry_type": row[7],
        "legal_rep_name": row[8],
        "legal_rep_phone": row[9],
        "safety_contact_name": row[10],
        "safety_contact_phone": row[11],
        "insurance_status": row[12],
        "insurance_expiry": _from_ordinal(row[13]),
        "standardization_level": row[14],
        "license_status": row[15],
        "license_expiry": _from_ordinal(row[16]),
        "note": row[17],
    }


# Values of these fields (str, int id or None) are passed as they are: their
# get_db_prep_save returns them unchanged.
_PLAIN_FIELDS = (models.CharField, models.ForeignKey)


def _insert_units(chunk: list[tuple]) -> list[int]:
    """Insert one chunk of units; returns their new ids in order.

    PostgreSQL (and any backend but SQLite): ``bulk_create``. SQLite: the
    same values prepared by the same field methods (``get_db_prep_save``, so
    phones go through ``EncryptedCharField`` → ``crypto.encrypt``; dates and
    timestamps through the backend's adapters) but sent with one
    ``executemany`` — ``bulk_create`` on SQLite is capped at 999 parameters
    per statement (47 units) and spends ~100 µs per unit preparing values,
    too slow for 500,000 units in 60 s. Inside the import's transaction the
    SQLite write lock is held (``BEGIN IMMEDIATE``), so the AUTOINCREMENT ids
    of the chunk are consecutive: checked, not assumed."""
    if connection.vendor != "sqlite":
        units = [Unit(**_unit_values(row)) for row in chunk]
        Unit.objects.bulk_create(units)
        return [unit.pk for unit in units]
    now = timezone.now()
    fields = [f for f in Unit._meta.concrete_fields if not f.primary_key]
    given = set(_unit_values(chunk[0])) if chunk else set()
    constant: dict[str, Any] = {}
    converters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if field.attname not in given:  # defaults and auto_now(_add) stamps, prepared once
            value = (
                now
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                else field.get_default()
            )
            constant[field.attname] = field.get_db_prep_save(value, connection)
            converters.append(None)
        elif isinstance(field, _PLAIN_FIELDS):
            converters.append(None)  # str / int / None pass through unchanged
        else:
            converters.append(lambda value, field=field: field.get_db_prep_save(value, connection))
    attnames = [f.attname for f in fields]
    params = []
    for row in chunk:
        values = _unit_values(row)
        params.append(
            tuple(
                constant[name] if name in constant else (convert(values[name]) if convert else values[name])
                for name, convert in zip(attnames, converters, strict=True)
            )
        )
    table = connection.ops.quote_name(Unit._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join("%s" for _ in fields)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
        first = last - len(chunk) + 1
        pk = connection.ops.quote_name(Unit._meta.pk.column)
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {pk} BETWEEN %s AND %s", [first, last])
        if cursor.fetchone()[0] != len(chunk):  # pragma: no cover - ids not consecutive: refuse, roll back
            raise RuntimeError("unexpected ids after a bulk insert of units")
    return list(range(first, last + 1))


class UnitRows:
    """Validates the rows of a unit sheet chunk by chunk and spools the clean
    ones. ``seen`` maps every 统一社会信用代码 of the file to its row."""

    def __init__(self, actor: User, lookups: Lookups, problems: Problems, *, for_sites: bool = False):
        self.actor = actor
        self.lookups = lookups
        self.problems = problems
        self.seen: dict[str, int] = {}
        self.for_sites = for_sites
        self.streets: dict[str, tuple[int | None, str]] = {}  # uscc → (street id, address), for sites
        self.spool = Spool()
        self.count = 0

    def parse(self, number: int, raw: dict[str, Any], epoch) -> tuple[dict[str, Any], list[RowError]]:
        """The normalised unit_create data of one row and its cell problems."""
        errors: list[RowError] = []
        lookups = self.lookups
        header_of = UNIT_HEADER_OF

        def cell(key: str, parse, *args, **kwargs):
            try:
                return parse(raw.get(header_of[key]), *args, **kwargs)
            except CellError as exc:
                errors.append(RowError(number, header_of[key], exc.message))
                return None

        def failer(key: str) -> Callable[[str], None]:
            return lambda message: errors.append(RowError(number, header_of[key], message))

        data: dict[str, Any] = {}
        for key in _UNIT_TEXT_AND_PHONES:
            value = raw.get(header_of[key])
            # parse_text of a str is its strip(); other types go through it
            data[key] = value.strip() if type(value) is str else (cell(key, parse_text, header_of[key]) or "")
        street_name = cell("street", parse_text, "所属街道")
        data["street"] = _street(lookups, street_name, failer("street")) if street_name else None
        owner_name = cell("owner", parse_text, "行业主管部门")
        data["owner"] = _owner(lookups, owner_name, "行业主管部门", failer("owner")) if owner_name else None
        sector = None
        sector_name = cell("sector", parse_text, "行业领域")
        if sector_name:
            sector = lookups.sectors.get(sector_name)
            if sector is None:
                failer("sector")(f"行业领域“{sector_name}”不存在，可选：{'、'.join(lookups.sector_names)}")
        data["sector"] = sector
        tags: list[int] = []
        tag_text = cell("tags", parse_text, "标签")
        for name in TAG_SPLIT.split(tag_text or ""):
            if not name:
                continue
            tag = lookups.tags.get(name)
            if tag is None:
                failer("tags")(f"标签“{name}”不存在，可选：{'、'.join(lookups.tag_names)}")
            elif tag.pk not in tags:
                tags.append(tag.pk)
        data["tags"] = tags
        data["insurance_status"] = cell("insurance_status", _INSURANCE) or InsuranceStatus.UNKNOWN
        data["standardization_level"] = cell("standardization_level", _STANDARD) or StandardizationLevel.NONE
        data["license_status"] = cell("license_status", _LICENSE) or LicenseStatus.UNKNOWN
        data["insurance_expiry"] = cell("insurance_expiry", parse_date, "安责险到期日", epoch=epoch)
        data["license_expiry"] = cell("license_expiry", parse_date, "许可证有效期至", epoch=epoch)
        return services.normalize_unit(data), errors

    def run(self, rows: FastSheetRows, progress: Callable[[int], None]) -> None:
        pending: list[tuple[int, dict[str, Any], list[RowError]]] = []
        for number, raw in rows:
            pending.append((number, *self.parse(number, raw, rows.epoch)))
            if len(pending) >= CHUNK:
                self._finish(pending)
                pending = []
                progress(self.count)
        self._finish(pending)

    def _finish(self, pending: list[tuple[int, dict[str, Any], list[RowError]]]) -> None:
        """Checks needing the database (one query per chunk) and the rules
        of ``services.unit_errors``; spools the chunk while the file is clean."""
        codes = {d["uscc"] for _, d, _ in pending if d["uscc"]}
        taken = set(Unit.objects.filter(uscc__in=codes).values_list("uscc", flat=True)) if codes else set()
        clean: list[tuple] = []
        problems = self.problems
        for number, data, errors in pending:
            self.count += 1
            uscc = data["uscc"]
            field_errors = services.unit_errors(data, uscc_taken=taken.__contains__)
            if uscc and "uscc" not in field_errors:  # a valid code (the rule above checked it)
                first = self.seen.get(uscc)
                if first is not None:
                    field_errors["uscc"] = f"统一社会信用代码与第 {first} 行重复"
                else:
                    self.seen[uscc] = number
                    if self.for_sites:
                        self.streets[uscc] = (data["street"].pk if data["street"] else None, data["address"])
            owner = data["owner"]
            if owner is not None and not self.lookups.may_create_unit(owner) and "owner" not in field_errors:
                field_errors["owner"] = "您不能登记由其他部门主管的单位"
            elif owner is None and not self.lookups.may_create_unit(None) and not errors:
                field_errors["owner"] = "请填写行业主管部门（或填写有主管部门的行业领域）"
            row_errors = _mapped(field_errors, number, UNIT_HEADER_OF, "单位名称", errors)
            if row_errors:
                row_errors.sort(key=lambda e: UNIT_HEADERS.index(e.column))
                if self.for_sites:  # row numbers of two sheets in one list: name the sheet
                    row_errors = [RowError(e.row, f"{UNIT_SHEET}·{e.column}", e.message) for e in row_errors]
                problems.add_all(row_errors)
                continue
            if problems.total:
                continue  # nothing will be written: stop spooling
            street, owner, sector = data["street"], data["owner"], data["sector"]
            clean.append(
                (
                    number,
                    data["name"],
                    uscc,
                    data["address"],
                    street.pk if street else None,
                    owner.pk if owner else None,
                    sector.pk if sector else None,
                    data["industry_type"],
                    data["legal_rep_name"],
                    data["legal_rep_phone"],
                    data["safety_contact_name"],
                    data["safety_contact_phone"],
                    data["insurance_status"],
                    _ordinal(data["insurance_expiry"]),
                    data["standardization_level"],
                    data["license_status"],
                    _ordinal(data["license_expiry"]),
                    data["note"],
                    tuple(data["tags"]),
                )
            )
        if not problems.total:
            self.spool.add(clean)

    def write_steps(self, actor: User, job_id: int) -> Generator[Written, None, tuple[int, dict[str, int]]]:
        """bulk_create the spooled units, one chunk per step (the runner
        commits each step, see zhiben.imports); returns (created, {uscc: new
        id}). One ``unit.import`` audit row, in the last step."""
        through = Unit.tags.through
        errors = Problems()
        created, first_id, last_id = 0, None, None
        ids: dict[str, int] = {}
        for chunk in self.spool.chunks():
            codes = [row[2] for row in chunk if row[2]]
            if codes:  # registered since the check (SQLite holds the write lock from here on)
                for code in Unit.objects.filter(uscc__in=codes).values_list("uscc", flat=True):
                    errors.add(RowError(self.seen[code], "统一社会信用代码", "该统一社会信用代码已登记"))
            if errors:
                continue
            ids_of_chunk = _insert_units(chunk)
            links = [
                through(unit_id=pk, tag_id=tag) for pk, row in zip(ids_of_chunk, chunk, strict=True) for tag in row[18]
            ]
            if links:
                through.objects.bulk_create(links)
            for pk, row in zip(ids_of_chunk, chunk, strict=True):
                if row[2]:
                    ids[row[2]] = pk
            first_id = ids_of_chunk[0] if first_id is None else min(first_id, ids_of_chunk[0])
            last_id = max(last_id or 0, ids_of_chunk[-1])
            created += len(ids_of_chunk)
            yield Written(Unit, ids_of_chunk)
        if errors:
            raise RowsRefused(errors)
        if created:
            audit_record(
                action="unit.import",
                actor=actor,
                object_type="registry.unit",
                after={"job": job_id, "created": created, "first_id": first_id, "last_id": last_id},
            )
        return created, ids

    def close(self) -> None:
        self.spool.close()


# --- Sites: validation and writing ------------------------------------------------------------


def parse_attributes(text: str, site_type: SiteType) -> tuple[dict[str, Any], str | None]:
    """ "施工阶段：基坑；含深基坑：是" → {"stage": "基坑", "has_deep_pit": "是"}
    (raw values; ``services.clean_attributes`` checks them)."""
    specs = {s["label"]: s for s in site_type.attributes or []}
    specs.update({s["key"]: s for s in site_type.attributes or []})
    raw: dict[str, Any] = {}
    for part in ATTR_SPLIT.split(text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^(.*?)\s*[:：=]\s*(.*)$", part, re.S)
        if match is None:
            return {}, f"专有信息“{part[:30]}”应写成“字段：值”"
        label, value = match.group(1).strip(), match.group(2)
        spec = specs.get(label)
        if spec is None:
            known = "、".join(s["label"] for s in site_type.attributes or []) or "（无）"
            return {}, f"“{site_type.name}”没有专有字段“{label}”，可填：{known}"
        raw[spec["key"]] = value.strip()
    return raw, None


class _FileUnit:
    """What ``services.prepare_site`` reads of a unit that is imported in
    the same file (street and address)."""

    def __init__(self, street: Organization | None, address: str):
        self.street = street
        self.address = address
        self.pk = None


class SiteRows:
    def __init__(self, actor: User, lookups: Lookups, problems: Problems, file_units: dict[str, tuple]):
        self.actor = actor
        self.lookups = lookups
        self.problems = problems
        self.file_units = file_units
        self.spool = Spool()
        self.count = 0

    def parse(self, number: int, raw: dict[str, Any]) -> tuple[dict[str, Any], str, list[RowError]]:
        errors: list[RowError] = []
        lookups = self.lookups
        header_of = SITE_HEADER_OF

        def cell(key: str, parse, *args, **kwargs):
            try:
                return parse(raw.get(header_of[key]), *args, **kwargs)
            except CellError as exc:
                errors.append(RowError(number, header_of[key], exc.message))
                return None

        def failer(key: str) -> Callable[[str], None]:
            return lambda message: errors.append(RowError(number, header_of[key], message))

        data: dict[str, Any] = {}
        for key in ("name", "address", "note"):
            data[key] = cell(key, parse_text, header_of[key]) or ""
        site_type = None
        type_name = cell("site_type", parse_text, "场所类型", required=True)
        if type_name:
            site_type = lookups.site_types.get(type_name)
            if site_type is None:
                failer("site_type")(f"场所类型“{type_name}”不存在（见“{HELP_SHEET}”中的类型表）")
            elif not site_type.is_active:
                failer("site_type")(f"场所类型“{type_name}”已停用")
                site_type = None
        data["site_type"] = site_type
        street_name = cell("street", parse_text, "所属街道")
        data["street"] = _street(lookups, street_name, failer("street")) if street_name else None
        owner_name = cell("owner", parse_text, "负责部门")
        data["owner"] = _owner(lookups, owner_name, "负责部门", failer("owner")) if owner_name else None
        for key in ("latitude", "longitude"):
            value = raw.get(header_of[key])
            data[key] = None if value is None or (isinstance(value, str) and not value.strip()) else value
        data["attributes"] = {}
        attr_text = cell("attributes", parse_text, "专有信息")
        if site_type is not None:
            data["attributes"], problem = parse_attributes(attr_text or "", site_type)
            if problem:
                failer("attributes")(problem)
        uscc = (cell("unit", parse_text, "所属单位统一社会信用代码") or "").upper()
        if uscc:
            problem = uscc_problem(uscc)
            if problem:
                failer("unit")(problem)
                uscc = ""
        data["unit"] = None
        return data, uscc, errors

    def run(self, rows: FastSheetRows, progress: Callable[[int], None]) -> None:
        pending: list[tuple[int, dict[str, Any], str, list[RowError]]] = []
        for number, raw in rows:
            pending.append((number, *self.parse(number, raw)))
            if len(pending) >= CHUNK:
                self._finish(pending)
                pending = []
                progress(self.count)
        self._finish(pending)

    def _finish(self, pending) -> None:
        codes = {uscc for _, _, uscc, _ in pending if uscc and uscc not in self.file_units}
        visible = {
            u.uscc: u for u in Unit.objects.restrict(self.actor, "view").filter(uscc__in=codes).select_related("street")
        }
        clean: list[tuple] = []
        lookups, problems = self.lookups, self.problems
        for number, data, uscc, errors in pending:
            self.count += 1
            unit_id = None
            if uscc:
                if uscc in self.file_units:
                    street_id, address = self.file_units[uscc]
                    data["unit"] = _FileUnit(lookups.org_id(street_id), address)
                elif uscc in visible:
                    data["unit"] = visible[uscc]
                    unit_id = data["unit"].pk
                else:
                    errors.append(RowError(number, SITE_HEADER_OF["unit"], f"所属单位（{uscc}）不存在或您无权访问"))
            prepared, field_errors = services.prepare_site(data)
            if not field_errors and not errors:
                if prepared.get("owner") is None:
                    prepared["owner"] = services.default_site_owner(prepared["site_type"], prepared.get("street"))
                if not lookups.may_manage_site(prepared["owner"], prepared.get("street")):
                    field_errors["owner"] = "您不能为该部门或街道登记场所"
            row_errors = _mapped(field_errors, number, SITE_HEADER_OF, "场所名称", errors)
            if row_errors:
                problems.add_all(sorted(row_errors, key=lambda e: SITE_HEADERS.index(e.column)))
                continue
            if problems.total:
                continue
            street, owner = prepared.get("street"), prepared.get("owner")
            lat, lng = prepared.get("latitude"), prepared.get("longitude")
            clean.append(
                (
                    number,
                    prepared["name"],
                    prepared["site_type"].pk,
                    unit_id,
                    uscc if unit_id is None and uscc else None,
                    prepared.get("address") or "",
                    street.pk if street else None,
                    owner.pk if owner else None,
                    str(lat) if lat is not None else None,
                    str(lng) if lng is not None else None,
                    prepared.get("attributes") or {},
                    prepared.get("note") or "",
                )
            )
        if not problems.total:
            self.spool.add(clean)

    @staticmethod
    def _new_code(used: set[str]) -> str:
        code = new_public_code()
        while code in used:  # pragma: no cover - 32^8 codes
            code = new_public_code()
        used.add(code)
        return code

    def write_steps(self, actor: User, job_id: int, new_unit_ids: dict[str, int]) -> Generator[Written, None, int]:
        """bulk_create the spooled sites, one chunk per step; returns how many."""
        from decimal import Decimal

        created, first_id, last_id = 0, None, None
        used: set[str] = set()
        for chunk in self.spool.chunks():
            codes = [self._new_code(used) for _ in chunk]
            clashes = set(Site.objects.filter(public_code__in=codes).values_list("public_code", flat=True))
            for i, code in enumerate(codes):
                if code in clashes:  # pragma: no cover - a random code is already taken
                    codes[i] = self._new_code(used | clashes)
            sites = [
                Site(
                    public_code=code,
                    name=row[1],
                    site_type_id=row[2],
                    unit_id=row[3] if row[3] is not None else (new_unit_ids.get(row[4]) if row[4] else None),
                    address=row[5],
                    street_id=row[6],
                    owner_id=row[7],
                    latitude=Decimal(row[8]) if row[8] is not None else None,
                    longitude=Decimal(row[9]) if row[9] is not None else None,
                    attributes=row[10],
                    note=row[11],
                )
                for code, row in zip(codes, chunk, strict=True)
            ]
            Site.objects.bulk_create(sites)
            first_id = sites[0].pk if first_id is None else min(first_id, sites[0].pk)
            last_id = max(last_id or 0, sites[-1].pk)
            created += len(sites)
            yield Written(Site, [site.pk for site in sites])
        if created:
            audit_record(
                action="site.import",
                actor=actor,
                object_type="registry.site",
                after={"job": job_id, "created": created, "first_id": first_id, "last_id": last_id},
            )
        return created

    def close(self) -> None:
        self.spool.close()


# --- Importers --------------------------------------------------------------------------------


def _drain(steps: Generator[Written, None, int]) -> int:
    """Run every step in the caller's transaction; the steps' return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


class _RegistryImporter(Importer):
    # Bulk steps of CHUNK rows are short; pause for other writers about every
    # 3 s of writing, not after each step (the benchmark's budget; well under the 20 s busy timeout).
    hold_seconds = 3.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._units: UnitRows | None = None
        self._sites: SiteRows | None = None

    def _progress(self, progress: Progress, estimate: int, offset: int = 0) -> Callable[[int], None]:
        def report(done: int) -> None:
            done += offset
            progress(done, max(estimate, done))

        return report

    def _close(self) -> None:
        for part in (self._units, self._sites):
            if part is not None:
                part.close()

    def _refuse(self, problems: Problems, count: int) -> tuple[int, list[RowError]]:
        self._close()
        return count, problems


class UnitImporter(_RegistryImporter):
    """生产经营单位批量导入 (kind "units")."""

    kind = "units"
    label = "生产经营单位"

    @classmethod
    def can_import(cls, user: User) -> bool:
        return bool(user and user.is_active and (user.is_district_admin or user.has_role(*UNIT_IMPORT_ROLES)))

    def result_url(self) -> str:
        return _safe_reverse("registry:unit_list")

    def result_label(self) -> str:
        return "查看单位列表"

    def upload_url(self) -> str:
        return _safe_reverse("registry_xlsx:unit_import")

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        problems = Problems()
        self._units = UnitRows(self.actor, Lookups(self.actor), problems)
        try:
            with FastSheetRows(fh, headers=UNIT_HEADERS, required_headers=UNIT_REQUIRED, sheet_name=UNIT_SHEET) as rows:
                self._units.run(rows, self._progress(progress, rows.estimate))
        except BaseException:
            self._close()
            raise
        count = self._units.count
        if count == 0:
            self._close()
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写单位（工作表“{UNIT_SHEET}”）")
        progress(count, count)
        if problems.total:
            return self._refuse(problems, count)
        return count, problems

    def write(self, fh: IO[bytes]) -> int:
        return _drain(self.write_steps(fh))

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        """Writes what ``validate`` spooled (the file is not read again)."""
        if self._units is None:
            raise RuntimeError("validate() must run first")
        try:
            created, _ = yield from self._units.write_steps(self.actor, self.job.pk)
        finally:
            self._close()
        return created


class SiteImporter(_RegistryImporter):
    """场所批量导入 (kind "sites"); the file may also carry a
    “生产经营单位” sheet (the unit template's columns): those units are
    imported first, in the same all-or-nothing run, and sites can refer to
    them by 统一社会信用代码."""

    kind = "sites"
    label = "场所"

    @classmethod
    def can_import(cls, user: User) -> bool:
        return bool(user and user.is_active and (user.is_district_admin or user.has_role(*SITE_IMPORT_ROLES)))

    def result_url(self) -> str:
        return _safe_reverse("registry:site_list")

    def result_label(self) -> str:
        return "查看场所列表"

    def upload_url(self) -> str:
        return _safe_reverse("registry_xlsx:site_import")

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        problems = Problems()
        lookups = Lookups(self.actor)
        self._units = UnitRows(self.actor, lookups, problems, for_sites=True)
        try:
            with FastSheetRows(
                fh, headers=UNIT_HEADERS, required_headers=UNIT_REQUIRED, sheet_name=UNIT_SHEET, optional=True
            ) as rows:
                self._units.run(rows, self._progress(progress, rows.estimate))
            units = self._units.count
            self._sites = SiteRows(self.actor, lookups, problems, self._units.streets)
            with FastSheetRows(fh, headers=SITE_HEADERS, required_headers=SITE_REQUIRED, sheet_name=SITE_SHEET) as rows:
                self._sites.run(rows, self._progress(progress, rows.estimate + units, offset=units))
        except BaseException:
            self._close()
            raise
        count = self._units.count + self._sites.count
        if self._sites.count == 0:
            self._close()
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写场所（工作表“{SITE_SHEET}”）")
        progress(count, count)
        if problems.total:
            return self._refuse(problems, count)
        return count, problems

    def write(self, fh: IO[bytes]) -> int:
        return _drain(self.write_steps(fh))

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        if self._units is None or self._sites is None:
            raise RuntimeError("validate() must run first")
        try:
            _, unit_ids = yield from self._units.write_steps(self.actor, self.job.pk)
            created = yield from self._sites.write_steps(self.actor, self.job.pk, unit_ids)
        finally:
            self._close()
        return created


# --- Templates --------------------------------------------------------------------------------


def _option_lists() -> dict[str, list[str]]:
    from zhiben.hazards.xlsx import owner_options

    streets = list(
        Organization.objects.filter(kind=OrgKind.STREET, is_active=True).order_by("path").values_list("name", flat=True)
    )
    return {
        "所属街道": streets,
        "行业主管部门": owner_options(),
        "负责部门": owner_options(),
        "行业领域": list(Sector.objects.values_list("name", flat=True)),
        "标签": list(Tag.objects.values_list("name", flat=True)),
        "安全生产责任险": [str(c.label) for c in InsuranceStatus],
        "安全生产标准化等级": [str(c.label) for c in StandardizationLevel],
        "安全生产许可证": [str(c.label) for c in LicenseStatus],
        "场所类型": list(SiteType.objects.filter(is_active=True).values_list("name", flat=True)),
    }


STRICT = {"所属街道", "行业领域", "安全生产责任险", "安全生产标准化等级", "安全生产许可证", "场所类型"}


def _template(kind: str) -> bytes:
    import xlsxwriter

    options = _option_lists()
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    base = {"bold": True, "bg_color": "#FDECEC", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    header_fmt = workbook.add_format(base)
    required_fmt = workbook.add_format({**base, "font_color": "#B91C1C"})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    text_fmt = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title_fmt = workbook.add_format({"bold": True, "font_size": 14})

    sheets = [(UNIT_SHEET, UNIT_COLUMNS)] if kind == "units" else [(SITE_SHEET, SITE_COLUMNS)]
    data_sheets = [(workbook.add_worksheet(name), columns) for name, columns in sheets]
    help_sheet = workbook.add_worksheet(HELP_SHEET)
    option_sheet = workbook.add_worksheet(OPTIONS_SHEET)
    used = {c.header for _, columns in sheets for c in columns if c.header in options}
    ranges: dict[str, str] = {}
    for col, name in enumerate(n for n in options if n in used):
        values = options[name]
        option_sheet.write_string(0, col, name, bold)
        for row, value in enumerate(values, start=1):
            option_sheet.write_string(row, col, value)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        ranges[name] = f"='{OPTIONS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    option_sheet.hide()

    last_row = max_rows()
    for sheet, columns in data_sheets:
        sheet.set_row(0, 30)
        for col, column in enumerate(columns):
            fmt = date_fmt if column.kind == "date" else text_fmt if column.kind == "text" else None
            sheet.set_column(col, col, column.width, fmt)
            sheet.write_string(0, col, column.header, required_fmt if column.required else header_fmt)
            validation: dict[str, Any] = {"input_title": column.header[:32], "input_message": column.help[:255]}
            if column.header in ranges:
                validation.update(validate="list", source=ranges[column.header])
                if column.header in STRICT:
                    validation.update(error_title="输入值无效", error_message=f"请从下拉列表中选择{column.header}")
                else:
                    validation["show_error"] = False
            else:
                validation["validate"] = "any"
            sheet.data_validation(1, col, last_row, col, validation)
        sheet.freeze_panes(1, 0)
    data_sheets[0][0].activate()

    help_sheet.set_column(0, 0, 22)
    help_sheet.set_column(1, 1, 8)
    help_sheet.set_column(2, 3, 60)
    what = "生产经营单位" if kind == "units" else "场所"
    help_sheet.write_string(0, 0, f"{what}批量导入填写说明", title_fmt)
    notes = [
        f"1. 在“{sheets[0][0]}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一条{what}。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因，改正后重新上传即可。",
        f"4. 单个文件不超过 {max_rows()} 行数据、{max_bytes() // 1024 // 1024} MB；仅支持 .xlsx 格式。",
        f"5. 日期可填写 Excel 日期，也可填写文本：{DATE_HINT}。",
    ]
    if kind == "units":
        notes.append("6. 统一社会信用代码不能与已登记的单位重复，也不能在本文件中重复；电话号码加密保存。")
    else:
        notes.append(
            f"6. 所属单位按统一社会信用代码关联：可以是已登记的单位，也可以在本文件中增加“{UNIT_SHEET}”工作表"
            "（列与单位导入模板相同），这些单位会与场所一并导入。"
        )
        notes.append("7. 专有信息按场所类型填写，如“施工阶段：基坑；含深基坑：是”，可填的字段见下方类型表。")
    for row, note in enumerate(notes, start=1):
        help_sheet.write_string(row, 0, note)
    row = len(notes) + 2
    for col, title in enumerate(("列名", "必填", "说明", "可选值")):
        help_sheet.write_string(row, col, title, header_fmt)
    for column in sheets[0][1]:
        row += 1
        allowed = options.get(column.header) if column.header in STRICT or column.header == "标签" else None
        help_sheet.write_string(row, 0, column.header, bold)
        help_sheet.write_string(row, 1, "是" if column.required else "")
        help_sheet.write_string(row, 2, column.help, wrap)
        help_sheet.write_string(row, 3, "、".join(allowed) if allowed else "", wrap)
    if kind == "sites":
        row += 2
        help_sheet.write_string(row, 0, "场所类型与专有信息", bold)
        row += 1
        for col, title in enumerate(("类型名称", "编码", "专有信息字段")):
            help_sheet.write_string(row, col, title, header_fmt)
        for site_type in SiteType.objects.filter(is_active=True):
            row += 1
            fields = []
            for spec in site_type.attributes or []:
                extra = f"（{'/'.join(spec['choices'])}）" if spec.get("choices") else ""
                extra = "（是/否）" if spec.get("kind") == "bool" else extra
                fields.append(f"{spec['label']}{extra}{'（必填）' if spec.get('required') else ''}")
            help_sheet.write_string(row, 0, site_type.name)
            help_sheet.write_string(row, 1, site_type.code)
            help_sheet.write_string(row, 2, "；".join(fields), wrap)
    workbook.close()
    return out.getvalue()


def unit_template() -> bytes:
    return _template("units")


def site_template() -> bytes:
    return _template("sites")


# --- Export -----------------------------------------------------------------------------------


def contact_visibility(user: User) -> Callable[[int, int | None], bool]:
    """``visible(unit_id, owner_id)``: may ``user`` see the unit's phones?
    Decided by ``services.can_see_contacts`` (the registry's masking rule),
    memoised per owner, so that an export costs no query per row."""
    member_units = {m.unit_id for m in user.active_memberships() if m.role == Role.ENTERPRISE and m.unit_id}
    owners: dict[int, Organization] = {}
    cache: dict[tuple[int | None, bool], bool] = {}

    def visible(unit_id: int, owner_id: int | None) -> bool:
        member = unit_id in member_units
        key = (owner_id, member)
        if key not in cache:
            if owner_id is not None and owner_id not in owners:
                owners[owner_id] = Organization.objects.get(pk=owner_id)
            stub = Unit(pk=unit_id if member else 0)
            stub.owner = owners.get(owner_id) if owner_id is not None else None
            cache[key] = services.can_see_contacts(user, stub)
        return cache[key]

    return visible


def _org_names() -> dict[int, str]:
    from zhiben.hazards.xlsx import org_label

    orgs = list(Organization.objects.all())
    by_path = {o.path: o for o in orgs}
    return {o.pk: org_label(o, by_path) for o in orgs}


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _write_rows(path_or_file, sheet_name: str, headers, widths, rows: Iterator[list[Any]]) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        path_or_file,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    count = 0
    try:
        header_fmt = workbook.add_format(
            {"bold": True, "bg_color": "#FDECEC", "border": 1, "align": "center", "valign": "vcenter"}
        )
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet = workbook.add_worksheet(sheet_name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, header_fmt)
        for values in rows:
            count += 1
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(count, col, value, datetime_fmt)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(count, col, value, date_fmt)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(count, col, value)
                else:
                    sheet.write_string(count, col, str(value))
        if count:
            sheet.autofilter(0, 0, count, len(headers) - 1)
    finally:
        workbook.close()
    return count


UNIT_EXPORT_FIELDS = (
    "pk",
    "name",
    "uscc",
    "address",
    "street_id",
    "owner_id",
    "sector_id",
    "industry_type",
    "legal_rep_name",
    "legal_rep_phone",
    "safety_contact_name",
    "safety_contact_phone",
    "insurance_status",
    "insurance_expiry",
    "standardization_level",
    "license_status",
    "license_expiry",
    "note",
    "risk_level",
    "risk_assessed_on",
    "created_at",
)


def export_units(qs, path_or_file: str | IO[bytes], *, user: User) -> int:
    """Write the units of ``qs`` (already scoped and filtered) as .xlsx, in the
    import template's columns plus 风险等级, 风险评估日期, 登记时间. Phones are
    masked unless ``user`` may see them. Constant memory (XlsxWriter) and a
    number of queries that does not grow with the rows (names and tags from
    dicts; the contact rule memoised per owner)."""
    sectors = dict(Sector.objects.values_list("pk", "name"))
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    org_names = _org_names()
    tags: dict[int, list[str]] = {}
    through = Unit.tags.through
    for unit_id, tag_id in (
        through.objects.filter(unit_id__in=qs.order_by().values("pk"))
        .order_by("tag__sort_order", "tag_id")
        .values_list("unit_id", "tag_id")
    ):
        tags.setdefault(unit_id, []).append(tag_names[tag_id])
    insurance, standard, licence = _labels(InsuranceStatus), _labels(StandardizationLevel), _labels(LicenseStatus)
    risks = _labels(RiskLevel)
    visible = contact_visibility(user)

    def rows() -> Iterator[list[Any]]:
        for row in qs.values_list(*UNIT_EXPORT_FIELDS).iterator(chunk_size=2000):
            pk, name, uscc, address, street, owner, sector, industry, rep, rep_phone = row[:10]
            contact, contact_phone, ins, ins_exp, std, lic, lic_exp, note, risk, risk_on, created = row[10:]
            if not visible(pk, owner):
                rep_phone, contact_phone = mask_phone(rep_phone), mask_phone(contact_phone)
            yield [
                name,
                uscc,
                address,
                org_names.get(street, ""),
                org_names.get(owner, ""),
                sectors.get(sector, ""),
                industry,
                "、".join(tags.get(pk, ())),
                rep,
                rep_phone,
                contact,
                contact_phone,
                insurance.get(ins, ins),
                ins_exp,
                standard.get(std, std),
                licence.get(lic, lic),
                lic_exp,
                note,
                risks.get(risk, ""),
                risk_on,
                _local(created),
            ]

    return _write_rows(path_or_file, UNIT_SHEET, UNIT_EXPORT_HEADERS, UNIT_EXPORT_WIDTHS, rows())


SITE_EXPORT_FIELDS = (
    "public_code",
    "name",
    "site_type_id",
    "unit__uscc",
    "address",
    "street_id",
    "owner_id",
    "latitude",
    "longitude",
    "attributes",
    "note",
    "unit__name",
    "is_active",
    "risk_level",
    "risk_assessed_on",
    "created_at",
)


def export_sites(qs, path_or_file: str | IO[bytes]) -> int:
    """Write the sites of ``qs`` (already scoped and filtered) as .xlsx in the
    import template's columns (专有信息 as “字段：值；…”) plus 场所码, 所属单位,
    在册, 风险. The unit's name and code are shown as the site list shows
    them."""
    types = {t.pk: t for t in SiteType.objects.all()}
    org_names = _org_names()
    risks = _labels(RiskLevel)

    def attributes(site_type: SiteType | None, values: dict | None) -> str:
        if site_type is None or not values:
            return ""
        parts = []
        for spec in site_type.attributes or []:
            value = values.get(spec["key"])
            if value in (None, ""):
                continue
            if spec.get("kind") == "bool":
                value = "是" if value else "否"
            parts.append(f"{spec['label']}：{value}")
        return "；".join(parts)

    def rows() -> Iterator[list[Any]]:
        for row in qs.values_list(*SITE_EXPORT_FIELDS).iterator(chunk_size=2000):
            code, name, type_id, uscc, address, street, owner, lat, lng, attrs, note = row[:11]
            unit_name, active, risk, risk_on, created = row[11:]
            site_type = types.get(type_id)
            yield [
                code,
                name,
                site_type.name if site_type else "",
                uscc or "",
                address,
                org_names.get(street, ""),
                org_names.get(owner, ""),
                float(lat) if lat is not None else None,
                float(lng) if lng is not None else None,
                attributes(site_type, attrs),
                note,
                unit_name or "",
                "是" if active else "否",
                risks.get(risk, ""),
                risk_on,
                _local(created),
            ]

    return _write_rows(path_or_file, SITE_SHEET, SITE_EXPORT_HEADERS, SITE_EXPORT_WIDTHS, rows())


__all__ = [
    "SITE_HEADERS",
    "UNIT_HEADERS",
    "FastSheetRows",
    "SiteImporter",
    "UnitImporter",
    "export_sites",
    "export_units",
    "normalize_header",
    "site_template",
    "unit_template",
]
