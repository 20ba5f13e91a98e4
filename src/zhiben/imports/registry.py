"""Importers by kind: ``IMPORTERS["hazards"]`` names the class that checks and
loads a hazard spreadsheet. Entries are dotted paths, imported on first use,
so that no app has to be loaded in a particular order; another app adds its
own with :func:`register`.

An importer runs in two passes over the file (the runner in services.py):

1. ``validate(fh, progress)`` reads every row, writes nothing and returns
   every problem as :class:`~zhiben.imports.parsing.RowError`; it calls
   ``progress(processed_rows, total_estimate)`` every few hundred rows;
2. only if there was none, ``write(fh)`` reads the file again and creates
   the records; the runner wraps it in ONE transaction. It returns how many
   records it created, or raises :class:`RowsRefused` (everything is rolled
   back) when the service layer still refuses some rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, ClassVar

from django.utils.module_loading import import_string

from .parsing import RowError

if TYPE_CHECKING:
    from zhiben.org.models import User

    from .models import ImportJob

Progress = Callable[[int, int], None]

IMPORTERS: dict[str, str | type[Importer]] = {
    "hazards": "zhiben.hazards.xlsx.HazardImporter",
}


class RowsRefused(Exception):
    """Raised by ``write`` to roll the whole import back."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


class Importer(ABC):
    """Base class of importers; one instance per job run."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""  # what is imported, e.g. "隐患"

    def __init__(self, *, job: ImportJob, actor: User):
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

    def result_url(self) -> str:
        """Where the imported records can be seen."""
        return ""

    def result_label(self) -> str:
        return "查看"

    def upload_url(self) -> str:
        """Where to upload a corrected file."""
        return ""


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
