"""The importers of kinds "units" and "sites" (run by zhiben.imports; their
upload and template pages are the generic ones of zhiben.imports.views)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import IO

from zhiben.core.tabular import ImportFileError, Problems, RowError, SheetRows
from zhiben.imports.registry import Importer, Progress, Written
from zhiben.org.models import User

from ..access import can_register_sites, can_register_units
from .columns import (
    SITE_HEADERS,
    SITE_REQUIRED,
    SITE_SHEET,
    UNIT_HEADERS,
    UNIT_REQUIRED,
    UNIT_SHEET,
    site_template,
    unit_template,
)
from .rows import Lookups
from .sites import SiteRows
from .units import UnitRows


def _sheet(fh: IO[bytes], headers, required, name: str, *, optional: bool = False) -> SheetRows:
    """The sheet ``name`` (a row counts when a column read has a value)."""
    return SheetRows(
        fh, headers=headers, required_headers=required, sheet_name=name, optional=optional, blank_if_unread=True
    )


def _drain(steps: Generator[Written, None, int]) -> int:
    """Run every step in the caller's transaction; the steps' return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


class _RegistryImporter(Importer):
    # Bulk steps of CHUNK rows are short; pause for other writers about every
    # 3 s of writing, not after each step (the benchmark's budget; well under the 20 s busy timeout).
    hold_seconds = 3.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._units: UnitRows | None = None
        self._sites: SiteRows | None = None

    def _progress(self, progress: Progress, estimate: int, offset: int = 0) -> Callable[[int], None]:
        def report(done: int) -> None:
            done += offset
            progress(done, max(estimate, done))

        return report

    def _close(self) -> None:
        for part in (self._units, self._sites):
            if part is not None:
                part.close()

    def _refuse(self, problems: Problems, count: int) -> tuple[int, list[RowError]]:
        self._close()
        return count, problems


class UnitImporter(_RegistryImporter):
    """生产经营单位批量导入 (kind "units")."""

    kind = "units"
    label = "生产经营单位"
    page_what = "单位"
    title = "批量导入生产经营单位"
    sheet = UNIT_SHEET
    list_url = "registry:unit_list"
    list_label = "返回单位列表"
    template_url = "registry:unit_template"
    template_filename = "单位导入模板.xlsx"
    template_builder = staticmethod(unit_template)
    result_text = "查看单位列表"
    upload_url_name = "registry:unit_import"
    denied_message = "只有区安委办和部门人员可以批量导入单位"
    page_notes = ("统一社会信用代码不能与已登记的单位重复；电话号码加密保存。",)

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register_units(user)

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        problems = Problems()
        self._units = UnitRows(self.actor, Lookups(self.actor), problems)
        try:
            with _sheet(fh, UNIT_HEADERS, UNIT_REQUIRED, UNIT_SHEET) as rows:
                self._units.run(rows, self._progress(progress, rows.estimate))
        except BaseException:
            self._close()
            raise
        count = self._units.count
        if count == 0:
            self._close()
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写单位（工作表“{UNIT_SHEET}”）")
        progress(count, count)
        if problems.total:
            return self._refuse(problems, count)
        return count, problems

    def write(self, fh: IO[bytes]) -> int:
        return _drain(self.write_steps(fh))

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        """Writes what ``validate`` spooled (the file is not read again)."""
        if self._units is None:
            raise RuntimeError("validate() must run first")
        try:
            created, _ = yield from self._units.write_steps(self.actor, self.job.pk)
        finally:
            self._close()
        return created


class SiteImporter(_RegistryImporter):
    """场所批量导入 (kind "sites"); the file may also carry a
    “生产经营单位” sheet (the unit template's columns): those units are
    imported first, in the same all-or-nothing run, and sites can refer to
    them by 统一社会信用代码."""

    kind = "sites"
    label = "场所"
    title = "批量导入场所"
    sheet = SITE_SHEET
    list_url = "registry:site_list"
    list_label = "返回场所列表"
    template_url = "registry:site_template"
    template_filename = "场所导入模板.xlsx"
    template_builder = staticmethod(site_template)
    result_text = "查看场所列表"
    upload_url_name = "registry:site_import"
    denied_message = "只有区安委办、部门和街道人员可以批量导入场所"
    page_notes = (
        f"所属单位按统一社会信用代码关联已登记的单位；也可在同一文件中加入“{UNIT_SHEET}”工作表"
        "（列同单位导入模板），单位与场所一并导入。",
    )

    @classmethod
    def can_import(cls, user: User) -> bool:
        return can_register_sites(user)

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        problems = Problems()
        lookups = Lookups(self.actor)
        self._units = UnitRows(self.actor, lookups, problems, for_sites=True)
        try:
            with _sheet(fh, UNIT_HEADERS, UNIT_REQUIRED, UNIT_SHEET, optional=True) as rows:
                self._units.run(rows, self._progress(progress, rows.estimate))
            units = self._units.count
            self._sites = SiteRows(self.actor, lookups, problems, self._units.streets)
            with _sheet(fh, SITE_HEADERS, SITE_REQUIRED, SITE_SHEET) as rows:
                self._sites.run(rows, self._progress(progress, rows.estimate + units, offset=units))
        except BaseException:
            self._close()
            raise
        count = self._units.count + self._sites.count
        if self._sites.count == 0:
            self._close()
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写场所（工作表“{SITE_SHEET}”）")
        progress(count, count)
        if problems.total:
            return self._refuse(problems, count)
        return count, problems

    def write(self, fh: IO[bytes]) -> int:
        return _drain(self.write_steps(fh))

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        if self._units is None or self._sites is None:
            raise RuntimeError("validate() must run first")
        try:
            _, unit_ids = yield from self._units.write_steps(self.actor, self.job.pk)
            created = yield from self._sites.write_steps(self.actor, self.job.pk, unit_ids)
        finally:
            self._close()
        return created
