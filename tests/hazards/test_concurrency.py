"""Racing the same transition: exactly one wins, the others get 409, one audit row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from zhiben.accounts.services import token_create
from zhiben.audit.models import AuditEvent
from zhiben.audit.services import verify_chain
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard

THREADS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_racing_verify(users, drive):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers by design (IMMEDIATE transactions)")
    hazard = drive(HazardStatus.AWAITING_VERIFICATION)
    _, token = token_create(actor=users["leader"], name="race", days=1)
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def worker():
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/hazards/{hazard.pk}/verify-pass",
                data={"note": "合格"},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            body = response.json()
            with lock:
                results.append((response.status_code, body.get("code", "") if response.status_code != 200 else ""))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    statuses = sorted(status for status, _ in results)
    assert len(results) == THREADS
    assert statuses.count(200) == 1
    assert statuses.count(409) == THREADS - 1
    assert {code for status, code in results if status == 409} == {"invalid_transition"}
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.CLOSED
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="hazard.verify_pass").count() == 1
    assert AuditEvent.objects.filter(action="transition.refused").count() == THREADS - 1
    assert next(verify_chain(), None) is None  # the chain stayed intact under contention
