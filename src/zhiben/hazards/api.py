"""API of the hazard ledger: list (filters, cursor), detail, create, one
endpoint per transition (derived from workflow.py by zhiben.api.workflow,
each honouring ``Idempotency-Key``), evidence upload and the figures.

No ``from __future__ import annotations`` here: django-ninja reads the
endpoint signatures through the ``@idempotent`` wrapper, whose module cannot
resolve string annotations."""

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from zhiben.api.base import (
    Cursor,
    Day,
    Id,
    Limit,
    StrictSchema,
    Text,
    Version,
    filter_query,
    paginate_by_id,
    valid_filterset,
)
from zhiben.api.idempotency import idempotent
from zhiben.api.workflow import TransitionEndpoint, transition_endpoints
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.models import Organization
from zhiben.registry.models import Sector, Site, Unit

from . import services, workflow
from .choices import DeadlineKind, Difficulty, HazardLevel, HazardSource
from .figures import hazard_figures
from .filters import HazardFilterSet
from .models import GovernancePlan, Hazard, HazardCategory, Supervision

router = Router(tags=["隐患台账"])

LIST_RELATED = ("category", "owner", "street", "sector", "assignee", "pending_owner")
# What summary() reads, and nothing more: no long texts, no user rows (bench/RESULTS.md).
SUMMARY_RELATED = ("category", "owner", "street", "sector", "pending_owner")
SUMMARY_FIELDS = (
    "code",
    "status",
    "level",
    "source",
    "difficulty",
    "title",
    "unit_name",
    "unit_uscc",
    "site",
    "unit",
    "assignee",
    "found_on",
    "is_stock",
    "deadline_kind",
    "deadline",
    "closed_at",
    "version",
    "category__name",
    "sector__code",
    "owner__name",
    "street__name",
    "pending_owner__name",
)


class OrgRef(Schema):
    id: int
    name: str


class HazardOut(Schema):
    id: int
    code: str
    status: str
    status_label: str
    level: str
    level_label: str
    sector: str
    category: str
    category_id: int
    source: str
    difficulty: str
    title: str
    unit_name: str
    unit_id: int | None
    site_id: int | None
    unit_uscc: str
    street: OrgRef | None
    owner: OrgRef
    pending_owner: OrgRef | None
    assignee_id: int | None
    found_on: dt.date
    is_stock: bool
    deadline_kind: str
    deadline: dt.date | None
    is_overdue: bool
    supervision: str | None
    closed_at: dt.datetime | None
    version: int


def _org(org) -> dict | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def summary(h: Hazard) -> dict:
    """The list representation (plain data; the schema above documents it)."""
    active = getattr(h, "active_supervisions", None)
    if active is None:
        active = [s for s in h.supervisions.all() if s.is_active]
    return {
        "id": h.pk,
        "code": h.code,
        "status": h.status,
        "status_label": h.get_status_display(),
        "level": h.level,
        "level_label": h.get_level_display(),
        "sector": h.sector.code,
        "category": h.category.name,
        "category_id": h.category_id,
        "source": h.source,
        "difficulty": h.difficulty,
        "title": h.title,
        "unit_name": h.unit_name,
        "site_id": h.site_id,
        "unit_id": h.unit_id,
        "unit_uscc": h.unit_uscc,
        "street": _org(h.street),
        "owner": _org(h.owner),
        "pending_owner": _org(h.pending_owner),
        "assignee_id": h.assignee_id,
        "found_on": h.found_on,
        "is_stock": h.is_stock,
        "deadline_kind": h.deadline_kind,
        "deadline": h.deadline,
        "is_overdue": h.is_overdue(),
        "closed_at": h.closed_at,
        "version": h.version,
        "supervision": f"{active[0].get_level_display()}{active[0].get_kind_display()}" if active else None,
    }


class EvidenceOut(Schema):
    id: int
    phase: str
    original_name: str
    content_type: str
    url: str


class SupervisionOut(Schema):
    id: int
    kind: str
    level: str
    deadline: dt.date
    is_active: bool
    requirement: str


class HazardDetailOut(HazardOut):
    description: str
    location: str
    requirement: str
    address: str
    responsible_person: str
    rectification_note: str
    reopen_count: int
    plan: dict[str, str] | None
    plan_complete: bool | None
    plan_start_date: dt.date | None
    plan_finish_date: dt.date | None
    evidence: list[EvidenceOut]
    supervisions: list[SupervisionOut]
    allowed_transitions: list[str]


class HazardPage(Schema):
    items: list[HazardOut]
    next_cursor: str | None


