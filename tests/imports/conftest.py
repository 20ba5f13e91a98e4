"""Fixtures for the import-job tests: a small demo importer (kind "demo")
registered for the duration of a test, and workbook builders."""

from __future__ import annotations

import io
import threading
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhiben.audit.services import audit_record
from zhiben.core.tabular import CellError, Column, Problems, RowError, SheetRows, build_template, parse_text
from zhiben.imports.models import ImportJob
from zhiben.imports.registry import IMPORTERS, Importer, RowsRefused, Written, register


class DemoImporter(Importer):
    """One column 名称; every row writes one "demo.create" audit row.
    "拒绝" is refused while writing, "崩溃" crashes while writing."""

    kind = "demo"
    label = "示例"
    progress_seen: list[tuple[int, int, int]] = []  # (done, estimate, processed_rows in the DB)
    threads_seen: set[str] = set()

    @classmethod
    def template(cls) -> bytes:
        return build_template(
            [("示例", [Column("名称", "name", required=True)])], title="示例导入", notes=[], options={}
        )

    @classmethod
    def can_import(cls, user) -> bool:
        return bool(user and user.is_active and not user.username.startswith("t_readonly"))

    def _rows(self, fh):
        return SheetRows(fh, headers=("名称",), required_headers=("名称",))

    def validate(self, fh, progress):
        problems = Problems()
        count = 0
        with self._rows(fh) as rows:
            for number, raw in rows:
                count += 1
                try:
                    parse_text(raw["名称"], "名称", required=True, max_length=10)
                except CellError as exc:
                    problems.add(RowError(number, "名称", exc.message))
                if count % 2 == 0:
                    progress(count, rows.estimate)
                    processed = ImportJob.objects.get(pk=self.job.pk).processed_rows
                    type(self).progress_seen.append((count, rows.estimate, processed))
        return count, problems

    def write(self, fh):
        type(self).threads_seen.add(threading.current_thread().name)
        created = 0
        with self._rows(fh) as rows:
            for number, raw in rows:
                if raw["名称"] == "拒绝":
                    raise RowsRefused([RowError(number, "名称", "服务拒绝了这一行")])
                if raw["名称"] == "崩溃":
                    raise RuntimeError("boom")
                audit_record(action="demo.create", actor=self.actor, object_type="demo", after={"name": raw["名称"]})
                created += 1
        return created

    def result_url(self) -> str:
        return "/workspace/"


class StepDemoImporter(DemoImporter):
    """Like DemoImporter, but writes a registry Tag per row, two rows per
    step (each step its own transaction in the runner)."""

    kind = "demo_steps"
    steps_seen: list[list[int]] = []

    def write(self, fh):  # pragma: no cover - the runner uses write_steps
        raise AssertionError("write_steps is used")

    def write_steps(self, fh):
        from zhiben.registry.models import Tag

        created = 0
        with self._rows(fh) as rows:
            batch: list[int] = []
            for number, raw in rows:
                if raw["名称"] == "拒绝":
                    raise RowsRefused([RowError(number, "名称", "服务拒绝了这一行")])
                if raw["名称"] == "崩溃":
                    raise RuntimeError("boom")
                batch.append(Tag.objects.create(code=f"demo-{number}", name=raw["名称"]).pk)
                if len(batch) == 2:
                    type(self).steps_seen.append(batch)
                    yield Written(Tag, batch)
                    created += len(batch)
                    batch = []
            if batch:
                yield Written(Tag, batch)
                created += len(batch)
        return created


@pytest.fixture
def step_importer():
    register("demo_steps", StepDemoImporter)
    StepDemoImporter.steps_seen = []
    yield StepDemoImporter
    IMPORTERS.pop("demo_steps", None)


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.ZHIBEN_IMPORT_STEP_PAUSE = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def demo_importer():
    register("demo", DemoImporter)
    DemoImporter.progress_seen = []
    DemoImporter.threads_seen = set()
    yield DemoImporter
    IMPORTERS.pop("demo", None)


def sheet_bytes(rows, header=("名称",), title="Sheet") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(list(header))
    for row in rows:
        ws.append(list(row) if isinstance(row, list | tuple) else [row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "示例.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def kit():
    return SimpleNamespace(sheet_bytes=sheet_bytes, upload=upload)
