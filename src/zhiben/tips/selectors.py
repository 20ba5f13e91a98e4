"""Scoped reads of the tips app, used by its pages and API (access.py says
who sees what; every function here starts from ``visible_tips``)."""

from __future__ import annotations

import datetime as dt

from zhiben.core.access import get_scoped_or_404

from .access import can_see_contact, visible_tips
from .forms import TipFilterSet
from .models import Tip

DETAIL_RELATED = ("routed_to", "street", "site", "unit", "hazard", "created_by", "decided_by", "replied_by")
LIST_RELATED = ("routed_to", "street", "site")


def filtered_tips(user, params, today: dt.date | None = None):
    """(filterset, queryset): the user's tips narrowed by the list's filters
    (unfiltered when the filters are absent or invalid)."""
    filterset = TipFilterSet(params or None, queryset=visible_tips(user), today=today)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs


def tip_for_detail(user, pk) -> Tip:
    """The tip with what its page shows; 404 (audited) out of scope."""
    tip = get_scoped_or_404(Tip, user, "view", pk=pk)
    return Tip.objects.select_related(*DETAIL_RELATED).get(pk=tip.pk)


def is_visible(user, pk) -> bool:
    """Whether the user still sees the tip (e.g. after transferring it away)."""
    return visible_tips(user).filter(pk=pk).exists()


def contact_for(user, tip: Tip) -> dict[str, str] | None:
    """The reporter's name and phone for a viewer allowed to see them, else None."""
    if not can_see_contact(user, tip):
        return None
    return {"name": tip.reporter_name, "phone": tip.reporter_phone}


__all__ = ["contact_for", "filtered_tips", "is_visible", "tip_for_detail", "visible_tips"]
