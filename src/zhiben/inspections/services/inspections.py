"""Service functions of inspections: every change of a checklist, campaign
or inspection goes through one of these (see docs/architecture.md).

Audit rows: each service writes exactly one row of its own. Finishing an
inspection also creates one hazard per failed item through
``zhiben.hazards.services.hazard_create`` (one ``hazard.create`` row each, or
``hazard.link_duplicate`` when the hazard ledger reports an open duplicate),
all in the same transaction: if any hazard cannot be created, nothing is
saved.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.files.services import open_stored, store_uploads
from zhiben.hazards import services as hazard_services
from zhiben.hazards.choices import DeadlineKind, HazardLevel, HazardSource
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.models import Grid, Sector, Site

from . import access
from .checklists import content_hash, normalize, parse_lines, read_files
from .choices import (
    CAMPAIGN_METHODS,
    AnswerResult,
    FrequencyPeriod,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    PhotoPhase,
    VersionOrigin,
)
from .models import (
    AnswerPhoto,
    Campaign,
    CampaignDraw,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
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


# --- Campaigns ------------------------------------------------------------------------------

TARGET_KEYS = {"site_types", "streets", "owner", "grid", "sites", "attributes"}


def target_sites(target: dict[str, Any] | None):
    """The Site queryset a target filter selects (active sites only).

    Criteria are ANDed: ``site_types`` (type codes), ``streets`` (街道
    organization codes), ``owner`` (organization code; its subtree),
    ``grid`` (grid id), ``attributes`` (exact values in Site.attributes).
    Explicit ``sites`` (ids) are added to the result. No criteria and no
    sites selects nothing.
    """
    target = target or {}
    qs = Site.objects.filter(is_active=True)
    q = Q()
    has_criteria = False
    if target.get("site_types"):
        q &= Q(site_type__code__in=target["site_types"])
        has_criteria = True
    if target.get("streets"):
        q &= Q(street__code__in=target["streets"])
        has_criteria = True
    if target.get("owner"):
        owner = Organization.objects.filter(code=target["owner"]).first()
        q &= Q(owner__path__startswith=owner.path) if owner else Q(pk__in=[])
        has_criteria = True
    if target.get("grid"):
        grid = Grid.objects.filter(pk=target["grid"]).first()
        q &= grid.site_q() if grid else Q(pk__in=[])
        has_criteria = True
    for key, value in (target.get("attributes") or {}).items():
        q &= Q(**{f"attributes__{key}": value})
        has_criteria = True
    explicit = Q(pk__in=[int(pk) for pk in target.get("sites") or []])
    if has_criteria:
        return qs.filter(q | explicit)
    return qs.filter(explicit)


def _validate_target(target: dict[str, Any]) -> dict[str, str]:
    errors = {}
    unknown = set(target) - TARGET_KEYS
    if unknown:
        errors["target"] = f"未知的筛选条件：{'、'.join(sorted(unknown))}"
    if target.get("streets"):
        known = set(
            Organization.objects.filter(code__in=target["streets"], kind=OrgKind.STREET).values_list("code", flat=True)
        )
        if set(target["streets"]) - known:
            errors["target"] = f"未知的街道：{'、'.join(sorted(set(target['streets']) - known))}"
    if target.get("owner") and not Organization.objects.filter(code=target["owner"]).exists():
        errors["target"] = f"未知的部门：{target['owner']}"
    if target.get("grid") and not Grid.objects.filter(pk=target["grid"]).exists():
        errors["target"] = "网格不存在"
    if not isinstance(target.get("attributes") or {}, dict):
        errors["target"] = "场所属性条件须为键值对"
    return errors


def _clean_target(target: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key in ("site_types", "streets"):
        values = sorted({str(v).strip() for v in target.get(key) or [] if str(v).strip()})
        if values:
            clean[key] = values
    if target.get("owner"):
        clean["owner"] = str(target["owner"]).strip()
    if target.get("grid"):
        clean["grid"] = int(target["grid"])
    if target.get("sites"):
        clean["sites"] = sorted({int(pk) for pk in target["sites"]})
    if target.get("attributes"):
        clean["attributes"] = dict(target["attributes"])
    for key in set(target) - TARGET_KEYS:
        clean[key] = target[key]
    return clean


@service("campaign.create")
def campaign_create(*, actor: User, data: dict[str, Any]) -> Campaign:
    """排查轮次. ``data``: name, owner, co_owners, method, period_start,
    period_end, checklist, target (dict), team_users, team_orgs,
    frequency_times, frequency_period, note."""
    owner = data.get("owner")
    errors: dict[str, str] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = "请填写名称"
    if not isinstance(owner, Organization):
        errors["owner"] = "请选择牵头部门"
    if data.get("method") not in dict(CAMPAIGN_METHODS):
        errors["method"] = "检查方式无效"
    start, end = data.get("period_start"), data.get("period_end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        errors["period_start"] = "请填写起止日期"
    elif end < start:
        errors["period_end"] = "结束日期不能早于开始日期"
    if not isinstance(data.get("checklist"), Checklist):
        errors["checklist"] = "请选择检查表"
    times, period = data.get("frequency_times"), data.get("frequency_period") or ""
    if bool(times) != bool(period):
        errors["frequency_times"] = "频次须同时填写次数和周期"
    elif period and period not in FrequencyPeriod.values:
        errors["frequency_period"] = "频次周期无效"
    elif times is not None and times != "" and int(times) < 1:
        errors["frequency_times"] = "次数至少为1"
    target = _clean_target(data.get("target") or {})
    errors.update(_validate_target(target))
    if errors:
        raise ValidationFailed("排查轮次信息有误：" + "；".join(errors.values()), details=errors)
    require(access.can_manage_campaign(actor, owner), "您不能为该部门创建排查轮次")
    campaign = Campaign.objects.create(
        name=data["name"].strip(),
        owner=owner,
        method=data["method"],
        period_start=start,
        period_end=end,
        checklist=data["checklist"],
        target=target,
        frequency_times=int(times) if times else None,
        frequency_period=period,
        note=(data.get("note") or "").strip(),
        created_by=actor,
    )
    campaign.co_owners.set(data.get("co_owners") or [])
    campaign.team_users.set(data.get("team_users") or [])
    campaign.team_orgs.set(data.get("team_orgs") or [])
    audit_record(
        action="campaign.create",
        actor=actor,
        obj=campaign,
        after={
            "owner": owner.pk,
            "method": campaign.method,
            "period": [start, end],
            "checklist": campaign.checklist_id,
            "target": target,
            "frequency": campaign.frequency_label,
            "team_users": sorted(u.pk for u in data.get("team_users") or []),
            "team_orgs": sorted(o.pk for o in data.get("team_orgs") or []),
        },
    )
    return campaign


def draw(ids: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """``count`` of ``ids`` (sorted first, so the result depends only on the
    set and the generator), in ascending order."""
    ordered = sorted(ids)
    return sorted(rng.sample(ordered, min(max(count, 0), len(ordered))))


@service("campaign.draw")
def campaign_draw(
    *,
    actor: User,
    campaign: Campaign,
    site_count: int,
    inspector_pool: Sequence[User] = (),
    inspector_count: int = 0,
    seed: str | None = None,
) -> CampaignDraw:
    """双随机: draw sites from the targets, then inspectors from the pool,
    with one ``random.Random(seed)`` (sites first). The same seed, targets
    and pool give the same draw."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require(access.can_manage_campaign(actor, campaign.owner), "只有牵头部门可以抽取")
    if site_count < 1:
        raise ValidationFailed("抽取场所数至少为1", details={"site_count": "至少为1"})
    if inspector_count < 0 or (inspector_count and len(inspector_pool) < inspector_count):
        raise ValidationFailed("检查人员库人数不足", details={"inspector_count": "检查人员库人数不足"})
    seed = (seed or "").strip() or secrets.token_hex(8)
    site_ids = list(target_sites(campaign.target).values_list("pk", flat=True))
    if not site_ids:
        raise ValidationFailed("检查对象为空，无法抽取", details={"site_count": "检查对象为空"})
    rng = random.Random(seed)
    chosen_sites = draw(site_ids, site_count, rng)
    pool_ids = sorted({u.pk for u in inspector_pool})
    chosen_inspectors = draw(pool_ids, inspector_count, rng) if inspector_count else []
    result = CampaignDraw.objects.create(
        campaign=campaign,
        seed=seed,
        site_population=len(site_ids),
        site_ids=chosen_sites,
        pool_ids=pool_ids,
        inspector_ids=chosen_inspectors,
        drawn_by=actor,
    )
    audit_record(
        action="campaign.draw",
        actor=actor,
        obj=campaign,
        after={
            "seed": seed,
            "population": len(site_ids),
            "sites": chosen_sites,
            "pool": pool_ids,
            "inspectors": chosen_inspectors,
        },
    )
    return result


