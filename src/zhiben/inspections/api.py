"""API of inspections: inspections in scope, one inspection with its answers,
a campaign's coverage and its due/late list; and the write side — record an
inspection (监督检查, or 企业自查 for an enterprise user), record item results,
finish it (one hazard per failed item, as on the page).

Rights are the pages' (``inspections/access.py``), decided by the services:
an inspection, campaign or site out of the caller's scope answers 404; a
visible one the caller may not act on answers 403 (audited). Reference data
named by id (checklists, organizations, users) that does not exist is a 422.
Every write honours ``Idempotency-Key``. Photos, and 即查即改 (which needs an
after-photo), are recorded on the page; the API records results and notes.

No ``from __future__ import annotations`` here: django-ninja reads the
endpoint signatures through the ``@idempotent`` wrapper."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Day, Id, StrictSchema, Text
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_from_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.models import Site

from . import access, selectors, services
from .choices import CAMPAIGN_METHODS, InspectionKind
from .models import Checklist, ChecklistVersion

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


def _detail(i) -> dict:
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


@router.get("/inspections", response=list[InspectionOut], summary="检查记录（范围内，最近 200 条）")
def list_inspections(request):
    qs = access.visible_inspections(request.user).select_related("site")[:200]
    return [_inspection_out(i) for i in qs]


@router.get("/inspections/{inspection_id}", response=InspectionDetailOut, summary="检查记录详情")
def get_inspection(request, inspection_id: Id):
    return _detail(get_from_or_404(access.visible_inspections(request.user), request.user, pk=inspection_id))


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


# --- Write side -------------------------------------------------------------------------------

MAX_ANSWERS = 500  # a checklist has far fewer items
MAX_TEAM = 50

Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6, allow_inf_nan=False)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6, allow_inf_nan=False)]
Method = Literal[tuple(value for value, _ in CAMPAIGN_METHODS)]


class AnswerIn(StrictSchema):
    item_code: Text(32, min_length=1) = Field(description="检查条目编号（见检查记录详情的 item_code）")
    result: Literal["pass", "fail", "na"] = Field(description="pass 符合 / fail 不符合 / na 不适用")
    note: Text() = Field("", description="检查情况；不符合项写入隐患描述")


class InspectionCreateIn(StrictSchema):
    site_id: Id = Field(description="场所（范围内；指定排查轮次时为轮次的检查对象）")
    campaign_id: Id | None = Field(None, description="排查轮次（可选）")
    checklist_version_id: Id | None = Field(
        None, description="检查表版本；省略时用 checklist_id 的当前版本或轮次的检查表"
    )
    checklist_id: Id | None = Field(None, description="检查表（取其当前版本）")
    inspected_on: Day(past_only=True) = Field(description="检查日期（不晚于今天；有轮次时须在轮次期间内）")
    organization_id: Id | None = Field(None, description="检查单位；省略时为轮次的牵头部门")
    method: Method | None = Field(None, description="检查方式；省略时为轮次的检查方式")
    team_org_ids: list[Id] = Field(default_factory=list, max_length=MAX_TEAM, description="联合检查单位")
    inspector_ids: list[Id] = Field(default_factory=list, max_length=MAX_TEAM, description="检查人员（本人自动加入）")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    summary: Text() = ""
    answers: list[AnswerIn] = Field(default_factory=list, max_length=MAX_ANSWERS, description="可同时填写结果")
    finish: bool = Field(False, description="同时完成检查（所有条目须已填写）")


class SelfCheckCreateIn(StrictSchema):
    site_id: Id = Field(description="本单位的场所")
    checklist_id: Id = Field(description="检查表（取其当前版本）")
    inspected_on: Day(past_only=True) = Field(description="自查日期（不晚于今天）")
    summary: Text() = ""
    answers: list[AnswerIn] = Field(default_factory=list, max_length=MAX_ANSWERS)
    finish: bool = False


class AnswersIn(StrictSchema):
    answers: list[AnswerIn] = Field(max_length=MAX_ANSWERS, description="逐条结果（只改所列条目）")
    summary: Text() | None = Field(None, description="检查小结（省略则不改）")


def _answers(answers: list[AnswerIn], inspection=None) -> list[dict]:
    """The service's answer entries. An item recorded on the page as 即查即改
    keeps that record while it stays 不符合 (the API does not set it)."""
    fixed = {}
    if inspection is not None:
        fixed = {a.item.code: a.fix_note for a in inspection.answers.filter(fixed_on_site=True).select_related("item")}
    entries = []
    for a in answers:
        entry = {"item": a.item_code, "result": a.result, "note": a.note}
        if a.result == "fail" and a.item_code in fixed:
            entry.update(fixed=True, fix_note=fixed[a.item_code])
        entries.append(entry)
    return entries


def _existing(model, ids: list[int], field: str, message: str, qs=None) -> list:
    """Reference objects by id (all of them must exist): a 422 naming the field otherwise."""
    wanted = set(ids)
    found = list((qs if qs is not None else model.objects.all()).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationFailed(message, details={field: "不存在"})
    return found


def _checklist_version(payload) -> ChecklistVersion | None:
    if payload.checklist_version_id:
        version = ChecklistVersion.objects.filter(pk=payload.checklist_version_id).first()
        if version is None:
            raise ValidationFailed("检查表版本不存在", details={"checklist_version_id": "不存在"})
        return version
    if payload.checklist_id:
        checklist = Checklist.objects.filter(pk=payload.checklist_id, is_active=True).first()
        if checklist is None or checklist.current_version is None:
            raise ValidationFailed("检查表不存在或未发布", details={"checklist_id": "不存在"})
        return checklist.current_version
    return None


def _organizations():
    """The organizations a page offers as 检查单位 / 联合检查单位."""
    return Organization.objects.filter(is_active=True).exclude(kind=OrgKind.EXTERNAL)


@router.post("/inspections", response={201: InspectionDetailOut}, summary="登记监督检查（可同时填写结果并完成）")
@idempotent
def create_inspection(request, payload: InspectionCreateIn):
    user = request.auth
    campaign = None
    if payload.campaign_id:
        campaign = get_from_or_404(access.visible_campaigns(user), user, pk=payload.campaign_id)
    sites = selectors.target_sites(campaign.target) if campaign else Site.objects.restrict(user, "view")
    site = get_from_or_404(sites, user, pk=payload.site_id)
    data = {
        "kind": InspectionKind.SUPERVISION,
        "site": site,
        "campaign": campaign,
        "inspected_on": payload.inspected_on,
        "summary": payload.summary,
        "latitude": payload.latitude,
        "longitude": payload.longitude,
    }
    version = _checklist_version(payload)
    if version is not None:
        data["checklist_version"] = version
    if payload.organization_id:
        data["organization"] = _existing(
            Organization, [payload.organization_id], "organization_id", "检查单位不存在", _organizations()
        )[0]
    if payload.method:
        data["method"] = payload.method
    data["team_orgs"] = _existing(
        Organization, payload.team_org_ids, "team_org_ids", "联合检查单位不存在", _organizations()
    )
    data["inspectors"] = _existing(
        User, payload.inspector_ids, "inspector_ids", "检查人员不存在", User.objects.filter(is_active=True)
    )
    inspection = services.inspection_create(
        actor=user, data=data, answers=_answers(payload.answers), finish=payload.finish
    )
    return Status(201, _detail(inspection))


@router.post("/self-checks", response={201: InspectionDetailOut}, summary="登记企业自查（企业用户，本单位场所）")
@idempotent
def create_self_check(request, payload: SelfCheckCreateIn):
    user = request.auth
    sites = Site.objects.filter(unit_id__in=access.enterprise_unit_ids(user), is_active=True)
    site = get_from_or_404(sites, user, pk=payload.site_id)
    checklist = Checklist.objects.filter(pk=payload.checklist_id, is_active=True).first()
    if checklist is None:
        raise ValidationFailed("检查表不存在", details={"checklist_id": "不存在"})
    data = {
        "kind": InspectionKind.SELF_CHECK,
        "site": site,
        "checklist": checklist,
        "inspected_on": payload.inspected_on,
        "summary": payload.summary,
    }
    inspection = services.inspection_create(
        actor=user, data=data, answers=_answers(payload.answers), finish=payload.finish
    )
    return Status(201, _detail(inspection))


def _visible(request, inspection_id: int):
    return get_from_or_404(access.visible_inspections(request.auth), request.auth, pk=inspection_id)


@router.post("/inspections/{inspection_id}/answers", response=InspectionDetailOut, summary="填写检查结果（检查中）")
@idempotent
def record_answers(request, inspection_id: Id, payload: AnswersIn):
    inspection = _visible(request, inspection_id)
    services.inspection_update(
        actor=request.auth,
        inspection=inspection,
        answers=_answers(payload.answers, inspection),
        summary=payload.summary,
    )
    return _detail(inspection)


@router.post(
    "/inspections/{inspection_id}/finish",
    response=InspectionDetailOut,
    summary="完成检查（每个不符合项登记为一条隐患）",
)
@idempotent
def finish_inspection(request, inspection_id: Id):
    inspection = _visible(request, inspection_id)
    services.inspection_finish(actor=request.auth, inspection=inspection)
    inspection.refresh_from_db()
    return _detail(inspection)
