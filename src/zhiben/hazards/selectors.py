"""Scoped reads of the hazard ledger, used by its pages and API (access.py
says who sees what; every read here starts from ``visible_hazards`` or from
``get_scoped_or_404``).

The other read modules are selectors already and stay as they are:
``figures.py`` (统计: stock, increment, overdue, rates), ``search.py`` (the
text index behind the list's ``q``), ``panels.py`` (the 工作台 panel) and
``filters.py`` (the list's filters, shared by the pages, the API and the
Excel export).
"""

from __future__ import annotations

from django.db.models import Count, Prefetch

from zhiben.audit.models import AuditEvent
from zhiben.core.access import get_scoped_or_404

from .access import visible_hazards
from .choices import SupervisionKind
from .figures import hazard_figures
from .filters import HazardFilterSet, ordering_from
from .models import Hazard, RecheckBatch, Supervision

LIST_RELATED = ("category", "category__parent", "owner", "street", "sector", "assignee")
DETAIL_RELATED = (
    "category",
    "category__parent",
    "owner",
    "street",
    "sector",
    "unit",
    "assignee",
    "verified_by",
    "created_by",
    "finder",
    "pending_owner",
    "site__site_type",
)
# Refusals (越权访问被拒绝, 操作被拒绝) stay in the audit log; the 处理过程 shows what happened.
TIMELINE_HIDDEN_ACTIONS = ("access.denied", "transition.refused")


def filtered_hazards(user, params, order: str | None = None):
    """(filterset, queryset): the user's hazards narrowed by the list's
    filters (unfiltered when they are absent or invalid) and ordered."""
    filterset = HazardFilterSet(params or None, queryset=visible_hazards(user), user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.order_by(ordering_from(order), "-id")


def status_counts(qs) -> dict[str, int]:
    """How many of ``qs`` are in each status."""
    return dict(qs.order_by().values_list("status").annotate(n=Count("pk")))


def with_active_supervisions(qs):
    """A list's rows with their related rows and active 督办 (``active_supervisions``)."""
    return qs.select_related(*LIST_RELATED).prefetch_related(
        Prefetch("supervisions", queryset=Supervision.objects.filter(is_active=True), to_attr="active_supervisions")
    )


def hazard_for_detail(user, pk) -> Hazard:
    """The hazard with what its page shows; 404 (audited) out of scope."""
    hazard = get_scoped_or_404(Hazard, user, "view", pk=pk)
    return Hazard.objects.select_related(*DETAIL_RELATED).get(pk=hazard.pk)


def timeline(hazard: Hazard):
    """The 处理过程: the hazard's audit events, refusals left out."""
    return (
        AuditEvent.objects.filter(object_type="hazards.hazard", object_id=str(hazard.pk))
        .exclude(action__in=TIMELINE_HIDDEN_ACTIONS)
        .order_by("id")
    )


def listed_supervisions():
    """挂牌督办晾晒: every active listing (shown to every signed-in user)."""
    return (
        Supervision.objects.filter(is_active=True, kind=SupervisionKind.LISTED)
        .select_related("hazard", "hazard__owner", "hazard__street", "hazard__category")
        .order_by("deadline")
    )


def recheck_batches(user):
    """The 回头看 batches the user sees, with their sample size."""
    return (
        RecheckBatch.objects.restrict(user, "view")
        .select_related("organization", "drawn_by")
        .annotate(sampled=Count("items"))
    )


__all__ = [
    "filtered_hazards",
    "hazard_figures",
    "hazard_for_detail",
    "listed_supervisions",
    "recheck_batches",
    "status_counts",
    "timeline",
    "visible_hazards",
    "with_active_supervisions",
]
