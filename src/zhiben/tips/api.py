"""API of the tips app: list (filters, cursor), detail and one endpoint per
triage action (derived from workflow.py by zhiben.api.workflow). The
reporter's name and phone appear only for viewers allowed to see them
(``contact`` is null otherwise; ``contact_provided`` says whether there is
one).

No ``from __future__ import annotations`` here: django-ninja reads the
endpoint signatures through the ``@idempotent`` wrapper."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from zhiben.api.base import Cursor, Day, Id, Limit, Money, StrictSchema, Text, filter_query, filtered, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.api.workflow import TransitionEndpoint, transition_endpoints
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.org.models import Organization
from zhiben.registry.models import Sector

from . import selectors, services, workflow
from .forms import TipFilterSet
from .models import Tip

router = Router(tags=["举报"])

LIST_RELATED = ("routed_to", "street", "site", "hazard")


class OrgRef(Schema):
    id: int
    name: str


class ContactOut(Schema):
    name: str
    phone: str


class TipOut(Schema):
    id: int
    number: str
    channel: str
    channel_label: str
    status: str
    status_label: str
    external_ref: str
    received_on: dt.date
    reply_due: dt.date
    is_late: bool
    text: str
    place: str
    site_id: int | None
    site_name: str | None
    unit_id: int | None
    street: OrgRef | None
    routed_to: OrgRef
    hazard_id: int | None
    hazard_code: str | None
    contact_provided: bool
    contact: ContactOut | None


class PhotoOut(Schema):
    id: int
    original_name: str
    url: str


class RewardOut(Schema):
    id: int
    amount: Decimal
    basis: str
    approved_on: dt.date
    approved_by: str


class TipDetailOut(TipOut):
    reject_reason: str
    reply: str
    replied_at: dt.datetime | None
    photos: list[PhotoOut]
    rewards: list[RewardOut]
    allowed_actions: list[str]


class TipPage(Schema):
    items: list[TipOut]
    next_cursor: str | None


class AcceptIn(StrictSchema):
    sector: Text(32)
    category: Text(40)
    title: Text(120) = ""
    level: Text(10) = "general"
    allow_duplicate: bool = False


class LinkIn(StrictSchema):
    hazard_id: Id


class TransferIn(StrictSchema):
    to_org_id: Id
    reason: Text()


class ReasonIn(StrictSchema):
    reason: Text()


class ReplyIn(StrictSchema):
    text: Text()


class RewardIn(StrictSchema):
    amount: Money(10, 2)
    basis: Text()
    approved_on: Day(past_only=True)


TipListQuery = filter_query(TipFilterSet)


def _org(org) -> dict | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def summary(tip: Tip, user, today: dt.date | None = None) -> dict:
    return {
        "id": tip.pk,
        "number": tip.number,
        "channel": tip.channel,
        "channel_label": tip.get_channel_display(),
        "status": tip.status,
        "status_label": tip.get_status_display(),
        "external_ref": tip.external_ref,
        "received_on": tip.received_on,
        "reply_due": tip.reply_due,
        "is_late": tip.is_late(today),
        "text": tip.text,
        "place": tip.place,
        "site_id": tip.site_id,
        "site_name": tip.site.name if tip.site_id else None,
        "unit_id": tip.unit_id,
        "street": _org(tip.street),
        "routed_to": _org(tip.routed_to),
        "hazard_id": tip.hazard_id,
        "hazard_code": tip.hazard.code if tip.hazard_id else None,
        "contact_provided": tip.has_contact,
        "contact": selectors.contact_for(user, tip),
    }


def _detail(tip: Tip, user) -> dict:
    tip = Tip.objects.select_related(*LIST_RELATED).get(pk=tip.pk)
    data = summary(tip, user)
    data.update(
        {
            "reject_reason": tip.reject_reason,
            "reply": tip.reply,
            "replied_at": tip.replied_at,
            "photos": [
                {"id": p.pk, "original_name": p.original_name, "url": reverse("tips:photo", args=[tip.pk, p.pk])}
                for p in tip.photos.all()
            ],
            "rewards": [
                {
                    "id": r.pk,
                    "amount": r.amount,
                    "basis": r.basis,
                    "approved_on": r.approved_on,
                    "approved_by": str(r.approved_by),
                }
                for r in tip.rewards.select_related("approved_by")
            ],
            "allowed_actions": [t.name for t in workflow.allowed_transitions(user, tip)],
        }
    )
    return data


def _scoped(request, pk: Id) -> Tip:
    return get_scoped_or_404(Tip, request.auth, "view", pk=pk)


@router.get("/tips", response=TipPage, summary="举报列表（status、channel、street、late 筛选，游标分页，新的在前）")
def tip_list(request, filters: Query[TipListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    today = timezone.localdate()
    qs = filtered(request, TipFilterSet, selectors.visible_tips(request.auth), today=today)
    items, next_cursor = paginate_by_id(qs.select_related(*LIST_RELATED), cursor=cursor, limit=limit, descending=True)
    return {"items": [summary(t, request.auth, today) for t in items], "next_cursor": next_cursor}


@router.get("/tips/{pk}", response=TipDetailOut, summary="举报详情")
def tip_detail(request, pk: Id):
    return _detail(_scoped(request, pk), request.auth)


def _accept_arguments(request, data: dict, tip: Tip) -> dict:
    sector = Sector.objects.filter(code=data.pop("sector")).first()
    category = HazardCategory.objects.filter(code=data.pop("category")).first()
    errors = {}
    if sector is None:
        errors["sector"] = "行业领域编码不存在"
    if category is None:
        errors["category"] = "隐患类别编码不存在"
    if errors:
        raise ValidationFailed("受理信息有误", details=errors)
    return {**data, "sector": sector, "category": category}


def _link_arguments(request, data: dict, tip: Tip) -> dict:
    return {"hazard": get_scoped_or_404(Hazard, request.auth, "view", pk=data["hazard_id"])}


def _transfer_arguments(request, data: dict, tip: Tip) -> dict:
    to_org = Organization.objects.filter(pk=data["to_org_id"]).first()
    if to_org is None:
        raise ValidationFailed("接收单位不存在", details={"to_org_id": "不存在"})
    return {"to_org": to_org, "reason": data["reason"]}


def _after_transfer(tip: Tip, user):
    if not selectors.is_visible(user, tip.pk):
        return Status(204, None)
    return _detail(tip, user)


# One endpoint per transition of workflow.py, in the table's order (zhiben.api.workflow).
TRANSITION_ENDPOINTS = [
    TransitionEndpoint("accept", AcceptIn, "受理：新建隐患（来源“举报”）", resolve=_accept_arguments),
    TransitionEndpoint("link", LinkIn, "受理：关联已有的未销号隐患", resolve=_link_arguments),
    TransitionEndpoint(
        "transfer",
        TransferIn,
        "移交（移出本人范围时返回 204）",
        resolve=_transfer_arguments,
        response={200: TipDetailOut, 204: None},
        respond=_after_transfer,
    ),
    TransitionEndpoint("reject", ReasonIn, "不予受理"),
    TransitionEndpoint("reply", ReplyIn, "答复举报人（显示在查询页）"),
]

transition_endpoints(
    router,
    workflow.WORKFLOW,
    TRANSITION_ENDPOINTS,
    prefix="/tips/{pk}",
    pk_type=Id,
    fetch=_scoped,
    perform=services.tip_transition,
    respond=_detail,
    response=TipDetailOut,
    module=__name__,
)


@router.post("/tips/{pk}/rewards", response={201: TipDetailOut}, summary="登记举报奖励")
@idempotent
def reward(request, pk: Id, payload: RewardIn):
    tip = _scoped(request, pk)
    services.tip_reward_record(
        actor=request.auth, tip=tip, amount=payload.amount, basis=payload.basis, approved_on=payload.approved_on
    )
    return Status(201, _detail(tip, request.auth))
