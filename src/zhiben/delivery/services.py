"""Every state change of delivery: channel choices, subscriptions, and the
queues (e-mail outbox, webhook deliveries) with their attempts.

Choices and subscriptions go through ``@service`` (one transaction, right
checked, audited). Queueing and sending are system work run by ``tick.run``
(and ``zhiben deliver``): rows are claimed with a conditional update, so two
runners never send the same row in the same round.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.crypto import UNREADABLE
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.core.services import service
from zhiben.notify.models import Notification
from zhiben.org.models import User

from . import webhooks
from .access import can_choose_channels, can_manage_subscriptions
from .choices import (
    PING,
    DeliveryStatus,
    EmailMode,
    EmailStatus,
    EventType,
    MessageGroup,
    SubscriptionState,
    group_of,
)
from .models import ChannelPreference, Delivery, OutgoingEmail, Subscription

DEFAULT_BACKOFF = (60, 300, 1800, 7200, 43200)  # 1 min, 5 min, 30 min, 2 h, 12 h
LEASE = dt.timedelta(minutes=5)  # a claimed row is not retried by another runner before this
EMAIL_WINDOW = dt.timedelta(days=1)  # notifications older than this are not e-mailed any more


# --- settings -------------------------------------------------------------------------


SECRET_UNREADABLE = "签名密钥无法解密（字段加密密钥已更换而未运行 zhiben rekey）：请在事件订阅页“更换密钥”并告知接收方"


def backoff() -> tuple[int, ...]:
    return tuple(getattr(settings, "ZHIBEN_WEBHOOK_BACKOFF", DEFAULT_BACKOFF))


def disable_after() -> int:
    return int(getattr(settings, "ZHIBEN_WEBHOOK_DISABLE_AFTER", 10))


def digest_hour() -> int:
    return int(getattr(settings, "ZHIBEN_DIGEST_HOUR", 18))


def base_url() -> str:
    return str(getattr(settings, "ZHIBEN_BASE_URL", "http://localhost:8000")).rstrip("/")


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base_url() + (path if path.startswith("/") else "/" + path)


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _retry_at(now: dt.datetime, attempts: int) -> dt.datetime | None:
    """When to try again after ``attempts`` failed attempts (None: give up)."""
    steps = backoff()
    if attempts > len(steps):
        return None
    return now + dt.timedelta(seconds=steps[attempts - 1])


# --- channel choices ------------------------------------------------------------------


@service("delivery.preferences")
def set_preferences(*, actor: User, user: User, choices: Mapping[str, str]) -> dict[str, str]:
    """Set ``user``'s e-mail mode per message group (the inbox is always on)."""
    if not can_choose_channels(actor, user):
        raise PermissionDeniedError("只能设置本人的消息接收方式")
    errors = {}
    for group, mode in choices.items():
        if group not in MessageGroup.values:
            errors[group] = "未知的消息类别"
        elif mode not in EmailMode.values:
            errors[group] = "请选择有效的接收方式"
    if errors:
        raise ValidationFailed("消息接收设置有误：" + "；".join(errors.values()), details=errors)
    wants_mail = any(mode != EmailMode.OFF for mode in choices.values())
    if wants_mail and not (user.email or "").strip():
        raise ValidationFailed("您的账号未登记邮箱，无法选择邮件接收；请联系管理员登记邮箱", details={})
    current = dict(ChannelPreference.objects.select_for_update().filter(user=user).values_list("group", "email"))
    changed = {}
    for group, mode in choices.items():
        if current.get(group, EmailMode.OFF) == mode:
            continue
        ChannelPreference.objects.update_or_create(user=user, group=group, defaults={"email": mode})
        changed[group] = mode
    if changed:
        audit_record(
            action="delivery.preferences",
            actor=actor,
            obj=user,
            before={g: current.get(g, EmailMode.OFF) for g in changed},
            after=changed,
        )
    return changed


# --- subscriptions --------------------------------------------------------------------


