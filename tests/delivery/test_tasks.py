"""Deliveries are background tasks (issue 11): a committed hazard event is posted to the city
platform, and a message mailed to whoever chose instant e-mail, by a task as soon as the change is
committed — not on the next tick. The task's worker runs it; the tick stays the retry path."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from zhiben.audit.services import audit_record
from zhiben.delivery import services
from zhiben.delivery.choices import EmailMode, EventType
from zhiben.delivery.models import Delivery, OutgoingEmail
from zhiben.notify.services import notify

pytestmark = pytest.mark.django_db(transaction=True)  # the worker loop manages its connection like a process


def queued(path: str):
    return DBTaskResult.objects.filter(task_path=path, status="READY")


def test_a_committed_event_is_posted_by_a_task(users, receiver, django_capture_on_commit_callbacks):
    services.create_subscription(
        actor=users["admin"], name="城运平台", url=receiver.url, event_types=[EventType.HAZARD_CONFIRMED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="hazard.confirm", object_type="hazards.hazard", object_id="41")
    assert queued("zhiben.delivery.tasks.send_event").count() == 1
    assert receiver.requests == []  # nothing was posted in the request itself

    call_command("worker", queues="default", batch=True, stdout=StringIO())

    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["hazard.confirmed"]
    assert Delivery.objects.get().status == "delivered"
    assert not queued("zhiben.delivery.tasks.send_event").exists()


def test_no_subscription_no_task(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="hazard.confirm", object_type="hazards.hazard", object_id="41")
    assert not DBTaskResult.objects.exists()


def test_a_failed_first_attempt_stays_for_the_ticks_retries(users, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    services.create_subscription(
        actor=users["admin"], name="城运平台", url=receiver.url, event_types=[EventType.HAZARD_CONFIRMED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="hazard.confirm", object_type="hazards.hazard", object_id="41")
    call_command("worker", batch=True, stdout=StringIO())
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at is not None  # the backoff schedule; delivery/tick.py retries


def test_instant_e_mail_is_sent_by_a_task_for_those_who_chose_it(users):
    officer = users["officer"]
    officer.email = "officer@example.gov.cn"
    officer.save(update_fields=["email"])
    services.set_preferences(actor=officer, user=officer, choices={"hazard": EmailMode.INSTANT})

    notify([officer, users["leader"]], title="隐患已确认", kind="hazard.confirmed", url="/hazards/")
    assert queued("zhiben.delivery.tasks.send_instant_emails").count() == 1
    assert mail.outbox == []

    call_command("worker", batch=True, stdout=StringIO())

    assert [m.to for m in mail.outbox] == [["officer@example.gov.cn"]]
    assert "隐患已确认" in mail.outbox[0].subject and "即时邮件" in mail.outbox[0].body
    assert OutgoingEmail.objects.get().status == "sent"


def test_messages_to_users_without_instant_e_mail_enqueue_nothing(users):
    notify([users["officer"], users["leader"]], title="隐患已确认", kind="hazard.confirmed", url="/hazards/")
    assert not DBTaskResult.objects.exists()
