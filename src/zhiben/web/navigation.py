"""The menu. Each app registers the entries for what it has built; an entry
shows only to users for whom its predicate holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    group: str = ""
    visible: Callable = field(default=lambda user: True)
    match_prefix: str = ""

    def url(self) -> str:
        return reverse(self.url_name)


def _is_government(user) -> bool:
    from .access import is_government

    return is_government(user)


def _is_admin(user) -> bool:
    from zhiben.org.access import can_manage_users

    return can_manage_users(user)


NAV_ITEMS: list[NavItem] = [
    NavItem("工作台", "web:workspace", "speedometer2", match_prefix="/workspace"),
    NavItem(
        "组织机构",
        "org:organization_list",
        "diagram-3",
        group="基础",
        visible=_is_government,
        match_prefix="/organizations",
    ),
    NavItem("用户管理", "org:user_list", "people", group="系统管理", visible=_is_admin, match_prefix="/admin-users"),
    NavItem("审计日志", "audit:audit_list", "shield-check", group="系统管理", visible=_is_admin, match_prefix="/audit"),
    NavItem("接口文档", "api:openapi-view", "braces", group="系统管理", visible=_is_admin, match_prefix="/api/v1/docs"),
]


def register(item: NavItem, *, before: str | None = None) -> None:
    """Add an entry (called from an app's ready())."""
    if any(existing.url_name == item.url_name for existing in NAV_ITEMS):
        return
    if before:
        for index, existing in enumerate(NAV_ITEMS):
            if existing.group == before or existing.url_name == before:
                NAV_ITEMS.insert(index, item)
                return
    NAV_ITEMS.append(item)


# Menu groups in the order officers work through them; unknown groups go last.
GROUP_ORDER = ["", "隐患治理", "任务清单", "检查", "举报", "单位与场所", "行业台账", "基础", "系统管理"]


def _group_rank(group: str) -> int:
    return GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)


def menu_for(user, path: str) -> list[dict]:
    """Entries visible to ``user``, grouped in order."""
    groups: list[dict] = []
    ordered = sorted(enumerate(NAV_ITEMS), key=lambda pair: (_group_rank(pair[1].group), pair[0]))
    for _, item in ordered:
        if not user.is_authenticated or not item.visible(user):
            continue
        if not groups or groups[-1]["name"] != item.group:
            groups.append({"name": item.group, "items": []})
        groups[-1]["items"].append(
            {
                "label": item.label,
                "url": item.url(),
                "icon": item.icon,
                "active": bool(item.match_prefix) and path.startswith(item.match_prefix),
            }
        )
    return groups
