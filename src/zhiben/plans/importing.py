"""Helpers of the plan import (no writes): the plan's sector and owner, unit
name resolution, and the diff between a stored plan and a revised document."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from zhiben.org.models import Organization
from zhiben.registry.models import Sector

from .models import OrgNameMapping, Plan, Task

TITLE_SIMILARITY = 0.6


def sector_names(sector: Sector) -> list[str]:
    """ "国动（人防工程、地下空间）" → ["国动", "人防工程", "地下空间"]."""
    name = sector.name
    base = re.split(r"[（(]", name, maxsplit=1)[0].strip()
    inner = re.findall(r"[（(]([^）)]*)[）)]", name)
    names = [base] + [part.strip() for chunk in inner for part in re.split(r"[、,，]", chunk) if part.strip()]
    return [n for n in names if n]


def sector_for_title(title: str) -> Sector | None:
    """The sector whose name (or a name in its brackets) appears in the
    title; the longest match wins ("道路交通" over "交通")."""
    best: tuple[int, Sector] | None = None
    for sector in Sector.objects.all():
        for name in sector_names(sector):
            if name in (title or "") and (best is None or len(name) > best[0]):
                best = (len(name), sector)
    return best[1] if best else None


@dataclass
class Resolution:
    organization: Organization | None
    how: str  # "subtree" | "global" | "mapping" | "ignored" | ""


def resolve_unit(
    name: str, owner: Organization | None, mappings: dict[str, OrgNameMapping] | None = None
) -> Resolution:
    """Within the owner's department subtree first (市场管理科 → 区商务委's),
    then globally (unique match only), then the administrators' mapping."""
    name = (name or "").strip()
    if owner is not None:
        scope = owner.department if owner.kind == "section" else owner
        org = Organization.objects.resolve(name, within=scope)
        if org is not None:
            return Resolution(org, "subtree")
    org = Organization.objects.resolve(name)
    if org is not None:
        return Resolution(org, "global")
    mapping = (mappings or {}).get(name) if mappings is not None else OrgNameMapping.objects.filter(name=name).first()
    if mapping is not None:
        return Resolution(mapping.organization, "ignored" if mapping.ignored else "mapping")
    return Resolution(None, "")


# --- diff ---------------------------------------------------------------------------------


def task_key(section: str, number: str) -> tuple[str, str]:
    return ((section or "").strip(), (number or "").strip())


@dataclass
class Match:
    pairs: list[tuple[Task, dict]] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    removed: list[Task] = field(default_factory=list)


def match_tasks(existing: list[Task], parsed: list[dict]) -> Match:
    """Pair stored tasks with parsed ones: by section+number (when the title
    is still similar, or unique), then by title similarity."""
    result = Match()
    free = list(existing)
    unmatched: list[dict] = []
    for item in parsed:
        key = task_key(item.get("section", ""), item.get("number", ""))
        candidates = [t for t in free if task_key(t.section, t.number) == key]
        chosen = None
        for t in candidates:
            if _similar(t.title, item.get("title", "")) >= TITLE_SIMILARITY or len(candidates) == 1:
                chosen = t
                break
        if chosen is not None and _similar(chosen.title, item.get("title", "")) < 0.3:
            chosen = None  # same number, a different task (renumbered)
        if chosen is None:
            unmatched.append(item)
            continue
        free.remove(chosen)
        result.pairs.append((chosen, item))
    for item in unmatched:
        best, score = None, 0.0
        for t in free:
            s = _similar(t.title, item.get("title", ""))
            if s > score:
                best, score = t, s
        if best is not None and score >= TITLE_SIMILARITY:
            free.remove(best)
            result.pairs.append((best, item))
        else:
            result.added.append(item)
    result.removed = free
    return result


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a or "", b or "").ratio()


def _task_brief(section: str, number: str, title: str) -> dict:
    return {"section": section, "number": number, "title": title}


def stored_units(task: Task, role: str) -> list[str]:
    return [u.name for u in task.units.all() if u.role == role and not u.is_default]


def compute_diff(plan: Plan, data: dict) -> dict:
    """Tasks added/removed/changed and deadlines changed, for the
    confirmation page (JSON-ready)."""
    existing = list(plan.tasks.filter(removed_at__isnull=True).prefetch_related("units", "milestones"))
    match = match_tasks(existing, data.get("tasks") or [])
    changed = []
    unchanged = 0
    for task, item in match.pairs:
        fields = []
        if task.title != item.get("title", ""):
            fields.append("任务名称")
        if task.text != item.get("text", ""):
            fields.append("工作要求")
        if task_key(task.section, task.number) != task_key(item.get("section", ""), item.get("number", "")):
            fields.append("序号")
        if stored_units(task, "lead") != list(item.get("lead_units") or []):
            fields.append("牵头单位")
        if stored_units(task, "participating") != list(item.get("participating_units") or []):
            fields.append("参与单位")
        before = sorted({m.due_date.isoformat() for m in task.milestones.all()})
        after = sorted({d["date"] for d in item.get("deadlines") or [] if d.get("date")})
        deadlines = None
        if before != after:
            fields.append("完成时限")
            deadlines = {"before": before, "after": after}
        if fields:
            changed.append(
                {
                    "id": task.pk,
                    **_task_brief(item.get("section", ""), item.get("number", ""), item.get("title", "")),
                    "old_title": task.title,
                    "fields": fields,
                    "deadlines": deadlines,
                }
            )
        else:
            unchanged += 1
    return {
        "added": [_task_brief(i.get("section", ""), i.get("number", ""), i.get("title", "")) for i in match.added],
        "removed": [{"id": t.pk, **_task_brief(t.section, t.number, t.title)} for t in match.removed],
        "changed": changed,
        "unchanged": unchanged,
    }
