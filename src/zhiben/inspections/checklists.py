"""Checklist content: reading data/checklists/*.yaml and the page's line
format into one normalized shape, and hashing it to detect changes.

Normalized document::

    {"code", "name", "source", "sectors": [codes], "hazard_category": code,
     "version": int | None,
     "groups": [{"name", "items": [{"code", "text", "clause", "major", "category"}]}]}

Line format (the 发布新版本 form), one line each:

* ``[分组名称]`` starts a group;
* ``编号 | 检查内容 | 依据条款 | 重大 | 隐患类别编码`` is an item; only the first two
  fields are required; the fourth is ``重大`` (or ``是``/``major``/``*``) for a
  直接判定为重大隐患 item and empty otherwise;
* blank lines and lines starting with ``#`` are ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from django.conf import settings

from zhiben.core.errors import ValidationFailed

MAJOR_MARKS = {"重大", "是", "major", "*", "true", "yes"}


def read_files(data_dir: Path | None = None) -> list[dict]:
    directory = (data_dir or settings.DATA_DIR) / "checklists"
    documents = []
    for path in sorted(directory.glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            documents.append(normalize(yaml.safe_load(fh) or {}))
    return documents


def normalize(doc: dict) -> dict:
    groups = []
    for group in doc.get("groups") or []:
        items = [
            {
                "code": str(item["code"]).strip(),
                "text": str(item["text"]).strip(),
                "clause": str(item.get("clause") or "").strip(),
                "major": bool(item.get("major")),
                "category": str(item.get("category") or "").strip(),
            }
            for item in group.get("items") or []
        ]
        groups.append({"name": str(group["name"]).strip(), "items": items})
    return {
        "code": str(doc.get("code") or "").strip(),
        "name": str(doc.get("name") or "").strip(),
        "source": str(doc.get("source") or "").strip(),
        "sectors": [str(s) for s in doc.get("sectors") or []],
        "hazard_category": str(doc.get("hazard_category") or "").strip(),
        "version": doc.get("version"),
        "groups": groups,
    }


def content_hash(groups: list[dict]) -> str:
    """SHA-256 of the items (what an inspection answers); name, source and
    sectors are the checklist's and do not make a new version."""
    canonical = json.dumps(groups, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_lines(text: str) -> list[dict]:
    """Groups from the line format; raises ValidationFailed naming the line."""
    groups: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            if not name:
                errors.append(f"第{number}行：分组名称为空")
            groups.append({"name": name, "items": []})
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            errors.append(f"第{number}行：应为“编号 | 检查内容 | 依据条款 | 重大 | 隐患类别编码”")
            continue
        if len(parts) > 5:
            errors.append(f"第{number}行：字段过多（检查内容中不能含“|”）")
            continue
        parts += [""] * (5 - len(parts))
        if not groups:
            groups.append({"name": "检查内容", "items": []})
        groups[-1]["items"].append(
            {
                "code": parts[0],
                "text": parts[1],
                "clause": parts[2],
                "major": parts[3].lower() in MAJOR_MARKS,
                "category": parts[4],
            }
        )
    if errors:
        raise ValidationFailed("检查条目有误：" + "；".join(errors[:10]), details={"items": errors})
    return groups


def to_lines(groups: list[dict]) -> str:
    """The line format of ``groups`` (prefills the publish form)."""
    lines = []
    for group in groups:
        lines.append(f"[{group['name']}]")
        for item in group["items"]:
            fields = [item["code"], item["text"], item["clause"], "重大" if item["major"] else "", item["category"]]
            while fields and not fields[-1]:
                fields.pop()
            lines.append(" | ".join(fields))
    return "\n".join(lines)