def _validate_subscription(name: str, url: str, event_types: Iterable[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    url = (url or "").strip()
    types = list(dict.fromkeys(event_types or []))
    if not name:
        errors["name"] = "请填写名称"
    elif len(name) > 100:
        errors["name"] = "名称不能超过100个字符"
    if not url:
        errors["url"] = "请填写接收地址"
    elif len(url) > 500:
        errors["url"] = "接收地址不能超过500个字符"
    else:
        try:
            webhooks.check_url(url)
        except webhooks.UnsafeAddress as exc:
            errors["url"] = str(exc)
    if not types:
        errors["event_types"] = "请至少选择一种事件"
    elif any(t not in EventType.values for t in types):
        errors["event_types"] = "包含未知的事件类型"
    if errors:
        raise ValidationFailed("订阅信息有误：" + "；".join(errors.values()), details=errors)
    return name, url, types


def _require_admin(actor) -> None:
    if not can_manage_subscriptions(actor):
        raise PermissionDeniedError("仅区安委办管理员可管理事件订阅")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@service("webhook.create")
def create_subscription(
    *, actor: User, name: str, url: str, event_types: Iterable[str], is_active: bool = True
) -> tuple[Subscription, str]:
    """A new subscription and its secret (shown to the creator once)."""
    _require_admin(actor)
    name, url, types = _validate_subscription(name, url, event_types)
    secret = new_secret()
    sub = Subscription.objects.create(
        name=name, url=url, secret=secret, event_types=types, is_active=is_active, created_by=actor
    )
    audit_record(
        action="webhook.create", actor=actor, obj=sub, after={"url": url, "event_types": types, "is_active": is_active}
    )
    return sub, secret


@service("webhook.update")
def update_subscription(
    *, actor: User, subscription: Subscription, name: str, url: str, event_types: Iterable[str], is_active: bool
) -> Subscription:
    _require_admin(actor)
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    name, url, types = _validate_subscription(name, url, event_types)
    before = {"name": sub.name, "url": sub.url, "event_types": sub.event_types, "is_active": sub.is_active}
    sub.name, sub.url, sub.event_types, sub.is_active = name, url, types, is_active
    sub.save(update_fields=["name", "url", "event_types", "is_active", "updated_at"])
    if is_active:
        # Deliveries set aside while the subscription was paused become due again.
        Delivery.objects.filter(subscription=sub, status=DeliveryStatus.PENDING, next_attempt_at__isnull=True).update(
            next_attempt_at=timezone.now()
        )
    after = {"name": name, "url": url, "event_types": types, "is_active": is_active}
    audit_record(action="webhook.update", actor=actor, obj=sub, before=before, after=after)
    return sub


@service("webhook.rotate_secret")
def rotate_secret(*, actor: User, subscription: Subscription) -> str:
    _require_admin(actor)
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    sub.secret = new_secret()
    sub.save(update_fields=["secret", "updated_at"])
    audit_record(action="webhook.rotate_secret", actor=actor, obj=sub)
    return sub.secret


@service("webhook.enable")
def enable_subscription(*, actor: User, subscription: Subscription, now: dt.datetime | None = None) -> Subscription:
    """Re-enable after failures: state 正常, the counter reset, pending deliveries due now."""
    _require_admin(actor)
    now = now or timezone.now()
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    before = {"state": sub.state, "consecutive_failures": sub.consecutive_failures, "is_active": sub.is_active}
    sub.state = SubscriptionState.ACTIVE
    sub.consecutive_failures = 0
    sub.is_active = True
    sub.save(update_fields=["state", "consecutive_failures", "is_active", "updated_at"])
    Delivery.objects.filter(subscription=sub, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
    audit_record(action="webhook.enable", actor=actor, obj=sub, before=before, after={"state": sub.state})
    return sub


def send_test(*, actor: User, subscription: Subscription, now: dt.datetime | None = None) -> Delivery:
    """发送测试事件: a ``ping`` delivery attempted at once (and logged like any other)."""
    now = now or timezone.now()
    with transaction.atomic():
        _require_admin(actor)
        sub = Subscription.objects.get(pk=subscription.pk)
        event_id = "evt_" + uuid.uuid4().hex
        delivery = Delivery.objects.create(
            subscription=sub,
            event_id=event_id,
            event_type=PING,
            payload={
                "id": event_id,
                "type": PING,
                "occurred_at": now.isoformat(),
                "data": {"message": "这是一条测试事件", "subscription": sub.name},
            },
            next_attempt_at=now,
        )
        audit_record(action="webhook.test", actor=actor, obj=sub, after={"delivery": delivery.pk})
    attempt_delivery(delivery.pk, now=now, force=True)
    delivery.refresh_from_db()
    return delivery


# --- webhook events -------------------------------------------------------------------


def event_payload(event_id: str, event_type: str, occurred_at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": event_type, "occurred_at": occurred_at.isoformat(), "data": data}


def queue_event(
    *, event_id: str, event_type: str, occurred_at: dt.datetime, data: dict[str, Any], now: dt.datetime | None = None
) -> int:
    """One delivery per receiving subscription of ``event_type`` (once per event)."""
    now = now or timezone.now()
    subs = [
        s
        for s in Subscription.objects.filter(is_active=True).exclude(state=SubscriptionState.DISABLED)
        if event_type in (s.event_types or [])
    ]
    if not subs:
        return 0
    payload = event_payload(event_id, event_type, occurred_at, data)
    rows = [
        Delivery(subscription=s, event_id=event_id, event_type=event_type, payload=payload, next_attempt_at=now)
        for s in subs
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _claim(model, pk: int, now: dt.datetime, *, force: bool = False):
    """Take one due row for this runner (conditional update): the row, or None
    when another runner has it or it is no longer due."""
    qs = model.objects.filter(pk=pk, status="pending")
    if not force:
        qs = qs.filter(next_attempt_at__lte=now)
    if qs.update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE) != 1:
        return None
    return model.objects.get(pk=pk)


def attempt_delivery(pk: int, *, now: dt.datetime, force: bool = False) -> bool | None:
    """One attempt of one delivery: True sent, False failed, None not taken."""
    delivery = _claim(Delivery, pk, now, force=force)
    if delivery is None:
        return None
    sub = delivery.subscription
    if not sub.receives and not force:
        # Paused or disabled meanwhile: give the attempt back, wait for re-enabling.
        Delivery.objects.filter(pk=pk).update(attempts=F("attempts") - 1, next_attempt_at=None)
        return None
    timestamp = str(int(now.timestamp()))
    if sub.secret == UNREADABLE:
        # No configured key opens the stored secret (ZHIBEN_FIELD_KEYS changed without `zhiben rekey`):
        # a delivery signed with anything else would only be refused by the receiver.
        result = webhooks.Result(False, None, SECRET_UNREADABLE)
    else:
        result = webhooks.post(
            sub.url,
            secret=sub.secret,
            event_type=delivery.event_type,
            delivery_id=str(delivery.pk),
            timestamp=timestamp,
            body=webhooks.body_bytes(delivery.payload),
        )
    with transaction.atomic():
        if result.ok:
            Delivery.objects.filter(pk=pk).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_status_code=result.status,
                last_error="",
            )
            Subscription.objects.filter(pk=sub.pk).exclude(state=SubscriptionState.DISABLED).update(
                state=SubscriptionState.ACTIVE, consecutive_failures=0
            )
            return True
        retry = _retry_at(now, delivery.attempts)
        Delivery.objects.filter(pk=pk).update(
            status=DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED,
            next_attempt_at=retry,
            last_status_code=result.status,
            last_error=result.error[:500],
        )
        locked = Subscription.objects.select_for_update().get(pk=sub.pk)
        locked.consecutive_failures += 1
        if locked.state != SubscriptionState.DISABLED:
            if locked.consecutive_failures >= disable_after():
                locked.state = SubscriptionState.DISABLED
                audit_record(
                    action="webhook.disable",
                    obj=locked,
                    after={"consecutive_failures": locked.consecutive_failures, "error": result.error[:200]},
                    reason=f"连续 {locked.consecutive_failures} 次投递失败，自动停用",
                )
            else:
                locked.state = SubscriptionState.FAILING
        locked.save(update_fields=["consecutive_failures", "state"])
    return False


def send_due_deliveries(now: dt.datetime, limit: int = 500) -> dict[str, int]:
    ids = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .exclude(subscription__state=SubscriptionState.DISABLED)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = failed = 0
    for pk in ids:
        outcome = attempt_delivery(pk, now=now)
        sent += outcome is True
        failed += outcome is False
    return {"webhooks_sent": sent, "webhooks_failed": failed}


# --- e-mail ---------------------------------------------------------------------------

WHY_INSTANT = "您收到这封邮件，是因为您在“账号安全 → 消息接收设置”中选择了以即时邮件接收“{group}”类消息。"
WHY_DIGEST = "您收到这封邮件，是因为您在“账号安全 → 消息接收设置”中选择了以每日邮件汇总接收以下类别的消息：{groups}。"


def _footer() -> str:
    return (
        f"\n\n更改接收方式：{absolute(_url('delivery:preferences', '/delivery/preferences/'))}\n"
        "——治本 安全生产管理平台（本邮件由系统自动发送，请勿直接回复）"
    )


def _link(notification: Notification) -> str:
    # notify sends a link only to recipients who may open it (issue 1's rule).
    return absolute(notification.url or _url("notify:inbox", "/inbox/"))


def instant_email(notification: Notification, group: str) -> tuple[str, str]:
    label = MessageGroup(group).label
    lines = [WHY_INSTANT.format(group=label), "", notification.title]
    if notification.body:
        lines += ["", notification.body]
    lines += ["", f"查看详情：{_link(notification)}"]
    return f"[治本] {notification.title}"[:250], "\n".join(lines) + _footer()


def _preferences(mode: str) -> dict[int, dict[str, dt.datetime]]:
    """user id -> {group: chosen since} for users with a real address choosing ``mode``."""
    chosen: dict[int, dict[str, dt.datetime]] = {}
    rows = ChannelPreference.objects.filter(email=mode, user__is_active=True).exclude(user__email="")
    for user_id, group, since in rows.values_list("user_id", "group", "updated_at"):
        chosen.setdefault(user_id, {})[group] = since
    return chosen


def queue_instant_emails(now: dt.datetime, limit: int = 5000) -> int:
    """Outbox rows for recent notifications whose recipient chose instant e-mail
    for their kind (each notification once: the outbox row is unique per
    notification; only messages since the choice was made)."""
    chosen = _preferences(EmailMode.INSTANT)
    if not chosen:
        return 0
    already = OutgoingEmail.objects.filter(notification_id=OuterRef("pk"))
    candidates = (
        Notification.objects.filter(recipient_id__in=list(chosen), created_at__gte=now - EMAIL_WINDOW)
        .filter(~Exists(already))
        .select_related("recipient")
        .order_by("id")[:limit]
    )
    rows = []
    for n in candidates:
        group = group_of(n.kind)
        since = chosen[n.recipient_id].get(group)
        if since is None or n.created_at < since:
            continue
        subject, body = instant_email(n, group)
        rows.append(
            OutgoingEmail(
                recipient_id=n.recipient_id,
                to=n.recipient.email,
                subject=subject,
                body=body,
                notification_id=n.pk,
                next_attempt_at=now,
            )
        )
    OutgoingEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def queue_digests(now: dt.datetime) -> int:
    """Once a day, from ``ZHIBEN_DIGEST_HOUR`` (local time) on: one e-mail per
    user who chose the digest, with their messages of those groups since the
    last digest (at most a day back). Nothing new: no e-mail that day."""
    local = timezone.localtime(now)
    if local.hour < digest_hour():
        return 0
    today = local.date()
    chosen = _preferences(EmailMode.DIGEST)
    done = set(
        OutgoingEmail.objects.filter(digest_day=today, recipient_id__in=list(chosen)).values_list(
            "recipient_id", flat=True
        )
    )
    users = [u for u in chosen if u not in done]
    if not users:
        return 0
    last = dict(
        OutgoingEmail.objects.filter(recipient_id__in=users, digest_day__isnull=False)
        .order_by("recipient_id", "digest_day")
        .values_list("recipient_id", "created_at")
    )
    start = now - EMAIL_WINDOW
    by_user: dict[int, list[Notification]] = {}
    for n in Notification.objects.filter(recipient_id__in=users, created_at__gte=start, created_at__lte=now).order_by(
        "id"
    ):
        group = group_of(n.kind)
        since = chosen[n.recipient_id].get(group)
        if since is None or n.created_at < since or n.created_at <= last.get(n.recipient_id, start):
            continue
        by_user.setdefault(n.recipient_id, []).append(n)
    emails = dict(User.objects.filter(pk__in=list(by_user)).values_list("pk", "email"))
    queued = 0
    for user_id, items in by_user.items():
        groups = "、".join(MessageGroup(g).label for g in chosen[user_id])
        lines = [WHY_DIGEST.format(groups=groups), "", f"{today:%Y年%m月%d日} 共 {len(items)} 条消息：", ""]
        for i, n in enumerate(items, 1):
            lines.append(f"{i}. {timezone.localtime(n.created_at):%H:%M} {n.title}")
            lines.append(f"   {_link(n)}")
        try:
            with transaction.atomic():
                OutgoingEmail.objects.create(
                    recipient_id=user_id,
                    to=emails[user_id],
                    subject=f"[治本] 每日消息汇总（{today:%m月%d日}，{len(items)} 条）",
                    body="\n".join(lines) + _footer(),
                    digest_day=today,
                    next_attempt_at=now,
                )
        except IntegrityError:
            continue  # another runner queued it
        queued += 1
    return queued


def send_due_emails(now: dt.datetime, limit: int = 500) -> dict[str, int]:
    ids = list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = failed = 0
    for pk in ids:
        email = _claim(OutgoingEmail, pk, now)
        if email is None:
            continue
        try:
            EmailMessage(email.subject, email.body, None, [email.to]).send()
        except Exception as exc:  # any SMTP/backend error is retried
            retry = _retry_at(now, email.attempts)
            OutgoingEmail.objects.filter(pk=pk).update(
                status=EmailStatus.PENDING if retry else EmailStatus.FAILED,
                next_attempt_at=retry or now,
                last_error=str(exc)[:500],
            )
            failed += 1
        else:
            OutgoingEmail.objects.filter(pk=pk).update(status=EmailStatus.SENT, sent_at=now, last_error="")
            sent += 1
    return {"emails_sent": sent, "emails_failed": failed}
