"""Service functions of the hazard ledger: every change of a hazard goes
through one of these (see docs/architecture.md for the pattern)."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ServiceError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import uscc_problem
from zhiben.files.services import store_uploads
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User
from zhiben.registry.models import Sector, Unit

from . import workflow
from .choices import (
    STOCK_CUTOFF,
    DeadlineKind,
    Difficulty,
    EvidencePhase,
    HazardLevel,
    HazardSource,
    HazardStatus,
    NoteKind,
    RecheckResult,
    SupervisionKind,
    SupervisionLevel,
    TransferStatus,
)
from .models import (
    TEXT_MAX_LENGTH,
    GovernancePlan,
    Hazard,
    HazardCategory,
    HazardCodeSequence,
    HazardEvidence,
    HazardNote,
    RecheckBatch,
    RecheckItem,
    Supervision,
    SupervisionFeedback,
    Transfer,
)

TRACKED_FIELDS = [
    "status",
    "sector",
    "category",
    "level",
    "source",
    "difficulty",
    "found_on",
    "title",
    "description",
    "location",
    "requirement",
    "deadline_kind",
    "deadline",
    "site",
    "unit",
    "unit_name",
    "unit_uscc",
    "address",
    "responsible_person",
    "responsible_phone",
    "street",
    "owner",
    "assignee",
    "rectification_note",
    "verified_by",
    "closed_at",
    "voided_at",
    "reopen_count",
    "pending_owner",
]
EDITABLE_FIELDS = [
    "sector",
    "category",
    "level",
    "source",
    "difficulty",
    "found_on",
    "finder_name",
    "title",
    "description",
    "location",
    "requirement",
    "deadline_kind",
    "deadline",
    "site",
    "unit",
    "unit_name",
    "unit_uscc",
    "address",
    "responsible_person",
    "responsible_phone",
    "street",
    "owner",
]
OWNER_KINDS = {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET, OrgKind.DISTRICT}
DUPLICATE_SIMILARITY = 0.6


class PossibleDuplicate(ServiceError):
    """The new hazard looks like an open one; ``details`` lists them. The
    caller may link the finding to one of them or create anyway."""

    status = 409
    default_code = "possible_duplicate"


def hazard_url(hazard: Hazard) -> str:
    return reverse("hazards:detail", args=[hazard.pk])


# --- Creating and editing ---------------------------------------------------------------------


def can_create_for(actor: User, owner: Organization, unit: Unit | None, street: Organization | None) -> bool:
    """Who may put a hazard on the ledger: the district office; the owning
    department's staff; the 街道 for hazards in its territory; third-party
    experts for the department that commissioned them; an enterprise for its
    own unit (自查)."""
    if actor.is_district_admin:
        return True
    for m in actor.active_memberships():
        if m.role in (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.EXPERT) and owner.path.startswith(m.organization.path):
            return True
        if m.role == Role.STREET_OFFICER and street is not None and street.pk == m.organization_id:
            return True
        if m.role == Role.ENTERPRISE and unit is not None and unit.pk == m.unit_id:
            return True
    return False


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


def _text_too_long(label: str, field: str, value: str | None) -> None:
    if value and len(value) > TEXT_MAX_LENGTH:
        message = f"{label}不能超过 {TEXT_MAX_LENGTH} 个字符（当前 {len(value)} 个）"
        raise ValidationFailed(message, details={field: message})


def _validate(data: dict[str, Any], *, creating: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
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
    if data.get("level") not in HazardLevel.values:
        errors["level"] = "隐患等级无效"
    if data.get("source") not in HazardSource.values:
        errors["source"] = "来源无效"
    if data.get("difficulty") not in Difficulty.values:
        errors["difficulty"] = "整改难度无效"
    if data.get("deadline_kind") not in DeadlineKind.values:
        errors["deadline_kind"] = "整改时限类型无效"
    found_on = data.get("found_on")
    if isinstance(found_on, dt.date) and found_on > today:
        errors["found_on"] = "发现日期不能晚于今天"
    deadline = data.get("deadline")
    if isinstance(deadline, dt.date) and isinstance(found_on, dt.date) and deadline < found_on:
        errors["deadline"] = "整改时限不能早于发现日期"
    uscc = (data.get("unit_uscc") or "").strip().upper()
    if uscc:
        problem = uscc_problem(uscc)
        if problem:
            errors["unit_uscc"] = problem
    errors.update(length_errors(Hazard, data))
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
    return errors


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


def _attach_evidence(hazard: Hazard, uploads, stored, *, phase: str, actor: User) -> list[HazardEvidence]:
    """Link stored files (``files.store_uploads``) to the hazard as evidence of ``phase``."""
    return [
        HazardEvidence.objects.create(
            hazard=hazard, file=stored_file, phase=phase, original_name=upload.name[:255], uploaded_by=actor
        )
        for upload, stored_file in zip(uploads, stored, strict=True)
    ]


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
        can_create_for(actor, data["owner"], data.get("unit"), data.get("street")),
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
    parties = workflow.parties(actor, hazard)
    require(
        bool(parties & {workflow.Party.ADMIN, workflow.Party.OWNER_STAFF}), "只有主管部门或区安委办可以修改隐患信息"
    )
    if hazard.status not in (HazardStatus.PENDING, HazardStatus.RECTIFYING):
        raise ConflictError(f"“{hazard.get_status_display()}”的隐患不能修改", code="invalid_transition")
    merged = {f: getattr(hazard, f) for f in EDITABLE_FIELDS}
    merged.update({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    merged = _link_registered_unit(actor, _normalize(merged))
    errors = _validate(merged, creating=False)
    if hazard.status == HazardStatus.RECTIFYING and merged.get("deadline") is None:
        errors["deadline"] = "整改中的隐患须有整改时限"
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
    require(bool(workflow.parties(actor, hazard)) or can_create_for(actor, hazard.owner, hazard.unit, hazard.street))
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
    require(bool(workflow.parties(actor, hazard)), "您不是该隐患的相关方")
    if not text.strip():
        raise ValidationFailed("请填写内容", details={"text": "请填写内容"})
    note = HazardNote.objects.create(hazard=hazard, kind=NoteKind.NOTE, text=text.strip(), author=actor)
    audit_record(action="hazard.note", actor=actor, obj=hazard, after={"note": note.text})
    return note


@service("hazard.add_evidence")
def hazard_add_evidence(*, actor: User, hazard: Hazard, phase: str, files: Sequence) -> list[HazardEvidence]:
    hazard = _lock(hazard)
    require(bool(workflow.parties(actor, hazard)), "您不是该隐患的相关方")
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
        parties = workflow.parties(actor, hazard)
        require(
            bool(parties & {workflow.Party.ADMIN, workflow.Party.OWNER_STAFF}), f"您不能为隐患 {hazard.code} 指定经办人"
        )
        if assignee is not None and not workflow.parties(assignee, hazard) & {
            workflow.Party.ADMIN,
            workflow.Party.OWNER_STAFF,
            workflow.Party.STREET,
        }:
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


# --- Transitions --------------------------------------------------------------------------------


def _lock(hazard: Hazard | int) -> Hazard:
    pk = hazard if isinstance(hazard, int) else hazard.pk
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
    locked = (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("owner", "street", "unit", "pending_owner")
        .get(pk=pk)
    )
    locked._pending_transfer = (
        Transfer.objects.select_related("to_org").filter(hazard=locked, status=TransferStatus.PENDING).first()
    )
    return locked


def _run_transition(
    name: str,
    *,
    actor: User,
    hazard: Hazard | int,
    reason: str = "",
    expected_version: int | None = None,
    mutate: Callable[[Hazard], dict | None] | None = None,
    action: str | None = None,
) -> Hazard:
    """Lock, check (state, right, guard), apply, audit once."""
    transition = workflow.TRANSITIONS[name]
    hazard = _lock(hazard)
    if expected_version is not None and expected_version != hazard.version:
        raise ConflictError("该隐患已被他人更新，请刷新后重试", code="stale_version")
    allowed, code, message = workflow.check(transition, actor, hazard)
    if not allowed:
        if code == "permission_denied":
            raise ConflictError(message, code="transition_not_permitted")
        raise ConflictError(message, code=code)
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed(f"{transition.label}须填写原因", details={"reason": "请填写原因"})
    _text_too_long("原因", "reason", reason)
    before = snapshot(hazard, TRACKED_FIELDS)
    hazard._previous_status = hazard.status
    if transition.target:
        hazard.status = transition.target
    extra = mutate(hazard) if mutate else None
    hazard.version += 1
    hazard.save()
    after = snapshot(hazard, TRACKED_FIELDS)
    if extra:
        after.update(extra)
    audit_record(
        action=action or f"hazard.{name}", actor=actor, obj=hazard, before=before, after=after, reason=reason or ""
    )
    return hazard


@service("hazard.confirm")
def hazard_confirm(
    *,
    actor: User,
    hazard: Hazard | int,
    requirement: str,
    deadline_kind: str,
    deadline: dt.date | None = None,
    difficulty: str | None = None,
    level: str | None = None,
    responsible_person: str | None = None,
    assignee: User | None = None,
    expected_version: int | None = None,
) -> Hazard:
    """确认上账: set 整改要求 and 整改时限 and start rectification."""
    errors: dict[str, str] = {}
    if not (requirement or "").strip():
        errors["requirement"] = "请填写整改要求"
    if deadline_kind not in DeadlineKind.values:
        errors["deadline_kind"] = "请选择整改时限类型"
    if deadline_kind == DeadlineKind.DATE and deadline is None:
        errors["deadline"] = "限期整改须填写整改时限"
    if difficulty is not None and difficulty not in Difficulty.values:
        errors["difficulty"] = "整改难度无效"
    if level is not None and level not in HazardLevel.values:
        errors["level"] = "隐患等级无效"
    if errors:
        raise ValidationFailed("确认信息有误：" + "；".join(errors.values()), details=errors)

    def mutate(h: Hazard) -> None:
        if deadline_kind == DeadlineKind.DATE and deadline < h.found_on:
            raise ValidationFailed("整改时限不能早于发现日期", details={"deadline": "整改时限不能早于发现日期"})
        h.requirement = requirement.strip()
        h.deadline_kind = deadline_kind
        h.deadline = timezone.localdate() if deadline_kind == DeadlineKind.IMMEDIATE else deadline
        if difficulty:
            h.difficulty = difficulty
        if level:
            h.level = level
        if responsible_person is not None:
            h.responsible_person = responsible_person.strip()
        if assignee is not None:
            h.assignee = assignee
        h.confirmed_at = timezone.now()

    hazard = _run_transition("confirm", actor=actor, hazard=hazard, expected_version=expected_version, mutate=mutate)
    _alert_on_difficulty(hazard, actor)
    return hazard


def _alert_on_difficulty(hazard: Hazard, actor: User) -> None:
    """较难: the department supervises; 难: the district office coordinates.
    Both are told when such a hazard starts rectification. The unit is always
    told what it must do."""

    def send():
        unit_users = (
            User.objects.filter(memberships__unit=hazard.unit, memberships__is_active=True, is_active=True)
            if hazard.unit_id
            else []
        )
        notify.notify(
            unit_users,
            title=f"请整改隐患 {hazard.code}：{hazard.title}",
            body=f"整改要求：{hazard.requirement}\n整改时限：{hazard.deadline}",
            url=hazard_url(hazard),
            kind="hazard.confirm",
            exclude=actor,
            target=hazard,
        )
        if hazard.difficulty in (Difficulty.HARD, Difficulty.VERY_HARD) or hazard.level == HazardLevel.MAJOR:
            leaders = notify.recipients_in(hazard.owner, roles=[Role.DEPT_LEADER])
            notify.notify(
                leaders,
                title=f"{hazard.get_difficulty_display()}隐患需督促整改：{hazard.code}",
                url=hazard_url(hazard),
                kind="hazard.difficulty",
                exclude=actor,
                target=hazard,
            )
        if hazard.difficulty == Difficulty.VERY_HARD or hazard.level == HazardLevel.MAJOR:
            notify.notify(
                notify.district_admins(),
                title=f"需区安委办协调：{hazard.code} {hazard.title}",
                body=f"{hazard.get_level_display()}，{hazard.get_difficulty_display()}，主管部门：{hazard.owner}",
                url=hazard_url(hazard),
                kind="hazard.difficulty",
                exclude=actor,
                target=hazard,
            )

    transaction.on_commit(send)


@service("hazard.submit")
def hazard_submit(
    *, actor: User, hazard: Hazard | int, note: str, files: Sequence = (), expected_version: int | None = None
) -> Hazard:
    """提交整改: rectification done, with after-evidence and a note. The
    actor is recorded as ``submitted_by`` and may not verify it."""
    if not (note or "").strip():
        raise ValidationFailed("请填写整改情况说明", details={"note": "请填写整改情况说明"})
    _text_too_long("整改情况", "note", note)
    stored = store_uploads(list(files)) if files else []

    def mutate(h: Hazard) -> dict:
        has_after = h.evidence.filter(phase=EvidencePhase.AFTER).exists()
        if not stored and not has_after:
            raise ValidationFailed("请上传整改后的照片或材料", details={"files": "请上传整改后的照片或材料"})
        _attach_evidence(h, files, stored, phase=EvidencePhase.AFTER, actor=actor)
        h.rectification_note = note.strip()
        h.submitted_at = timezone.now()
        h.submitted_by = actor
        return {"files": [u.name for u in files]}

    hazard = _run_transition("submit", actor=actor, hazard=hazard, expected_version=expected_version, mutate=mutate)
    transaction.on_commit(
        lambda: notify.notify(
            _verifiers(hazard),
            title=f"隐患待验收：{hazard.code} {hazard.title}",
            body=note.strip(),
            url=hazard_url(hazard),
            kind="hazard.submit",
            exclude=actor,
            target=hazard,
        )
    )
    return hazard


def _verifiers(hazard: Hazard) -> list[User]:
    """Who is told that a hazard awaits 验收: those who may verify it now."""
    if hazard.difficulty == Difficulty.VERY_HARD:
        candidates = notify.district_admins()
    elif hazard.level == HazardLevel.MAJOR:
        candidates = notify.recipients_in(hazard.owner, roles=[Role.DEPT_LEADER])
    else:
        candidates = notify.recipients_in(hazard.owner, roles=[Role.DEPT_LEADER, Role.DEPT_OFFICER])
    return who_may(hazard, candidates, "verify_pass")


def who_may(hazard: Hazard, users, transition: str | None = None) -> list[User]:
    """The users among ``users`` who can see ``hazard`` and, when
    ``transition`` is named, may make it now (the recipients of a
    notification asking them to act)."""
    chosen = []
    for user in {u.pk: u for u in users}.values():
        if not Hazard.objects.restrict(user, "view").filter(pk=hazard.pk).exists():
            continue
        if transition is not None and not workflow.check(workflow.TRANSITIONS[transition], user, hazard)[0]:
            continue
        chosen.append(user)
    return chosen


@service("hazard.verify_pass")
def hazard_verify_pass(*, actor: User, hazard: Hazard | int, note: str, expected_version: int | None = None) -> Hazard:
    """验收通过 → 已销号, with the 验收意见 (required). Not by whoever
    submitted the rectification (workflow guard). Active 督办 on the hazard
    end with it."""
    if not (note or "").strip():
        raise ValidationFailed("请填写验收意见", details={"note": "请填写验收意见"})
    _text_too_long("验收意见", "note", note)

    def mutate(h: Hazard) -> dict:
        h.closed_at = timezone.now()
        h.verified_by = actor
        h.verification_note = note.strip()
        h.self_verified = False
        ended = Supervision.objects.filter(hazard=h, is_active=True).update(is_active=False, closed_at=h.closed_at)
        return {"supervisions_ended": ended, "note": note.strip()}

    hazard = _run_transition(
        "verify_pass", actor=actor, hazard=hazard, reason=note, expected_version=expected_version, mutate=mutate
    )
    _notify_parties(hazard, actor, f"隐患已验收销号：{hazard.code}", "hazard.verify_pass")
    return hazard


@service("hazard.verify_fail")
def hazard_verify_fail(
    *, actor: User, hazard: Hazard | int, reason: str, expected_version: int | None = None
) -> Hazard:
    """验收不通过 → back to 整改中, with the reason."""

    def mutate(h: Hazard) -> None:
        h.submitted_at = None
        h.submitted_by = None

    hazard = _run_transition(
        "verify_fail", actor=actor, hazard=hazard, reason=reason, expected_version=expected_version, mutate=mutate
    )
    _notify_parties(hazard, actor, f"隐患验收不通过，请继续整改：{hazard.code}", "hazard.verify_fail", reason)
    return hazard


def _notify_parties(hazard: Hazard, actor: User, title: str, kind: str, body: str = "") -> None:
    def send():
        users = list(notify.recipients_in(hazard.owner))
        if hazard.unit_id:
            users += list(
                User.objects.filter(memberships__unit=hazard.unit, memberships__is_active=True, is_active=True)
            )
        if hazard.street_id:
            users += notify.recipients_in(hazard.street, roles=[Role.STREET_OFFICER])
        notify.notify(users, title=title, body=body, url=hazard_url(hazard), kind=kind, exclude=actor, target=hazard)

    transaction.on_commit(send)


@service("hazard.fix_on_spot")
def hazard_fix_on_spot(
    *,
    actor: User,
    hazard: Hazard | int,
    note: str,
    files: Sequence = (),
    requirement: str = "",
    expected_version: int | None = None,
) -> Hazard:
    """即查即改: a 一般 hazard rectified on the spot is closed by the person
    who found it (区安委办, the owner's staff or the 街道). An after-photo is
    required (uploaded now or already attached); the hazard is flagged
    ``self_verified`` so that 回头看 samples it first."""
    if not (note or "").strip():
        raise ValidationFailed("请填写现场整改情况", details={"note": "请填写现场整改情况"})
    _text_too_long("整改情况", "note", note)
    _text_too_long("整改要求", "requirement", requirement)
    stored = store_uploads(list(files)) if files else []
    if any(not f.is_image for f in stored):
        raise ValidationFailed("即查即改须上传整改后照片（图片）", details={"files": "请上传整改后照片"})

    def mutate(h: Hazard) -> dict:
        _attach_evidence(h, files, stored, phase=EvidencePhase.AFTER, actor=actor)
        if not h.evidence.filter(phase=EvidencePhase.AFTER, file__kind="image").exists():
            raise ValidationFailed("即查即改须上传整改后照片", details={"files": "请上传整改后照片"})
        now, today = timezone.now(), timezone.localdate()
        h.requirement = h.requirement or (requirement or "").strip() or "即查即改，当场整改"
        if h.deadline is None:
            h.deadline_kind, h.deadline = DeadlineKind.IMMEDIATE, max(today, h.found_on)
        h.confirmed_at = h.confirmed_at or now
        h.rectification_note = note.strip()
        h.submitted_at, h.submitted_by = now, actor
        h.closed_at, h.verified_by = now, actor
        h.verification_note = "即查即改，现场自行验收"
        h.self_verified = True
        ended = Supervision.objects.filter(hazard=h, is_active=True).update(is_active=False, closed_at=now)
        return {"files": [u.name for u in files], "self_verified": True, "supervisions_ended": ended}

    hazard = _run_transition(
        "fix_on_spot", actor=actor, hazard=hazard, expected_version=expected_version, mutate=mutate
    )
    _notify_parties(hazard, actor, f"隐患已即查即改销号：{hazard.code}", "hazard.fix_on_spot")
    return hazard


@service("hazard.transfer")
def hazard_transfer(
    *, actor: User, hazard: Hazard | int, to_org: Organization, reason: str, expected_version: int | None = None
) -> Transfer:
    """移交: offer the hazard to another department (抄告 it)."""
    if to_org.kind not in OWNER_KINDS or to_org.kind == OrgKind.DISTRICT:
        raise ValidationFailed("只能移交给委办局、科室或街道", details={"to_org": "只能移交给委办局、科室或街道"})
    created: dict[str, Transfer] = {}

    def mutate(h: Hazard) -> dict:
        if to_org.pk == h.owner_id:
            raise ValidationFailed("不能移交给当前主管部门", details={"to_org": "不能移交给当前主管部门"})
        h.pending_owner = to_org
        created["t"] = Transfer.objects.create(
            hazard=h,
            from_org=h.owner,
            to_org=to_org,
            reason=reason.strip(),
            previous_status=h._previous_status,
            requested_by=actor,
        )
        return {"transfer_to": to_org.pk}

    hazard = _run_transition(
        "transfer", actor=actor, hazard=hazard, reason=reason, expected_version=expected_version, mutate=mutate
    )
    transfer = created["t"]
    transaction.on_commit(
        lambda: notify.notify(
            who_may(
                hazard,
                notify.recipients_in(to_org, roles=[Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER]),
                "transfer_accept",
            ),
            title=f"抄告：{transfer.from_org} 移交隐患 {hazard.code}，请接收或退回",
            body=reason.strip(),
            url=hazard_url(hazard),
            kind="hazard.transfer",
            exclude=actor,
            target=hazard,
        )
    )
    return transfer


@service("hazard.transfer_accept")
def hazard_transfer_accept(*, actor: User, hazard: Hazard | int, expected_version: int | None = None) -> Hazard:
    """接收移交: ownership moves; the hazard returns to its state before."""

    def mutate(h: Hazard) -> dict:
        transfer = h._pending_transfer
        h.status = transfer.previous_status
        h.owner = transfer.to_org
        h.pending_owner = None
        h.assignee = None
        transfer.status = TransferStatus.ACCEPTED
        transfer.decided_by, transfer.decided_at = actor, timezone.now()
        transfer.save()
        return {"transfer": transfer.pk}

    hazard = _run_transition(
        "transfer_accept", actor=actor, hazard=hazard, expected_version=expected_version, mutate=mutate
    )
    transfer = hazard.transfers.order_by("-requested_at").first()
    transaction.on_commit(
        lambda: _notify_sender(hazard, transfer, actor, f"{transfer.to_org} 已接收移交的隐患 {hazard.code}", "")
    )
    return hazard


def _notify_sender(hazard: Hazard, transfer: Transfer, actor: User, title: str, body: str) -> None:
    """Tell the department that offered a 移交 what became of it: with a link
    for those who still see the hazard, without one for those who no longer
    do (it was theirs, so its code is no news to them)."""
    senders = notify.recipients_in(transfer.from_org)
    seeing = who_may(hazard, senders)
    kind = "hazard.transfer_accept" if transfer.status == TransferStatus.ACCEPTED else "hazard.transfer_return"
    notify.notify(seeing, title=title, body=body, url=hazard_url(hazard), kind=kind, exclude=actor, target=hazard)
    seeing_ids = {u.pk for u in seeing}
    notify.notify([u for u in senders if u.pk not in seeing_ids], title=title, body=body, kind=kind, exclude=actor)


@service("hazard.transfer_return")
def hazard_transfer_return(
    *, actor: User, hazard: Hazard | int, reason: str, expected_version: int | None = None
) -> Hazard:
    """退回移交: ownership stays; the reason goes back to the sender."""

    def mutate(h: Hazard) -> dict:
        transfer = h._pending_transfer
        h.status = transfer.previous_status
        h.pending_owner = None
        transfer.status = TransferStatus.RETURNED
        transfer.decided_by, transfer.decided_at = actor, timezone.now()
        transfer.return_reason = reason.strip()
        transfer.save()
        return {"transfer": transfer.pk}

    hazard = _run_transition(
        "transfer_return", actor=actor, hazard=hazard, reason=reason, expected_version=expected_version, mutate=mutate
    )
    transfer = hazard.transfers.order_by("-requested_at").first()
    transaction.on_commit(
        lambda: _notify_sender(
            hazard, transfer, actor, f"{transfer.to_org} 退回了移交的隐患 {hazard.code}", reason.strip()
        )
    )
    return hazard


@service("hazard.void")
def hazard_void(*, actor: User, hazard: Hazard | int, reason: str, expected_version: int | None = None) -> Hazard:
    """作废 (with a reason; 主管部门领导 or 区安委办 only)."""

    def mutate(h: Hazard) -> dict:
        h.voided_at = timezone.now()
        ended = Supervision.objects.filter(hazard=h, is_active=True).update(is_active=False, closed_at=h.voided_at)
        return {"supervisions_ended": ended}

    return _run_transition(
        "void", actor=actor, hazard=hazard, reason=reason, expected_version=expected_version, mutate=mutate
    )


def _reopen(h: Hazard) -> None:
    h.reopen_count += 1
    h.closed_at = None
    h.verified_by = None
    h.verification_note = ""
    h.self_verified = False
    h.submitted_at = None
    h.submitted_by = None
    h.deadline_kind = DeadlineKind.DATE
    h.deadline = max(h.deadline or timezone.localdate(), timezone.localdate())


@service("hazard.reopen")
def hazard_reopen(*, actor: User, hazard: Hazard | int, reason: str) -> Hazard:
    """回头看返潮: reopen a closed hazard (counts as 返潮)."""
    return _run_transition("reopen", actor=actor, hazard=hazard, reason=reason, mutate=lambda h: _reopen(h))


# --- 治理方案 --------------------------------------------------------------------------------------


@service("hazard.plan_save")
def governance_plan_save(*, actor: User, hazard: Hazard | int, parts: dict[str, str]) -> GovernancePlan:
    hazard = _lock(hazard)
    parties = workflow.parties(actor, hazard)
    require(
        bool(parties & {workflow.Party.ADMIN, workflow.Party.OWNER_STAFF, workflow.Party.UNIT}),
        "只有责任单位、主管部门或区安委办可以编制治理方案",
    )
    if hazard.level != HazardLevel.MAJOR:
        raise ConflictError("只有重大隐患需要编制治理方案", code="not_major")
    if not hazard.is_open:
        raise ConflictError("已关闭的隐患不能修改治理方案", code="invalid_transition")
    if hazard.status == HazardStatus.AWAITING_VERIFICATION:
        # The plan is what is being verified; it changes only after 验收不通过.
        raise ConflictError("隐患待验收期间不能修改治理方案", code="invalid_transition")
    plan, _ = GovernancePlan.objects.get_or_create(hazard=hazard)
    fields = [name for name, _ in GovernancePlan.PARTS]
    before = snapshot(plan, fields)
    for name in fields:
        if name in parts:
            setattr(plan, name, (parts[name] or "").strip())
    plan.updated_by = actor
    plan.save()
    audit_record(
        action="hazard.plan_save",
        actor=actor,
        obj=hazard,
        before=before,
        after={**snapshot(plan, fields), "complete": plan.is_complete},
    )
    return plan


# --- 督办 ------------------------------------------------------------------------------------------


@service("hazard.supervise")
def supervision_open(
    *,
    actor: User,
    hazard: Hazard | int,
    kind: str,
    deadline: dt.date,
    level: str = SupervisionLevel.DISTRICT,
    requirement: str = "",
) -> Supervision:
    """督办 / 挂牌督办 (区安委办)."""
    hazard = _lock(hazard)
    require(actor.is_district_admin, "督办、挂牌督办由区安委办发起")
    if kind not in SupervisionKind.values or level not in SupervisionLevel.values:
        raise ValidationFailed("督办方式或层级无效", details={"kind": "无效"})
    if kind == SupervisionKind.SUPERVISED and level != SupervisionLevel.DISTRICT:
        raise ValidationFailed("市级只有挂牌督办", details={"level": "市级只有挂牌督办"})
    if not hazard.is_open:
        raise ConflictError("已关闭的隐患不能督办", code="invalid_transition")
    if deadline is None or deadline < timezone.localdate():
        raise ValidationFailed("督办期限不能早于今天", details={"deadline": "督办期限不能早于今天"})
    if Supervision.objects.filter(hazard=hazard, is_active=True).exists():
        raise ConflictError("该隐患已在督办中，请先解除原督办", code="already_supervised")
    supervision = Supervision.objects.create(
        hazard=hazard, kind=kind, level=level, deadline=deadline, requirement=requirement.strip(), opened_by=actor
    )
    audit_record(
        action="hazard.supervise",
        actor=actor,
        obj=hazard,
        after={"kind": kind, "level": level, "deadline": deadline, "requirement": supervision.requirement},
    )
    transaction.on_commit(
        lambda: notify.notify(
            notify.recipients_in(hazard.owner),
            title=f"{supervision.get_level_display()}{supervision.get_kind_display()}：{hazard.code} {hazard.title}",
            body=f"督办期限：{deadline}\n{supervision.requirement}",
            url=hazard_url(hazard),
            kind="hazard.supervise",
            exclude=actor,
            target=hazard,
        )
    )
    return supervision


@service("hazard.supervision_feedback")
def supervision_feedback_add(*, actor: User, supervision: Supervision, text: str) -> SupervisionFeedback:
    hazard = _lock(supervision.hazard_id)
    require(bool(workflow.parties(actor, hazard)), "您不是该隐患的相关方")
    supervision = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if not supervision.is_active:
        raise ConflictError("该督办已解除", code="supervision_closed")
    if not (text or "").strip():
        raise ValidationFailed("请填写反馈内容", details={"text": "请填写反馈内容"})
    feedback = SupervisionFeedback.objects.create(supervision=supervision, text=text.strip(), author=actor)
    audit_record(
        action="hazard.supervision_feedback",
        actor=actor,
        obj=hazard,
        after={"supervision": supervision.pk, "text": feedback.text},
    )
    return feedback


@service("hazard.supervision_close")
def supervision_close(*, actor: User, supervision: Supervision, reason: str) -> Supervision:
    require(actor.is_district_admin, "解除督办由区安委办决定")
    supervision = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if not supervision.is_active:
        raise ConflictError("该督办已解除", code="supervision_closed")
    if not (reason or "").strip():
        raise ValidationFailed("请填写解除原因", details={"reason": "请填写解除原因"})
    supervision.is_active = False
    supervision.closed_at = timezone.now()
    supervision.save(update_fields=["is_active", "closed_at"])
    audit_record(
        action="hazard.supervision_close",
        actor=actor,
        obj=supervision.hazard,
        after={"supervision": supervision.pk},
        reason=reason,
    )
    return supervision


# --- 回头看 -----------------------------------------------------------------------------------------


def recheck_population(organization: Organization, start: dt.date, end: dt.date):
    """已销号 hazards owned by ``organization``'s subtree, closed in [start, end]."""
    return Hazard.objects.filter(
        status=HazardStatus.CLOSED,
        owner__path__startswith=organization.path,
        closed_at__date__gte=start,
        closed_at__date__lte=end,
    )


def default_seed(organization: Organization, start: dt.date, end: dt.date, percent: int) -> str:
    return f"{organization.code}:{start.isoformat()}:{end.isoformat()}:{percent}"


def draw_sample(ids: Sequence[int], percent: int, seed: str, first: Sequence[int] = ()) -> list[int]:
    """A reproducible sample: the same ids, percent and seed give the same
    draw. ``first`` (among ``ids``: the 即查即改 hazards, closed by whoever
    found them) fill the sample before the others: all of them when they fit,
    else a random part of them."""
    ordered = sorted(ids)
    if not ordered:
        return []
    size = min(max(1, math.ceil(len(ordered) * percent / 100)), len(ordered))
    rng = random.Random(seed)
    priority = sorted(set(first) & set(ordered))
    if len(priority) >= size:
        return sorted(rng.sample(priority, size)) if priority else []
    rest = sorted(set(ordered) - set(priority))
    return sorted(priority + rng.sample(rest, size - len(priority)))


@service("hazard.recheck_draw")
def recheck_draw(
    *,
    actor: User,
    organization: Organization,
    period_start: dt.date,
    period_end: dt.date,
    percent: int,
    seed: str | None = None,
) -> RecheckBatch:
    """回头看: draw a random, reproducible sample of closed hazards."""
    allowed = actor.is_district_admin or any(
        m.role == Role.DEPT_LEADER and organization.path.startswith(m.organization.path)
        for m in actor.active_memberships()
    )
    require(allowed, "回头看抽查由区安委办或部门领导发起")
    errors = {}
    if not 1 <= int(percent) <= 100:
        errors["percent"] = "抽查比例应为 1–100"
    if period_end < period_start:
        errors["period_end"] = "截止日期不能早于起始日期"
    if errors:
        raise ValidationFailed("抽查条件有误", details=errors)
    seed = (seed or "").strip() or default_seed(organization, period_start, period_end, percent)
    population = recheck_population(organization, period_start, period_end)
    ids = list(population.values_list("pk", flat=True))
    self_verified = list(population.filter(self_verified=True).values_list("pk", flat=True))
    chosen = draw_sample(ids, percent, seed, first=self_verified)
    batch = RecheckBatch.objects.create(
        organization=organization,
        period_start=period_start,
        period_end=period_end,
        percent=percent,
        seed=seed,
        population=len(ids),
        drawn_by=actor,
    )
    RecheckItem.objects.bulk_create([RecheckItem(batch=batch, hazard_id=pk) for pk in chosen])
    audit_record(
        action="hazard.recheck_draw",
        actor=actor,
        obj=batch,
        after={"population": len(ids), "sampled": chosen, "seed": seed, "percent": percent},
    )
    return batch


@service("hazard.recheck_record")
def recheck_record(*, actor: User, item: RecheckItem, passed: bool, note: str) -> RecheckItem:
    """Record a re-check; a failed one reopens the hazard (返潮) — the same
    hazard, so its whole history stays on one record."""
    item = RecheckItem.objects.select_for_update(of=("self",)).select_related("hazard").get(pk=item.pk)
    if item.result != RecheckResult.PENDING:
        raise ConflictError("该隐患已复查", code="already_checked")
    hazard = _lock(item.hazard_id)
    parties = workflow.parties(actor, hazard)
    require(bool(parties & workflow.TRANSITIONS["reopen"].who), "回头看复查由主管部门或区安委办进行")
    if not (note or "").strip():
        raise ValidationFailed("请填写复查情况", details={"note": "请填写复查情况"})
    item.result = RecheckResult.PASSED if passed else RecheckResult.FAILED
    item.note, item.checked_by, item.checked_at = note.strip(), actor, timezone.now()
    item.save()
    if passed:
        audit_record(action="hazard.recheck_pass", actor=actor, obj=hazard, after={"item": item.pk, "note": note})
        return item

    def mutate(h: Hazard) -> dict:
        _reopen(h)
        return {"recheck_item": item.pk}

    hazard = _run_transition("reopen", actor=actor, hazard=hazard, reason=note.strip(), mutate=mutate)
    _notify_parties(hazard, actor, f"回头看发现返潮，隐患重新整改：{hazard.code}", "hazard.reopen", note.strip())
    return item
