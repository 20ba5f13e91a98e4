"""A transient "database is locked" is retried or answered 503 with a Chinese
message and Retry-After — never a 500 (issue 9, item 16)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from zhiben.core.middleware import DatabaseBusyMiddleware
from zhiben.core.services import BUSY_MESSAGE, DatabaseBusy, service
from zhiben.hazards.reference import load_files
from zhiben.imports.models import ImportJob
from zhiben.registry.models import Tag


@service("test.tag_create")
def tag_create(*, actor=None, code: str) -> Tag:
    return Tag.objects.create(code=code, name=code)


@pytest.fixture
def locked_elsewhere():
    """Another connection holding SQLite's write lock; this thread's
    connections get a 100 ms busy timeout so the test does not wait 20 s
    (requests reopen the connection, so the options are changed too)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    options["timeout"] = 0.1
    options["init_command"] = options.get("init_command", "").replace("busy_timeout=20000", "busy_timeout=100")
    connection.close()
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()
    options.clear()
    options.update(saved)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_service_whose_begin_times_out_is_tried_again(locked_elsewhere):
    threading.Timer(0.4, lambda: locked_elsewhere.execute("COMMIT")).start()
    began = time.monotonic()
    tag = tag_create(code="after-the-lock")
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert time.monotonic() - began >= 0.3  # it did wait for the other writer


@pytest.mark.django_db(transaction=True)
def test_a_service_still_locked_out_raises_database_busy_and_changes_nothing(locked_elsewhere):
    with pytest.raises(DatabaseBusy) as refused:
        tag_create(code="never")
    assert refused.value.status == 503 and refused.value.message == BUSY_MESSAGE
    locked_elsewhere.execute("ROLLBACK")
    assert not Tag.objects.filter(code="never").exists()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_with_retry_after_when_locked_out(users, units, orgs, locked_elsewhere):
    locked_elsewhere.execute("ROLLBACK")
    load_files()  # sectors and hazard categories
    client = Client(raise_request_exception=False)
    client.force_login(users["officer"])
    client.get("/api/v1/me")  # the session's first stamps are written now, not during the POST
    locked_elsewhere.execute("BEGIN IMMEDIATE")
    payload = {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-10-01",
        "title": "锁住时登记",
        "description": "数据库被另一个写入占用",
        "unit_id": units["commerce"].pk,
        "owner_id": orgs["hk-swj"].pk,
    }
    response = client.post("/api/v1/hazards", payload, content_type="application/json")
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_busy" and "请稍后重试" in response.json()["message"]


@pytest.mark.django_db(transaction=True)
def test_a_page_whose_write_is_locked_out_is_a_503_not_a_500(users, locked_elsewhere, settings):
    locked_elsewhere.execute("ROLLBACK")
    theirs = ImportJob.objects.create(kind="hazards", created_by=users["leader"], original_name="别人的.xlsx")
    client = Client(raise_request_exception=False)
    client.force_login(users["officer"])
    client.get("/imports/")  # the session's stamps are written now
    locked_elsewhere.execute("BEGIN IMMEDIATE")
    # Another user's job: the refusal is written to the audit trail, which is locked out.
    response = client.get(f"/imports/{theirs.pk}/")
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert "系统繁忙" in response.content.decode()

    # Without DatabaseBusyMiddleware this was a 500.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("DatabaseBusyMiddleware")]
    without = Client(raise_request_exception=False)  # a new handler: the middleware chain is built once per client
    without.cookies = client.cookies
    assert without.get(f"/imports/{theirs.pk}/").status_code == 500


def test_the_middleware_turns_a_lock_error_of_a_view_into_a_503():
    middleware = DatabaseBusyMiddleware(lambda request: None)
    page = middleware.process_exception(RequestFactory().get("/hazards/"), OperationalError("database is locked"))
    assert page.status_code == 503 and page["Retry-After"] == "5" and BUSY_MESSAGE in page.content.decode()
    api = middleware.process_exception(RequestFactory().get("/api/v1/hazards"), DatabaseBusy())
    assert api.status_code == 503 and json.loads(api.content) == {
        "code": "database_busy",
        "message": BUSY_MESSAGE,
        "details": None,
    }
    assert middleware.process_exception(RequestFactory().get("/"), OperationalError("no such table: x")) is None


def test_a_lock_error_raised_below_the_view_is_a_503_too(settings):
    """E.g. a middleware's own write (Django turns its exception into a 500
    before this middleware sees the response)."""
    from django.core.handlers.exception import convert_exception_to_response

    settings.DEBUG = False

    def inner_middleware(request):
        raise OperationalError("database is locked")

    middleware = DatabaseBusyMiddleware(convert_exception_to_response(inner_middleware))
    response = middleware(RequestFactory().get("/workspace/"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "系统繁忙" in response.content.decode()

    def other_error(request):
        raise OperationalError("no such table: x")

    assert (
        DatabaseBusyMiddleware(convert_exception_to_response(other_error))(RequestFactory().get("/")).status_code == 500
    )


@pytest.mark.django_db
def test_an_api_lock_error_outside_a_service_is_a_503_not_a_500(users, login, monkeypatch):
    """E.g. the Idempotency-Key claim or a read that hits a lock: the API's own
    catch-all answers 503 database_busy, with Retry-After from the middleware."""
    import zhiben.org.api as org_api

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(org_api, "_user_qs", locked)
    response = login(users["admin"]).get("/api/v1/me")
    assert response.status_code == 503, response.content[:300]
    assert response.json()["code"] == "database_busy" and response["Retry-After"] == "5"
