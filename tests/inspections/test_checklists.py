"""Checklists as data: loading data/checklists, versioning, the line format."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.inspections import services
from zhiben.inspections.checklists import parse_lines, read_files
from zhiben.inspections.models import Checklist, ChecklistItem, ChecklistVersion

# Items per file in data/checklists (the files' own counts).
EXPECTED = {
    path.stem: sum(len(g["items"]) for g in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
    for path in sorted((Path(settings.DATA_DIR) / "checklists").glob("*.yaml"))
}


def test_expected_counts_are_the_known_files():
    assert len(EXPECTED) == 15  # the 8 of the first six sectors, 5 of 卫生健康 and 绿化市容, 道路运输 and 生态环境
    assert EXPECTED["cd-key-hazards"] == 18
    assert EXPECTED["gb35181-2017"] == 10


def test_load_counts_per_file(reference):
    assert set(reference) == set(EXPECTED)
    for code, count in EXPECTED.items():
        version = reference[code].current_version
        assert version.number == 1
        assert version.items.count() == count, code
    gb = reference["gb35181-2017"].current_version
    assert gb.items.filter(major=True).count() == 10
    assert reference["gb35181-2017"].default_category.code == "fire"
    assert set(reference["cd-key-hazards"].sectors.values_list("code", flat=True)) == {"civil_defense"}


def test_load_is_idempotent(reference):
    assert services.load_files() == 0
    assert ChecklistVersion.objects.count() == len(EXPECTED)


def test_changed_file_creates_new_version(reference, tmp_path):
    docs = read_files()
    gb = next(d for d in docs if d["code"] == "gb35181-2017")
    old_version = reference["gb35181-2017"].current_version
    old_ids = set(old_version.items.values_list("pk", flat=True))
    gb["groups"][0]["items"][0]["text"] += "（修订）"
    assert services.checklists_load(documents=[gb]) == 1
    checklist = Checklist.objects.get(code="gb35181-2017")
    new = checklist.current_version
    assert new.number == 2 and new.items.count() == 10
    assert new.items.get(code="6.1").text.endswith("（修订）")
    # The old version is untouched.
    assert set(old_version.items.values_list("pk", flat=True)) == old_ids
    assert not ChecklistItem.objects.get(version=old_version, code="6.1").text.endswith("（修订）")
    # Renaming only (no item change) does not make a version.
    gb["name"] = "新名称"
    assert services.checklists_load(documents=[gb]) == 1
    assert Checklist.objects.get(code="gb35181-2017").versions.count() == 2


def test_unknown_category_refused(reference):
    doc = read_files()[0]
    doc["groups"][0]["items"][0]["category"] = "no-such"
    with pytest.raises(ValidationFailed):
        services.checklists_load(documents=[doc])


def test_parse_lines():
    groups = parse_lines(
        "# 注释\n[消防]\n1 | 疏散通道畅通 | 条款 | 重大 | fire-tdzd\n2 | 灭火器有效\n\n[用电]\nA | 无私拉电线"
    )
    assert [g["name"] for g in groups] == ["消防", "用电"]
    assert groups[0]["items"][0] == {
        "code": "1",
        "text": "疏散通道畅通",
        "clause": "条款",
        "major": True,
        "category": "fire-tdzd",
    }
    assert groups[0]["items"][1]["major"] is False
    with pytest.raises(ValidationFailed):
        parse_lines("[组]\n只有一个字段")


def test_create_and_publish(reference, users, audit_rows, actions, last_audit_id):
    start = last_audit_id()
    checklist = services.checklist_create(
        actor=users["leader"],
        data={"code": "mall-daily", "name": "商场日查", "default_category": None},
        items_text="[消防]\n1 | 疏散通道畅通 | | | fire-tdzd\n2 | 灭火器有效",
    )
    assert actions(start) == ["checklist.create"]
    assert checklist.current_version.items.count() == 2
    start = last_audit_id()
    version = services.checklist_publish(
        actor=users["admin"],
        checklist=checklist,
        items_text="[消防]\n1 | 疏散通道畅通\n2 | 灭火器有效\n3 | 消防控制室有人值守",
    )
    assert actions(start) == ["checklist.publish"]
    assert version.number == 2 and version.items.count() == 3
    with pytest.raises(ConflictError):
        services.checklist_publish(
            actor=users["admin"],
            checklist=checklist,
            items_text="[消防]\n1 | 疏散通道畅通\n2 | 灭火器有效\n3 | 消防控制室有人值守",
        )
    with pytest.raises(PermissionDeniedError):
        services.checklist_publish(actor=users["officer"], checklist=checklist, items_text="1 | 其他内容")


def test_checklist_pages(reference, users, login):
    client = login(users["leader"])
    assert client.get("/checklists/").status_code == 200
    pk = reference["gb35181-2017"].pk
    page = client.get(f"/checklists/{pk}/")
    assert page.status_code == 200 and "直接判定为重大隐患" in page.content.decode()
    response = client.post(
        f"/checklists/{pk}/", {"items_text": "[直接判定要素]\n6.1 | 新条目 | | 重大", "note": "测试"}
    )
    assert response.status_code == 302
    assert reference["gb35181-2017"].versions.count() == 2
    assert login(users["officer"]).post(f"/checklists/{pk}/", {"items_text": "1 | x"}).status_code == 404
    assert login(users["officer"]).get("/checklists/new/").status_code == 404
