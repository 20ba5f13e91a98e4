"""Assemble the JSON result from the outline and the rule modules."""

from __future__ import annotations

import hashlib

from . import spans
from .blocks import Block, render
from .cover import split_cover
from .dates import deadline_segments, plan_period
from .errors import PlanParseError
from .leading_group import parse_leading_group
from .recurring import duty_key, find_recurring
from .structure import (
    ORGANIZATION,
    OTHER,
    Document,
    Node,
    classify,
    implicit_part,
    lead_phrase,
    read_document,
    task_leaves,
    task_parts,
)
from .targets import find_targets
from .task_tables import TableEntry, match_entry, read_entries
from .units import Roles, extract_roles


def parse_blocks(blocks: list[Block]) -> dict:
    canonical = render(blocks)
    if not canonical.strip():
        raise PlanParseError("文件为空")
    cover, blocks = split_cover(blocks)
    doc = read_document(blocks)
    title = cover.title if cover is not None else doc.title

    parts = doc.parts
    chosen, kind = task_parts(parts)
    if not parts:
        implicit = implicit_part(doc.root)
        chosen = [implicit] if implicit is not None else []
    leaves = [leaf for part in chosen for leaf in task_leaves(part, part_may_be_task=kind == OTHER)]
    tasks = [_task_from_node(node, under) for node, under in leaves]
    _apply_tables(doc, tasks)

    plan_texts = _plan_level_texts(doc, chosen, {id(node) for node, _ in leaves})
    goals, recurring = _plan_level_duties([*(cover.body if cover is not None else []), *plan_texts])

    return {
        "title": title,
        "period": plan_period(title, "\n".join(doc.preamble)),
        "leading_group": _leading_group(doc, chosen),
        "goals": goals,
        "tasks": tasks,
        "recurring": recurring,
        "source": {"sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(), "chars": len(canonical)},
    }


# --- tasks ---------------------------------------------------------------------------


def _analyse(text: str) -> dict:
    """Deadlines, recurring duties, targets and units of one stretch of text."""
    masked = spans.mask_citations(text)
    segments = deadline_segments(text, masked)
    deadlines: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for seg in segments:
        item = seg.as_dict()
        if (item["date"], item["text"]) not in seen:
            seen.add((item["date"], item["text"]))
            deadlines.append(item)
    return {
        "deadlines": deadlines,
        "recurring": find_recurring(text, masked),
        "targets": find_targets(text, segments, masked),
        "roles": extract_roles(text, masked),
    }


def _task(number: str, section: str, title: str, text: str, found: dict, roles: Roles) -> dict:
    return {
        "number": number,
        "section": section,
        "title": title,
        "text": text,
        "lead_units": roles.lead,
        "participating_units": roles.participating,
        "deadlines": found["deadlines"],
        "recurring": found["recurring"],
        "targets": found["targets"],
    }


def _task_from_node(node: Node, under: Node) -> dict:
    text = node.text()
    found = _analyse(text)
    section = under.heading if under is not node else ""
    return _task(node.label, section, node.title, text, found, found["roles"])


def _apply_tables(doc: Document, tasks: list[dict]) -> None:
    """Merge task-table entries into prose tasks, or add them as tasks."""
    prose_count = len(tasks)
    taken: set[int] = set()
    for caption, table in doc.body_tables + doc.annex_tables:
        for entry in read_entries(table.rows, caption):
            index = match_entry(entry, tasks[:prose_count], taken)
            if index is None:
                tasks.append(_task_from_entry(entry))
            else:
                taken.add(index)
                _merge_entry(tasks[index], entry)


def _merge_entry(task: dict, entry: TableEntry) -> None:
    roles = Roles(list(entry.lead), list(entry.participating))
    roles.merge(Roles(task["lead_units"], task["participating_units"]))
    roles.finish()
    task["lead_units"], task["participating_units"] = roles.lead, roles.participating
    dates = {d["date"] for d in task["deadlines"]}
    keys = {duty_key(d) for d in task["recurring"]}
    for cell in entry.deadline_cells:
        for seg in deadline_segments(cell):
            if seg.date.isoformat() not in dates:
                dates.add(seg.date.isoformat())
                task["deadlines"].append(seg.as_dict())
        for duty in find_recurring(cell):
            if duty_key(duty) not in keys:
                keys.add(duty_key(duty))
                task["recurring"].append(duty)


def _task_from_entry(entry: TableEntry) -> dict:
    """A task read from a table entry alone (no prose task matched it)."""
    text = "\n".join(entry.requirements)
    found = _analyse("\n".join([text, *entry.deadline_cells]))
    # 工作要求 and 完成时间 cells often state the same duty twice.
    found["recurring"] = _one_per_schedule(found["recurring"])
    roles = Roles(list(entry.lead), list(entry.participating))
    roles.merge(found["roles"])
    roles.finish()
    title = entry.title or lead_phrase(text)
    return _task(entry.number, entry.section, title, text or title, found, roles)


def _one_per_schedule(duties: list[dict]) -> list[dict]:
    kept: dict[tuple, dict] = {}
    for duty in duties:
        kept.setdefault(duty_key(duty), duty)
    return list(kept.values())


# --- plan level ----------------------------------------------------------------------


def _leftover_text(node: Node, task_ids: set[int]) -> list[str]:
    """Text of a task part that belongs to no task (intros of parts/sections)."""
    if id(node) in task_ids:
        return []
    texts = [node.head[len(node.title) :].lstrip("。；;：: "), *node.lines]
    for child in node.children:
        texts.extend(_leftover_text(child, task_ids))
    return [t for t in texts if t]


def _plan_level_texts(doc: Document, chosen: list[Node], task_ids: set[int]) -> list[str]:
    texts = list(doc.preamble)
    for part in doc.parts:
        if part in chosen:
            texts.extend(_leftover_text(part, task_ids))
        else:
            texts.append(part.text())
    return texts


def _plan_level_duties(texts: list[str]) -> tuple[list[dict], list[dict]]:
    goals: list[dict] = []
    recurring: list[dict] = []
    seen_goals: set[tuple[str, str]] = set()
    seen_duties: set[tuple] = set()
    for text in texts:
        masked = spans.mask_citations(text)
        for seg in deadline_segments(text, masked):
            key = (seg.date.isoformat(), seg.text)
            if key not in seen_goals:
                seen_goals.add(key)
                goals.append({"deadline": key[0], "text": key[1]})
        for duty in find_recurring(text, masked):
            key = (duty_key(duty), duty["text"])
            if key not in seen_duties:
                seen_duties.add(key)
                recurring.append(duty)
    return goals, recurring


def _leading_group(doc: Document, chosen: list[Node]) -> dict:
    """From the organisation part(s); missing pieces from all non-task text."""
    org_text = "\n".join(p.text() for p in doc.parts if classify(p.title) == ORGANIZATION)
    group = parse_leading_group(org_text)
    if group["members"] and group["name"] and group["office"]:
        return group
    other = "\n".join([*doc.preamble, *(p.text() for p in doc.parts if p not in chosen)])
    fallback = parse_leading_group(other, organisation_part=False)
    return {key: group[key] or fallback[key] for key in ("name", "members", "office")}
