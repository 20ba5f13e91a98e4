"""Loading the hazard category taxonomy from data/hazard_categories.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from zhiben.audit.services import audit_record
from zhiben.core.services import service
from zhiben.registry.models import Sector

from .models import HazardCategory

ALL_SECTORS = "general"


@service("hazard_category.load_reference")
def categories_load(*, nodes: list[dict], actor=None) -> int:
    """Create or update categories by code (idempotent); returns how many
    changed. Sector codes on a root apply to its children; "general" means
    every sector."""
    sectors = {s.code: s for s in Sector.objects.all()}
    changed = 0
    order = 0

    def upsert(node: dict, parent: HazardCategory | None) -> HazardCategory:
        nonlocal changed, order
        order += 1
        defaults = {
            "name": node["name"],
            "parent": parent,
            "description": node.get("description") or "",
            "sort_order": order,
            "for_all_sectors": parent is None and ALL_SECTORS in (node.get("sectors") or []),
        }
        category = HazardCategory.objects.filter(code=node["code"]).first()
        if category is None:
            category = HazardCategory.objects.create(code=node["code"], **defaults)
            changed += 1
        elif any(getattr(category, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(category, k, v)
            category.save()
            changed += 1
        if parent is None:
            wanted = {sectors[c].pk for c in node.get("sectors") or [] if c in sectors}
            if set(category.sectors.values_list("pk", flat=True)) != wanted:
                category.sectors.set(wanted)
                changed += 1
        for child in node.get("children") or []:
            upsert(child, category)
        return category

    for node in nodes:
        upsert(node, None)
    if changed:
        audit_record(
            action="hazard_category.load_reference",
            actor=actor,
            object_type="hazards.hazardcategory",
            after={"changed": changed},
        )
    return changed


def load_files(data_dir: Path | None = None) -> tuple[int, int]:
    """Sectors then categories from the data directory."""
    from zhiben.registry.services import sectors_load

    data_dir = data_dir or settings.DATA_DIR
    with open(data_dir / "sectors.yaml", encoding="utf-8") as fh:
        sector_rows = yaml.safe_load(fh) or []
    with open(data_dir / "hazard_categories.yaml", encoding="utf-8") as fh:
        category_nodes = yaml.safe_load(fh) or []
    return sectors_load(rows=sector_rows), categories_load(nodes=category_nodes)
