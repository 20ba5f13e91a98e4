"""End to end: real hazard services publish through the audit trail to a real
receiver; ``zhiben tick`` runs delivery's tick; ``zhiben deliver`` by hand;
two runners never send the same row."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from zhiben.core.tick import run_all
from zhiben.delivery import services, webhooks
from zhiben.delivery.choices import EmailMode, EventType
from zhiben.delivery.models import Delivery, OutgoingEmail
from zhiben.hazards import services as hazards
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Sector

pytestmark = pytest.mark.django_db


@pytest.fixture
def hazard_data(orgs, units):
    load_files()
    return {
        "sector": Sector.objects.get(code="commerce"),
        "category": HazardCategory.objects.get(code="fire-tdzd"),
        "level": "general",
        "source": "supervision",
        "difficulty": "easy",
        "found_on": dt.date(2026, 3, 1),
        "title": "疏散通道堵塞",
        "description": "二层东侧疏散通道堆放纸箱",
        "unit": units["commerce"],
        "owner": orgs["hk-swj"],
        "deadline_kind": "date",
    }


def test_hazard_events_reach_the_receiver(users, receiver, hazard_data, django_capture_on_commit_callbacks):
    _, secret = services.create_subscription(
        actor=users["admin"],
        name="城运平台",
        url=receiver.url,
        event_types=[EventType.HAZARD_CREATED, EventType.HAZARD_CONFIRMED],
    )
    officer = users["officer"]
    officer.email = "officer@example.gov.cn"
    officer.save(update_fields=["email"])
    services.set_preferences(actor=officer, user=officer, choices={"hazard": EmailMode.INSTANT})
    with django_capture_on_commit_callbacks(execute=True):
        hazard = hazards.hazard_create(actor=users["admin"], data=hazard_data, allow_duplicate=True)
    with django_capture_on_commit_callbacks(execute=True):
        hazards.hazard_confirm(
            actor=users["admin"],
            hazard=hazard,
            requirement="立即清理",
            deadline_kind="date",
            deadline=timezone.localdate() + dt.timedelta(days=30),
        )
    results = {r.app: r for r in run_all(timezone.now(), only=["delivery"])}
    assert results["delivery"].ok and results["delivery"].counts["事件已投递"] == 2
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["hazard.created", "hazard.confirmed"]
    assert {b["data"]["object"]["id"] for b in bodies} == {str(hazard.pk)}
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert webhooks.verify(secret, headers["x-zhiben-timestamp"], request["body"], headers["x-zhiben-signature"])
    # E-mail copies went only to the user who chose them.
    assert {tuple(m.to) for m in mail.outbox} <= {("officer@example.gov.cn",)}
    assert OutgoingEmail.objects.exclude(recipient=officer).count() == 0


def test_deliver_command(users, receiver, django_capture_on_commit_callbacks, capsys):
    from zhiben.audit.services import audit_record

    services.create_subscription(
        actor=users["admin"], name="城运", url=receiver.url, event_types=[EventType.REPORT_SUBMITTED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="plan_report.submit", object_type="plans.planreport", object_id="7")
    call_command("deliver")
    assert "webhooks_sent=1" in capsys.readouterr().out
    assert Delivery.objects.get().status == "delivered"


def test_a_claimed_row_is_not_sent_by_a_second_runner(users, receiver, django_capture_on_commit_callbacks):
    from zhiben.audit.services import audit_record

    services.create_subscription(
        actor=users["admin"], name="城运", url=receiver.url, event_types=[EventType.HAZARD_CONFIRMED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="hazard.confirm", object_type="hazards.hazard", object_id="1")
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert services._claim(Delivery, delivery.pk, now) is not None
    assert services._claim(Delivery, delivery.pk, now) is None  # the other runner
    assert services.attempt_delivery(delivery.pk, now=now) is None
    assert receiver.requests == []
