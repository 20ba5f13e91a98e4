"""参考数据：行业领域、标签、场所类型与三管三必须分工的加载。"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zhiben.audit.services import audit_record
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import service
from zhiben.org.models import Organization, User

from ..choices import (
    AttributeKind,
)
from ..models import (
    Sector,
    SiteType,
    Tag,
)

# --- Reference data -----------------------------------------------------------------------


@service("sector.load_reference")
def sectors_load(*, rows: list[dict], actor: User | None = None) -> int:
    """Create or update sectors from reference data (by code); returns how
    many changed."""
    changed = 0
    for index, row in enumerate(rows):
        owner = Organization.objects.filter(code=row["owner"]).first() if row.get("owner") else None
        defaults = {"name": row["name"], "owner": owner, "plan_file": row.get("plan") or "", "sort_order": index}
        sector = Sector.objects.filter(code=row["code"]).first()
        if sector is None:
            Sector.objects.create(code=row["code"], **defaults)
            changed += 1
        elif any(getattr(sector, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(sector, k, v)
            sector.save()
            changed += 1
    if changed:
        audit_record(
            action="sector.load_reference", actor=actor, object_type="registry.sector", after={"changed": changed}
        )
    return changed


def _check_attribute_specs(code: str, specs: Iterable[dict]) -> list[dict]:
    clean = []
    seen = set()
    for spec in specs or []:
        key, kind = spec.get("key"), spec.get("kind", AttributeKind.TEXT)
        if not key or not re.fullmatch(r"[a-z][a-z0-9_]*", key) or key in seen:
            raise ValidationFailed(f"场所类型 {code} 的专有字段编码 {key!r} 无效或重复")
        if kind not in AttributeKind.values:
            raise ValidationFailed(f"场所类型 {code} 的专有字段 {key} 类型 {kind} 无效")
        if kind == AttributeKind.CHOICE and not spec.get("choices"):
            raise ValidationFailed(f"场所类型 {code} 的专有字段 {key} 缺少选项")
        seen.add(key)
        item = {"key": key, "label": spec.get("label") or key, "kind": kind}
        if spec.get("choices"):
            item["choices"] = [str(c) for c in spec["choices"]]
        if spec.get("required"):
            item["required"] = True
        clean.append(item)
    return clean


@service("registry.load_reference")
def registry_reference_load(
    *, tags: list[tuple[str, str, str]], site_types: list[dict], ownership: dict, actor: User | None = None
) -> dict[str, int]:
    """Tags, site types and who owns each site type (idempotent, by code).
    An ownership code missing from the organizations refuses the whole load."""
    orgs = {o.code: o for o in Organization.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    result = {"tags": 0, "site_types": 0}
    for index, (code, name, color) in enumerate(tags):
        defaults = {"name": name, "color": color, "sort_order": index}
        tag = Tag.objects.filter(code=code).first()
        if tag is None:
            Tag.objects.create(code=code, **defaults)
            result["tags"] += 1
    owned = (ownership or {}).get("site_types") or {}
    known_types = {row["code"] for row in site_types}
    stray = set(owned) - known_types
    if stray:
        raise ValidationFailed(f"ownership.yaml 中的场所类型不存在：{'、'.join(sorted(stray))}")
    for index, row in enumerate(site_types):
        code = row["code"]
        entry = owned.get(code) or {}
        owner = None
        if entry:
            department = orgs.get(entry.get("department") or "")
            section = orgs.get(entry.get("section") or "") if entry.get("section") else None
            if department is None or (entry.get("section") and section is None):
                raise ValidationFailed(f"ownership.yaml 中 {code} 的部门或科室编码不存在")
            if section is not None and not section.is_within(department):
                raise ValidationFailed(f"ownership.yaml 中 {code} 的科室 {section.code} 不属于 {department.code}")
            owner = section or department
        if row.get("sector") and row["sector"] not in sectors:
            raise ValidationFailed(f"场所类型 {code} 的行业领域 {row['sector']} 不存在")
        defaults = {
            "name": row["name"],
            "group": row.get("group") or "",
            "sector": sectors.get(row.get("sector") or ""),
            "attributes": _check_attribute_specs(code, row.get("attributes")),
            "owner": owner,
            "owner_is_street": bool(entry.get("street")),
            "ownership_source": str(entry.get("source") or "")[:200],
            "sort_order": index,
            "is_active": row.get("active", True),
        }
        site_type = SiteType.objects.filter(code=code).first()
        if site_type is None:
            SiteType.objects.create(code=code, **defaults)
            result["site_types"] += 1
        elif any(getattr(site_type, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(site_type, k, v)
            site_type.save()
            result["site_types"] += 1
    if any(result.values()):
        audit_record(action="registry.load_reference", actor=actor, object_type="registry.sitetype", after=result)
    return result
