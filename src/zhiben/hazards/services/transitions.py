"""Workflow transitions of a hazard: confirm, submit, verify, fix on the
spot, transfer, void and reopen (workflow.py holds the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from zhiben.core.errors import ValidationFailed
from zhiben.core.services import service
from zhiben.files.services import store_uploads
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User

from ..choices import (
    DeadlineKind,
    Difficulty,
    EvidencePhase,
    HazardLevel,
    TransferStatus,
)
from ..models import (
    Hazard,
    Supervision,
    Transfer,
)
from ._common import (
    OWNER_KINDS,
    _attach_evidence,
    _notify_parties,
    _reopen,
    _run_transition,
    _text_too_long,
    deadline_before_plan_finish,
    hazard_url,
    who_may,
)

# --- Transitions --------------------------------------------------------------------------------


def hazard_transition(actor: User, hazard: Hazard | int, name: str, /, **data):
    """Make the transition ``name`` (a row of workflow.py) through its service:
    the one dispatcher behind the transition endpoints of the API and the
    page's action form. ``data`` are that service's keyword arguments."""
    return TRANSITION_SERVICES[name](actor=actor, hazard=hazard, **data)


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
        new_deadline = timezone.localdate() if deadline_kind == DeadlineKind.IMMEDIATE else deadline
        if problem := deadline_before_plan_finish(h, new_deadline):
            raise ValidationFailed(problem, details={"deadline": problem})
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


@service("hazard.reopen")
def hazard_reopen(*, actor: User, hazard: Hazard | int, reason: str) -> Hazard:
    """回头看返潮: reopen a closed hazard (counts as 返潮)."""
    return _run_transition("reopen", actor=actor, hazard=hazard, reason=reason, mutate=lambda h: _reopen(h))


# The service of each transition of workflow.py (reopen is 回头看's, recheck.py).
TRANSITION_SERVICES = {
    "confirm": hazard_confirm,
    "submit": hazard_submit,
    "verify_pass": hazard_verify_pass,
    "verify_fail": hazard_verify_fail,
    "fix_on_spot": hazard_fix_on_spot,
    "transfer": hazard_transfer,
    "transfer_accept": hazard_transfer_accept,
    "transfer_return": hazard_transfer_return,
    "void": hazard_void,
    "reopen": hazard_reopen,
}
