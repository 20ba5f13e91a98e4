"""Creating and editing hazards: create (with the duplicate check), update,
notes, evidence and bulk assignment."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import uscc_problem
from zhiben.files.services import store_uploads
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind
from zhiben.org.models import User
from zhiben.registry.models import Sector, Unit

from .. import access
from ..choices import (
    STOCK_CUTOFF,
    DeadlineKind,
    Difficulty,
    EvidencePhase,
    HazardLevel,
    HazardSource,
    HazardStatus,
    NoteKind,
)
from ..models import (
    TEXT_MAX_LENGTH,
    Hazard,
    HazardCategory,
    HazardCodeSequence,
    HazardEvidence,
    HazardNote,
)
from ._common import (
    DUPLICATE_SIMILARITY,
    EDITABLE_FIELDS,
    OWNER_KINDS,
    TRACKED_FIELDS,
    PossibleDuplicate,
    _attach_evidence,
    _lock,
    deadline_before_plan_finish,
    hazard_url,
    who_may,
)

# --- Creating and editing ---------------------------------------------------------------------


def category_allowed(category: HazardCategory, sector: Sector) -> bool:
    root = category.root
    return root.for_all_sectors or root.sectors.filter(pk=sector.pk).exists()


def length_errors(model, data: dict[str, Any]) -> dict[str, str]:
    """Text longer than its column (or TEXT_MAX_LENGTH for free text), by
    field: SQLite would store it silently and PostgreSQL would fail."""
    errors = {}
    for field in model._meta.fields:
        value = data.get(field.name)
        if not isinstance(value, str):
            continue
        limit = field.max_length or TEXT_MAX_LENGTH
        if len(value) > limit:
            errors[field.name] = f"{field.verbose_name}不能超过 {limit} 个字符（当前 {len(value)} 个）"
    return errors


def _validate(data: dict[str, Any], *, creating: bool) -> dict[str, str]:
    """The problems of a hazard's data, by field (in a stable order: the
    message joins them)."""
    errors: dict[str, str] = {}
    _check_required(data, errors)
    _check_choices(data, errors)
    _check_dates(data, errors)
    uscc = (data.get("unit_uscc") or "").strip().upper()
    if uscc:
        problem = uscc_problem(uscc)
        if problem:
            errors["unit_uscc"] = problem
    errors.update(length_errors(Hazard, data))
    _check_relations(data, errors)
    return errors


def _check_required(data: dict[str, Any], errors: dict[str, str]) -> None:
    for field, label in (("title", "隐患简述"), ("description", "隐患内容"), ("unit_name", "责任单位名称")):
        if not str(data.get(field) or "").strip():
            errors[field] = f"请填写{label}"
    for field, label in (
        ("sector", "行业领域"),
        ("category", "隐患类别"),
        ("owner", "行业主管部门"),
        ("found_on", "发现日期"),
    ):
        if data.get(field) in (None, ""):
            errors[field] = f"请选择{label}"


def _check_choices(data: dict[str, Any], errors: dict[str, str]) -> None:
    for field, values, message in (
        ("level", HazardLevel.values, "隐患等级无效"),
        ("source", HazardSource.values, "来源无效"),
        ("difficulty", Difficulty.values, "整改难度无效"),
        ("deadline_kind", DeadlineKind.values, "整改时限类型无效"),
    ):
        if data.get(field) not in values:
            errors[field] = message


def _check_dates(data: dict[str, Any], errors: dict[str, str]) -> None:
    found_on = data.get("found_on")
    if isinstance(found_on, dt.date) and found_on > timezone.localdate():
        errors["found_on"] = "发现日期不能晚于今天"
    deadline = data.get("deadline")
    if isinstance(deadline, dt.date) and isinstance(found_on, dt.date) and deadline < found_on:
        errors["deadline"] = "整改时限不能早于发现日期"


def _check_relations(data: dict[str, Any], errors: dict[str, str]) -> None:
    category, sector = data.get("category"), data.get("sector")
    if isinstance(category, HazardCategory) and isinstance(sector, Sector) and not category_allowed(category, sector):
        errors["category"] = f"“{category}”不属于{sector}领域的隐患类别"
    if isinstance(category, HazardCategory) and category.children.exists():
        errors["category"] = "请选择具体的隐患类别（末级）"
    street = data.get("street")
    if street is not None and getattr(street, "kind", None) != OrgKind.STREET:
        errors["street"] = "所属街道须为街道"
    owner = data.get("owner")
    if owner is not None and getattr(owner, "kind", None) not in OWNER_KINDS:
        errors["owner"] = "行业主管部门须为委办局、科室或街道"


def _normalize(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    site = data.get("site")
    if site is not None:
        # A site brings its unit, address and 街道 unless given explicitly.
        data["unit"] = data.get("unit") or site.unit
        data["address"] = data.get("address") or site.address
        data["street"] = data.get("street") or site.street
        data["location"] = data.get("location") or site.name
        if not data.get("unit_name") and site.unit is None:
            data["unit_name"] = site.name
    unit = data.get("unit")
    if unit is not None:
        data.setdefault("unit_name", unit.name)
        data["unit_name"] = data.get("unit_name") or unit.name
        data["unit_uscc"] = data.get("unit_uscc") or (unit.uscc or "")
        data["address"] = data.get("address") or unit.address
        data["street"] = data.get("street") or unit.street
    data["unit_uscc"] = (data.get("unit_uscc") or "").strip().upper()
    for key in (
        "title",
        "description",
        "location",
        "requirement",
        "unit_name",
        "address",
        "responsible_person",
        "responsible_phone",
        "finder_name",
    ):
        if key in data and isinstance(data[key], str):
            data[key] = data[key].strip()
    if data.get("deadline_kind") == DeadlineKind.IMMEDIATE and data.get("found_on"):
        data["deadline"] = data["found_on"]
    return data


def _link_registered_unit(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """A hazard entered with a free-text 责任单位 whose 统一社会信用代码 is that
    of a registered unit the actor can see is linked to it (so the unit's
    企业用户 sees it and it reaches 一企一档). A unit the actor cannot see is
    never linked: the hazard stays free text, so the result does not reveal
    whether the code is registered."""
    uscc = data.get("unit_uscc") or ""
    if data.get("unit") is not None or not uscc or uscc_problem(uscc):
        return data
    unit = Unit.objects.restrict(actor, "view").filter(uscc=uscc).first()
    if unit is None:
        return data
    return _normalize({**data, "unit": unit})


def _next_code(year: int) -> str:
    sequence, _ = HazardCodeSequence.objects.select_for_update().get_or_create(year=year)
    HazardCodeSequence.objects.filter(pk=year).update(last=F("last") + 1)
    sequence.refresh_from_db()
    return f"YH-{year}-{sequence.last:06d}"


def find_duplicates(
    *,
    actor: User,
    unit: Unit | None,
    unit_name: str,
    unit_uscc: str,
    category: HazardCategory,
    description: str,
    exclude_pk: int | None = None,
    site=None,
) -> list[Hazard]:
    """Open hazards of the same site (or unit) and category whose text is
    similar, among those ``actor`` may see: a hazard out of the actor's scope
    is never named (nor its existence hinted at) — the new one is then
    simply recorded, like any other."""
    qs = Hazard.objects.restrict(actor, "view").open().filter(category=category)
    if site is not None:
        qs = qs.filter(site=site)
    elif unit is not None:
        qs = qs.filter(unit=unit)
    elif unit_uscc:
        qs = qs.filter(unit_uscc=unit_uscc)
    else:
        qs = qs.filter(unit_name=unit_name.strip())
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    found = []
    for candidate in qs.only("pk", "code", "title", "description", "status")[:50]:
        text = f"{candidate.title} {candidate.description}"
        if difflib.SequenceMatcher(None, text, description).ratio() >= DUPLICATE_SIMILARITY or (
            candidate.description.strip() and candidate.description.strip() in description
        ):
            found.append(candidate)
    return found


@service("hazard.create")
def hazard_create(
    *,
    actor: User,
    data: dict[str, Any],
    before_files: Sequence = (),
    allow_duplicate: bool = False,
    notify_owner: bool = True,
) -> Hazard:
    """上账: put a hazard on the ledger (status 待确认)."""
    data = _link_registered_unit(actor, _normalize(data))
    data.setdefault("level", HazardLevel.GENERAL)
    data.setdefault("difficulty", Difficulty.EASY)
    data.setdefault("deadline_kind", DeadlineKind.DATE)
    errors = _validate(data, creating=True)
    if errors:
        raise ValidationFailed("隐患信息有误：" + "；".join(errors.values()), details=errors)
    require(
        access.can_create_for(actor, data["owner"], data.get("unit"), data.get("street")),
        "您不能为该主管部门、街道或单位登记隐患",
    )
    if not allow_duplicate:
        duplicates = find_duplicates(
            actor=actor,
            site=data.get("site"),
            unit=data.get("unit"),
            unit_name=data["unit_name"],
            unit_uscc=data["unit_uscc"],
            category=data["category"],
            description=f"{data['title']} {data['description']}",
        )
        if duplicates:
            raise PossibleDuplicate(
                "该单位已有同类未销号隐患，内容相近，请确认是否为重复发现",
                details=[
                    {"id": h.pk, "code": h.code, "title": h.title, "status": h.get_status_display()} for h in duplicates
                ],
            )
    stored = store_uploads(list(before_files)) if before_files else []
    fields = {k: v for k, v in data.items() if k in {f.name for f in Hazard._meta.fields}}
    hazard = Hazard(**fields)
    hazard.is_stock = hazard.found_on <= STOCK_CUTOFF
    hazard.status = HazardStatus.PENDING
    hazard.created_by = actor
    if hazard.finder_id is None and not hazard.finder_name:
        hazard.finder = actor
    hazard.code = _next_code(hazard.found_on.year)
    hazard.save()
    _attach_evidence(hazard, before_files, stored, phase=EvidencePhase.BEFORE, actor=actor)
    audit_record(action="hazard.create", actor=actor, obj=hazard, after=snapshot(hazard, TRACKED_FIELDS))
    if notify_owner:
        transaction.on_commit(
            lambda: notify.notify(
                who_may(hazard, notify.recipients_in(hazard.owner), "confirm"),
                title=f"新隐患待确认：{hazard.code} {hazard.title}",
                body=f"{hazard.unit_name}；来源：{hazard.get_source_display()}",
                url=hazard_url(hazard),
                kind="hazard.create",
                exclude=actor,
                target=hazard,
            )
        )
    return hazard


@service("hazard.update")
def hazard_update(*, actor: User, hazard: Hazard, data: dict[str, Any], reason: str = "") -> Hazard:
    """Correct a hazard's details (before it is submitted for verification)."""
    hazard = _lock(hazard)
    require(access.can_edit(actor, hazard), "只有主管部门或区安委办可以修改隐患信息")
    if hazard.status not in (HazardStatus.PENDING, HazardStatus.RECTIFYING):
        raise ConflictError(f"“{hazard.get_status_display()}”的隐患不能修改", code="invalid_transition")
    merged = {f: getattr(hazard, f) for f in EDITABLE_FIELDS}
    merged.update({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    merged = _link_registered_unit(actor, _normalize(merged))
    errors = _validate(merged, creating=False)
    if hazard.status == HazardStatus.RECTIFYING and merged.get("deadline") is None:
        errors["deadline"] = "整改中的隐患须有整改时限"
    elif "deadline" not in errors and (problem := deadline_before_plan_finish(hazard, merged.get("deadline"))):
        errors["deadline"] = problem
    if errors:
        raise ValidationFailed("隐患信息有误：" + "；".join(errors.values()), details=errors)
    if merged["owner"] != hazard.owner:
        raise ValidationFailed("更换主管部门请使用“移交”", details={"owner": "更换主管部门请使用“移交”"})
    before = snapshot(hazard, TRACKED_FIELDS)
    for key, value in merged.items():
        setattr(hazard, key, value)
    hazard.is_stock = hazard.found_on <= STOCK_CUTOFF
    hazard.version += 1
    hazard.save()
    audit_record(
        action="hazard.update",
        actor=actor,
        obj=hazard,
        before=before,
        after=snapshot(hazard, TRACKED_FIELDS),
        reason=reason,
    )
    return hazard


@service("hazard.link_duplicate")
def hazard_link_duplicate(*, actor: User, hazard: Hazard, text: str) -> HazardNote:
    """Record a repeated sighting on an open hazard instead of a new entry."""
    hazard = _lock(hazard)
    require(access.can_link_duplicate(actor, hazard))
    if not hazard.is_open:
        raise ConflictError("该隐患已关闭，请新建隐患", code="invalid_transition")
    if not text.strip():
        raise ValidationFailed("请填写本次发现的情况", details={"text": "请填写本次发现的情况"})
    note = HazardNote.objects.create(hazard=hazard, kind=NoteKind.DUPLICATE, text=text.strip(), author=actor)
    audit_record(action="hazard.link_duplicate", actor=actor, obj=hazard, after={"note": note.text})
    return note


@service("hazard.note")
def hazard_add_note(*, actor: User, hazard: Hazard, text: str) -> HazardNote:
    hazard = _lock(hazard)
    require(access.is_party(actor, hazard), "您不是该隐患的相关方")
    if not text.strip():
        raise ValidationFailed("请填写内容", details={"text": "请填写内容"})
    note = HazardNote.objects.create(hazard=hazard, kind=NoteKind.NOTE, text=text.strip(), author=actor)
    audit_record(action="hazard.note", actor=actor, obj=hazard, after={"note": note.text})
    return note


@service("hazard.add_evidence")
def hazard_add_evidence(*, actor: User, hazard: Hazard, phase: str, files: Sequence) -> list[HazardEvidence]:
    hazard = _lock(hazard)
    require(access.is_party(actor, hazard), "您不是该隐患的相关方")
    if phase not in EvidencePhase.values:
        raise ValidationFailed("材料阶段无效", details={"phase": "无效"})
    if not hazard.is_open:
        raise ConflictError("已关闭的隐患不能再添加材料", code="invalid_transition")
    if not files:
        raise ValidationFailed("请选择文件", details={"files": "请选择文件"})
    stored = store_uploads(list(files))
    links = _attach_evidence(hazard, files, stored, phase=phase, actor=actor)
    audit_record(
        action="hazard.add_evidence",
        actor=actor,
        obj=hazard,
        after={"phase": phase, "files": [link.original_name for link in links]},
    )
    return links


@service("hazard.assign")
def hazard_assign(*, actor: User, hazards: Sequence[Hazard], assignee: User | None) -> int:
    """批量指定经办人. All or nothing: a hazard the actor may not manage
    refuses the whole batch."""
    if assignee is not None and not assignee.is_active:
        raise ValidationFailed("经办人账号已停用", details={"assignee": "经办人账号已停用"})
    locked = list(
        Hazard.objects.select_for_update(of=("self",))
        .select_related("owner", "pending_owner")
        .filter(pk__in=[h.pk for h in hazards])
    )
    if not locked:
        raise ValidationFailed("请选择隐患", details={"hazards": "请选择隐患"})
    for hazard in locked:
        require(access.can_assign(actor, hazard), f"您不能为隐患 {hazard.code} 指定经办人")
        if assignee is not None and not access.can_be_assignee(assignee, hazard):
            raise ValidationFailed(
                f"{assignee} 不属于隐患 {hazard.code} 的主管部门或属地街道",
                details={"assignee": "经办人须为主管部门或属地街道人员"},
            )
    for hazard in locked:
        before = snapshot(hazard, ["assignee"])
        hazard.assignee = assignee
        hazard.version += 1
        hazard.save(update_fields=["assignee", "version"])
        audit_record(
            action="hazard.assign", actor=actor, obj=hazard, before=before, after=snapshot(hazard, ["assignee"])
        )
    if assignee is not None:
        transaction.on_commit(
            lambda: notify.notify(
                [assignee],
                title=f"您被指定为 {len(locked)} 条隐患的经办人",
                url=reverse("hazards:list") + "?mine=1",
                kind="hazard.assign",
                exclude=actor,
            )
        )
    return len(locked)
