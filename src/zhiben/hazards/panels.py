"""The hazard panel of the 工作台: what needs the user's attention."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from zhiben.org.choices import Role

from .choices import HazardStatus
from .models import Hazard


def workspace_panel(request):
    user = request.user
    if not (user.is_district_admin or user.active_memberships()):
        return None
    today = timezone.localdate()
    mine = Hazard.objects.restrict(user, "view")
    counts = mine.aggregate(
        open=Count("pk", filter=~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
        overdue=Count("pk", filter=~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID]) & Q(deadline__lt=today)),
        pending=Count("pk", filter=Q(status=HazardStatus.PENDING)),
        awaiting=Count("pk", filter=Q(status=HazardStatus.AWAITING_VERIFICATION)),
        major_open=Count("pk", filter=Q(level="major") & ~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
        assigned=Count("pk", filter=Q(assignee=user) & ~Q(status__in=[HazardStatus.CLOSED, HazardStatus.VOID])),
    )
    paths = [m.organization.path for m in user.active_memberships() if m.role in (Role.DEPT_LEADER, Role.DEPT_OFFICER)]
    incoming = 0
    if paths:
        q = Q()
        for path in paths:
            q |= Q(pending_owner__path__startswith=path)
        incoming = Hazard.objects.filter(q, status=HazardStatus.TRANSFERRING).count()
    return "hazards/_workspace_panel.html", {**counts, "incoming": incoming}
