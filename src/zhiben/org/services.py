"""Service functions for organizations, users and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service

from .access import can_edit_profile, can_manage_users
from .choices import OrgKind, Role
from .models import Membership, Organization, OrganizationAlias, User

USER_FIELDS = ["username", "display_name", "phone", "email", "is_active"]
MEMBERSHIP_FIELDS = ["user", "organization", "role", "unit", "title", "is_active"]

# Which organization kinds each role may be attached to.
ROLE_ORG_KINDS: dict[str, set[str]] = {
    Role.DISTRICT_ADMIN: {OrgKind.DISTRICT, OrgKind.OFFICE},
    Role.DEPT_LEADER: {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET},
    Role.DEPT_OFFICER: {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE},
    Role.STREET_OFFICER: {OrgKind.STREET},
    Role.ENTERPRISE: {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.STREET, OrgKind.DISTRICT},
    Role.EXPERT: {OrgKind.EXTERNAL, OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET},
    Role.READONLY: set(OrgKind.values),
}


# --- Reference data -------------------------------------------------------------


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    aliases: int = 0


def organizations_file() -> Path:
    return settings.DATA_DIR / "organizations.yaml"


@service("org.load_reference")
def organizations_load(*, nodes: list[dict[str, Any]], actor: User | None = None) -> LoadResult:
    """Create or update the organization tree from reference data (by code).

    Idempotent: a second run changes nothing. Organizations missing from the
    data are left alone (they may have been created by administrators).
    """
    result = LoadResult()
    seen_aliases: dict[str, str] = {}

    def visit(node: dict[str, Any], parent: Organization | None, order: int) -> None:
        code = node["code"]
        defaults = {
            "name": node["name"],
            "short_name": node.get("short_name") or "",
            "kind": node["kind"],
            "parent": parent,
            "sort_order": order,
            "note": node.get("note") or "",
        }
        if defaults["kind"] not in OrgKind.values:
            raise ValidationFailed(f"组织 {code} 的类型 {defaults['kind']} 无效")
        org = Organization.objects.filter(code=code).first()
        if org is None:
            org = Organization.objects.create(code=code, **defaults)
            result.created += 1
        elif any(getattr(org, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(org, k, v)
            org.save()
            result.updated += 1
        for alias in node.get("aliases") or []:
            alias = alias.strip()
            if not alias or alias in (org.name, org.short_name):
                continue
            if seen_aliases.get(alias, code) != code:
                raise ValidationFailed(f"别名“{alias}”同时属于 {seen_aliases[alias]} 和 {code}")
            seen_aliases[alias] = code
            _, created = OrganizationAlias.objects.update_or_create(alias=alias, defaults={"organization": org})
            result.aliases += int(created)
        for index, child in enumerate(node.get("children") or []):
            visit(child, org, index)

    for index, node in enumerate(nodes):
        visit(node, None, index)
    if result.created or result.updated or result.aliases:
        audit_record(
            action="org.load_reference",
            actor=actor,
            object_type="org.organization",
            after={"created": result.created, "updated": result.updated, "aliases": result.aliases},
        )
    return result


def organizations_load_file(path: Path | None = None, actor: User | None = None) -> LoadResult:
    with open(path or organizations_file(), encoding="utf-8") as fh:
        nodes = yaml.safe_load(fh) or []
    return organizations_load(nodes=nodes, actor=actor)


# --- Users and memberships ----------------------------------------------------------


def _validate_membership(*, organization: Organization, role: str, unit) -> None:
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = "角色无效"
    elif organization.kind not in ROLE_ORG_KINDS[role]:
        errors["organization"] = f"“{Role(role).label}”不能设在{OrgKind(organization.kind).label}“{organization}”"
    if role == Role.ENTERPRISE and unit is None:
        errors["unit"] = "企业用户必须绑定一个生产经营单位"
    if role != Role.ENTERPRISE and unit is not None:
        errors["unit"] = "只有企业用户可以绑定生产经营单位"
    if errors:
        raise ValidationFailed("任职信息有误", details=errors)


def _validate_password(password: str, user: User) -> None:
    try:
        with translation.override(settings.LANGUAGE_CODE):
            validate_password(password, user)
    except ValidationError as exc:
        with translation.override(settings.LANGUAGE_CODE):
            messages = [str(m) for m in exc.messages]
        raise ValidationFailed("密码不符合要求：" + "；".join(messages), details={"password": messages}) from exc


@service("user.create")
def user_create(
    *,
    actor: User,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    organization: Organization,
    role: str,
    unit=None,
    title: str = "",
) -> User:
    require(can_manage_users(actor))
    username = username.strip()
    if not username:
        raise ValidationFailed("请填写登录账号", details={"username": "请填写登录账号"})
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"账号“{username}”已存在", details={"username": f"账号“{username}”已存在"})
    user = User(username=username, display_name=display_name.strip(), phone=phone.strip(), email=email.strip())
    _validate_password(password, user)
    _validate_membership(organization=organization, role=role, unit=unit)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    membership = Membership.objects.create(user=user, organization=organization, role=role, unit=unit, title=title)
    audit_record(
        action="user.create",
        actor=actor,
        obj=user,
        after={**snapshot(user, USER_FIELDS), "membership": snapshot(membership, MEMBERSHIP_FIELDS)},
    )
    return user


@service("user.bootstrap_admin")
def user_bootstrap_admin(*, username: str, password: str, display_name: str = "区安委办管理员") -> User:
    """Create the first 区安委办管理员 of a new installation (from the command
    line, where there is no actor yet). Refused once any administrator exists."""
    if Membership.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True).exists():
        raise ConflictError("系统已有区安委办管理员，请由管理员在“用户管理”中创建账号", code="admin_exists")
    office = (
        Organization.objects.filter(kind=OrgKind.OFFICE, code="hk-awb").first()
        or Organization.objects.filter(kind=OrgKind.DISTRICT).first()
    )
    if office is None:
        raise ConflictError("尚未加载组织机构，请先运行 zhiben setup", code="no_organizations")
    user = User(username=username.strip(), display_name=display_name)
    _validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    membership = Membership.objects.create(user=user, organization=office, role=Role.DISTRICT_ADMIN)
    audit_record(
        action="user.bootstrap_admin",
        actor=None,
        actor_name="system",
        obj=user,
        after={**snapshot(user, USER_FIELDS), "membership": snapshot(membership, MEMBERSHIP_FIELDS)},
    )
    return user


@service("user.update")
def user_update(*, actor: User, user: User, display_name: str, phone: str, email: str) -> User:
    require(can_edit_profile(actor, user))
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, USER_FIELDS)
    user.display_name, user.phone, user.email = display_name.strip(), phone.strip(), email.strip()
    user.save(update_fields=["display_name", "phone", "email"])
    audit_record(action="user.update", actor=actor, obj=user, before=before, after=snapshot(user, USER_FIELDS))
    return user


@service("user.set_active")
def user_set_active(*, actor: User, user: User, active: bool, reason: str = "") -> User:
    require(can_manage_users(actor))
    if actor.pk == user.pk and not active:
        raise ConflictError("不能停用自己的账号", code="cannot_disable_self")
    if not active and not reason.strip():
        raise ValidationFailed("停用账号须填写原因", details={"reason": "停用账号须填写原因"})
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, USER_FIELDS)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        action="user.enable" if active else "user.disable",
        actor=actor,
        obj=user,
        before=before,
        after=snapshot(user, USER_FIELDS),
        reason=reason,
    )
    # A disabled user's sessions end at their next request: the auth backend
    # refuses inactive users when it reloads them from the session.
    return user


@service("user.reset_password")
def user_reset_password(*, actor: User, user: User, new_password: str) -> User:
    require(can_manage_users(actor))
    user = User.objects.select_for_update().get(pk=user.pk)
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    # Changing the hash changes the session auth hash: existing sessions end.
    audit_record(action="user.reset_password", actor=actor, obj=user)
    return user


@service("user.change_password")
def user_change_password(*, actor: User, old_password: str, new_password: str) -> User:
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.check_password(old_password):
        raise ValidationFailed("原密码不正确", details={"old_password": "原密码不正确"})
    if old_password == new_password:
        raise ValidationFailed("新密码不能与原密码相同", details={"new_password": "不能与原密码相同"})
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(action="user.change_password", actor=actor, obj=user)
    return user


@service("membership.add")
def membership_add(
    *, actor: User, user: User, organization: Organization, role: str, unit=None, title: str = ""
) -> Membership:
    require(can_manage_users(actor))
    _validate_membership(organization=organization, role=role, unit=unit)
    existing = Membership.objects.select_for_update().filter(user=user, organization=organization, role=role).first()
    if existing is not None and existing.is_active:
        raise ValidationFailed("该用户已在此组织担任此角色", details={"role": "该用户已在此组织担任此角色"})
    if existing is not None:
        before = snapshot(existing, MEMBERSHIP_FIELDS)
        existing.is_active, existing.unit, existing.title = True, unit, title
        existing.save(update_fields=["is_active", "unit", "title"])
        membership = existing
    else:
        before = None
        membership = Membership.objects.create(user=user, organization=organization, role=role, unit=unit, title=title)
    audit_record(
        action="membership.add", actor=actor, obj=user, before=before, after=snapshot(membership, MEMBERSHIP_FIELDS)
    )
    user.forget_memberships()
    return membership


@service("membership.remove")
def membership_remove(*, actor: User, membership: Membership, reason: str = "") -> Membership:
    require(can_manage_users(actor))
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)
    if not membership.is_active:
        raise ConflictError("该任职已被撤销", code="already_removed")
    if (
        membership.user_id == actor.pk
        and membership.role == Role.DISTRICT_ADMIN
        and not actor.is_superuser
        and not Membership.objects.filter(user=actor, role=Role.DISTRICT_ADMIN, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ConflictError("不能撤销自己唯一的管理员任职", code="cannot_remove_own_admin")
    before = snapshot(membership, MEMBERSHIP_FIELDS)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        action="membership.remove",
        actor=actor,
        obj=membership.user,
        before=before,
        after=snapshot(membership, MEMBERSHIP_FIELDS),
        reason=reason,
    )
    return membership
