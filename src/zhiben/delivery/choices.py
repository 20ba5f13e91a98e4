"""Choices of the delivery app: kinds of message grouped for channel choices,
e-mail modes, webhook event types and the states of subscriptions and deliveries."""

from __future__ import annotations

from django.db import models


class MessageGroup(models.TextChoices):
    """Notify's kinds (``Notification.kind``, e.g. ``hazard.confirm``) grouped
    for the user's channel choice; ``group_of`` maps a kind to its group."""

    HAZARD = "hazard", "隐患治理（登记、确认、整改、验收、移交）"
    SUPERVISION = "supervision", "督办与升级"
    REMINDER = "reminder", "到期提醒与逾期"
    REPORT = "report", "月报与计划任务"
    TIP = "tip", "举报处理"
    OTHER = "other", "其他（导入结果等）"


class EmailMode(models.TextChoices):
    OFF = "off", "仅站内消息"
    INSTANT = "instant", "站内消息 + 即时邮件"
    DIGEST = "digest", "站内消息 + 每日邮件汇总"


def group_of(kind: str) -> str:
    """The channel group of a notification kind (unknown kinds: 其他)."""
    kind = (kind or "").lower()
    if any(word in kind for word in ("remind", "overdue", "deadline", "expir")) or kind.endswith(("_due", ".due")):
        return MessageGroup.REMINDER
    if "supervis" in kind or "escalat" in kind or "duban" in kind:
        return MessageGroup.SUPERVISION
    prefix = kind.split(".", 1)[0]
    if prefix == "hazard":
        return MessageGroup.HAZARD
    if prefix in {"plan", "plan_report", "obligation", "task", "report"}:
        return MessageGroup.REPORT
    if prefix == "tip":
        return MessageGroup.TIP
    return MessageGroup.OTHER


class EventType(models.TextChoices):
    """Webhook event types (what a subscriber chooses)."""

    HAZARD_CREATED = "hazard.created", "隐患登记"
    HAZARD_CONFIRMED = "hazard.confirmed", "隐患确认"
    HAZARD_SUBMITTED = "hazard.submitted", "整改完成提交验收"
    HAZARD_CLOSED = "hazard.closed", "隐患销号（验收通过/即查即改）"
    HAZARD_VERIFY_FAILED = "hazard.verification_failed", "验收不通过"
    HAZARD_TRANSFERRED = "hazard.transferred", "隐患移交"
    HAZARD_SUPERVISED = "hazard.supervised", "挂牌督办"
    HAZARD_ESCALATED = "hazard.escalated", "逾期升级"
    HAZARD_OVERDUE = "hazard.overdue", "隐患逾期"
    HAZARD_REOPENED = "hazard.reopened", "隐患重新整改"
    HAZARD_VOIDED = "hazard.voided", "隐患作废"
    REPORT_SUBMITTED = "report.submitted", "月报报送"
    REPORT_ACCEPTED = "report.accepted", "月报审核通过"
    REPORT_RETURNED = "report.returned", "月报退回"


# Test deliveries ("发送测试事件") carry this type; nobody subscribes to it.
PING = "ping"

# Audit actions (zhiben.audit) → webhook event types.
ACTION_EVENTS: dict[str, str] = {
    "hazard.create": EventType.HAZARD_CREATED,
    "hazard.confirm": EventType.HAZARD_CONFIRMED,
    "hazard.submit": EventType.HAZARD_SUBMITTED,
    "hazard.verify_pass": EventType.HAZARD_CLOSED,
    "hazard.fix_on_spot": EventType.HAZARD_CLOSED,
    "hazard.verify_fail": EventType.HAZARD_VERIFY_FAILED,
    "hazard.transfer": EventType.HAZARD_TRANSFERRED,
    "hazard.supervise": EventType.HAZARD_SUPERVISED,
    "hazard.escalate": EventType.HAZARD_ESCALATED,
    "hazard.overdue": EventType.HAZARD_OVERDUE,
    "hazard.reopen": EventType.HAZARD_REOPENED,
    "hazard.recheck_reopen": EventType.HAZARD_REOPENED,
    "hazard.void": EventType.HAZARD_VOIDED,
    "plan_report.submit": EventType.REPORT_SUBMITTED,
    "plan_report.accept": EventType.REPORT_ACCEPTED,
    "plan_report.return": EventType.REPORT_RETURNED,
}


def event_type_of(action: str) -> str | None:
    """The webhook event type of an audit action, or None (not published)."""
    if action in ACTION_EVENTS:
        return ACTION_EVENTS[action]
    if action.startswith("hazard.") and "escalat" in action:
        return EventType.HAZARD_ESCALATED
    return None


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", "正常"
    FAILING = "failing", "投递失败中"
    DISABLED = "disabled", "已停用（连续失败）"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "已放弃"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "已放弃"
