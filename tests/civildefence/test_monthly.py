"""人防工程月度检查: every filed work 在用 or 闲置 needs a finished inspection with the
checklist civil-defense-monthly dated within the month; month boundaries, other
checklists, drafts, other months and 报废 works do not count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.civildefence import selectors, services


def _month_ago(n: int) -> dt.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(n):
        first = selectors.previous_month(first)
    return first


@pytest.fixture
def past():
    """A month well in the past (three months ago): its first and last day."""
    first = _month_ago(3)
    return first, selectors.month_end(first)


def _row(coverage, filing):
    return next((r for r in coverage.rows if r.filing.pk == filing.pk), None)


def test_only_a_finished_check_with_the_checklist_inside_the_month_counts(works, gdb, make_filing, check, past):
    first, last = past
    filed_on = first - dt.timedelta(days=100)
    park = make_filing(works["park"], filed_on=filed_on)
    river = make_filing(works["river"], filing_no="HKRF-T-002", filed_on=filed_on)
    lane = make_filing(works["lane"], filing_no="HKRF-T-003", filed_on=filed_on, state="idle", user_name="")
    check(works["park"], first)  # first day: counts
    check(works["river"], first - dt.timedelta(days=1))  # previous month's last day: no
    check(works["river"], last + dt.timedelta(days=1))  # next month's first day: no
    check(works["river"], first + dt.timedelta(days=5), finish=False)  # still 检查中: no
    check(works["river"], first + dt.timedelta(days=6), checklist="gb35181-2017")  # another checklist: no
    check(works["lane"], last)  # last day: counts (闲置 works are due too)
    coverage = selectors.monthly_coverage(gdb["officer"], first, timezone.localdate())
    assert (coverage.done, coverage.total) == (2, 3)
    assert _row(coverage, park).done and _row(coverage, lane).done and not _row(coverage, river).done
    assert [c["inspected_on"] for c in _row(coverage, park).checks] == [first]
    # the next month sees river's check of its first day, and nothing else
    after = selectors.monthly_coverage(gdb["officer"], selectors.next_month(first), timezone.localdate())
    assert {r.filing.pk for r in after.rows if r.done} == {river.pk}


def test_a_work_filed_after_the_month_is_not_due(works, gdb, make_filing, past):
    first, last = past
    make_filing(works["park"], filed_on=last + dt.timedelta(days=1))
    coverage = selectors.monthly_coverage(gdb["officer"], first, timezone.localdate())
    assert coverage.total == 0
    assert selectors.monthly_coverage(gdb["officer"], selectors.next_month(first), timezone.localdate()).total == 1


def test_retired_works_are_excluded_from_now_on_but_stay_due_in_past_months(works, gdb, make_filing, check, past):
    first, _ = past
    filing = make_filing(works["park"], filed_on=first - dt.timedelta(days=30))
    make_filing(works["river"], filing_no="HKRF-T-002", filed_on=first - dt.timedelta(days=30))
    services.filing_transition(actor=gdb["officer"], filing=filing, name="retire", reason="报废")
    today = timezone.localdate()
    this_month = selectors.monthly_coverage(gdb["officer"], today.replace(day=1), today)
    assert [r.filing.filing_no for r in this_month.rows] == ["HKRF-T-002"]
    back_then = selectors.monthly_coverage(gdb["officer"], first, today)
    assert {r.filing.filing_no for r in back_then.rows} == {"HKRF-T-001", "HKRF-T-002"}
    assert {r.state for r in back_then.rows} == {"in_use"}


def test_month_parameter_is_bounded(gdb):
    today = dt.date(2026, 5, 20)
    assert selectors.parse_month("2026-03", today) == (dt.date(2026, 3, 1), "")
    assert selectors.parse_month("", today) == (dt.date(2026, 5, 1), "")
    for bad in ("2026-13", "2026-06", "1999-12", "abc", "2026-3"):
        first, problem = selectors.parse_month(bad, today)
        assert first == dt.date(2026, 5, 1) and problem


def test_monthly_page_shows_coverage_done_missing_and_the_start_link(works, gdb, make_filing, check, login):
    today = timezone.localdate()
    park = make_filing(works["park"])
    make_filing(works["river"], filing_no="HKRF-T-002")
    inspection = check(works["park"], today)
    page = login(gdb["officer"]).get("/civildefence/monthly/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "已检查 1/2" in html
    assert f"/inspections/{inspection.pk}/" in html
    assert f"/inspections/new/?site={works['river'].pk}" in html  # the missing one can be started
    assert f"/inspections/new/?site={park.site_id}" not in html
    missing = login(gdb["officer"]).get("/civildefence/monthly/", {"check": "missing"}).content.decode()
    assert "HKRF-T-002" in missing and "HKRF-T-001" not in missing
    bad = login(gdb["officer"]).get("/civildefence/monthly/", {"month": "2999-01"})
    assert bad.status_code == 200 and "月份应在" in bad.content.decode()


def test_filing_page_lists_the_months_with_their_checks(works, gdb, make_filing, check, login):
    today = timezone.localdate()
    filing = make_filing(works["park"], filed_on=_month_ago(2))
    check(works["park"], _month_ago(1) + dt.timedelta(days=3))
    months = selectors.filing_months(gdb["officer"], filing, today)
    assert [m.first for m in months] == [_month_ago(0), _month_ago(1), _month_ago(2)]
    assert [m.done for m in months] == [False, True, False] and all(m.due for m in months)
    html = login(gdb["officer"]).get(f"/civildefence/filings/{filing.pk}/").content.decode()
    assert "未检查" in html and "已检查" in html and "开始检查" in html
