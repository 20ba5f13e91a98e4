"""The hazard panel of the 工作台: what needs the user's attention."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from .access import incoming_transfers, visible_hazards
from .choices import HazardStatus


def workspace_panel(request):
    user = request.user
    if not (user.is_district_admin or user.active_memberships()):
        return None
    today = timezone.localdate()
    mine = visible_hazards(user)
    counts = mine.aggregate(
        open=Count("pk", filter=~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
        overdue=Count("pk", filter=~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID]) & Q(deadline__lt=today)),
        pending=Count("pk", filter=Q(status=HazardStatus.PENDING)),
        awaiting=Count("pk", filter=Q(status=HazardStatus.AWAITING_VERIFICATION)),
        major_open=Count("pk", filter=Q(level="major") & ~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
        assigned=Count("pk", filter=Q(assignee=user) & ~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
    )
    incoming = incoming_transfers(user).count()
    return "hazards/_workspace_panel.html", {**counts, "incoming": incoming}
