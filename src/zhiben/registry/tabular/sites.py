"""The site sheet: each row checked by the registry's own rules
(``services.prepare_site``, ``default_site_owner``, ``can_manage_site``; the
unit by 统一社会信用代码 among the units the actor may see or those of the
same file), the clean rows spooled, then written in bulk, one chunk per step."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any

from zhiben.audit.services import audit_record
from zhiben.core.tabular import HELP_SHEET, CellError, Problems, RowError, parse_text
from zhiben.core.validators import uscc_problem
from zhiben.imports.registry import Written
from zhiben.org.models import Organization, User

from .. import services
from ..models import Site, SiteType, Unit, new_public_code
from .columns import SITE_HEADER_OF, SITE_HEADERS
from .rows import ChunkedRows, Lookups, mapped, owner_cell, street_cell

ATTR_SPLIT = re.compile(r"[;；\n]+")


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


class SiteRows(ChunkedRows):
    """Validates the rows of a site sheet chunk by chunk and spools the clean
    ones; ``file_units`` maps the 统一社会信用代码 of the units of the same
    file to their (street id, address)."""

    def __init__(self, actor: User, lookups: Lookups, problems: Problems, file_units: dict[str, tuple]):
        super().__init__(actor, lookups, problems)
        self.file_units = file_units

    def parse(self, number: int, raw: dict[str, Any], epoch=None) -> tuple[dict[str, Any], str, list[RowError]]:
        """The site_create data of one row (the unit not yet looked up), the
        unit's 统一社会信用代码 and the row's cell problems."""
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
        data["street"] = street_cell(lookups, street_name, failer("street")) if street_name else None
        owner_name = cell("owner", parse_text, "负责部门")
        data["owner"] = owner_cell(lookups, owner_name, "负责部门", failer("owner")) if owner_name else None
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
            row_errors = mapped(field_errors, number, SITE_HEADER_OF, "场所名称", errors)
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
