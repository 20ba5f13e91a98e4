"""The audit-log pages (audit/views.py): the list with its filters, one
event, the button that verifies the hash chain — the district office's only."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_pages_and_verify_button(users, login):
    client = login(users["admin"])
    html = client.get("/audit/", {"action": "org."}).content.decode()
    assert "org.load_reference" in html
    event = AuditEvent.objects.order_by("id").first()
    assert event.hash in client.get(f"/audit/{event.pk}/").content.decode()
    response = client.post("/audit/verify/", follow=True)
    assert "审计链完整" in response.content.decode()


@pytest.mark.parametrize("role", ["leader", "officer", "street", "enterprise", "expert", "readonly"])
def test_audit_pages_are_the_district_offices(users, login, role):
    client = login(users[role])
    event = AuditEvent.objects.order_by("id").first()
    before = AuditEvent.objects.filter(action="access.denied", actor=users[role]).count()
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{event.pk}/").status_code == 403
    assert client.post("/audit/verify/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=users[role]).count() == before + 3
    assert not AuditEvent.objects.filter(action="audit.verify").exists()
