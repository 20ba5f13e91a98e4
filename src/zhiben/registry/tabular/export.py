"""The exports of the unit and site lists (as filtered and scoped by the
caller) through the one streaming writer of :mod:`zhiben.core.tabular`:
constant memory, and a number of queries that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.utils import timezone

from zhiben.core.tabular import labels, write_sheet
from zhiben.imports.registry import Exporter, ExportProgress, with_progress
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User
from zhiben.org.tabular import org_labels

from .. import services
from ..choices import InsuranceStatus, LicenseStatus, RiskLevel, StandardizationLevel
from ..crypto import mask_phone
from ..models import Sector, SiteType, Tag, Unit
from .columns import SITE_EXPORT_COLUMNS, SITE_SHEET, UNIT_EXPORT_COLUMNS, UNIT_SHEET


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


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


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


def export_units(qs, path_or_file: str | IO[bytes], *, user: User, progress: ExportProgress | None = None) -> int:
    """Write the units of ``qs`` (already scoped and filtered) as .xlsx, in the
    import template's columns plus 风险等级, 风险评估日期, 登记时间. Phones are
    masked unless ``user`` may see them. Constant memory (the streaming writer) and a
    number of queries that does not grow with the rows (names and tags from
    dicts; the contact rule memoised per owner). ``progress(rows_written)`` is
    called every 1,000 rows (a background export)."""
    sectors = dict(Sector.objects.values_list("pk", "name"))
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    org_names = org_labels()
    tags: dict[int, list[str]] = {}
    through = Unit.tags.through
    for unit_id, tag_id in (
        through.objects.filter(unit_id__in=qs.order_by().values("pk"))
        .order_by("tag__sort_order", "tag_id")
        .values_list("unit_id", "tag_id")
    ):
        tags.setdefault(unit_id, []).append(tag_names[tag_id])
    insurance, standard, licence = labels(InsuranceStatus), labels(StandardizationLevel), labels(LicenseStatus)
    risks = labels(RiskLevel)
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

    return write_sheet(path_or_file, UNIT_SHEET, UNIT_EXPORT_COLUMNS, with_progress(rows(), progress))


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


def export_sites(qs, path_or_file: str | IO[bytes], *, progress: ExportProgress | None = None) -> int:
    """Write the sites of ``qs`` (already scoped and filtered) as .xlsx in the
    import template's columns (专有信息 as “字段：值；…”) plus 场所码, 所属单位,
    在册, 风险. The unit's name and code are shown as the site list shows
    them. ``progress(rows_written)`` is called every 1,000 rows."""
    types = {t.pk: t for t in SiteType.objects.all()}
    org_names = org_labels()
    risks = labels(RiskLevel)

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

    return write_sheet(path_or_file, SITE_SHEET, SITE_EXPORT_COLUMNS, with_progress(rows(), progress))


class UnitExporter(Exporter):
    """The unit list as filtered (same query string as /units/), within the viewer's scope."""

    kind = "units"
    label = "生产经营单位"
    filename = "生产经营单位"
    action = "unit.export"
    object_type = "registry.unit"
    list_url = "registry:unit_list"
    selector = "zhiben.registry.selectors.filter_units"

    @classmethod
    def write(cls, qs, fh, *, user, progress=None) -> int:
        return export_units(qs, fh, user=user, progress=progress)


class SiteExporter(Exporter):
    """The site list as filtered (same query string as /sites/), within the viewer's scope."""

    kind = "sites"
    label = "场所与点位"
    filename = "场所与点位"
    action = "site.export"
    object_type = "registry.site"
    list_url = "registry:site_list"
    selector = "zhiben.registry.selectors.filter_sites"
    sheet_writer = staticmethod(export_sites)