# Lengths are the model's max_length; TextFields are bounded at Text()'s default (LONG_TEXT).
class HazardCreateIn(StrictSchema):
    sector: Text(40)
    category: Text(40)
    level: Text(10) = HazardLevel.GENERAL
    source: Text(16)
    difficulty: Text(10) = Difficulty.EASY
    found_on: Day(past_only=True)
    finder_name: Text(100) = ""
    title: Text(120)
    description: Text()
    location: Text(200) = ""
    site_id: Id | None = None
    unit_id: Id | None = None
    unit_name: Text(200) = ""
    unit_uscc: Text(18) = ""
    address: Text(255) = ""
    street_id: Id | None = None
    owner_id: Id
    responsible_person: Text(50) = ""
    responsible_phone: Text(30) = ""
    requirement: Text() = ""
    deadline_kind: Text(10) = DeadlineKind.DATE
    deadline: Day() | None = None
    allow_duplicate: bool = False


class VersionIn(StrictSchema):
    expected_version: Version | None = None


class ConfirmIn(VersionIn):
    requirement: Text()
    deadline_kind: Text(10)
    deadline: Day() | None = None
    difficulty: Text(10) | None = None
    level: Text(10) | None = None
    responsible_person: Text(50) | None = None


class SubmitIn(VersionIn):
    note: Text()


class NoteIn(VersionIn):
    note: Text() = ""


class ReasonIn(VersionIn):
    reason: Text()


class FixOnSpotIn(VersionIn):
    """即查即改: the after-photo is uploaded first (POST …/evidence, phase ``after``)."""

    note: Text()
    requirement: Text() = ""


class TransferIn(VersionIn):
    to_org_id: Id
    reason: Text()


# The list's filters, declared for OpenAPI and bounded; HazardFilterSet filters.
HazardListQuery = filter_query(HazardFilterSet)  # q: the filter's own bound (search.MAX_TERM_LENGTH)


class FiguresOut(Schema):
    as_of: dt.date
    total: int
    closed: int
    voided: int
    open: int
    overdue: int
    major_stock_total: int
    major_stock_remaining: int
    major_increment_found: int
    major_increment_closed: int
    major_open: int
    relapses: int
    rectification_rate: float | None
    by_department: list[dict[str, Any]]
    by_street: list[dict[str, Any]]


def _detail(hazard: Hazard, user) -> dict:
    hazard = (
        Hazard.objects.select_related(*LIST_RELATED, "category__parent")
        .prefetch_related("supervisions")
        .get(pk=hazard.pk)
    )
    plan = GovernancePlan.objects.filter(hazard=hazard).first()
    data = summary(hazard)
    data.update(
        {
            "description": hazard.description,
            "location": hazard.location,
            "requirement": hazard.requirement,
            "address": hazard.address,
            "responsible_person": hazard.responsible_person,
            "rectification_note": hazard.rectification_note,
            "reopen_count": hazard.reopen_count,
            "plan": {name: getattr(plan, name) for name, _ in GovernancePlan.PARTS} if plan else None,
            "plan_complete": plan.is_complete if plan else None,
            "plan_start_date": plan.start_date if plan else None,
            "plan_finish_date": plan.finish_date if plan else None,
            "evidence": [
                {
                    "id": e.pk,
                    "phase": e.phase,
                    "original_name": e.original_name,
                    "content_type": e.file.content_type,
                    "url": reverse("hazards:evidence", args=[hazard.pk, e.pk]),
                }
                for e in hazard.evidence.select_related("file")
            ],
            "supervisions": [
                {
                    "id": s.pk,
                    "kind": s.kind,
                    "level": s.level,
                    "deadline": s.deadline,
                    "is_active": s.is_active,
                    "requirement": s.requirement,
                }
                for s in hazard.supervisions.all()
            ],
            "allowed_transitions": [t.name for t in workflow.allowed_transitions(user, hazard)],
        }
    )
    return data


def _scoped(request, pk: Id, action: str = "view") -> Hazard:
    return get_scoped_or_404(Hazard, request.auth, action, pk=pk)


