"""The figures equal a recount done by hand, for several scopes and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.figures import hazard_figures
from zhiben.hazards.models import Hazard

pytestmark = pytest.mark.django_db


def recount(user, as_of: dt.date) -> dict:
    """Figures computed the slow, obvious way in Python."""
    end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    rows = [h for h in Hazard.objects.restrict(user) if h.found_on <= as_of]
    closed = [h for h in rows if h.closed_at and h.closed_at < end]
    voided = [h for h in rows if h.voided_at and h.voided_at < end and h not in closed]
    open_ = [h for h in rows if h not in closed and h not in voided]
    major = [h for h in rows if h.level == "major"]
    year = as_of.year
    return {
        "total": len(rows),
        "closed": len(closed),
        "voided": len(voided),
        "open": len(open_),
        "overdue": len([h for h in open_ if h.deadline and h.deadline < as_of]),
        "major_stock_remaining": len([h for h in major if h.is_stock and h in open_]),
        "major_increment_found": len(
            [h for h in major if not h.is_stock and h.found_on.year == year and h not in voided]
        ),
        "major_increment_closed": len([h for h in major if not h.is_stock and h.found_on.year == year and h in closed]),
        "by_department": {(h.owner_id) for h in open_},
    }


def check(user, as_of):
    figures = hazard_figures(user, as_of)
    expected = recount(user, as_of)
    for key, value in expected.items():
        if key == "by_department":
            assert {row["organization_id"] for row in figures.by_department} == value
        else:
            assert getattr(figures, key) == value, key
    assert sum(r["open"] for r in figures.by_department) == figures.open
    assert sum(r["open"] for r in figures.by_street) == figures.open
    assert sum(r["overdue"] for r in figures.by_department) == figures.overdue
    return figures


def test_figures_match_a_recount(users, orgs, drive):
    today = timezone.localdate()
    drive(HazardStatus.CLOSED, level="major", found_on=dt.date(2023, 5, 1), description="存量已销号")
    drive(HazardStatus.RECTIFYING, level="major", found_on=dt.date(2023, 8, 1), description="存量未销号")
    drive(HazardStatus.PENDING, level="major", found_on=dt.date(today.year, 2, 1), description="今年新增")
    drive(HazardStatus.CLOSED, level="major", found_on=dt.date(today.year, 3, 1), description="今年新增已销号")
    drive(HazardStatus.VOID, found_on=dt.date(today.year, 3, 2), description="作废")
    overdue = drive(
        HazardStatus.RECTIFYING,
        found_on=dt.date(today.year, 1, 5),
        description="逾期",
        owner=orgs["hk-swj-scglk"],
        street=orgs["hk-bwt"],
    )
    Hazard.objects.filter(pk=overdue.pk).update(deadline=today - dt.timedelta(days=3))
    drive(
        HazardStatus.AWAITING_VERIFICATION,
        found_on=dt.date(2024, 4, 1),
        description="待验收",
        owner=orgs["hk-jgw"],
        unit=None,
        unit_name="工地",
        street=orgs["hk-jwz"],
    )

    figures = check(users["admin"], today)
    assert figures.major_stock_remaining == 1
    assert figures.major_increment_found == 2 and figures.major_increment_closed == 1
    assert figures.overdue == 1 and figures.voided == 1
    assert figures.rectification_rate == round(100 * figures.closed / (figures.total - figures.voided), 1)
    # department scope: 区商务委 sees its own subtree only
    officer = check(users["officer"], today)
    assert officer.total == figures.total - 1
    # as of an earlier day, later discoveries do not count
    past = check(users["admin"], dt.date(2024, 12, 31))
    assert past.total == 3
    # the enterprise sees its own unit's figures
    check(users["enterprise"], today)


def test_rate_is_none_without_hazards(users):
    assert hazard_figures(users["admin"]).rectification_rate is None


def test_closing_moves_a_hazard_between_the_figures(users, drive):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION, level="major", found_on=dt.date(2023, 1, 10))
    before = hazard_figures(users["admin"])
    services.hazard_verify_pass(actor=users["leader"], hazard=hazard, note="合格")
    after = hazard_figures(users["admin"])
    assert (before.major_stock_remaining, after.major_stock_remaining) == (1, 0)
    assert after.closed == before.closed + 1
