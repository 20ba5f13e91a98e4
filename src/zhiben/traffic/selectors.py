"""Scoped reads of 道路交通 for the pages, the API and the exports (never writes)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from .access import visible_listings, visible_road_spots, visible_school_plans, visible_schools
from .filters import BlackSpotFilterSet, SchoolPlanFilterSet
from .indicators import YearProgress, progress
from .models import BlackSpotListing, SchoolSafetyPlan, current_school_year


def filter_listings(user, params) -> tuple[BlackSpotFilterSet, QuerySet[BlackSpotListing]]:
    """The filter of ``params`` and the listings ``user`` sees that it selects (all visible
    ones while the filter is empty or invalid), newest year first."""
    filterset = BlackSpotFilterSet(params or None, queryset=visible_listings(user))
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.select_related("site", "site__street", "lead_org", "rectification").order_by(
        "-year", "site__name", "pk"
    )


def filter_school_plans(user, params) -> tuple[SchoolPlanFilterSet, QuerySet[SchoolSafetyPlan]]:
    filterset = SchoolPlanFilterSet(params or None, queryset=visible_school_plans(user))
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.select_related("site", "site__street").order_by("-school_year", "site__name", "pk")


def road_spots_for(user):
    """The road sites offered when listing a point, by name."""
    return visible_road_spots(user).select_related("street").order_by("name", "pk")


def schools_for(user):
    return visible_schools(user).select_related("street").order_by("name", "pk")


def school_coverage(user, today: dt.date) -> dict:
    """Schools ``user`` sees, how many have a plan for the current 学年, and those without."""
    year = current_school_year(today)
    schools = visible_schools(user)
    covered = SchoolSafetyPlan.objects.filter(school_year=year).values("site_id")
    total = schools.count()
    with_plan = schools.filter(pk__in=covered).count()
    return {
        "school_year": year,
        "total": total,
        "covered": with_plan,
        "without": schools.exclude(pk__in=covered).select_related("street").order_by("name", "pk"),
    }


def black_spot_progress(user, today: dt.date) -> list[YearProgress]:
    return progress(visible_listings(user), today)
