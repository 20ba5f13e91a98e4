"""治理方案 (governance plans) and 督办 (supervision) of a hazard."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.notify import services as notify
from zhiben.org.models import User

from .. import access
from ..choices import (
    HazardLevel,
    HazardStatus,
    SupervisionKind,
    SupervisionLevel,
)
from ..models import (
    GovernancePlan,
    Hazard,
    Supervision,
    SupervisionFeedback,
)
from ._common import (
    _lock,
    hazard_url,
)

# --- 治理方案 --------------------------------------------------------------------------------------


EARLIEST_PLAN_DATE = dt.date(2000, 1, 1)
LATEST_PLAN_DATE = dt.date(2100, 12, 31)


def _plan_dates(hazard: Hazard, start: dt.date | None, finish: dt.date | None) -> dict[str, str]:
    """What is wrong with the plan's 治理开始日期/计划完成日期 (field → message)."""
    errors: dict[str, str] = {}
    for field, label in GovernancePlan.DATES:
        value = start if field == "start_date" else finish
        if value is not None and not EARLIEST_PLAN_DATE <= value <= LATEST_PLAN_DATE:
            errors[field] = f"{label}应在 {EARLIEST_PLAN_DATE:%Y年%m月%d日} 至 {LATEST_PLAN_DATE:%Y年%m月%d日} 之间"
    if errors:
        return errors
    if start is not None and finish is not None and finish < start:
        errors["finish_date"] = f"计划完成日期（{finish:%Y年%m月%d日}）不能早于治理开始日期（{start:%Y年%m月%d日}）"
    elif finish is not None and hazard.deadline is not None and finish > hazard.deadline:
        errors["finish_date"] = (
            f"计划完成日期（{finish:%Y年%m月%d日}）晚于该隐患的整改时限（{hazard.deadline:%Y年%m月%d日}）："
            "治理方案须在整改时限内完成，请提前计划完成日期，或先调整整改时限"
        )
    return errors


@service("hazard.plan_save")
def governance_plan_save(*, actor: User, hazard: Hazard | int, parts: dict) -> GovernancePlan:
    """Save the 治理方案: ``parts`` maps the six text parts (``GovernancePlan.PARTS``)
    and the optional dates ``start_date``/``finish_date`` (``GovernancePlan.DATES``,
    a date or None) to their new values; what it does not name is left as it is."""
    hazard = _lock(hazard)
    require(access.can_plan(actor, hazard), "只有责任单位、主管部门或区安委办可以编制治理方案")
    if hazard.level != HazardLevel.MAJOR:
        raise ConflictError("只有重大隐患需要编制治理方案", code="not_major")
    if not hazard.is_open:
        raise ConflictError("已关闭的隐患不能修改治理方案", code="invalid_transition")
    if hazard.status == HazardStatus.AWAITING_VERIFICATION:
        # The plan is what is being verified; it changes only after 验收不通过.
        raise ConflictError("隐患待验收期间不能修改治理方案", code="invalid_transition")
    plan = GovernancePlan.objects.filter(hazard=hazard).first() or GovernancePlan(hazard=hazard)
    dates = {name: parts.get(name, getattr(plan, name)) for name, _ in GovernancePlan.DATES}
    errors = _plan_dates(hazard, dates["start_date"], dates["finish_date"])
    if errors:
        raise ValidationFailed("治理方案有误：" + "；".join(errors.values()), details=errors)
    fields = [name for name, _ in GovernancePlan.PARTS]
    before = snapshot(plan, [*fields, *dates])  # a new plan: all parts empty
    for name in fields:
        if name in parts:
            setattr(plan, name, (parts[name] or "").strip())
    for name, value in dates.items():
        setattr(plan, name, value)
    plan.updated_by = actor
    plan.save()
    audit_record(
        action="hazard.plan_save",
        actor=actor,
        obj=hazard,
        before=before,
        after={**snapshot(plan, [*fields, *dates]), "complete": plan.is_complete},
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
    require(access.can_supervise(actor), "督办、挂牌督办由区安委办发起")
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
    require(access.is_party(actor, hazard), "您不是该隐患的相关方")
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
    require(access.can_supervise(actor), "解除督办由区安委办决定")
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
