"""Importers by kind: ``IMPORTERS["hazards"]`` names the class that checks and
loads a hazard spreadsheet. Entries are dotted paths, imported on first use,
so that no app has to be loaded in a particular order; each app adds its own
with :func:`register` in its ``AppConfig.ready`` (hazards, registry).

An importer also describes its pages — the upload page, the template
download and the job page's links (zhiben.imports.views, one view each for
every kind), declaratively: ``title``, ``sheet``, ``list_url``/``list_label``,
``template_url``/``template_filename``, ``denied_message``, ``page_notes``;
the job page links to ``list_url`` (text ``result_text``) when the import is
done and to ``upload_url_name`` (重新上传) when it failed — URL names,
reversed with :func:`safe_reverse`; the template download is
``template_builder()`` (the module function that builds the .xlsx), or an
override of :meth:`Importer.template`. Reading and parsing the sheet is
:mod:`zhiben.core.tabular`'s job (``RowCells`` for one row's cells).

What most importers then do with their clean rows is here too:
:meth:`Importer.create_in_bulk` (``bulk_create`` in chunks, ``created_by``
the actor) and :meth:`Importer.audit_import` (the job's ONE audit row
``{"job", "created", "first_id", "last_id"}``); :class:`SheetImporter` is the
whole read-check-keep-write run of an importer of one sheet written in bulk. An
:class:`Exporter` declares
its list's ``selector`` and ``sheet_writer`` the same way; with
``strict_filters`` it refuses invalid filters (:func:`valid_filter_rows`).

An importer runs in two passes over the file (the runner in services.py):

1. ``validate(fh, progress)`` reads every row, writes nothing and returns
   every problem as :class:`~zhiben.core.tabular.RowError`; it calls
   ``progress(processed_rows, total_estimate)`` every few hundred rows;
2. only if there was none, ``write_steps(fh)`` creates the records. It is a
   generator: the runner runs the code up to each ``yield`` in its own short
   transaction (so other users' writes are never held up for long, see
   docs/architecture.md "Imports") and the step yields :class:`Written`, the
   primary keys it created, which the runner keeps until the job is done.
   Its return value (``StopIteration.value``) is how many records it created;
   the code after the last ``yield`` runs in the job's last transaction,
   which also marks the job done. Raising :class:`RowsRefused` (or anything)
   undoes every step. The default ``write_steps`` calls ``write(fh)`` in ONE
   transaction (for importers that write in bulk quickly).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, ClassVar

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from zhiben.audit.services import audit_record
from zhiben.core.tabular import Column, ImportFileError, Problems, RowCells, RowError, SheetRows

if TYPE_CHECKING:
    from django.db import models
    from django.http import QueryDict

    from zhiben.org.models import User

Progress = Callable[[int, int], None]
ExportProgress = Callable[[int], None]

IMPORTERS: dict[str, str | type[Importer]] = {}
EXPORTERS: dict[str, str | type[Exporter]] = {}
PROGRESS_EVERY = 1000  # rows between two progress calls of an export


def safe_reverse(name: str) -> str:
    """The URL of the URL name ``name``; "" for no name or when the app's URLs are not mounted."""
    if not name:
        return ""
    try:
        return reverse(name)
    except NoReverseMatch:  # the URLs are not mounted (config/urls.py)
        return ""


