"""Inspection services: create, update, finish (one hazard per failed
item, through ``zhiben.hazards.services.hazard_create``, all or nothing)
and accepting a self-fix."""

from __future__ import annotations

import datetime as dt
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
from zhiben.org.models import Organization, User
from zhiben.registry.models import Sector, Site

from .. import access
from ..choices import (
    CAMPAIGN_METHODS,
    AnswerResult,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    PhotoPhase,
)
from ..models import (
    AnswerPhoto,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
)
from ..selectors import target_sites

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
            "site": site,
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
