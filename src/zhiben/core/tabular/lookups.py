"""Small helpers shared by importers and exports (no models here: the
org-aware lookups — 部门/科室 by name or "上级/下级" path — are in
:mod:`zhiben.org.tabular`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def labels(choices) -> dict[str, str]:
    """Stored value → Chinese label of a TextChoices (for exports)."""
    return {member.value: str(member.label) for member in choices}


def by_label(choices, *, short: bool = False) -> dict[str, str]:
    """Stored value and Chinese label (with ``short``, also the label's part before “（”) →
    stored value of a TextChoices (for importers reading a choice cell)."""
    found: dict[str, str] = {}
    for value, label in choices.choices:
        found[value] = value
        found[str(label)] = value
        if short:
            found[str(label).split("（")[0]] = value
    return found


def clean_path(text: str) -> str:
    """ "上级／ 下级 " → "上级/下级": a name path as users type it, normalised."""
    return "/".join(part.strip() for part in text.replace("／", "/").split("/"))


def by_code_and_name(objects: Iterable[Any]) -> dict[str, Any]:
    """{code: obj, name: obj} of reference objects (sectors, tags, site
    types), so that a cell may hold either; a name equal to another object's
    code resolves to the object of that name."""
    objects = list(objects)
    found: dict[str, Any] = {o.code: o for o in objects}
    found.update({o.name: o for o in objects})
    return found
