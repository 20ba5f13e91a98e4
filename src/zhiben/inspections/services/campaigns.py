"""Campaign services: choosing the target sites, creating a campaign and
drawing its sample."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence
from typing import Any

from zhiben.audit.services import audit_record
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.models import Grid

from .. import access
from ..choices import (
    CAMPAIGN_METHODS,
    FrequencyPeriod,
)
from ..models import (
    Campaign,
    CampaignDraw,
    Checklist,
)
from ..selectors import target_sites

# --- Campaigns ------------------------------------------------------------------------------

TARGET_KEYS = {"site_types", "streets", "owner", "grid", "sites", "attributes"}


def _validate_target(target: dict[str, Any]) -> dict[str, str]:
    errors = {}
    unknown = set(target) - TARGET_KEYS
    if unknown:
        errors["target"] = f"未知的筛选条件：{'、'.join(sorted(unknown))}"
    if target.get("streets"):
        known = set(
            Organization.objects.filter(code__in=target["streets"], kind=OrgKind.STREET).values_list("code", flat=True)
        )
        if set(target["streets"]) - known:
            errors["target"] = f"未知的街道：{'、'.join(sorted(set(target['streets']) - known))}"
    if target.get("owner") and not Organization.objects.filter(code=target["owner"]).exists():
        errors["target"] = f"未知的部门：{target['owner']}"
    if target.get("grid") and not Grid.objects.filter(pk=target["grid"]).exists():
        errors["target"] = "网格不存在"
    if not isinstance(target.get("attributes") or {}, dict):
        errors["target"] = "场所属性条件须为键值对"
    return errors


def _clean_target(target: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key in ("site_types", "streets"):
        values = sorted({str(v).strip() for v in target.get(key) or [] if str(v).strip()})
        if values:
            clean[key] = values
    if target.get("owner"):
        clean["owner"] = str(target["owner"]).strip()
    if target.get("grid"):
        clean["grid"] = int(target["grid"])
    if target.get("sites"):
        clean["sites"] = sorted({int(pk) for pk in target["sites"]})
    if target.get("attributes"):
        clean["attributes"] = dict(target["attributes"])
    for key in set(target) - TARGET_KEYS:
        clean[key] = target[key]
    return clean


@service("campaign.create")
def campaign_create(*, actor: User, data: dict[str, Any]) -> Campaign:
    """排查轮次. ``data``: name, owner, co_owners, method, period_start,
    period_end, checklist, target (dict), team_users, team_orgs,
    frequency_times, frequency_period, note."""
    owner = data.get("owner")
    errors: dict[str, str] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = "请填写名称"
    if not isinstance(owner, Organization):
        errors["owner"] = "请选择牵头部门"
    if data.get("method") not in dict(CAMPAIGN_METHODS):
        errors["method"] = "检查方式无效"
    start, end = data.get("period_start"), data.get("period_end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        errors["period_start"] = "请填写起止日期"
    elif end < start:
        errors["period_end"] = "结束日期不能早于开始日期"
    if not isinstance(data.get("checklist"), Checklist):
        errors["checklist"] = "请选择检查表"
    times, period = data.get("frequency_times"), data.get("frequency_period") or ""
    if bool(times) != bool(period):
        errors["frequency_times"] = "频次须同时填写次数和周期"
    elif period and period not in FrequencyPeriod.values:
        errors["frequency_period"] = "频次周期无效"
    elif times is not None and times != "" and int(times) < 1:
        errors["frequency_times"] = "次数至少为1"
    target = _clean_target(data.get("target") or {})
    errors.update(_validate_target(target))
    if errors:
        raise ValidationFailed("排查轮次信息有误：" + "；".join(errors.values()), details=errors)
    require(access.can_manage_campaign(actor, owner), "您不能为该部门创建排查轮次")
    campaign = Campaign.objects.create(
        name=data["name"].strip(),
        owner=owner,
        method=data["method"],
        period_start=start,
        period_end=end,
        checklist=data["checklist"],
        target=target,
        frequency_times=int(times) if times else None,
        frequency_period=period,
        note=(data.get("note") or "").strip(),
        created_by=actor,
    )
    campaign.co_owners.set(data.get("co_owners") or [])
    campaign.team_users.set(data.get("team_users") or [])
    campaign.team_orgs.set(data.get("team_orgs") or [])
    audit_record(
        action="campaign.create",
        actor=actor,
        obj=campaign,
        after={
            "owner": owner.pk,
            "method": campaign.method,
            "period": [start, end],
            "checklist": campaign.checklist_id,
            "target": target,
            "frequency": campaign.frequency_label,
            "team_users": sorted(u.pk for u in data.get("team_users") or []),
            "team_orgs": sorted(o.pk for o in data.get("team_orgs") or []),
        },
    )
    return campaign


def draw(ids: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """``count`` of ``ids`` (sorted first, so the result depends only on the
    set and the generator), in ascending order."""
    ordered = sorted(ids)
    return sorted(rng.sample(ordered, min(max(count, 0), len(ordered))))


@service("campaign.draw")
def campaign_draw(
    *,
    actor: User,
    campaign: Campaign,
    site_count: int,
    inspector_pool: Sequence[User] = (),
    inspector_count: int = 0,
    seed: str | None = None,
) -> CampaignDraw:
    """双随机: draw sites from the targets, then inspectors from the pool,
    with one ``random.Random(seed)`` (sites first). The same seed, targets
    and pool give the same draw."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require(access.can_manage_campaign(actor, campaign.owner), "只有牵头部门可以抽取")
    if site_count < 1:
        raise ValidationFailed("抽取场所数至少为1", details={"site_count": "至少为1"})
    if inspector_count < 0 or (inspector_count and len(inspector_pool) < inspector_count):
        raise ValidationFailed("检查人员库人数不足", details={"inspector_count": "检查人员库人数不足"})
    seed = (seed or "").strip() or secrets.token_hex(8)
    site_ids = list(target_sites(campaign.target).values_list("pk", flat=True))
    if not site_ids:
        raise ValidationFailed("检查对象为空，无法抽取", details={"site_count": "检查对象为空"})
    rng = random.Random(seed)
    chosen_sites = draw(site_ids, site_count, rng)
    pool_ids = sorted({u.pk for u in inspector_pool})
    chosen_inspectors = draw(pool_ids, inspector_count, rng) if inspector_count else []
    result = CampaignDraw.objects.create(
        campaign=campaign,
        seed=seed,
        site_population=len(site_ids),
        site_ids=chosen_sites,
        pool_ids=pool_ids,
        inspector_ids=chosen_inspectors,
        drawn_by=actor,
    )
    audit_record(
        action="campaign.draw",
        actor=actor,
        obj=campaign,
        after={
            "seed": seed,
            "population": len(site_ids),
            "sites": chosen_sites,
            "pool": pool_ids,
            "inspectors": chosen_inspectors,
        },
    )
    return result
