"""Names shared by the hazard service modules: tracked and editable fields,
the duplicate error, the hazard's URL, locking, the transition runner
and who is told about a hazard."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ServiceError, ValidationFailed
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import User

from .. import workflow
from ..choices import (
    DeadlineKind,
    TransferStatus,
)
from ..models import (
    TEXT_MAX_LENGTH,
    GovernancePlan,
    Hazard,
    HazardEvidence,
    Transfer,
)


def deadline_before_plan_finish(hazard: Hazard, deadline) -> str:
    """The message when a new 整改时限 would fall before the 治理方案's 计划完成日期 ("" when not):
    the plan must finish within the deadline (governance.governance_plan_save checks the other way)."""
    if deadline is None or hazard.pk is None:
        return ""
    finish = GovernancePlan.objects.filter(hazard=hazard).values_list("finish_date", flat=True).first()
    if finish is not None and finish > deadline:
        return (
            f"整改时限（{deadline:%Y年%m月%d日}）早于治理方案的计划完成日期（{finish:%Y年%m月%d日}）："
            "请先修改治理方案的计划完成日期"
        )
    return ""


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


def _text_too_long(label: str, field: str, value: str | None) -> None:
    if value and len(value) > TEXT_MAX_LENGTH:
        message = f"{label}不能超过 {TEXT_MAX_LENGTH} 个字符（当前 {len(value)} 个）"
        raise ValidationFailed(message, details={field: message})


def _attach_evidence(hazard: Hazard, uploads, stored, *, phase: str, actor: User) -> list[HazardEvidence]:
    """Link stored files (``files.store_uploads``) to the hazard as evidence of ``phase``."""
    return [
        HazardEvidence.objects.create(
            hazard=hazard, file=stored_file, phase=phase, original_name=upload.name[:255], uploaded_by=actor
        )
        for upload, stored_file in zip(uploads, stored, strict=True)
    ]


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
