"""Webhooks: a real receiver verifies the signature; a failing receiver is
retried on the backoff schedule (time driven by ``now``), the subscription
goes failing, then disabled, and an administrator re-enables it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.delivery import services, tick, webhooks
from zhiben.delivery.choices import DeliveryStatus, EventType, SubscriptionState
from zhiben.delivery.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def _subscribe(users, url, types=(EventType.HAZARD_CONFIRMED,)):
    return services.create_subscription(actor=users["admin"], name="城运平台", url=url, event_types=list(types))


def _hazard_event(capture, action="hazard.confirm"):
    with capture(execute=True):
        return audit_record(
            action=action, object_type="hazards.hazard", object_id="42", object_repr="YH-2026-0042", reason="现场确认"
        )


def test_receiver_verifies_the_signature(users, receiver, django_capture_on_commit_callbacks):
    _sub, secret = _subscribe(users, receiver.url)
    event = _hazard_event(django_capture_on_commit_callbacks)
    _hazard_event(django_capture_on_commit_callbacks, action="hazard.note")  # not published
    now = timezone.now()
    result = tick.run(now)
    assert result["webhooks_sent"] == 1
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-zhiben-event"] == "hazard.confirmed"
    assert headers["x-zhiben-timestamp"] == str(int(now.timestamp()))
    delivery = Delivery.objects.get()
    assert headers["x-zhiben-delivery"] == str(delivery.pk)
    assert webhooks.verify(secret, headers["x-zhiben-timestamp"], request["body"], headers["x-zhiben-signature"])
    assert not webhooks.verify("wrong", headers["x-zhiben-timestamp"], request["body"], headers["x-zhiben-signature"])
    body = json.loads(request["body"])
    assert body["id"] == f"evt_{event.pk}" and body["type"] == "hazard.confirmed"
    assert body["data"]["object"] == {"type": "hazards.hazard", "id": "42", "name": "YH-2026-0042"}
    assert body["occurred_at"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    # Sent once: a second run sends nothing.
    assert tick.run(now + dt.timedelta(hours=1))["webhooks_sent"] == 0
    assert len(receiver.requests) == 1


def test_only_subscribed_types_are_queued(users, receiver, django_capture_on_commit_callbacks):
    _subscribe(users, receiver.url, types=[EventType.REPORT_SUBMITTED])
    _hazard_event(django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()
    _hazard_event(django_capture_on_commit_callbacks, action="plan_report.submit")
    assert Delivery.objects.get().event_type == "report.submitted"


def test_a_rolled_back_change_publishes_nothing(users, receiver):
    from django.db import transaction

    _subscribe(users, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="hazard.confirm", object_type="hazards.hazard", object_id="1")
        raise RuntimeError
    assert not Delivery.objects.exists()


def test_failing_receiver_is_retried_with_backoff_then_disabled(
    users, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ZHIBEN_WEBHOOK_DISABLE_AFTER = 3
    receiver.status = 500
    sub, _ = _subscribe(users, receiver.url)
    _hazard_event(django_capture_on_commit_callbacks)
    t0 = timezone.now()

    assert tick.run(t0)["webhooks_failed"] == 1
    sub.refresh_from_db()
    delivery = Delivery.objects.get()
    assert sub.state == SubscriptionState.FAILING and sub.consecutive_failures == 1
    assert delivery.last_status_code == 500 and delivery.attempts == 1
    assert delivery.next_attempt_at == t0 + dt.timedelta(minutes=1)

    # Not before the backoff has passed.
    assert tick.run(t0 + dt.timedelta(seconds=59))["webhooks_failed"] == 0
    assert len(receiver.requests) == 1
    t1 = t0 + dt.timedelta(seconds=60)
    assert tick.run(t1)["webhooks_failed"] == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == t1 + dt.timedelta(minutes=5)
    t2 = t1 + dt.timedelta(minutes=5)
    assert tick.run(t2)["webhooks_failed"] == 1
    sub.refresh_from_db()
    assert sub.state == SubscriptionState.DISABLED and sub.consecutive_failures == 3
    assert len(receiver.requests) == 3

    # Disabled: nothing more is sent, and new events are not queued.
    assert tick.run(t2 + dt.timedelta(days=1))["webhooks_failed"] == 0
    _hazard_event(django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 3

    # An administrator re-enables it: the pending delivery goes at the next run.
    receiver.status = 204
    services.enable_subscription(actor=users["admin"], subscription=sub, now=t2 + dt.timedelta(days=1))
    assert tick.run(t2 + dt.timedelta(days=1))["webhooks_sent"] == 1
    sub.refresh_from_db()
    delivery.refresh_from_db()
    assert sub.state == SubscriptionState.ACTIVE and sub.consecutive_failures == 0
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4


def test_a_delivery_is_given_up_after_the_last_backoff_step(
    users, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ZHIBEN_WEBHOOK_BACKOFF = (60, 300)
    receiver.status = 503
    _subscribe(users, receiver.url)
    _hazard_event(django_capture_on_commit_callbacks)
    now = timezone.now()
    for step in (0, 60, 300):
        now += dt.timedelta(seconds=step)
        assert tick.run(now)["webhooks_failed"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert tick.run(now + dt.timedelta(days=2))["webhooks_failed"] == 0


def test_unreachable_receiver_is_a_failure_not_a_crash(users, settings, django_capture_on_commit_callbacks):
    settings.ZHIBEN_WEBHOOK_ALLOW_PRIVATE = True
    _subscribe(users, "http://127.0.0.1:9/nothing-listens")
    _hazard_event(django_capture_on_commit_callbacks)
    assert tick.run(timezone.now())["webhooks_failed"] == 1
    assert Delivery.objects.get().last_error.startswith("连接失败")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_addresses_are_refused(url):
    with pytest.raises(webhooks.UnsafeAddress, match="本机或内网"):
        webhooks.check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http://"])
def test_only_http_and_https(url):
    with pytest.raises(webhooks.UnsafeAddress):
        webhooks.check_url(url)


def test_private_addresses_allowed_by_the_setting(settings):
    settings.ZHIBEN_WEBHOOK_ALLOW_PRIVATE = True
    webhooks.check_url("http://127.0.0.1:8080/hook")
    with pytest.raises(webhooks.UnsafeAddress):
        webhooks.check_url("gopher://127.0.0.1/")


def test_a_private_address_is_refused_at_sending_too(users, receiver, settings, django_capture_on_commit_callbacks):
    _subscribe(users, receiver.url)
    _hazard_event(django_capture_on_commit_callbacks)
    settings.ZHIBEN_WEBHOOK_ALLOW_PRIVATE = False
    assert tick.run(timezone.now())["webhooks_failed"] == 1
    assert receiver.requests == []
    assert "内网" in Delivery.objects.get().last_error


def test_send_test_event(users, receiver):
    sub, secret = _subscribe(users, receiver.url)
    delivery = services.send_test(actor=users["admin"], subscription=sub)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.event_type == "ping"
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert webhooks.verify(secret, headers["x-zhiben-timestamp"], request["body"], headers["x-zhiben-signature"])
    assert Subscription.objects.get().secret == secret


def test_a_paused_subscription_keeps_its_deliveries_until_resumed(users, receiver, django_capture_on_commit_callbacks):
    sub, _ = _subscribe(users, receiver.url)
    _hazard_event(django_capture_on_commit_callbacks)
    Subscription.objects.filter(pk=sub.pk).update(is_active=False)
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert services.attempt_delivery(delivery.pk, now=now) is None
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.next_attempt_at is None and receiver.requests == []
    services.update_subscription(
        actor=users["admin"],
        subscription=sub,
        name=sub.name,
        url=sub.url,
        event_types=sub.event_types,
        is_active=True,
    )
    assert tick.run(timezone.now() + dt.timedelta(seconds=1))["webhooks_sent"] == 1


def test_a_secret_no_key_opens_is_not_used_to_sign_and_the_log_says_why(users, receiver, settings):
    """A lost field key: the stored secret reads as unreadable; nothing is posted with a wrong signature, the
    delivery log names the cure (更换密钥)."""
    from django.db import connection

    sub, _ = services.create_subscription(
        actor=users["admin"], name="城运", url=receiver.url, event_types=[EventType.HAZARD_CONFIRMED]
    )
    with connection.cursor() as cursor:  # a token written under a key that is gone
        cursor.execute(
            f"UPDATE {Subscription._meta.db_table} SET secret = %s WHERE id = %s",
            ["fernet:gAAAAABbogus-token-from-a-lost-key", sub.pk],
        )
    now = timezone.now()
    delivery = Delivery.objects.create(
        subscription=sub,
        event_id="evt_1",
        event_type=EventType.HAZARD_CONFIRMED,
        payload={"id": "evt_1"},
        next_attempt_at=now,
    )
    assert services.attempt_delivery(delivery.pk, now=now + dt.timedelta(seconds=1)) is False
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert "签名密钥无法解密" in delivery.last_error and "更换密钥" in delivery.last_error