class RowsRefused(Exception):
    """Raised by ``write`` to roll the whole import back."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


@dataclass(frozen=True)
class Written:
    """What one step of ``write_steps`` created: primary keys of ``model``."""

    model: type[models.Model]
    ids: list[int]


class Importer(ABC):
    """Base class of importers; one instance per job run."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""  # what is imported, e.g. "隐患"
    page_what: ClassVar[str] = ""  # the upload page's shorter word for it, when the label is long (default: label)
    # Seconds of writing (steps back to back) before the runner pauses for
    # other writers; 0: after every step.
    hold_seconds: ClassVar[float] = 0.0

    # Its pages (zhiben.imports.views): the upload page's title, the data
    # sheet users fill in, the list the records appear in (URL name and the
    # back link's text), the template download (URL name, file name), the
    # message for a user who may not import, and extra steps on the page.
    title: ClassVar[str] = ""  # e.g. "批量导入隐患"
    sheet: ClassVar[str] = ""
    list_url: ClassVar[str] = ""
    list_label: ClassVar[str] = ""
    template_url: ClassVar[str] = ""
    template_filename: ClassVar[str] = ""
    denied_message: ClassVar[str] = "您无权批量导入"
    page_notes: ClassVar[tuple[str, ...]] = ()
    # The job page's links: to ``list_url`` with this text once the records
    # are in, and to the upload page (URL name) to try a corrected file.
    result_text: ClassVar[str] = "查看"
    upload_url_name: ClassVar[str] = ""
    # The module function building the import template (.xlsx bytes), e.g.
    # ``staticmethod(unit_template)``; or override :meth:`template`.
    template_builder: ClassVar[Callable[[], bytes] | None] = None

    # ``job`` is the imports.models.ImportJob being run (not imported here:
    # models.py looks importers up in this module, so the arrow points one way).
    def __init__(self, *, job: models.Model, actor: User):
        self.job = job
        self.actor = actor

    @classmethod
    @abstractmethod
    def can_import(cls, user: User) -> bool:
        """Whether ``user`` may start an import of this kind."""

    @abstractmethod
    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        """(number of data rows, problems); writes nothing."""

    @abstractmethod
    def write(self, fh: IO[bytes]) -> int:
        """Create everything (inside the caller's transaction); returns the count."""

    def write_steps(self, fh: IO[bytes]) -> Generator[Written, None, int]:
        """Create everything in steps (see the module docstring); by default
        one step: ``write(fh)``."""
        return self.write(fh)
        yield  # pragma: no cover - makes this a generator

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind and cls.template_builder is None and cls.template.__func__ is Importer.template.__func__:
            raise TypeError(f"{cls.__name__} (kind {cls.kind!r}) needs a template_builder or a template()")

    @classmethod
    def template(cls) -> bytes:
        """The import template (.xlsx), built with zhiben.core.tabular.build_template:
        by default ``template_builder()``."""
        return cls.template_builder()

    def result_url(self) -> str:
        """Where the imported records can be seen: the list page ``list_url``."""
        return safe_reverse(self.list_url)

    def result_label(self) -> str:
        return self.result_text

    def upload_url(self) -> str:
        """Where to upload a corrected file: the page ``upload_url_name``."""
        return safe_reverse(self.upload_url_name)

    # Writing clean rows -------------------------------------------------------------------------

    def create_in_bulk(self, model: type[models.Model], rows: Iterable[dict[str, Any]], *, chunk: int = 2000) -> list:
        """``model(created_by=<the actor>, **row)`` for every row, ``bulk_create``d ``chunk`` at a
        time in the caller's transaction; the created objects, in order, with their keys."""
        created: list = []
        batch: list = []
        for row in rows:
            batch.append(model(created_by=self.actor, **row))
            if len(batch) >= chunk:
                created.extend(model.objects.bulk_create(batch))
                batch = []
        if batch:
            created.extend(model.objects.bulk_create(batch))
        return created

    def audit_import(self, action: str, object_type: str, created: Sequence[models.Model]) -> None:
        """The job's ONE audit row ``action`` ``{"job", "created", "first_id", "last_id"}`` for
        the records ``created`` (in order); none when nothing was created."""
        if not created:
            return
        audit_record(
            action=action,
            actor=self.actor,
            object_type=object_type,
            after={"job": self.job.pk, "created": len(created), "first_id": created[0].pk, "last_id": created[-1].pk},
        )


PendingRow = tuple[int, dict[str, Any], list[RowError]]  # (Excel row, parsed cells, the row's problems)


