"""Pages: the channel choices are the user's own; the subscription pages are
区安委办管理员's only; bad input gives a Chinese message and saves nothing;
the secret is shown once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhiben.audit.models import AuditEvent
from zhiben.delivery.choices import EmailMode, EventType
from zhiben.delivery.models import ChannelPreference, Subscription

pytestmark = pytest.mark.django_db


def _email(user):
    user.email = f"{user.username}@example.gov.cn"
    user.save(update_fields=["email"])


def test_preferences_page_saves_the_users_own_choices(users, login):
    officer = users["officer"]
    _email(officer)
    client = login(officer)
    page = client.get(reverse("delivery:preferences"))
    assert page.status_code == 200
    assert "消息接收设置" in page.content.decode() and "隐患治理" in page.content.decode()
    data = {"hazard": EmailMode.INSTANT, "supervision": EmailMode.DIGEST, "reminder": "off", "report": "off"}
    data |= {"tip": "off", "other": "off"}
    response = client.post(reverse("delivery:preferences"), data)
    assert response.status_code == 302
    assert dict(ChannelPreference.objects.filter(user=officer).values_list("group", "email")) == {
        "hazard": "instant",
        "supervision": "digest",
    }
    assert not ChannelPreference.objects.exclude(user=officer).exists()
    audit = AuditEvent.objects.get(action="delivery.preferences")
    assert audit.actor_id == officer.pk and audit.after == {"hazard": "instant", "supervision": "digest"}
    page = client.get(reverse("delivery:preferences")).content.decode()
    assert 'value="instant" selected' in page


def test_preferences_bad_input_saves_nothing(users, login):
    client = login(users["officer"])  # no e-mail address on file
    data = {g: "off" for g in ("hazard", "supervision", "reminder", "report", "tip", "other")}
    response = client.post(reverse("delivery:preferences"), data | {"hazard": "sms"})
    assert response.status_code == 200 and "请选择有效的接收方式" in response.content.decode()
    response = client.post(reverse("delivery:preferences"), data | {"hazard": "instant"})
    assert response.status_code == 200 and "未登记邮箱" in response.content.decode()
    assert not ChannelPreference.objects.exists()


def test_preferences_need_a_login(client):
    response = client.get(reverse("delivery:preferences"))
    assert response.status_code == 302


ADMIN_PAGES = ["delivery:subscriptions", "delivery:subscription_create"]


@pytest.mark.parametrize("who", ["leader", "officer", "street", "enterprise", "expert", "readonly"])
def test_subscription_pages_are_for_admins_only(users, login, who):
    sub = Subscription.objects.create(name="城运", url="https://example.com/h", secret="s", event_types=["ping"])
    client = login(users[who])
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 403
    for name in ("delivery:subscription_detail", "delivery:subscription_edit"):
        assert client.get(reverse(name, args=[sub.pk])).status_code == 403
    for name in ("delivery:subscription_test", "delivery:subscription_enable", "delivery:subscription_rotate"):
        assert client.post(reverse(name, args=[sub.pk])).status_code == 403
    created = client.post(reverse("delivery:subscription_create"), {"name": "x", "url": "https://example.com/x"})
    assert created.status_code == 403
    assert Subscription.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_admin_creates_and_sees_the_secret_once(users, login, settings):
    settings.ZHIBEN_WEBHOOK_ALLOW_PRIVATE = True
    client = login(users["admin"])
    assert client.get(reverse("delivery:subscriptions")).status_code == 200
    assert client.get(reverse("delivery:subscription_create")).status_code == 200
    response = client.post(
        reverse("delivery:subscription_create"),
        {
            "name": "一网统管",
            "url": "http://127.0.0.1:9/hook",
            "event_types": [EventType.HAZARD_CLOSED],
            "is_active": "on",
        },
        follow=True,
    )
    sub = Subscription.objects.get()
    assert sub.event_types == ["hazard.closed"] and sub.is_active and sub.created_by == users["admin"]
    assert sub.secret in response.content.decode() and "仅显示这一次" in response.content.decode()
    again = client.get(reverse("delivery:subscription_detail", args=[sub.pk])).content.decode()
    assert sub.secret not in again and "一网统管" in again
    assert client.get(reverse("delivery:subscriptions")).content.decode().count(sub.secret) == 0
    assert AuditEvent.objects.filter(action="webhook.create").exists()
    assert sub.secret not in str(AuditEvent.objects.get(action="webhook.create").after)
    # Edit
    response = client.post(
        reverse("delivery:subscription_edit", args=[sub.pk]),
        {"name": "一网统管平台", "url": "http://127.0.0.1:9/hook2", "event_types": [EventType.HAZARD_CREATED]},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.url, sub.event_types, sub.is_active) == (
        "一网统管平台",
        "http://127.0.0.1:9/hook2",
        ["hazard.created"],
        False,
    )
    # Test event to a port nobody listens on: logged as a failure, shown in Chinese.
    response = client.post(reverse("delivery:subscription_test", args=[sub.pk]), follow=True)
    assert "测试事件发送失败" in response.content.decode()
    assert sub.deliveries.get().event_type == "ping"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "url": "https://example.com/h"}, "请填写名称"),
        ({"name": "名" * 101, "url": "https://example.com/h"}, "100"),
        ({"name": "城运", "url": "not a url"}, "http:// 或 https://"),
        ({"name": "城运", "url": "ftp://example.com/h"}, "http:// 或 https://"),
        ({"name": "城运", "url": "http://127.0.0.1/h"}, "本机或内网"),
        ({"name": "城运", "url": "http://192.168.1.10/h"}, "本机或内网"),
        ({"name": "城运", "url": "http://localhost:8000/h"}, "本机或内网"),
        ({"name": "城运", "url": "https://example.com/" + "a" * 500}, "500"),
        ({"name": "城运", "url": "https://example.com/h", "event_types": []}, "请至少选择一种事件"),
        ({"name": "城运", "url": "https://example.com/h", "event_types": ["hazard.nope"]}, "未知的事件类型"),
    ],
)
def test_bad_subscription_input_saves_nothing(users, login, data, message):
    client = login(users["admin"])
    payload = {"event_types": [EventType.HAZARD_CREATED], **data}
    response = client.post(reverse("delivery:subscription_create"), payload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_admin_re_enables_a_disabled_subscription(users, login):
    sub = Subscription.objects.create(
        name="城运",
        url="https://example.com/h",
        secret="s",
        event_types=["ping"],
        state="disabled",
        consecutive_failures=9,
    )
    client = login(users["admin"])
    page = client.get(reverse("delivery:subscription_detail", args=[sub.pk])).content.decode()
    assert "已停用" in page and "重新启用" in page
    client.post(reverse("delivery:subscription_enable", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.state == "active" and sub.consecutive_failures == 0
    assert AuditEvent.objects.filter(action="webhook.enable").exists()


def test_missing_subscription_is_404_for_the_admin(users, login):
    assert login(users["admin"]).get(reverse("delivery:subscription_detail", args=[999])).status_code == 404


def test_account_page_links_to_the_choices(users, login):
    page = login(users["officer"]).get(reverse("accounts:security")).content.decode()
    assert reverse("delivery:preferences") in page and "消息接收设置" in page
