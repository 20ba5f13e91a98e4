"""Road-transport register ⇄ Excel on :mod:`zhiben.core.tabular`.

Importers (kinds ``transport_vehicles``, ``transport_drivers``, ``transport_violations``,
``transport_riders``) check every row with the services' own rules (``services.clean_*``)
and the rights of ``access`` (a unit, by 统一社会信用代码, must be one the user may
register vehicles for; an 企业用户 imports 企业自查 violations only), name every bad row
and write nothing when there is one; a clean file is written in bulk with ONE audit
row ``transport.<kind>_import`` ``{"job", "created", "first_id", "last_id"}``. Imported
violations and rider violations carry the import job's number (``import_job``).
Exporters write the lists as filtered and scoped (the register's columns, so that an
export can be corrected and imported again; unknown columns are ignored on import).
A driver's ID and phone are exported in clear only where the user may read the unit's
contacts; a masked value (with “*”) is refused on import.
"""

from __future__ import annotations

import datetime as dt
import functools
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from django.utils import timezone

from zhiben.core.tabular import (
    CHOICE,
    DATE,
    CellError,
    ChoiceParser,
    Column,
    Problems,
    RowCells,
    RowError,
    add_field_errors,
    build_template,
    header_of,
    labels,
    parse_cells,
    parse_date,
    parse_text,
    write_sheet,
)
from zhiben.imports.registry import Exporter, ExportProgress, PendingRow, SheetImporter, with_progress
from zhiben.org.models import User
from zhiben.registry.crypto import mask_phone

from .access import can_import_riders, can_record_source, can_register_fleet, can_see_contacts, fleet_units
from .choices import DriverStatus, LicenceClass, VehicleStatus, VehicleType, ViolationKind, ViolationSource
from .models import MAX_POINTS, Driver, RiderViolation, Vehicle, Violation
from .services import clean_driver, clean_vehicle, clean_violation, mask_id, normalize_plate

MAX_ROWS = 20_000
USCC = "统一社会信用代码"


def _text(limit: int, label: str, required: bool = False):
    return functools.partial(parse_text, label=label, required=required, max_length=limit)


def _date(label: str, required: bool = False):
    return functools.partial(parse_date, label=label, required=required)


def _points(value: Any) -> int:
    text = parse_text(value, "记分")
    if not text:
        return 0
    try:
        number = float(text)
    except ValueError:
        raise CellError(f"记分“{text[:20]}”应为 0～{MAX_POINTS} 的整数") from None
    if not number.is_integer() or not 0 <= number <= MAX_POINTS:
        raise CellError(f"记分“{text[:20]}”应为 0～{MAX_POINTS} 的整数")
    return int(number)


def _secret(label: str, limit: int):
    def parse(value: Any) -> str:
        text = parse_text(value, label, max_length=limit)
        if "*" in text:
            raise CellError(f"{label}为脱敏值，请填写完整号码或留空")
        return text

    return parse


