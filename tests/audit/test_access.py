"""audit/access.py and selectors.py: only the district office reads the audit
log, and audit decides it without importing org."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from zhiben.audit import access, selectors
from zhiben.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_only_the_district_office_reads_the_audit_log(users):
    assert access.can_read_audit_log(users["admin"])
    for name in ("leader", "officer", "section", "street", "enterprise", "expert", "readonly"):
        assert not access.can_read_audit_log(users[name])
    assert not access.can_read_audit_log(AnonymousUser())
    assert not access.can_read_audit_log(None)
    users["admin"].is_active = False
    assert not access.can_read_audit_log(users["admin"])


def test_audit_events_are_filtered_exactly(users):
    audit_record(action="test.one", actor=users["officer"], object_type="x", object_id="1")
    audit_record(action="test.two", actor=users["leader"], object_type="x", object_id="2")
    admin = users["admin"]
    assert {e.action for e in selectors.audit_events(admin, action="test.one")} == {"test.one"}
    assert {e.action for e in selectors.audit_events(admin, actor_id=users["leader"].pk)} >= {"test.two"}
    assert [e.object_id for e in selectors.audit_events(admin, object_type="x", object_id="2")] == ["2"]
    assert not selectors.audit_events(users["officer"]).exists()
