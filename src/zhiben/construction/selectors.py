"""Read-side helpers of the construction registers: the filtered lists of the pages,
the API and the exports, a project's registers, a point's series, the 重大隐患 of
construction sites. No writes."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from zhiben.hazards.access import visible_hazards
from zhiben.hazards.choices import HazardLevel, HazardStatus
from zhiben.hazards.models import Hazard
from zhiben.org.access import STAFF_ROLES, subtree_q
from zhiben.org.choices import Role
from zhiben.org.models import User
from zhiben.registry.models import Site

from .access import (
    manageable_projects,
    visible_cranes,
    visible_points,
    visible_projects,
    visible_works,
)
from .choices import WorkType
from .filters import CraneFilterSet, MajorHazardFilterSet, ProjectFilterSet, WorkFilterSet
from .models import SITE_TYPE, Crane, DangerousWork, PitMonitoringPoint, PitReading, ProjectInfo

MAX_SERIES = 2000  # readings shown on a point's page (the newest)


def _filtered(filterset_class, params, queryset, user, order):
    filterset = filterset_class(params or None, queryset=queryset, user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.order_by(*order)


def filter_projects(user, params) -> tuple[ProjectFilterSet, QuerySet[Site]]:
    qs = visible_projects(user).annotate(
        n_works=Count("dangerous_works", distinct=True), n_cranes=Count("cranes", distinct=True)
    )
    return _filtered(ProjectFilterSet, params, qs, user, ("name", "pk"))


def filter_works(user, params) -> tuple[WorkFilterSet, QuerySet[DangerousWork]]:
    return _filtered(WorkFilterSet, params, visible_works(user), user, ("site__name", "site_id", "name", "pk"))


def filter_cranes(user, params) -> tuple[CraneFilterSet, QuerySet[Crane]]:
    return _filtered(CraneFilterSet, params, visible_cranes(user), user, ("site__name", "site_id", "record_no", "pk"))


def major_hazards(user) -> QuerySet[Hazard]:
    """The 重大隐患 on construction sites that ``user`` sees (void ones left out)."""
    return (
        visible_hazards(user)
        .filter(level=HazardLevel.MAJOR, site__site_type__code=SITE_TYPE)
        .exclude(status=HazardStatus.VOID)
    )


def filter_major_hazards(user, params) -> tuple[MajorHazardFilterSet, QuerySet[Hazard]]:
    return _filtered(MajorHazardFilterSet, params, major_hazards(user), user, ("found_on", "pk"))


def project_info(site: Site) -> ProjectInfo | None:
    return ProjectInfo.objects.filter(site=site).prefetch_related("responsible").first()


def project_works(user, site: Site) -> QuerySet[DangerousWork]:
    return visible_works(user).filter(site=site).order_by("status", "name", "pk")


def project_cranes(user, site: Site) -> QuerySet[Crane]:
    return visible_cranes(user).filter(site=site).order_by("status", "record_no", "pk")


def work_points(user, work: DangerousWork) -> QuerySet[PitMonitoringPoint]:
    return (
        visible_points(user)
        .filter(work=work)
        .annotate(n_alarms=Count("readings", filter=Q(readings__alarm=True)))
        .order_by("code", "pk")
    )


def point_series(point: PitMonitoringPoint) -> list[PitReading]:
    """The point's newest ``MAX_SERIES`` readings, oldest first."""
    newest = list(point.readings.select_related("recorded_by").order_by("-measured_on")[:MAX_SERIES])
    return newest[::-1]


def pit_works(user) -> QuerySet[DangerousWork]:
    """The 基坑工程 whose points ``user`` may set (the form's choices)."""
    return DangerousWork.objects.filter(work_type=WorkType.PIT, site__in=manageable_projects(user)).order_by(
        "site__name", "name"
    )


def possible_recipients(site: Site) -> QuerySet[User]:
    """Who may be chosen as 监测预警接收人 of ``site`` (the form's choices): active staff of
    its owner's subtree, 街道经办人 of its 街道, 企业用户 of its unit (the service checks
    each can see the site)."""
    q = (
        subtree_q("memberships__organization", site.owner) & Q(memberships__role__in=STAFF_ROLES)
        if site.owner_id
        else Q(pk__in=[])
    )
    if site.street_id:
        q |= Q(memberships__organization_id=site.street_id, memberships__role=Role.STREET_OFFICER)
    if site.unit_id:
        q |= Q(memberships__unit_id=site.unit_id, memberships__role=Role.ENTERPRISE)
    return User.objects.filter(q, is_active=True, memberships__is_active=True).distinct().order_by("username")
