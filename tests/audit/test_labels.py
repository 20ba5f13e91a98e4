"""Every audit action the code writes (and every service name, which refusal rows record as
"attempted") has a Chinese label, so the audit log and the timelines never show a code name."""

from __future__ import annotations

import re
from pathlib import Path

from zhiben.audit.labels import ACTION_LABELS, action_label

SRC = Path(__file__).resolve().parents[2] / "src" / "zhiben"
WRITTEN = re.compile(r'(?:action="|@service\(")([a-z_]+\.[a-z_]+)"')


def test_every_action_in_the_code_has_a_chinese_label():
    found = {m.group(1) for path in SRC.rglob("*.py") for m in WRITTEN.finditer(path.read_text(encoding="utf-8"))}
    assert len(found) > 100  # the scan really read the services
    assert sorted(a for a in found if a not in ACTION_LABELS) == []
    assert all(re.search(r"[\u4e00-\u9fff]", action_label(a)) for a in found)
