"""网格：划分与维护。"""

from __future__ import annotations

from typing import Any

from zhiben.audit.services import audit_record, normalize
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.choices import OrgKind
from zhiben.org.models import User

from ..access import can_manage_grid
from ..models import (
    Grid,
    Site,
)

# --- Grids --------------------------------------------------------------------------------


def _grid_snapshot(grid: Grid) -> dict[str, Any]:
    return normalize(
        {
            "name": grid.name,
            "owner": grid.owner_id,
            "note": grid.note,
            "streets": sorted(grid.streets.values_list("pk", flat=True)),
            "sites": sorted(grid.sites.values_list("pk", flat=True)),
            "inspectors": sorted(grid.inspectors.values_list("pk", flat=True)),
        }
    )


def _validate_grid(actor: User, data: dict[str, Any], grid: Grid | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = data.get("name") or ""
    if not name:
        errors["name"] = "请填写网格名称"
    elif len(name) > 60:
        errors["name"] = "名称不超过60字"
    owner = data.get("owner")
    if owner is None:
        errors["owner"] = "请选择负责组织"
    elif Grid.objects.filter(owner=owner, name=name).exclude(pk=grid.pk if grid else None).exists():
        errors["name"] = "该组织已有同名网格"
    if any(s.kind != OrgKind.STREET for s in data.get("streets") or []):
        errors["streets"] = "只能选择街道"
    sites = list(data.get("sites") or [])
    if sites and Site.objects.restrict(actor, "view").filter(pk__in=[s.pk for s in sites]).count() != len(
        {s.pk for s in sites}
    ):
        errors["sites"] = "部分场所不存在或您无权访问"
    if not data.get("streets") and not sites:
        errors["streets"] = "请至少选择一个街道或场所"
    if any(not u.is_active for u in data.get("inspectors") or []):
        errors["inspectors"] = "检查员账号已停用"
    return errors


def _apply_grid(grid: Grid, data: dict[str, Any]) -> None:
    grid.streets.set(data.get("streets") or [])
    grid.sites.set(data.get("sites") or [])
    grid.inspectors.set(data.get("inspectors") or [])


@service("grid.create")
def grid_create(*, actor: User, data: dict[str, Any]) -> Grid:
    """data: name, owner, streets, sites, inspectors, note."""
    data = {**data, "name": (data.get("name") or "").strip(), "note": (data.get("note") or "").strip()[:300]}
    require(data.get("owner") is not None and can_manage_grid(actor, data["owner"]), "您不能为该组织划分网格")
    errors = _validate_grid(actor, data, None)
    if errors:
        raise ValidationFailed("网格信息有误：" + "；".join(errors.values()), details=errors)
    grid = Grid.objects.create(name=data["name"], owner=data["owner"], note=data["note"])
    _apply_grid(grid, data)
    audit_record(action="grid.create", actor=actor, obj=grid, after=_grid_snapshot(grid))
    return grid


@service("grid.update")
def grid_update(*, actor: User, grid: Grid, data: dict[str, Any]) -> Grid:
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    require(can_manage_grid(actor, grid.owner), "您不能修改该网格")
    data = {**data, "name": (data.get("name") or "").strip(), "note": (data.get("note") or "").strip()[:300]}
    require(data.get("owner") is not None and can_manage_grid(actor, data["owner"]), "您不能把网格转给该组织")
    errors = _validate_grid(actor, data, grid)
    if errors:
        raise ValidationFailed("网格信息有误：" + "；".join(errors.values()), details=errors)
    before = _grid_snapshot(grid)
    grid.name, grid.owner, grid.note = data["name"], data["owner"], data["note"]
    grid.save()
    _apply_grid(grid, data)
    after = _grid_snapshot(grid)
    if after != before:
        audit_record(action="grid.update", actor=actor, obj=grid, before=before, after=after)
    return grid
