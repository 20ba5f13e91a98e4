"""Units and sites are written in short steps (one chunk of rows each, its own
transaction, so other users' writes are not held up on SQLite); a failure in a
late step undoes the earlier ones, so the import is still all or nothing."""

from __future__ import annotations

import pytest

from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportChunk
from zhiben.imports.runner import FAILED_INTERNAL
from zhiben.imports.services import start_import
from zhiben.registry.models import Site, Unit
from zhiben.registry.tabular import rows as tabular_rows
from zhiben.registry.tabular import units as tabular_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(tabular_rows.ChunkedRows, "chunk", 4)


@pytest.fixture
def steps_committed(monkeypatch):
    """Records every step the runner commits (model label, number of ids)."""
    from zhiben.imports.models import ImportChunk as Chunk

    seen: list[tuple[str, int]] = []
    real_create = Chunk.objects.create

    def create(**kwargs):
        seen.append((kwargs["model"], len(kwargs["ids"])))
        return real_create(**kwargs)

    monkeypatch.setattr(Chunk.objects, "create", create)
    return seen


def test_units_are_written_one_chunk_per_step(reference, users, kit, small_chunks, steps_committed):
    rows = [kit.unit_row(i) for i in range(10)]
    job = start_import(actor=users["officer"], kind="units", upload=kit.upload(kit.units_file(rows)))
    assert (job.status, job.created_count) == (ImportStatus.DONE, 10), job.message
    assert steps_committed == [("registry.unit", 4), ("registry.unit", 4), ("registry.unit", 2)]
    assert Unit.objects.filter(uscc__in=[r["统一社会信用代码"] for r in rows]).count() == 10
    assert not ImportChunk.objects.exists()


def test_a_failure_in_the_last_unit_step_undoes_the_earlier_ones(reference, users, kit, small_chunks, monkeypatch):
    real_insert = tabular_units._insert_units
    calls = {"n": 0}

    def insert(chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_insert(chunk)

    monkeypatch.setattr(tabular_units, "_insert_units", insert)
    units_before = Unit.objects.count()
    rows = [kit.unit_row(i) for i in range(10)]
    job = start_import(actor=users["officer"], kind="units", upload=kit.upload(kit.units_file(rows)))

    assert (job.status, job.message) == (ImportStatus.FAILED, FAILED_INTERNAL)
    assert Unit.objects.count() == units_before
    assert not ImportChunk.objects.exists()


def test_a_failure_in_a_site_step_undoes_the_units_and_sites_of_the_same_file(
    reference, users, kit, small_chunks, monkeypatch
):
    real_bulk_create = Site.objects.bulk_create
    calls = {"n": 0}

    def bulk_create(objs, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Site.objects, "bulk_create", bulk_create)
    units_before, sites_before = Unit.objects.count(), Site.objects.count()
    new_units = [kit.unit_row(i) for i in range(5)]
    sites = [kit.site_row(i, 所属单位统一社会信用代码=new_units[i % 5]["统一社会信用代码"]) for i in range(8)]
    job = start_import(actor=users["officer"], kind="sites", upload=kit.upload(kit.sites_file(sites, new_units)))

    assert job.status == ImportStatus.FAILED, job.message
    assert (Unit.objects.count(), Site.objects.count()) == (units_before, sites_before)
    assert not ImportChunk.objects.exists()
