"""zhiben tick's expiry windows (registry.tick) read an index on the date
(and page by pk): their cost follows the records expiring soon, not the size
of the registry. Checked on the query plan of the database the tests run on
(SQLite: as it plans without statistics; PostgreSQL: with sequential scans
off, i.e. the index exists and fits the query)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from zhiben.registry import tick

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def _plan(window) -> str:
    page = window.filter(pk__gt=0).order_by("pk")[:500]  # as core.tick.pages reads it
    sql, params = page.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("field", "index"), [("insurance_expiry", "unit_insurance_expiry"), ("license_expiry", "unit_license_expiry")]
)
def test_unit_expiry_windows_use_their_index(field, index):
    plan = _plan(tick.unit_window(field, TODAY))
    assert index in plan, plan
    if connection.vendor == "sqlite":
        assert f"{field}>? AND {field}<?" in plan, plan  # the range is on the index, not a filter after it


def test_document_expiry_window_uses_its_index():
    plan = _plan(tick.document_window(TODAY))
    assert "unit_document_expires_on" in plan, plan
    if connection.vendor == "sqlite":
        assert "expires_on>? AND expires_on<?" in plan, plan
