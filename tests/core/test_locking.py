"""PostgreSQL cannot lock the nullable side of an outer join: every
select_for_update() that also select_related()s must lock only its own row
(select_for_update(of=("self",)))."""

from __future__ import annotations

import re
from pathlib import Path

import zhiben

SOURCE = Path(zhiben.__file__).parent
# Whitespace is removed first, so a chain split over lines is caught too.
UNSAFE = re.compile(r"select_for_update\(\)\.select_related\(")


def unsafe_locks(text: str) -> bool:
    return bool(UNSAFE.search(re.sub(r"\s+", "", text)))


def test_the_check_catches_the_pattern():
    assert unsafe_locks('X.objects.select_for_update()\n    .select_related("owner")')
    assert not unsafe_locks('X.objects.select_for_update(of=("self",)).select_related("owner")')


def test_row_locks_with_joins_name_their_own_table():
    offenders = [str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.py") if unsafe_locks(p.read_text("utf-8"))]
    assert offenders == []
