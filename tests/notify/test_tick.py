"""notify.services.send_reminders: each key sent once, only to users who may
see the record, and never a key without its message."""

from __future__ import annotations

import unittest.mock

import pytest

from zhiben.notify import services
from zhiben.notify.models import Notification, Reminder
from zhiben.org.models import User

pytestmark = pytest.mark.django_db


def _dues(unit, *users, key="unit:test:0"):
    return services.fan_out(
        key,
        [u.pk for u in users],
        title="安全生产责任险今天到期",
        body="您收到此提醒，是因为……",
        url=f"/units/{unit.pk}/",
        kind="registry.expiry",
        target_type="registry.unit",
        target_id=unit.pk,
    )


def test_sent_once_per_key_and_recipient(users, units):
    unit = units["commerce"]
    assert services.send_reminders(_dues(unit, users["enterprise"], users["leader"])) == 2
    assert services.send_reminders(_dues(unit, users["enterprise"], users["leader"], users["officer"])) == 1
    assert Notification.objects.count() == 3
    for reminder in Reminder.objects.all():
        assert reminder.notification.recipient_id == reminder.recipient_id
        assert reminder.key.endswith(f":u{reminder.recipient_id}")


def test_a_key_claimed_by_another_tick_is_skipped(users, units):
    """The race: another tick inserted the key after this one checked."""
    unit = units["commerce"]
    dues = _dues(unit, users["enterprise"])
    original = Reminder.objects.filter

    def stale_check(*args, **kwargs):  # this tick read "not sent yet" …
        return original(pk__in=[])

    Reminder.objects.create(key=dues[0].key, recipient=users["enterprise"])  # … the other one wrote it
    with unittest.mock.patch.object(Reminder.objects, "filter", stale_check):
        assert services.send_reminders(dues) == 0
    assert not Notification.objects.exists()


def test_only_users_who_may_see_the_record_are_told(users, units, more_units_user):
    unit = units["commerce"]
    users["officer"].is_active = False
    users["officer"].save()
    sent = services.send_reminders(_dues(unit, users["enterprise"], users["officer"], more_units_user))
    assert sent == 1
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["t_enterprise"]


@pytest.fixture
def more_units_user(orgs, units) -> User:
    from zhiben.core.testing import make_user
    from zhiben.org.choices import Role

    return make_user("t_other_enterprise", Role.ENTERPRISE, orgs["hk-jgw"], unit=units["construction"])


def test_a_failure_leaves_no_key_behind(users, units, monkeypatch):
    unit = units["commerce"]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Notification.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.send_reminders(_dues(unit, users["enterprise"]))
    assert not Reminder.objects.exists()


def test_dry_run_counts_without_writing(users, units):
    assert services.send_reminders(_dues(units["commerce"], users["enterprise"]), dry_run=True) == 1
    assert not Reminder.objects.exists() and not Notification.objects.exists()


def test_claim_once(db):
    assert services.claim_once("hazard:1:supervise:2026-12-01")
    assert not services.claim_once("hazard:1:supervise:2026-12-01")
    assert Reminder.objects.get().recipient_id is None
