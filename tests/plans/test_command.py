"""`zhiben plan parse|import`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiben.plans.models import Plan

COMMERCE = str(Path(settings.DATA_DIR) / "plans" / "commerce.txt")


def run(*args) -> str:
    out = StringIO()
    call_command("plan", *args, stdout=out)
    return out.getvalue()


def test_parse_json_is_the_default():
    data = json.loads(run("parse", COMMERCE))
    assert data["title"].startswith("虹口区商务领域") and len(data["tasks"]) == 13
    assert json.loads(run("parse", COMMERCE, "--json")) == data


def test_parse_text_summary():
    text = run("parse", COMMERCE, "--text")
    assert "方案：虹口区商务领域" in text and "任务 13 项" in text and "牵头：市场管理科" in text


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff" * 100])
def test_parse_errors_are_clear(tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError) as exc:
        run("parse", str(path))
    assert "无法解析方案" in str(exc.value)
    with pytest.raises(CommandError, match="找不到文件"):
        run("parse", str(tmp_path / "missing.txt"))


@pytest.mark.django_db
def test_import_and_reimport(sectors, orgs, tmp_path):
    assert "已导入方案" in run("import", COMMERCE)
    assert "未做任何更改" in run("import", COMMERCE)
    assert Plan.objects.count() == 1
    # A plan whose title names no known sector needs --owner.
    text = (Path(settings.DATA_DIR) / "plans" / "economy.txt").read_text(encoding="utf-8")
    unknown = tmp_path / "other.txt"
    unknown.write_text(text.replace("虹口区经济系统", "虹口区某某系统", 1), encoding="utf-8")
    with pytest.raises(CommandError, match="请选择牵头部门"):
        run("import", str(unknown))
    assert "已导入" in run("import", str(unknown), "--owner", "hk-awb")