class SheetImporter(Importer):
    """An importer of one sheet whose rows are checked in chunks, kept in memory and written
    in bulk (有限空间, 危大工程/起重机械, 人防使用备案):

    ``validate`` reads the sheet ``sheet`` (the headers of ``columns``, the required ones
    required, at most ``max_rows`` data rows); :meth:`parse_row` turns each row's
    :class:`~zhiben.core.tabular.RowCells` into data (references still as codes); every ``chunk``
    rows (None: once, at the end, with a progress report every ``progress_every`` rows read)
    :meth:`resolve` gets the parsed rows — it resolves the codes
    in one query, applies the services' rules and hands each row to :meth:`keep`. A file
    without data rows is refused (“请从第 2 行起填写{empty_what}”). ``write`` creates the kept
    rows of ``model`` with :meth:`create_in_bulk` and ONE :meth:`audit_import` row
    ``import_action`` on ``object_type``."""

    columns: ClassVar[tuple[Column, ...]] = ()
    max_rows: ClassVar[int] = 20_000
    chunk: ClassVar[int | None] = 2000
    progress_every: ClassVar[int | None] = None
    empty_what: ClassVar[str] = ""
    model: ClassVar[type[models.Model]]
    import_action: ClassVar[str] = ""
    object_type: ClassVar[str] = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clean_rows: list[Any] = []  # what resolve() kept: a row's clean data, by default

    @abstractmethod
    def parse_row(self, cells: RowCells) -> dict[str, Any]:
        """One row's cells as data (problems go to ``cells``)."""

    @abstractmethod
    def resolve(self, pending: list[PendingRow], problems: Problems) -> None:
        """Check a chunk of parsed rows against the database and the services' rules; pass
        each row's clean data to :meth:`keep`."""

    def keep(self, clean: dict[str, Any], errors: list[RowError], problems: Problems) -> None:
        """A row checked: its problems to ``problems``, or its clean data kept while the file is clean."""
        if errors:
            problems.add_all(errors)
        elif not problems.total:
            self.clean_rows.append(clean)

    def validate(self, fh: IO[bytes], progress: Progress) -> tuple[int, list[RowError]]:
        problems = Problems()
        count = 0
        pending: list[PendingRow] = []
        with SheetRows(
            fh,
            headers=tuple(c.header for c in self.columns),
            required_headers=tuple(c.header for c in self.columns if c.required),
            sheet_name=self.sheet,
            limit=self.max_rows,
            blank_if_unread=True,
        ) as rows:
            for number, raw in rows:
                errors: list[RowError] = []
                pending.append((number, self.parse_row(RowCells(number, raw, errors, epoch=rows.epoch)), errors))
                count += 1
                if self.chunk and len(pending) >= self.chunk:
                    self.resolve(pending, problems)
                    pending = []
                    progress(count, max(rows.estimate, count))
                elif self.progress_every and count % self.progress_every == 0:
                    progress(count, max(rows.estimate, count))
            self.resolve(pending, problems)
        if count == 0:
            raise ImportFileError(f"文件中没有数据：请从第 2 行起填写{self.empty_what}（工作表“{self.sheet}”）")
        progress(count, count)
        if problems.total:
            self.clean_rows = []
        return count, problems

    def write(self, fh: IO[bytes]) -> int:
        created = self.create_in_bulk(self.model, self.clean_rows, chunk=self.chunk or 2000)
        self.audit_import(self.import_action, self.object_type, created)
        return len(created)


def register(kind: str, importer: str | type[Importer]) -> None:
    IMPORTERS[kind] = importer


def get_importer(kind: str) -> type[Importer]:
    try:
        entry = IMPORTERS[kind]
    except KeyError:
        raise LookupError(f"no importer for kind {kind!r}") from None
    if isinstance(entry, str):
        entry = import_string(entry)
        IMPORTERS[kind] = entry
    return entry


