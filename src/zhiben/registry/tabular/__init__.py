"""Units and sites ⇄ Excel: the columns and import templates
(:mod:`.columns`), the importers of kinds "units" and "sites" run by
zhiben.imports (:mod:`.importers`, validating with :mod:`.units` and
:mod:`.sites`) and the exports of the lists (:mod:`.export`) — declared on
the one tabular layer, :mod:`zhiben.core.tabular` (columns, reader, writer,
template builder), with organisation names from :mod:`zhiben.org.tabular`.

Import = one service-level change, written in bulk
---------------------------------------------------
``unit_create`` costs several queries and one audit row per unit; at
500,000 rows that is far too slow. The importers therefore:

1. read each sheet with ``core.tabular.SheetRows`` and validate every row
   with the *services' own rules* (``services.normalize_unit`` /
   ``services.unit_errors``, ``services.prepare_site`` /
   ``default_site_owner``, ``can_create_unit``, ``can_manage_site``),
   answering the queries those rules need from caches and from one query per
   chunk of 5,000 rows (registered 统一社会信用代码, visible units);
2. spool the clean rows (ids and plain values) to an anonymous temporary file
   while validating, so the workbook is parsed once;
3. ``bulk_create`` the rows in chunks of 5,000 — each chunk one step of
   ``write_steps``: its own short transaction, undone if a later one fails
   (see zhiben.imports); phones are encrypted by
   ``EncryptedCharField.get_prep_value``, i.e. ``crypto.encrypt``, as for
   every save — and write ONE audit row per kind:
   ``unit.import`` / ``site.import`` with ``{"job", "created", "first_id",
   "last_id"}``. See docs/registry.md.

A row is read when one of the columns the importer knows has a value (values
in other columns, e.g. an export's extra columns, do not make a row).
"""

from .columns import (
    SITE_COLUMNS,
    SITE_EXPORT_HEADERS,
    SITE_HEADERS,
    SITE_SHEET,
    UNIT_COLUMNS,
    UNIT_EXPORT_HEADERS,
    UNIT_HEADERS,
    UNIT_SHEET,
    site_template,
    unit_template,
)
from .export import contact_visibility, export_sites, export_units
from .importers import SiteImporter, UnitImporter

__all__ = [
    "SITE_COLUMNS",
    "SITE_EXPORT_HEADERS",
    "SITE_HEADERS",
    "SITE_SHEET",
    "UNIT_COLUMNS",
    "UNIT_EXPORT_HEADERS",
    "UNIT_HEADERS",
    "UNIT_SHEET",
    "SiteImporter",
    "UnitImporter",
    "contact_visibility",
    "export_sites",
    "export_units",
    "site_template",
    "unit_template",
]
