"""API: the current user, organizations (scoped) and users (administrators)."""

from datetime import datetime

from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Id, Limit, StrictSchema, Text, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import PermissionDeniedError

from . import selectors, services
from .access import can_manage_users
from .models import Membership, Organization, User

router = Router(tags=["组织与用户"])


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    parent_id: int | None
    depth: int
    is_active: bool


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class MembershipOut(Schema):
    id: int
    organization: OrganizationOut
    role: str
    role_label: str = Field(alias="get_role_display")
    unit_id: int | None
    unit_name: str | None
    title: str
    is_active: bool

    @staticmethod
    def resolve_unit_name(obj: Membership) -> str | None:
        return obj.unit.name if obj.unit_id else None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    phone: str
    is_active: bool
    last_login: datetime | None
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj: User) -> list[Membership]:
        return [m for m in obj.memberships.all() if m.is_active]


class MeOut(UserOut):
    is_district_admin: bool


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None


class UserCreateIn(StrictSchema):
    username: Text(150, min_length=1)
    password: Text(128)
    display_name: Text(50) = ""
    phone: Text(30) = ""
    email: Text(254) = ""
    organization_id: Id
    role: Text(20)
    unit_id: Id | None = None
    title: Text(50) = ""


class UserActiveIn(StrictSchema):
    active: bool
    reason: Text() = ""


def _user_qs():
    return selectors.users_with_memberships()


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    return _user_qs().get(pk=request.auth.pk)


@router.get("/organizations", response=OrganizationPage, summary="组织列表（按权限范围）")
def organization_list(
    request, kind: Text(20) | None = None, q: Text(100) | None = None, cursor: Cursor | None = None, limit: Limit = 100
):
    qs = selectors.organizations_for(request.auth, kind=kind, q=q)
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/organizations/{org_id}", response=OrganizationOut, summary="组织详情")
def organization_detail(request, org_id: Id):
    return get_scoped_or_404(Organization, request.auth, "view", pk=org_id)


def _require_admin(request) -> None:
    if not can_manage_users(request.auth):
        raise PermissionDeniedError("仅区安委办管理员可管理用户")


@router.get("/users", response=UserPage, summary="用户列表（管理员）")
def user_list(
    request,
    q: Text(100) | None = None,
    organization_id: Id | None = None,
    role: Text(20) | None = None,
    active: bool | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 50,
):
    _require_admin(request)
    qs = selectors.user_search(q=q, organization_id=organization_id, role=role, active=active)
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/users/{user_id}", response=UserOut, summary="用户详情（管理员）")
def user_detail(request, user_id: Id):
    if not can_manage_users(request.auth):
        get_scoped_or_404(User, request.auth, "change", pk=user_id)  # audits the attempt, then 404
    return get_scoped_or_404(User, request.auth, "view", pk=user_id)


@router.post("/users", response={201: UserOut}, summary="创建用户（管理员）")
@idempotent
def user_create(request, payload: UserCreateIn):
    _require_admin(request)
    organization = get_scoped_or_404(Organization, request.auth, "view", pk=payload.organization_id)
    # registry.Unit, reached through the foreign key: org sits below registry and does not import it
    unit_model = Membership._meta.get_field("unit").related_model
    unit = get_scoped_or_404(unit_model, request.auth, "view", pk=payload.unit_id) if payload.unit_id else None
    user = services.user_create(
        actor=request.auth,
        username=payload.username,
        password=payload.password,
        display_name=payload.display_name,
        phone=payload.phone,
        email=payload.email,
        organization=organization,
        role=payload.role,
        unit=unit,
        title=payload.title,
    )
    return Status(201, _user_qs().get(pk=user.pk))


@router.post("/users/{user_id}/active", response=UserOut, summary="启用/停用用户（管理员）")
@idempotent
def user_set_active(request, user_id: Id, payload: UserActiveIn):
    _require_admin(request)
    user = get_scoped_or_404(User, request.auth, "change", pk=user_id)
    services.user_set_active(actor=request.auth, user=user, active=payload.active, reason=payload.reason)
    return _user_qs().get(pk=user.pk)