# --- Exporters -----------------------------------------------------------------------------------


class ExportFilterError(Exception):
    """The list's filters are invalid: nothing is exported (never the whole list for a filter
    that was meant)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Exporter:
    """How one list is exported (no instances: class methods).

    Declared by most: ``selector``, the dotted path of the list's own selector
    ``f(user, params) -> (filterset, queryset)`` (imported when used), and
    ``sheet_writer``, the module function ``f(qs, fh, *, progress=None) -> rows``;
    or override :meth:`select` / :meth:`write` (e.g. a writer that needs the user)."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""  # what is exported, e.g. "隐患台账"
    filename: ClassVar[str] = ""  # the download is named f"{filename}_{YYYYMMDD}.xlsx"
    action: ClassVar[str] = ""  # the audit action of the export, e.g. "hazard.export"
    object_type: ClassVar[str] = ""  # the audit row's object type, e.g. "hazards.hazard"
    list_url: ClassVar[str] = ""  # URL name of the list page (the job page links back to it)
    selector: ClassVar[str] = ""
    # True (the rule): an invalid filter refuses the export (:func:`valid_filter_rows`) rather than
    # exporting the whole list the user did not ask for; False: the selector's queryset as it is.
    strict_filters: ClassVar[bool] = True
    sheet_writer: ClassVar[Callable[..., int] | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.kind:
            return
        if not cls.selector and cls.select.__func__ is Exporter.select.__func__:
            raise TypeError(f"{cls.__name__} (kind {cls.kind!r}) needs a selector or a select()")
        if cls.sheet_writer is None and cls.write.__func__ is Exporter.write.__func__:
            raise TypeError(f"{cls.__name__} (kind {cls.kind!r}) needs a sheet_writer or a write()")

    @classmethod
    def select(cls, user: User, params: QueryDict) -> models.QuerySet:
        """The rows ``user`` sees on the list page filtered by ``params``, ordered as exported;
        raises :class:`ExportFilterError` when the filters are invalid and the list would not
        honour them. By default: ``selector``'s queryset."""
        found = import_string(cls.selector)(user, params)
        return valid_filter_rows(found) if cls.strict_filters else found[1]

    @classmethod
    def write(cls, qs: models.QuerySet, fh: IO[bytes], *, user: User, progress: ExportProgress | None = None) -> int:
        """Write ``qs`` as .xlsx to ``fh``; returns the number of rows. By default ``sheet_writer``."""
        return cls.sheet_writer(qs, fh, progress=progress)


def valid_filter_rows(found: tuple[Any, models.QuerySet]) -> models.QuerySet:
    """The queryset of a selector's ``(filterset, queryset)``; raises :class:`ExportFilterError`
    (with the filters' messages) when the bound filterset is invalid: never the whole list for a
    filter that was meant."""
    filterset, qs = found
    if filterset.is_bound and not filterset.is_valid():
        raise ExportFilterError("筛选条件有误：" + "；".join(str(e) for v in filterset.errors.values() for e in v))
    return qs


def with_progress(rows: Iterable, progress: ExportProgress | None, every: int | None = None) -> Iterator:
    """``rows``, calling ``progress(n)`` once every ``every`` rows (default :data:`PROGRESS_EVERY`)
    have been consumed, and not at all without a ``progress``."""
    if progress is None:
        yield from rows
        return
    every = every or PROGRESS_EVERY
    for done, row in enumerate(rows, start=1):
        yield row
        if done % every == 0:
            progress(done)


def register_exporter(kind: str, exporter: str | type[Exporter]) -> None:
    EXPORTERS[kind] = exporter


def get_exporter(kind: str) -> type[Exporter]:
    try:
        entry = EXPORTERS[kind]
    except KeyError:
        raise LookupError(f"no exporter for kind {kind!r}") from None
    if isinstance(entry, str):
        entry = import_string(entry)
        EXPORTERS[kind] = entry
    return entry
