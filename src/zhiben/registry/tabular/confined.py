"""The 有限空间 list export (as filtered and scoped by the caller) through the one
streaming writer of :mod:`zhiben.core.tabular`: one row per space with its
latest 作业审批, constant memory and a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Count, Max

from zhiben.core.tabular import DATE, Column, labels, write_sheet
from zhiben.imports.registry import Exporter, ExportProgress, with_progress

from ..models import ConfinedHazard, ConfinedSpaceStatus, ConfinedSpaceType

CONFINED_SHEET = "有限空间"
CONFINED_EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("所属单位", "unit", 30, True, "", as_text=True),
    Column("统一社会信用代码", "uscc", 22, False, "", as_text=True),
    Column("编号", "code", 12, False, "", as_text=True),
    Column("名称", "name", 24, True, "", as_text=True),
    Column("类型", "space_type", 16, True, ""),
    Column("位置", "location", 24, False, "", as_text=True),
    Column("所在场所", "site", 20, False, "", as_text=True),
    Column("主要危险有害因素", "hazards", 24, False, ""),
    Column("已设置安全警示标识", "has_warning_sign", 10, False, ""),
    Column("管理责任人", "manager_name", 12, False, "", as_text=True),
    Column("状态", "status", 8, False, ""),
    Column("作业审批次数", "permits", 10, False, ""),
    Column("最近作业日期", "last_work", 12, False, "", DATE),
    Column("备注", "note", 24, False, "", as_text=True),
)
EXPORT_FIELDS = (
    "unit__name",
    "unit__uscc",
    "code",
    "name",
    "space_type",
    "location",
    "site__name",
    "hazards",
    "has_warning_sign",
    "manager_name",
    "status",
    "n_permits",
    "last_work",
    "note",
)


def export_confined_spaces(qs, path_or_file: str | IO[bytes], *, progress: ExportProgress | None = None) -> int:
    """Write the spaces of ``qs`` (already scoped and filtered) as .xlsx, with the number
    of permits recorded and the latest work date. ``progress(rows_written)`` every 1,000 rows."""
    types = {value: label.split("（")[0] for value, label in labels(ConfinedSpaceType).items()}
    hazards, statuses = labels(ConfinedHazard), labels(ConfinedSpaceStatus)
    qs = qs.annotate(n_permits=Count("permits"), last_work=Max("permits__work_date"))

    def rows() -> Iterator[list[Any]]:
        for row in qs.values_list(*EXPORT_FIELDS).iterator(chunk_size=2000):
            unit, uscc, code, name, kind, location, site, found, sign, manager, status, n, last, note = row
            yield [
                unit,
                uscc or "",
                code,
                name,
                types.get(kind, kind),
                location,
                site or "",
                "、".join(hazards.get(h, h) for h in found or []),
                "是" if sign else "否",
                manager,
                statuses.get(status, status),
                n,
                last,
                note,
            ]

    return write_sheet(path_or_file, CONFINED_SHEET, CONFINED_EXPORT_COLUMNS, with_progress(rows(), progress))


class ConfinedSpaceExporter(Exporter):
    """The 有限空间 list as filtered (same query string as /confined-spaces/), within the viewer's scope."""

    kind = "confined_spaces"
    label = "有限空间"
    filename = "有限空间台账"
    action = "confined.export"
    object_type = "registry.confinedspace"
    list_url = "registry:confined_list"

    @classmethod
    def select(cls, user, params):
        from ..selectors import filter_confined_spaces

        return filter_confined_spaces(user, params)[1]

    @classmethod
    def write(cls, qs, fh, *, user, progress=None) -> int:
        return export_confined_spaces(qs, fh, progress=progress)