VEHICLE_COLUMNS: tuple[Column, ...] = (
    Column(USCC, "unit", 22, True, "所属企业的统一社会信用代码：须为已登记、您有权登记车辆的单位", as_text=True),
    Column(
        "车牌号码",
        "plate",
        12,
        True,
        "如 沪A12345；新能源如 沪AD12345",
        as_text=True,
        parse=_text(12, "车牌号码", True),
    ),
    Column(
        "车辆类型",
        "vehicle_type",
        16,
        True,
        "从下拉列表中选择",
        CHOICE,
        strict=True,
        parse=ChoiceParser(VehicleType, "车辆类型"),
    ),
    Column(
        "状态",
        "status",
        8,
        False,
        "在用/停运/注销，留空为在用",
        CHOICE,
        strict=True,
        parse=ChoiceParser(VehicleStatus, "状态", default=VehicleStatus.IN_USE),
    ),
    Column("下次年检日期", "inspection_due", 12, False, "", DATE, parse=_date("下次年检日期")),
    Column("保险到期日", "insurance_due", 12, False, "", DATE, parse=_date("保险到期日")),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True, parse=_text(300, "备注")),
)
DRIVER_COLUMNS: tuple[Column, ...] = (
    Column(USCC, "unit", 22, True, "所属企业的统一社会信用代码", as_text=True),
    Column("姓名", "name", 10, True, "不超过 50 字", as_text=True, parse=_text(50, "姓名", True)),
    Column("身份证号码", "id_number", 20, False, "18 位，可留空", as_text=True, parse=_secret("身份证号码", 18)),
    Column("联系电话", "phone", 14, False, "可留空", as_text=True, parse=_secret("联系电话", 30)),
    Column(
        "准驾车型",
        "licence_class",
        10,
        True,
        "如 A1、B2、C1",
        CHOICE,
        strict=True,
        parse=ChoiceParser(LicenceClass, "准驾车型"),
    ),
    Column("驾驶证有效期至", "licence_expiry", 12, False, "", DATE, parse=_date("驾驶证有效期至")),
    Column("记分", "points", 6, False, f"本记分周期累计记分，0～{MAX_POINTS}，留空为 0", parse=_points),
    Column(
        "状态",
        "status",
        8,
        False,
        "在岗/停驾/离职，留空为在岗",
        CHOICE,
        strict=True,
        parse=ChoiceParser(DriverStatus, "状态", default=DriverStatus.ACTIVE),
    ),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True, parse=_text(300, "备注")),
)
VIOLATION_COLUMNS: tuple[Column, ...] = (
    Column("车牌号码", "vehicle", 12, False, "已登记的车辆；与驾驶员至少填一项", as_text=True),
    Column("驾驶员姓名", "driver", 10, False, "已登记的驾驶员（车辆所属企业或下列单位的）", as_text=True),
    Column(USCC, "unit", 22, False, "只填驾驶员时必填：驾驶员所属企业", as_text=True),
    Column("违法日期", "occurred_on", 12, True, "近五年内，不晚于今天", DATE, parse=_date("违法日期", True)),
    Column(
        "违法行为",
        "kind",
        16,
        True,
        "从下拉列表中选择",
        CHOICE,
        strict=True,
        parse=ChoiceParser(ViolationKind, "违法行为"),
    ),
    Column("记分", "points", 6, False, f"0～{MAX_POINTS}，留空为 0", parse=_points),
    Column(
        "来源",
        "source",
        10,
        True,
        "公安交警/平台/企业自查（企业用户只能导入企业自查）",
        CHOICE,
        strict=True,
        parse=ChoiceParser(ViolationSource, "来源"),
    ),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True, parse=_text(300, "备注")),
)
RIDER_COLUMNS: tuple[Column, ...] = (
    Column("平台", "platform", 12, False, "如 美团、饿了么、顺丰；也可只填“平台/站点名称”一列", as_text=True),
    Column("站点名称", "station", 20, False, "配送站点", as_text=True),
    Column("平台/站点名称", "combined", 24, False, "如 美团/北外滩站（与上两列二选一）", as_text=True),
    Column("骑手姓名", "rider_name", 10, True, "", as_text=True, parse=_text(50, "骑手姓名", True)),
    Column("违法日期", "occurred_on", 12, True, "", DATE, parse=_date("违法日期", True)),
    Column(
        "违法行为",
        "offence",
        20,
        True,
        "如 闯红灯、逆行、不按规定车道行驶",
        as_text=True,
        parse=_text(100, "违法行为", True),
    ),
    Column("处理结果", "outcome", 24, False, "如 罚款200元、警告", as_text=True, parse=_text(200, "处理结果")),
)