# --- Inspections ----------------------------------------------------------------------------

ANSWER_RESULTS = set(AnswerResult.values)


def _point(data: dict[str, Any]) -> tuple[Decimal | None, Decimal | None, dict[str, str]]:
    lat, lng = data.get("latitude"), data.get("longitude")
    if lat in (None, "") and lng in (None, ""):
        return None, None, {}
    try:
        lat = Decimal(str(lat)).quantize(Decimal("0.000001"))
        lng = Decimal(str(lng)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return None, None, {"latitude": "经纬度须为数字，且须同时填写"}
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None, {"latitude": "经纬度超出范围"}
    return lat, lng, {}


def _apply_answers(actor: User, inspection: Inspection, answers: Sequence[dict[str, Any]]) -> list[str]:
    """Write answers (by item) and store their photos; returns the item
    codes touched. ``answers``: [{"item": ChecklistItem | id | code, "result",
    "note", "photos": [uploads], "fixed": bool, "fix_note", "after_photos"}]."""
    items = {i.pk: i for i in inspection.checklist_version.items.all()}
    by_code = {i.code: i for i in items.values()}
    existing = {a.item_id: a for a in inspection.answers.all()}
    touched = []
    errors: dict[str, str] = {}
    pending_photos: list[tuple[InspectionAnswer, str, list]] = []
    for entry in answers:
        ref = entry.get("item")
        item = (
            items.get(ref.pk if isinstance(ref, ChecklistItem) else ref)
            if not isinstance(ref, str)
            else by_code.get(ref)
        )
        if item is None:
            errors["answers"] = "检查条目不属于本次检查使用的检查表版本"
            continue
        result = entry.get("result") or AnswerResult.PENDING
        if result not in ANSWER_RESULTS:
            errors[f"result:{item.code}"] = f"条目 {item.code} 的结果无效"
            continue
        fixed = bool(entry.get("fixed"))
        if fixed and inspection.kind != InspectionKind.SELF_CHECK:
            errors[f"fixed:{item.code}"] = "即查即改仅用于企业自查"
        if fixed and result != AnswerResult.FAIL:
            errors[f"fixed:{item.code}"] = f"条目 {item.code}：只有不符合项可记为即查即改"
        if fixed and item.major:
            errors[f"fixed:{item.code}"] = f"条目 {item.code} 为重大隐患判定条目，须按重大隐患治理，不能即查即改"
        answer = existing.get(item.pk) or InspectionAnswer(inspection=inspection, item=item)
        answer.result = result
        answer.note = (entry.get("note") or "").strip()
        answer.fixed_on_site = fixed
        answer.fix_note = (entry.get("fix_note") or "").strip()
        answer.save()
        touched.append(item.code)
        if entry.get("photos"):
            pending_photos.append((answer, PhotoPhase.BEFORE, list(entry["photos"])))
        if entry.get("after_photos"):
            pending_photos.append((answer, PhotoPhase.AFTER, list(entry["after_photos"])))
    if errors:
        raise ValidationFailed("检查结果有误：" + "；".join(errors.values()), details=errors)
    for answer, phase, uploads in pending_photos:
        for upload, stored in zip(uploads, store_uploads(uploads), strict=True):
            AnswerPhoto.objects.create(
                answer=answer, file=stored, phase=phase, original_name=(upload.name or "照片")[:255], uploaded_by=actor
            )
    return touched


def _validate_inspection(data: dict[str, Any], kind: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(data.get("site"), Site):
        errors["site"] = "请选择场所"
    if not isinstance(data.get("checklist_version"), ChecklistVersion):
        errors["checklist_version"] = "请选择检查表"
    day = data.get("inspected_on")
    if not isinstance(day, dt.date):
        errors["inspected_on"] = "请填写检查日期"
    elif day > timezone.localdate():
        errors["inspected_on"] = "检查日期不能晚于今天"
    campaign = data.get("campaign")
    if campaign is not None and isinstance(day, dt.date) and not campaign.period_start <= day <= campaign.period_end:
        errors["inspected_on"] = "检查日期不在排查轮次期间内"
    if kind == InspectionKind.SUPERVISION:
        org = data.get("organization")
        if not isinstance(org, Organization):
            errors["organization"] = "请选择检查单位"
        if data.get("method") not in dict(CAMPAIGN_METHODS):
            errors["method"] = "检查方式无效"
    return errors


@service("inspection.create")
def inspection_create(
    *,
    actor: User,
    data: dict[str, Any],
    answers: Sequence[dict[str, Any]] = (),
    finish: bool = False,
) -> Inspection:
    """Record an inspection (检查中), optionally finishing it at once.

    ``data``: site, checklist_version (default: the campaign's current
    version), inspected_on, organization, method (default: the campaign's),
    campaign, team_orgs, inspectors, latitude, longitude, summary, kind
    ("supervision" or "self_check"). Writes one ``inspection.create`` row —
    or, with ``finish=True``, one ``inspection.finish`` row plus the hazard
    rows — and nothing at all when a hazard cannot be created."""
    data = dict(data)
    kind = data.get("kind") or InspectionKind.SUPERVISION
    campaign = data.get("campaign")
    site = data.get("site")
    if kind == InspectionKind.SELF_CHECK:
        require(isinstance(site, Site) and access.can_self_check(actor, site), "企业只能自查本单位的场所")
        if data.get("checklist_version") is None and data.get("checklist") is not None:
            data["checklist_version"] = data["checklist"].current_version
        data["method"] = InspectionMethod.SELF_CHECK
        data["organization"] = site.owner or site.street or (site.unit.owner if site.unit_id else None)
        data["campaign"] = campaign = None
        if data["organization"] is None:
            raise ValidationFailed("该场所没有负责部门，无法登记自查", details={"site": "场所没有负责部门"})
    elif campaign is not None:
        data.setdefault("method", campaign.method)
        if data.get("checklist_version") is None:
            data["checklist_version"] = campaign.checklist.current_version
        data.setdefault("organization", campaign.owner)
    if kind not in InspectionKind.values:
        raise ValidationFailed("检查类型无效", details={"kind": "无效"})
    errors = _validate_inspection(data, kind)
    lat, lng, point_errors = _point(data)
    errors.update(point_errors)
    if errors:
        raise ValidationFailed("检查信息有误：" + "；".join(errors.values()), details=errors)
    if kind == InspectionKind.SUPERVISION:
        require(access.can_inspect(actor, data["organization"], campaign), "您不能以该单位名义登记检查")
        require(
            (campaign is not None and target_sites(campaign.target).filter(pk=site.pk).exists())
            or Site.objects.restrict(actor, "view").filter(pk=site.pk).exists()
            or actor.is_district_admin,
            "该场所不在您的检查范围内",
        )
    inspection = Inspection.objects.create(
        kind=kind,
        campaign=campaign,
        site=site,
        unit=site.unit,
        organization=data["organization"],
        method=data["method"],
        checklist_version=data["checklist_version"],
        inspected_on=data["inspected_on"],
        latitude=lat,
        longitude=lng,
        summary=(data.get("summary") or "").strip(),
        created_by=actor,
    )
    inspection.team_orgs.set(data.get("team_orgs") or [])
    inspectors = list(data.get("inspectors") or [])
    if kind == InspectionKind.SUPERVISION and actor not in inspectors and not actor.is_district_admin:
        inspectors.append(actor)
    inspection.inspectors.set(inspectors)
    InspectionAnswer.objects.bulk_create(
        InspectionAnswer(inspection=inspection, item=item) for item in inspection.checklist_version.items.all()
    )
    _apply_answers(actor, inspection, answers)
    after = _inspection_snapshot(inspection)
    if finish:
        created = _finish(actor, inspection)
        after.update(created)
        audit_record(action="inspection.finish", actor=actor, obj=inspection, after=after)
    else:
        audit_record(action="inspection.create", actor=actor, obj=inspection, after=after)
    return inspection


def _inspection_snapshot(inspection: Inspection) -> dict[str, Any]:
    return {
        "kind": inspection.kind,
        "status": inspection.status,
        "site": inspection.site_id,
        "campaign": inspection.campaign_id,
        "organization": inspection.organization_id,
        "method": inspection.method,
        "checklist_version": inspection.checklist_version_id,
        "inspected_on": inspection.inspected_on,
        "team_orgs": sorted(inspection.team_orgs.values_list("pk", flat=True)),
        "inspectors": sorted(inspection.inspectors.values_list("pk", flat=True)),
    }


def _lock(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("site", "site__unit", "organization", "campaign", "checklist_version")
        .get(pk=inspection.pk)
    )


@service("inspection.update")
def inspection_update(
    *, actor: User, inspection: Inspection, answers: Sequence[dict[str, Any]], summary: str | None = None
) -> Inspection:
    """Fill in answers of an inspection still 检查中."""
    inspection = _lock(inspection)
    require(access.can_edit_inspection(actor, inspection), "您不是本次检查的检查人员")
    if inspection.is_finished:
        raise ConflictError("检查已完成，不能修改", code="invalid_transition")
    touched = _apply_answers(actor, inspection, answers)
    if summary is not None:
        inspection.summary = summary.strip()
        inspection.save(update_fields=["summary"])
    audit_record(action="inspection.update", actor=actor, obj=inspection, after={"answers": touched})
    return inspection


@service("inspection.finish")
def inspection_finish(*, actor: User, inspection: Inspection) -> Inspection:
    """完成检查: every item answered; one hazard per failed item (through
    hazard_create), all or nothing. Writes one ``inspection.finish`` row
    plus the hazard ledger's own rows."""
    inspection = _lock(inspection)
    require(access.can_edit_inspection(actor, inspection), "您不是本次检查的检查人员")
    if inspection.is_finished:
        raise ConflictError("检查已完成", code="invalid_transition")
    created = _finish(actor, inspection)
    audit_record(action="inspection.finish", actor=actor, obj=inspection, after=created)
    return inspection


def leaf_category(category: HazardCategory | None) -> HazardCategory | None:
    """A hazard needs a leaf category: the category itself, or under a
    group its "…-qt" (其他) leaf, else "other-qt", else its first leaf."""
    if category is None or not category.children.exists():
        return category
    descendants = HazardCategory.objects.filter(Q(parent=category) | Q(parent__parent=category))
    leaves = [c for c in descendants.order_by("sort_order") if not c.children.exists()]
    for leaf in leaves:
        if leaf.code.endswith("-qt"):
            return leaf
    fallback = HazardCategory.objects.filter(code="other-qt").first()
    return fallback or (leaves[0] if leaves else category)


def _sector_for(inspection: Inspection, category: HazardCategory) -> Sector | None:
    site = inspection.site
    candidates = [site.site_type.sector, site.unit.sector if site.unit_id else None]
    candidates += list(inspection.checklist_version.checklist.sectors.all())
    for sector in candidates:
        if sector is not None and hazard_services.category_allowed(category, sector):
            return sector
    return None


def _hazard_owner(inspection: Inspection) -> Organization:
    site = inspection.site
    return site.owner or (site.unit.owner if site.unit_id else None) or inspection.organization.department


def _upload_of(photo: AnswerPhoto) -> SimpleUploadedFile:
    with open_stored(photo.file) as fh:
        return SimpleUploadedFile(photo.original_name, fh.read(), content_type=photo.file.content_type)


def _finish(actor: User, inspection: Inspection) -> dict[str, Any]:
    answers = list(
        inspection.answers.select_related("item", "item__category").prefetch_related("photos", "photos__file")
    )
    missing = [a.item.code for a in answers if a.result == AnswerResult.PENDING]
    if missing:
        raise ValidationFailed(
            f"还有 {len(missing)} 个条目未填写：{'、'.join(missing[:10])}", details={"answers": missing}
        )
    no_photo = [
        a.item.code for a in answers if a.fixed_on_site and not any(p.phase == PhotoPhase.AFTER for p in a.photos.all())
    ]
    if no_photo:
        raise ValidationFailed(
            f"即查即改条目须上传整改后照片：{'、'.join(no_photo)}", details={"after_photos": no_photo}
        )
    checklist = inspection.checklist_version.checklist
    source = HazardSource.SUPERVISION
    if inspection.kind == InspectionKind.SELF_CHECK:
        source = HazardSource.SELF_CHECK
    elif inspection.method == InspectionMethod.THIRD_PARTY:
        source = HazardSource.THIRD_PARTY
    site = inspection.site
    created, linked = [], []
    for answer in answers:
        if answer.result != AnswerResult.FAIL:
            continue
        item = answer.item
        category = leaf_category(item.category or checklist.default_category)
        if category is None:
            raise ValidationFailed(f"条目 {item.code} 没有隐患类别", details={"category": item.code})
        sector = _sector_for(inspection, category)
        if sector is None:
            raise ValidationFailed(
                f"条目 {item.code} 的隐患类别“{category}”不适用于该场所的行业", details={"category": item.code}
            )
        description = f"【{checklist.name} {item.code}】{item.text}"
        if item.clause:
            description += f"（依据：{item.clause}）"
        if answer.note:
            description += f"\n检查情况：{answer.note}"
        if answer.fixed_on_site:
            description += f"\n即查即改：{answer.fix_note or '已当场整改'}"
        data = {
            "sector": sector,
            "category": category,
            "level": HazardLevel.MAJOR if item.major else HazardLevel.GENERAL,
            "source": source,
            "found_on": inspection.inspected_on,
            "title": item.text[:118],
            "description": description,
            "location": site.name[:200],
            "unit": site.unit,
            "unit_name": site.unit.name if site.unit_id else site.name,
            "address": site.address or (site.unit.address if site.unit_id else ""),
            "street": site.street,
            "owner": _hazard_owner(inspection),
            "deadline_kind": DeadlineKind.IMMEDIATE if answer.fixed_on_site else DeadlineKind.DATE,
            "requirement": "即查即改，已当场整改，待主管部门验收" if answer.fixed_on_site else "",
        }
        before = [_upload_of(p) for p in answer.photos.all() if p.phase == PhotoPhase.BEFORE]
        try:
            hazard = hazard_services.hazard_create(
                actor=actor, data=data, before_files=before, allow_duplicate=False, notify_owner=True
            )
        except hazard_services.PossibleDuplicate as exc:
            # The same problem is already open on the ledger: record the sighting on it.
            hazard = Hazard.objects.get(pk=exc.details[0]["id"])
            hazard_services.hazard_link_duplicate(
                actor=actor, hazard=hazard, text=f"{inspection.inspected_on:%Y-%m-%d} 检查再次发现：{description}"
            )
            answer.linked_existing = True
            linked.append(hazard.code)
        else:
            created.append(hazard.code)
            after = [_upload_of(p) for p in answer.photos.all() if p.phase == PhotoPhase.AFTER]
            if answer.fixed_on_site and after:
                hazard_services.hazard_add_evidence(actor=actor, hazard=hazard, phase="after", files=after)
        answer.hazard = hazard
        answer.category = category
        answer.save(update_fields=["hazard", "category", "linked_existing"])
    inspection.status = InspectionStatus.FINISHED
    inspection.finished_at = timezone.now()
    inspection.finished_by = actor
    inspection.save(update_fields=["status", "finished_at", "finished_by"])
    counts = {r: sum(1 for a in answers if a.result == r) for r in (AnswerResult.PASS, AnswerResult.FAIL, "na")}
    return {"status": inspection.status, "results": counts, "hazards_created": created, "hazards_linked": linked}


@service("inspection.accept_self_fix")
def self_fix_accept(*, actor: User, answer: InspectionAnswer, note: str = "") -> Hazard:
    """即查即改验收 by the department: drives the 自查 hazard 待确认 → 整改中 →
    待验收 → 已销号 through the hazard services (confirm with 立即整改, submit
    with the unit's after-photo already attached, verify_pass). Each of
    those writes its own hazard row; this service writes none of its own
    (the hazard rows are the record)."""
    answer = InspectionAnswer.objects.select_related("hazard", "inspection").get(pk=answer.pk)
    if not answer.fixed_on_site or answer.hazard is None:
        raise ConflictError("该条目不是即查即改隐患", code="invalid_transition")
    hazard = answer.hazard
    if hazard.status != "pending":
        raise ConflictError("该隐患已不是待确认状态", code="invalid_transition")
    # One hazard step (即查即改, flagged self-verified, sampled first by 回头看):
    # confirm + submit + verify by one person is refused by separation of duties.
    return hazard_services.hazard_fix_on_spot(
        actor=actor,
        hazard=hazard,
        note=answer.fix_note or note or "企业已当场整改",
    )
