"""What the unit and site importers share: the spool of clean rows, the
reference lookups, the organisation cells and the mapping of the services'
field errors to columns, and the chunked validation loop."""

from __future__ import annotations

import datetime as dt
import marshal
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from zhiben.core.tabular import Problems, RowError, SheetRows, by_code_and_name
from zhiben.org.models import Organization, User
from zhiben.org.tabular import OrgLookup

from .. import services
from ..models import Sector, SiteType, Tag

CHUNK = 5_000  # rows per existence query, per spool record and per bulk_create


class Spool:
    """Clean rows, written in chunks to an anonymous temporary file (deleted
    when closed, or by the OS if the process dies) so that the workbook is
    parsed once and memory does not grow with the file."""

    def __init__(self):
        self._file = tempfile.TemporaryFile(prefix="zhiben-import-")  # noqa: SIM115 (closed in close())
        self.rows = 0

    def add(self, chunk: list[tuple]) -> None:
        if chunk:
            marshal.dump(chunk, self._file)
            self.rows += len(chunk)

    def chunks(self) -> Iterator[list[tuple]]:
        self._file.seek(0)
        while True:
            try:
                yield marshal.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


def ordinal(day: dt.date | None) -> int | None:
    return day.toordinal() if day is not None else None


def from_ordinal(value: int | None) -> dt.date | None:
    return dt.date.fromordinal(value) if value is not None else None


class Lookups:
    """Reference data in dicts so that a row costs no query: sectors, tags and
    site types (by code or name) loaded once; organisations memoised per
    distinct name (:class:`zhiben.org.tabular.OrgLookup`); the actor's rights
    per owner (and 街道)."""

    def __init__(self, actor: User):
        self.actor = actor
        sectors = list(Sector.objects.select_related("owner"))
        self.sectors: dict[str, Sector] = by_code_and_name(sectors)
        self.sector_names = [s.name for s in sectors]
        tags = list(Tag.objects.all())
        self.tags: dict[str, Tag] = by_code_and_name(tags)
        self.tag_names = [t.name for t in tags]
        self.site_types: dict[str, SiteType] = by_code_and_name(SiteType.objects.select_related("owner"))
        self.orgs = OrgLookup()
        self._may_unit: dict[int | None, bool] = {}
        self._may_site: dict[tuple[int | None, int | None], bool] = {}

    def org(self, text: str) -> Organization | None:
        return self.orgs(text)

    def org_id(self, pk: int | None) -> Organization | None:
        return self.orgs.get(pk)

    def may_create_unit(self, owner: Organization | None) -> bool:
        key = owner.pk if owner is not None else None
        if key not in self._may_unit:
            self._may_unit[key] = services.can_create_unit(self.actor, owner)
        return self._may_unit[key]

    def may_manage_site(self, owner: Organization | None, street: Organization | None) -> bool:
        key = (owner.pk if owner is not None else None, street.pk if street is not None else None)
        if key not in self._may_site:
            self._may_site[key] = services.can_manage_site(self.actor, owner, street)
        return self._may_site[key]


def street_cell(lookups: Lookups, text: str, fail: Callable[[str], None]) -> Organization | None:
    street = lookups.org(text)
    if street is None:
        fail(f"所属街道“{text}”不存在")
    elif not street.is_active:
        fail(f"街道“{text}”已停用")
        return None
    return street  # a non-street organization is refused by the service rule


def owner_cell(lookups: Lookups, text: str, label: str, fail: Callable[[str], None]) -> Organization | None:
    owner = lookups.org(text)
    if owner is None:
        fail(f"{label}“{text}”不存在或有重名（科室请写“部门/科室”）")
    elif not owner.is_active:
        fail(f"{label}“{text}”已停用")
        return None
    return owner


def mapped(
    errors: dict[str, str], number: int, header_of: dict[str, str], default: str, cell_errors: list[RowError]
) -> list[RowError]:
    """The service rules' errors (by field) as row errors (by column); a
    column that already has a problem with its cell keeps that one only."""
    taken = {e.column for e in cell_errors}
    out = list(cell_errors)
    for key, message in errors.items():
        header = header_of.get(key) or (header_of.get("attributes") if key.startswith("attr_") else None)
        if (header or default) not in taken:
            out.append(RowError(number, header or default, message))
    return out


class ChunkedRows(ABC):
    """Validates the rows of a sheet ``chunk`` rows at a time (``parse``
    each row, then ``_finish`` the chunk: the checks needing the database,
    one query per chunk) and spools the clean ones while the file is clean."""

    chunk = CHUNK

    def __init__(self, actor: User, lookups: Lookups, problems: Problems):
        self.actor = actor
        self.lookups = lookups
        self.problems = problems
        self.spool = Spool()
        self.count = 0

    @abstractmethod
    def parse(self, number: int, raw: dict[str, Any], epoch) -> tuple:
        """One data row → the values to write (problems go to ``self.problems``)."""

    @abstractmethod
    def _finish(self, pending: list[tuple]) -> None:
        """Spool a chunk of parsed rows for the write phase."""

    def run(self, rows: SheetRows, progress: Callable[[int], None]) -> None:
        pending: list[tuple] = []
        size = self.chunk
        epoch = rows.epoch
        for number, raw in rows:
            pending.append((number, *self.parse(number, raw, epoch)))
            if len(pending) >= size:
                self._finish(pending)
                pending = []
                progress(self.count)
        self._finish(pending)

    def close(self) -> None:
        self.spool.close()
