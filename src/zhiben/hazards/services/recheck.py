"""回头看 (recheck): drawing a sample of closed hazards and recording the
result of each recheck."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence

from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.access import subtree_q
from zhiben.org.models import Organization, User

from .. import access
from ..choices import (
    HazardStatus,
    RecheckResult,
)
from ..models import (
    Hazard,
    RecheckBatch,
    RecheckItem,
)
from ._common import (
    _lock,
    _notify_parties,
    _reopen,
    _run_transition,
)

# --- 回头看 -----------------------------------------------------------------------------------------


def recheck_population(organization: Organization, start: dt.date, end: dt.date):
    """已销号 hazards owned by ``organization``'s subtree, closed in [start, end]."""
    return Hazard.objects.filter(
        subtree_q("owner", organization),
        status=HazardStatus.CLOSED,
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
    require(access.can_draw_recheck(actor, organization), "回头看抽查由区安委办或部门领导发起")
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
    require(access.can_recheck(actor, hazard), "回头看复查由主管部门或区安委办进行")
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
