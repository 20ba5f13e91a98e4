"""The Importer kit's declared page links and write helpers: every registered
importer's job page links to its list and upload pages and serves a real
template; the defaults apply to a new importer; bulk creation and the one
import audit row."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.http import QueryDict

from zhiben.audit.models import AuditEvent
from zhiben.imports.models import ImportJob
from zhiben.imports.registry import (
    EXPORTERS,
    IMPORTERS,
    Exporter,
    ExportFilterError,
    Importer,
    get_exporter,
    get_importer,
    safe_reverse,
)


@pytest.mark.parametrize("kind", sorted(k for k in IMPORTERS if not k.startswith("demo")))
def test_every_registered_importer_links_its_pages(kind, db):
    importer_class = get_importer(kind)
    importer = importer_class(job=None, actor=None)
    assert importer.result_url() and importer.result_url() == safe_reverse(importer_class.list_url)
    assert importer.upload_url().startswith("/"), f"{kind}: upload_url_name {importer_class.upload_url_name!r}"
    assert importer.result_label().startswith("查看")
    book = openpyxl.load_workbook(io.BytesIO(importer_class.template()))
    assert importer_class.sheet in book.sheetnames


class _Plain(Importer):
    kind = ""  # not registered: no template needed

    @classmethod
    def can_import(cls, user):
        return True

    def validate(self, fh, progress):
        return 0, []

    def write(self, fh):
        return 0


def test_defaults_of_a_new_importer():
    assert safe_reverse("") == "" and safe_reverse("nowhere:at_all") == ""
    plain = _Plain(job=None, actor=None)
    assert (plain.result_url(), plain.result_label(), plain.upload_url()) == ("", "查看", "")

    class Declared(_Plain):
        kind = "declared"
        list_url = "imports:list"
        upload_url_name = "imports:list"
        result_text = "查看导入记录"
        template_builder = staticmethod(lambda: b"PK")

    declared = Declared(job=None, actor=None)
    assert declared.result_url() == declared.upload_url() == safe_reverse("imports:list") != ""
    assert declared.result_label() == "查看导入记录" and Declared.template() == b"PK"


def test_an_importer_without_a_template_is_refused():
    with pytest.raises(TypeError, match="template_builder"):

        class _NoTemplate(_Plain):
            kind = "no_template"


def test_create_in_bulk_and_the_one_audit_row(users):
    job = ImportJob.objects.create(kind="demo", created_by=users["officer"], original_name="a.xlsx")
    importer = _Plain(job=job, actor=users["officer"])
    before = AuditEvent.objects.count()
    importer.audit_import("demo.import", "imports.importjob", [])
    assert AuditEvent.objects.count() == before  # nothing created: no audit row

    rows = ({"kind": "demo", "original_name": f"{n}.xlsx"} for n in range(5))
    created = importer.create_in_bulk(ImportJob, rows, chunk=2)
    assert [j.original_name for j in created] == [f"{n}.xlsx" for n in range(5)]
    assert all(j.pk and j.created_by == users["officer"] for j in created)
    importer.audit_import("demo.import", "imports.importjob", created)
    event = AuditEvent.objects.latest("pk")
    assert event.action == "demo.import" and event.actor_id == users["officer"].pk
    assert event.after == {"job": job.pk, "created": 5, "first_id": created[0].pk, "last_id": created[-1].pk}


@pytest.mark.parametrize("kind", sorted(EXPORTERS))
def test_every_registered_exporter_selects_and_writes(kind, users):
    exporter = get_exporter(kind)
    assert exporter.action and exporter.object_type and exporter.filename and safe_reverse(exporter.list_url)
    qs = exporter.select(users["admin"], QueryDict(""))
    fh = io.BytesIO()
    written = exporter.write(qs, fh, user=users["admin"])
    assert written == qs.count()
    assert openpyxl.load_workbook(io.BytesIO(fh.getvalue())).sheetnames


def test_an_exporter_declares_its_selector_and_writer():
    with pytest.raises(TypeError, match="selector"):

        class _NoSelector(Exporter):
            kind = "no_selector"
            sheet_writer = staticmethod(lambda qs, fh, progress=None: 0)

    with pytest.raises(TypeError, match="sheet_writer"):

        class _NoWriter(Exporter):
            kind = "no_writer"
            selector = "zhiben.registry.selectors.filter_units"


def test_strict_filters_refuse_an_invalid_filter(users):
    class Strict(Exporter):
        kind = "strict_units"
        selector = "zhiben.registry.selectors.filter_units"
        sheet_writer = staticmethod(lambda qs, fh, progress=None: 0)

    class Lenient(Strict):
        kind = "lenient_units"
        strict_filters = False

    params = QueryDict("sector=99999999")
    assert Lenient.select(users["admin"], params) is not None
    with pytest.raises(ExportFilterError, match="筛选条件有误"):
        Strict.select(users["admin"], params)


@pytest.mark.parametrize(
    "kind, query",
    [
        ("units", "street=99999999"),
        ("sites", "street=99999999"),
        ("confined_spaces", "status=bogus"),
        ("black_spots", "street=99999999"),
        ("civildefence_filings", "street=99999999"),
    ],
)
def test_every_list_export_refuses_an_invalid_filter_rather_than_export_everything(kind, query, users):
    """A filter the list cannot honour refuses the export with the filters' message."""
    from zhiben.imports.registry import get_exporter

    with pytest.raises(ExportFilterError, match="筛选条件有误"):
        get_exporter(kind).select(users["admin"], QueryDict(query))