@router.get("/hazards", response=HazardPage, summary="隐患列表（筛选，游标分页，新的在前）")
def hazard_list(request, filters: Query[HazardListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    filterset = valid_filterset(
        request, HazardFilterSet, Hazard.objects.restrict(request.auth, "view", paging=True), user=request.auth
    )
    qs = (
        filterset.qs.select_related(*SUMMARY_RELATED)
        .only(*SUMMARY_FIELDS)
        .prefetch_related(
            Prefetch("supervisions", queryset=Supervision.objects.filter(is_active=True), to_attr="active_supervisions")
        )
    )
    found_range = filterset.form.cleaned_data.get("found_from") or filterset.form.cleaned_data.get("found_to")
    items, next_cursor = paginate_by_id(
        qs, cursor=cursor, limit=limit, descending=True, ids_first=True, hide_pk_order=bool(found_range)
    )
    return {"items": [summary(h) for h in items], "next_cursor": next_cursor}


@router.get("/hazards/figures", response=FiguresOut, summary="隐患统计（存量、增量、逾期、整改率、返潮）")
def figures(request, as_of: Day() | None = None):
    return hazard_figures(request.auth, as_of).as_dict()


@router.get("/hazards/{pk}", response=HazardDetailOut, summary="隐患详情")
def hazard_detail(request, pk: Id):
    return _detail(_scoped(request, pk), request.auth)


@router.post("/hazards", response={201: HazardDetailOut}, summary="隐患上账")
@idempotent
def hazard_create(request, payload: HazardCreateIn):
    data = payload.model_dump()
    allow_duplicate = data.pop("allow_duplicate")
    errors = {}
    sector = Sector.objects.filter(code=data.pop("sector")).first()
    category = HazardCategory.objects.filter(code=data.pop("category")).first()
    if sector is None:
        errors["sector"] = "行业领域编码不存在"
    if category is None:
        errors["category"] = "隐患类别编码不存在"
    for choice, values in (
        ("level", HazardLevel.values),
        ("source", HazardSource.values),
        ("difficulty", Difficulty.values),
        ("deadline_kind", DeadlineKind.values),
    ):
        if data[choice] not in values:
            errors[choice] = f"取值应为：{'、'.join(values)}"
    if errors:
        raise ValidationFailed("隐患信息有误", details=errors)
    # Any department may be named as owner; the service decides whether the
    # actor may create for it.
    owner = Organization.objects.filter(pk=data.pop("owner_id")).first()
    if owner is None:
        raise ValidationFailed("行业主管部门不存在", details={"owner_id": "不存在"})
    street_id, unit_id, site_id = data.pop("street_id"), data.pop("unit_id"), data.pop("site_id")
    data.update(
        {
            "sector": sector,
            "category": category,
            "owner": owner,
            "street": Organization.objects.filter(pk=street_id).first() if street_id else None,
            "unit": get_scoped_or_404(Unit, request.auth, "view", pk=unit_id) if unit_id else None,
            "site": get_scoped_or_404(Site, request.auth, "view", pk=site_id) if site_id else None,
        }
    )
    hazard = services.hazard_create(actor=request.auth, data=data, allow_duplicate=allow_duplicate)
    return Status(201, _detail(hazard, request.auth))


def _to_org(request, data: dict) -> dict:
    """移交: the receiving organization, 422 when it does not exist (before the hazard is fetched)."""
    to_org = Organization.objects.filter(pk=data.pop("to_org_id")).first()
    if to_org is None:
        raise ValidationFailed("接收部门不存在", details={"to_org_id": "不存在"})
    return {**data, "to_org": to_org}


# One endpoint per transition of workflow.py, in the table's order; reopen is 回头看's (no endpoint).
TRANSITION_ENDPOINTS = [
    TransitionEndpoint("confirm", ConfirmIn, "确认上账"),
    TransitionEndpoint("submit", SubmitIn, "提交整改（先上传整改后材料）"),
    TransitionEndpoint("verify_pass", NoteIn, "验收通过，销号"),
    TransitionEndpoint("verify_fail", ReasonIn, "验收不通过"),
    TransitionEndpoint("fix_on_spot", FixOnSpotIn, "即查即改，当场销号（先上传整改后照片）"),
    TransitionEndpoint("transfer", TransferIn, "移交", prepare=_to_org),
    TransitionEndpoint("transfer_accept", VersionIn, "接收移交"),
    TransitionEndpoint("transfer_return", ReasonIn, "退回移交"),
    TransitionEndpoint("void", ReasonIn, "作废"),
]

transition_endpoints(
    router,
    workflow.WORKFLOW,
    TRANSITION_ENDPOINTS,
    prefix="/hazards/{pk}",
    pk_type=Id,
    fetch=_scoped,
    perform=services.hazard_transition,
    respond=_detail,
    response=HazardDetailOut,
    module=__name__,
)


@router.post("/hazards/{pk}/evidence", response={201: HazardDetailOut}, summary="上传整改前/后照片或PDF")
def evidence(request, pk: Id, phase: Form[Text(16)], files: File[list[UploadedFile]]):
    hazard = _scoped(request, pk)
    services.hazard_add_evidence(actor=request.auth, hazard=hazard, phase=phase, files=files)
    return Status(201, _detail(hazard, request.auth))
