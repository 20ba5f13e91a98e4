"""The unit sheet: each row checked by the registry's own rules
(``services.normalize_unit``, ``services.unit_errors``, ``can_create_unit``),
the clean rows spooled, then written in bulk, one chunk per step."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from typing import Any

from django.db import connection, models
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.tabular import CellError, ChoiceParser, Problems, RowError, parse_date, parse_text
from zhiben.imports.registry import RowsRefused, Written
from zhiben.org.models import User

from .. import services
from ..choices import InsuranceStatus, LicenseStatus, StandardizationLevel
from ..models import Unit
from .columns import UNIT_HEADER_OF, UNIT_HEADERS, UNIT_SHEET
from .rows import ChunkedRows, Lookups, from_ordinal, mapped, ordinal, owner_cell, street_cell

TAG_SPLIT = re.compile(r"[、,，;；/／\s]+")
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
        "insurance_expiry": from_ordinal(row[13]),
        "standardization_level": row[14],
        "license_status": row[15],
        "license_expiry": from_ordinal(row[16]),
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


class UnitRows(ChunkedRows):
    """Validates the rows of a unit sheet chunk by chunk and spools the clean
    ones. ``seen`` maps every 统一社会信用代码 of the file to its row; with
    ``for_sites`` (a unit sheet in a site file) ``streets`` maps each code to
    the unit's (street id, address), for the sites of the same file."""

    def __init__(self, actor: User, lookups: Lookups, problems: Problems, *, for_sites: bool = False):
        super().__init__(actor, lookups, problems)
        self.seen: dict[str, int] = {}
        self.for_sites = for_sites
        self.streets: dict[str, tuple[int | None, str]] = {}  # uscc → (street id, address), for sites

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
        data["street"] = street_cell(lookups, street_name, failer("street")) if street_name else None
        owner_name = cell("owner", parse_text, "行业主管部门")
        data["owner"] = owner_cell(lookups, owner_name, "行业主管部门", failer("owner")) if owner_name else None
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
            row_errors = mapped(field_errors, number, UNIT_HEADER_OF, "单位名称", errors)
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
                    ordinal(data["insurance_expiry"]),
                    data["standardization_level"],
                    data["license_status"],
                    ordinal(data["license_expiry"]),
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
