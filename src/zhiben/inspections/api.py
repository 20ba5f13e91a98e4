"""API of inspections (read side): inspections in scope, one inspection
with its answers, a campaign's coverage and its due/late list."""

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema

from zhiben.api.base import Day, Id
from zhiben.core.access import get_from_or_404

from . import access, selectors

router = Router(tags=["检查"])


class InspectionOut(Schema):
    id: int
    kind: str
    status: str
    site_id: int
    site: str
    organization_id: int
    campaign_id: int | None
    method: str
    checklist_version_id: int
    inspected_on: dt.date


class AnswerOut(Schema):
    item_code: str
    text: str
    major: bool
    result: str
    note: str
    fixed_on_site: bool
    hazard_code: str | None


class InspectionDetailOut(InspectionOut):
    answers: list[AnswerOut]


class CoverageOut(Schema):
    targets: int
    covered: int
    percent: float


class DueOut(Schema):
    site_id: int
    site: str
    last_inspected_on: dt.date | None
    next_due: dt.date | None
    done_in_slot: bool
    late: bool
    missed_slots: int


def _inspection_out(i) -> dict:
    return {
        "id": i.pk,
        "kind": i.kind,
        "status": i.status,
        "site_id": i.site_id,
        "site": i.site.name,
        "organization_id": i.organization_id,
        "campaign_id": i.campaign_id,
        "method": i.method,
        "checklist_version_id": i.checklist_version_id,
        "inspected_on": i.inspected_on,
    }


@router.get("/inspections", response=list[InspectionOut], summary="检查记录（范围内，最近 200 条）")
def list_inspections(request):
    qs = access.visible_inspections(request.user).select_related("site")[:200]
    return [_inspection_out(i) for i in qs]


@router.get("/inspections/{inspection_id}", response=InspectionDetailOut, summary="检查记录详情")
def get_inspection(request, inspection_id: Id):
    i = get_from_or_404(access.visible_inspections(request.user), request.user, pk=inspection_id)
    answers = [
        {
            "item_code": a.item.code,
            "text": a.item.text,
            "major": a.item.major,
            "result": a.result,
            "note": a.note,
            "fixed_on_site": a.fixed_on_site,
            "hazard_code": a.hazard.code if a.hazard_id else None,
        }
        for a in i.answers.select_related("item", "hazard")
    ]
    return {**_inspection_out(i), "answers": answers}


@router.get("/campaigns/{campaign_id}/coverage", response=CoverageOut, summary="排查轮次覆盖率")
def campaign_coverage(request, campaign_id: Id):
    campaign = get_from_or_404(access.visible_campaigns(request.user), request.user, pk=campaign_id)
    c = selectors.coverage(campaign)
    return {"targets": c.targets, "covered": c.covered, "percent": c.percent}


@router.get("/campaigns/{campaign_id}/due", response=list[DueOut], summary="应查 / 逾期（按频次）")
def campaign_due(request, campaign_id: Id, today: Day() | None = None):
    campaign = get_from_or_404(access.visible_campaigns(request.user), request.user, pk=campaign_id)
    rows = selectors.schedule(campaign, today or timezone.localdate())
    return [
        {
            "site_id": r.site.pk,
            "site": r.site.name,
            "last_inspected_on": r.last_inspected_on,
            "next_due": r.next_due,
            "done_in_slot": r.done_in_slot,
            "late": r.late,
            "missed_slots": r.missed_slots,
        }
        for r in rows
    ]
