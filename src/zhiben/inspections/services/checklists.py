"""Checklist services: loading the reference checklists, creating a
checklist and publishing a new version of it (versions are never edited)."""

from __future__ import annotations

from typing import Any

from zhiben.audit.services import audit_record
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.hazards.models import HazardCategory
from zhiben.org.models import User
from zhiben.registry.models import Sector

from .. import access
from ..checklists import content_hash, normalize, parse_lines, read_files
from ..choices import (
    VersionOrigin,
)
from ..models import (
    Checklist,
    ChecklistItem,
    ChecklistVersion,
)

# --- Checklists -----------------------------------------------------------------------------


def _categories_by_code(groups: list[dict], default_code: str) -> tuple[dict[str, HazardCategory], dict[str, str]]:
    codes = {i["category"] for g in groups for i in g["items"] if i["category"]} | ({default_code} - {""})
    found = {c.code: c for c in HazardCategory.objects.filter(code__in=codes)}
    errors = {}
    for code in sorted(codes - set(found)):
        errors[f"category:{code}"] = f"隐患类别编码“{code}”不存在"
    for group in groups:
        for item in group["items"]:
            category = found.get(item["category"])
            if category is not None and category.children.exists():
                errors[f"category:{item['code']}"] = f"条目 {item['code']} 的隐患类别须为末级类别"
    return found, errors


def _check_groups(groups: list[dict]) -> dict[str, str]:
    errors: dict[str, str] = {}
    seen: set[str] = set()
    if not any(g["items"] for g in groups):
        errors["items"] = "请至少填写一个检查条目"
    for group in groups:
        if not group["name"]:
            errors["group"] = "分组名称不能为空"
        for item in group["items"]:
            if item["code"] in seen:
                errors[f"code:{item['code']}"] = f"条目编号 {item['code']} 重复"
            seen.add(item["code"])
            if len(item["code"]) > 20:
                errors[f"code:{item['code']}"] = f"条目编号 {item['code']} 超过20字"
            if len(item["text"]) < 2:
                errors[f"text:{item['code']}"] = f"条目 {item['code']} 的检查内容过短"
            if len(item["clause"]) > 200:
                errors[f"clause:{item['code']}"] = f"条目 {item['code']} 的依据条款超过200字"
    return errors


def _write_version(
    checklist: Checklist, groups: list[dict], *, actor, origin: str, file_version=None, note: str = ""
) -> ChecklistVersion:
    categories, errors = _categories_by_code(groups, "")
    if errors:
        raise ValidationFailed("检查条目有误：" + "；".join(errors.values()), details=errors)
    last = checklist.versions.order_by("-number").first()
    version = ChecklistVersion.objects.create(
        checklist=checklist,
        number=(last.number + 1) if last else 1,
        origin=origin,
        file_version=file_version,
        content_hash=content_hash(groups),
        note=note[:200],
        created_by=actor,
    )
    position = 0
    rows = []
    for group in groups:
        for item in group["items"]:
            position += 1
            rows.append(
                ChecklistItem(
                    version=version,
                    position=position,
                    group=group["name"][:100],
                    code=item["code"],
                    text=item["text"],
                    clause=item["clause"],
                    major=item["major"],
                    category=categories.get(item["category"]),
                )
            )
    ChecklistItem.objects.bulk_create(rows)
    return version


@service("checklist.load_reference")
def checklists_load(*, documents: list[dict], actor: User | None = None) -> int:
    """Create or update checklists by code (idempotent). A file whose items
    changed publishes a new version; existing versions are never edited.
    Returns how many checklists changed."""
    sectors = {s.code: s for s in Sector.objects.all()}
    changed = 0
    summary = {}
    for raw in documents:
        doc = normalize(raw)
        errors = _check_groups(doc["groups"])
        categories, category_errors = _categories_by_code(doc["groups"], doc["hazard_category"])
        errors.update(category_errors)
        if errors:
            raise ValidationFailed(f"检查表 {doc['code']} 有误：" + "；".join(errors.values()), details=errors)
        checklist = Checklist.objects.filter(code=doc["code"]).first()
        fields = {
            "name": doc["name"],
            "source": doc["source"],
            "default_category": categories.get(doc["hazard_category"]),
        }
        touched = False
        if checklist is None:
            checklist = Checklist.objects.create(code=doc["code"], **fields)
            touched = True
        elif any(getattr(checklist, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(checklist, k, v)
            checklist.save()
            touched = True
        wanted = {sectors[c].pk for c in doc["sectors"] if c in sectors}
        if set(checklist.sectors.values_list("pk", flat=True)) != wanted:
            checklist.sectors.set(wanted)
            touched = True
        current = checklist.current_version
        if current is None or current.content_hash != content_hash(doc["groups"]):
            version = _write_version(
                checklist, doc["groups"], actor=actor, origin=VersionOrigin.FILE, file_version=doc["version"]
            )
            summary[checklist.code] = version.number
            touched = True
        changed += touched
    if changed:
        audit_record(
            action="checklist.load_reference",
            actor=actor,
            object_type="inspections.checklist",
            after={"changed": changed, "new_versions": summary},
        )
    return changed


def load_files(data_dir=None) -> int:
    return checklists_load(documents=read_files(data_dir))


@service("checklist.create")
def checklist_create(*, actor: User, data: dict[str, Any], items_text: str) -> Checklist:
    """A new checklist with its first version (from the line format)."""
    require(access.can_manage_checklists(actor), "只有区安委办或部门领导可以维护检查表")
    code = (data.get("code") or "").strip()
    name = (data.get("name") or "").strip()
    errors = {}
    if not code:
        errors["code"] = "请填写编码"
    elif Checklist.objects.filter(code=code).exists():
        errors["code"] = "编码已存在"
    if not name:
        errors["name"] = "请填写名称"
    groups = parse_lines(items_text)
    errors.update(_check_groups(groups))
    default = data.get("default_category")
    if errors:
        raise ValidationFailed("检查表信息有误：" + "；".join(errors.values()), details=errors)
    checklist = Checklist.objects.create(
        code=code, name=name, source=(data.get("source") or "").strip(), default_category=default, created_by=actor
    )
    checklist.sectors.set(data.get("sectors") or [])
    version = _write_version(checklist, groups, actor=actor, origin=VersionOrigin.WEB, note="首次发布")
    audit_record(
        action="checklist.create",
        actor=actor,
        obj=checklist,
        after={"code": code, "name": name, "version": version.number, "items": version.items.count()},
    )
    return checklist


@service("checklist.publish")
def checklist_publish(*, actor: User, checklist: Checklist, items_text: str, note: str = "") -> ChecklistVersion:
    """Publish the next version; inspections keep the version they used."""
    require(access.can_manage_checklists(actor), "只有区安委办或部门领导可以维护检查表")
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    groups = parse_lines(items_text)
    errors = _check_groups(groups)
    if errors:
        raise ValidationFailed("检查条目有误：" + "；".join(errors.values()), details=errors)
    current = checklist.current_version
    if current is not None and current.content_hash == content_hash(groups):
        raise ConflictError("检查条目与当前版本相同，无需发布新版本", code="unchanged")
    version = _write_version(checklist, groups, actor=actor, origin=VersionOrigin.WEB, note=note)
    audit_record(
        action="checklist.publish",
        actor=actor,
        obj=checklist,
        after={"version": version.number, "items": version.items.count(), "note": note},
    )
    return version