class _RegisterImporter(SheetImporter):
    """Validate every row (cells, then references and the service's rules), write in bulk."""

    max_rows = MAX_ROWS
    chunk = None  # the references of the whole file are checked at once
    progress_every = 1000
    model = Vehicle
    options: ClassVar[dict[str, list[str]]] = {}
    notes: ClassVar[tuple[str, ...]] = ()
    list_label = "返回列表"
    page_notes = ("任何一行有误时整个文件都不导入，并列出所有有误的行。",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.today = timezone.localdate()

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register_fleet(user)

    @classmethod
    def template(cls) -> bytes:
        notes = [
            f"1. 在“{cls.sheet}”工作表填写：第 1 行为表头，请勿修改列名；从第 2 行起每行一条。",
            "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
            "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因。",
            f"4. 单个文件不超过 {MAX_ROWS} 行数据；仅支持 .xlsx 格式。导出的台账可改正后重新导入（多余的列不读）。",
            *cls.notes,
        ]
        return build_template(
            [(cls.sheet, cls.columns)], title=f"{cls.title}填写说明", notes=notes, options=cls.options
        )

    @abstractmethod
    def check_rows(self, pending: list[PendingRow]) -> None:
        """Turn codes into objects and apply the service rules, adding to each row's errors."""

    def _errors(self, number: int, errors: dict[str, str], cell_errors: list[RowError]) -> None:
        add_field_errors(cell_errors, number, errors, header_of(self.columns), self.columns[0].header)

    def parse_row(self, cells: RowCells) -> dict[str, Any]:
        data: dict[str, Any] = {}
        parse_cells(self.columns, cells.number, cells.raw, data, cells.errors)
        for column in self.columns:
            if column.parse is None:
                data[column.key] = cells.text(column.header, 100)
        return data

    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        self.check_rows(pending)
        for _number, data, errors in pending:
            self.keep(data, errors, problems)

    def _units(self, pending) -> dict[str, Any]:
        codes = {str(d.get("unit") or "").upper() for _, d, _ in pending if d.get("unit")}
        return {u.uscc: u for u in fleet_units(self.actor).filter(uscc__in=codes)}

    def _unit_of(self, number, data, errors, units, required=True):
        code = str(data.get("unit") or "").upper()
        unit = units.get(code)
        if code and unit is None and not any(e.column == USCC for e in errors):
            errors.append(RowError(number, USCC, f"单位“{code[:18]}”不存在或您无权为其登记"))
        elif not code and required and not any(e.column == USCC for e in errors):
            errors.append(RowError(number, USCC, f"请填写{USCC}"))
        return unit


class VehicleImporter(_RegisterImporter):
    kind = "transport_vehicles"
    label = "车辆"
    title = "批量导入车辆"
    sheet = "车辆"
    list_url = "transport:vehicle_list"
    list_label = result_text = "查看车辆列表"
    upload_url_name = "transport:vehicle_import"
    template_url = "transport:vehicle_template"
    template_filename = "车辆导入模板.xlsx"
    denied_message = "只有运输企业、其行业主管部门或区安委办可以批量导入车辆"
    columns = VEHICLE_COLUMNS
    model = Vehicle
    import_action = "transport.vehicle_import"
    object_type = "transport.vehicle"
    options: ClassVar[dict[str, list[str]]] = {
        "车辆类型": list(map(str, VehicleType.labels)),
        "状态": list(map(str, VehicleStatus.labels)),
    }

    def check_rows(self, pending) -> None:
        units = self._units(pending)
        plates = [normalize_plate(d.get("plate")) for _, d, _ in pending]
        taken = set(
            Vehicle.objects.filter(plate__in=plates)
            .exclude(status=VehicleStatus.CANCELLED)
            .values_list("plate", flat=True)
        )
        seen: dict[str, int] = {}
        for number, data, errors in pending:
            data["unit"] = self._unit_of(number, data, errors, units)
            clean, problems = clean_vehicle(data, self.today)
            data.update(clean)
            live = clean.get("status") != VehicleStatus.CANCELLED
            if "plate" not in problems and live:
                if clean["plate"] in taken:
                    problems["plate"] = "该车牌号码已有未注销的车辆登记"
                elif clean["plate"] in seen:
                    problems["plate"] = f"与第 {seen[clean['plate']]} 行车牌号码重复"
                else:
                    seen[clean["plate"]] = number
            if data["unit"] is None:
                problems.pop("unit", None)
            self._errors(number, problems, errors)


class DriverImporter(_RegisterImporter):
    kind = "transport_drivers"
    label = "驾驶员"
    title = "批量导入驾驶员"
    sheet = "驾驶员"
    list_url = "transport:driver_list"
    list_label = result_text = "查看驾驶员列表"
    upload_url_name = "transport:driver_import"
    template_url = "transport:driver_template"
    template_filename = "驾驶员导入模板.xlsx"
    denied_message = "只有运输企业、其行业主管部门或区安委办可以批量导入驾驶员"
    columns = DRIVER_COLUMNS
    model = Driver
    import_action = "transport.driver_import"
    object_type = "transport.driver"
    options: ClassVar[dict[str, list[str]]] = {
        "准驾车型": list(LicenceClass.values),
        "状态": list(map(str, DriverStatus.labels)),
    }

    def check_rows(self, pending) -> None:
        units = self._units(pending)
        for number, data, errors in pending:
            data["unit"] = self._unit_of(number, data, errors, units)
            clean, problems = clean_driver(data, self.today)
            data.update(clean)
            if data["unit"] is None:
                problems.pop("unit", None)
            self._errors(number, problems, errors)


class ViolationImporter(_RegisterImporter):
    kind = "transport_violations"
    label = "违法记录"
    title = "批量导入违法记录"
    sheet = "违法记录"
    list_url = "transport:violation_list"
    list_label = result_text = "查看违法记录"
    upload_url_name = "transport:violation_import"
    template_url = "transport:violation_template"
    template_filename = "违法记录导入模板.xlsx"
    denied_message = "只有运输企业、其行业主管部门或区安委办可以批量导入违法记录"
    columns = VIOLATION_COLUMNS
    model = Violation
    import_action = "transport.violation_import"
    object_type = "transport.violation"
    options: ClassVar[dict[str, list[str]]] = {
        "违法行为": list(map(str, ViolationKind.labels)),
        "来源": list(map(str, ViolationSource.labels)),
    }
    notes = ("5. 车辆按车牌号码、驾驶员按所属企业内的姓名对应已登记的记录；同一企业有同名驾驶员时请在系统中逐条登记。",)

    def check_rows(self, pending) -> None:
        units = self._units(pending)
        allowed = fleet_units(self.actor)
        plates = {normalize_plate(d.get("vehicle")) for _, d, _ in pending if d.get("vehicle")}
        vehicles = {
            v.plate: v
            for v in Vehicle.objects.filter(plate__in=plates, unit__in=allowed)
            .exclude(status=VehicleStatus.CANCELLED)
            .select_related("unit__owner")
        }
        names = {d.get("driver") for _, d, _ in pending if d.get("driver")}
        drivers: dict[tuple[int, str], list[Driver]] = {}
        for d in Driver.objects.filter(name__in=names, unit__in=allowed).select_related("unit__owner"):
            drivers.setdefault((d.unit_id, d.name), []).append(d)
        for number, data, errors in pending:
            self._row(number, data, errors, units, vehicles, drivers)

    def _row(self, number, data, errors, units, vehicles, drivers) -> None:
        plate, name = normalize_plate(data.pop("vehicle", "")), data.pop("driver", "")
        unit = self._unit_of(number, data, errors, units, required=bool(name and not plate))
        vehicle = vehicles.get(plate) if plate else None
        if plate and vehicle is None:
            errors.append(RowError(number, "车牌号码", f"车辆“{plate[:12]}”未登记或您无权为其记录违法"))
        driver = None
        owner = vehicle.unit if vehicle is not None else unit
        if name and owner is not None:
            found = drivers.get((owner.pk, name), [])
            if len(found) == 1:
                driver = found[0]
            elif not found:
                errors.append(RowError(number, "驾驶员姓名", f"{owner.name}没有名为“{name[:20]}”的驾驶员"))
            else:
                errors.append(
                    RowError(number, "驾驶员姓名", f"{owner.name}有 {len(found)} 名驾驶员叫“{name}”，请逐条登记")
                )
        if not plate and not name:
            errors.append(RowError(number, "车牌号码", "车牌号码与驾驶员姓名至少填一项"))
        if errors:
            return
        data.pop("unit", None)
        clean, problems = clean_violation({**data, "vehicle": vehicle, "driver": driver}, self.today)
        problems = {k: v for k, v in problems.items()}
        if (
            "unit" in clean
            and "source" not in problems
            and not can_record_source(self.actor, clean["unit"], clean["source"])
        ):
            problems["source"] = "企业用户只能导入“企业自查”发现的违法"
        data.clear()
        data.update(clean)
        data["import_job"] = self.job.pk
        header = {"vehicle": "车牌号码", "driver": "驾驶员姓名"}
        for key, message in problems.items():
            errors.append(RowError(number, header.get(key) or header_of(self.columns).get(key, "违法日期"), message))


class RiderImporter(_RegisterImporter):
    kind = "transport_riders"
    label = "骑手违法记录"
    title = "批量导入骑手交通违法"
    sheet = "骑手违法"
    list_url = "transport:rider_ranking"
    list_label = result_text = "查看红黑榜"
    upload_url_name = "transport:rider_import"
    template_url = "transport:rider_template"
    template_filename = "骑手交通违法导入模板.xlsx"
    denied_message = "只有区安委办和行业部门可以导入骑手交通违法名单"
    columns = RIDER_COLUMNS
    model = RiderViolation
    import_action = "transport.rider_import"
    object_type = "transport.riderviolation"
    notes = (
        "5. 平台和站点可分两列填写，也可填在“平台/站点名称”一列，以“/”分隔（如 美团/北外滩站）。",
        "6. 与已导入记录（平台、站点、骑手、日期、违法行为均相同）重复的行会被拒绝，以免重复计数。",
    )
    page_notes = ("红黑榜按月统计各平台、站点的骑手违法数。",)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_import_riders(user)

    def check_rows(self, pending) -> None:
        for number, data, errors in pending:
            combined = data.pop("combined", "")
            if combined and not (data.get("platform") or data.get("station")):
                parts = combined.replace("／", "/").split("/", 1)
                data["platform"], data["station"] = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
            for key, label, limit in (("platform", "平台", 50), ("station", "站点名称", 100)):
                header = label if not combined else "平台/站点名称"
                if not data.get(key):
                    errors.append(RowError(number, header, f"请填写{label}"))
                elif len(data[key]) > limit:
                    errors.append(RowError(number, header, f"{label}不能超过 {limit} 个字"))
            day = data.get("occurred_on")
            if isinstance(day, dt.date) and not (self.today - dt.timedelta(days=366 * 5) <= day <= self.today):
                errors.append(RowError(number, "违法日期", "违法日期应在近五年内，且不晚于今天"))
            data["import_job"] = self.job.pk
        keys = [
            (d.get("platform"), d.get("station"), d.get("rider_name"), d.get("occurred_on"), d.get("offence"))
            for _, d, _ in pending
        ]
        days = {k[3] for k in keys if isinstance(k[3], dt.date)}
        existing = set()
        if days:
            existing = set(
                RiderViolation.objects.filter(occurred_on__gte=min(days), occurred_on__lte=max(days)).values_list(
                    "platform", "station", "rider_name", "occurred_on", "offence"
                )
            ) & set(keys)
        seen: dict[tuple, int] = {}
        for key, (number, _data, errors) in zip(keys, pending, strict=True):
            if errors:
                continue
            if key in existing:
                errors.append(RowError(number, "骑手姓名", "与已导入的记录重复"))
            elif key in seen:
                errors.append(RowError(number, "骑手姓名", f"与第 {seen[key]} 行重复"))
            else:
                seen[key] = number


# --- Exports --------------------------------------------------------------------------------------

VEHICLE_EXPORT = (Column("所属企业", "unit_name", 30, as_text=True), *VEHICLE_COLUMNS)
DRIVER_EXPORT = (Column("所属企业", "unit_name", 30, as_text=True), *DRIVER_COLUMNS)
VIOLATION_EXPORT = (
    Column("所属企业", "unit_name", 30, as_text=True),
    *VIOLATION_COLUMNS,
    Column("导入批次", "import_job", 8),
)


def export_vehicles(qs, fh, *, progress: ExportProgress | None = None) -> int:
    types, statuses = labels(VehicleType), labels(VehicleStatus)

    def rows() -> Iterator[list[Any]]:
        for v in qs.select_related("unit").iterator(chunk_size=2000):
            yield [
                v.unit.name,
                v.unit.uscc or "",
                v.plate,
                types.get(v.vehicle_type, v.vehicle_type),
                statuses.get(v.status, v.status),
                v.inspection_due,
                v.insurance_due,
                v.note,
            ]

    return write_sheet(fh, VehicleImporter.sheet, VEHICLE_EXPORT, with_progress(rows(), progress))


def export_drivers(qs, fh, *, user, progress: ExportProgress | None = None) -> int:
    statuses = labels(DriverStatus)
    clear: dict[int, bool] = {}

    def rows() -> Iterator[list[Any]]:
        for d in qs.select_related("unit__owner").iterator(chunk_size=2000):
            if d.unit_id not in clear:
                clear[d.unit_id] = can_see_contacts(user, d.unit)
            show = clear[d.unit_id]
            yield [
                d.unit.name,
                d.unit.uscc or "",
                d.name,
                d.id_number if show else mask_id(d.id_number),
                d.phone if show else mask_phone(d.phone),
                d.licence_class,
                d.licence_expiry,
                d.points,
                statuses.get(d.status, d.status),
                d.note,
            ]

    return write_sheet(fh, DriverImporter.sheet, DRIVER_EXPORT, with_progress(rows(), progress))


def export_violations(qs, fh, *, progress: ExportProgress | None = None) -> int:
    kinds, sources = labels(ViolationKind), labels(ViolationSource)

    def rows() -> Iterator[list[Any]]:
        for v in qs.select_related("unit", "vehicle", "driver").iterator(chunk_size=2000):
            yield [
                v.unit.name,
                v.vehicle.plate if v.vehicle else "",
                v.driver.name if v.driver else "",
                v.unit.uscc or "",
                v.occurred_on,
                kinds.get(v.kind, v.kind),
                v.points,
                sources.get(v.source, v.source),
                v.note,
                v.import_job or "",
            ]

    return write_sheet(fh, ViolationImporter.sheet, VIOLATION_EXPORT, with_progress(rows(), progress))


class VehicleExporter(Exporter):
    kind = "transport_vehicles"
    label = "车辆台账"
    filename = "车辆台账"
    action = "transport.vehicle_export"
    object_type = "transport.vehicle"
    list_url = "transport:vehicle_list"
    selector = "zhiben.transport.selectors.filter_vehicles"
    sheet_writer = staticmethod(export_vehicles)


class DriverExporter(Exporter):
    kind = "transport_drivers"
    label = "驾驶员台账"
    filename = "驾驶员台账"
    action = "transport.driver_export"
    object_type = "transport.driver"
    list_url = "transport:driver_list"
    selector = "zhiben.transport.selectors.filter_drivers"

    @classmethod
    def write(cls, qs, fh, *, user, progress=None) -> int:
        return export_drivers(qs, fh, user=user, progress=progress)


class ViolationExporter(Exporter):
    kind = "transport_violations"
    label = "违法记录"
    filename = "违法记录"
    action = "transport.violation_export"
    object_type = "transport.violation"
    list_url = "transport:violation_list"
    selector = "zhiben.transport.selectors.filter_violations"
    sheet_writer = staticmethod(export_violations)


# --- Monthly reports (written in the request: bounded by the month) -------------------------------

HIGH_RISK_COLUMNS = (
    Column("类别", "kind", 8),
    Column("车牌号码/驾驶员", "label", 16, as_text=True),
    Column("所属企业", "unit", 30, as_text=True),
    Column("车辆类型/准驾车型", "type", 16),
    Column("本月违法次数", "violations", 10),
    Column("高风险原因", "reasons", 40),
)


def write_high_risk(rows, fh) -> int:
    def lines():
        for r in rows:
            kind = "车辆" if r.kind == "vehicle" else "驾驶员"
            what = r.obj.get_vehicle_type_display() if r.kind == "vehicle" else r.obj.licence_class
            yield [kind, r.label, r.unit.name, what, r.violations, "；".join(r.reasons)]

    return write_sheet(fh, "高风险清单", HIGH_RISK_COLUMNS, lines())


RANKING_COLUMNS = (
    Column("榜单", "board", 8),
    Column("名次", "rank", 6),
    Column("平台", "platform", 12, as_text=True),
    Column("站点名称", "station", 20, as_text=True),
    Column("违法次数", "violations", 10),
    Column("涉及骑手", "riders", 10),
)


def write_ranking(ranking, fh) -> int:
    def lines():
        for i, p in enumerate(ranking.platforms, 1):
            yield ["平台", i, p.platform, f"{p.stations} 个站点", p.violations, p.riders]
        for i, s in enumerate(ranking.black, 1):
            yield ["黑榜", i, s.platform, s.station, s.violations, s.riders]
        for i, s in enumerate(ranking.red, 1):
            yield ["红榜", i, s.platform, s.station, s.violations, s.riders]

    return write_sheet(fh, "骑手违法红黑榜", RANKING_COLUMNS, lines())
