"""Sending notifications. Call these from ``transaction.on_commit`` so that a
rolled-back change sends nothing. Who may read what is in ``access``; whom
to tell (``recipients_in``, ``district_admins``) is in ``selectors``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from zhiben.org.access import subtree_q
from zhiben.org.choices import Role
from zhiben.org.models import Membership, Organization, User

from .access import can_view, visible_targets
from .models import Notification, Reminder
from .selectors import DEPARTMENT_ROLES, district_admins, recipients_in
from .signals import notifications_created

# Re-exported: callers write ``notify.recipients_in(...)`` (see selectors/access for the rules).
__all__ = [
    "DEPARTMENT_ROLES",
    "Due",
    "can_view",
    "claim_once",
    "district_admins",
    "fan_out",
    "mark_read",
    "notify",
    "recipients_in",
    "send_reminders",
    "visible_targets",
]


def _label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def notify(
    users: Iterable[User],
    *,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    exclude: User | None = None,
    target: models.Model | None = None,
) -> int:
    """Send one message to each of ``users`` (once each, never to ``exclude``).
    With ``target`` (the record the message is about), users who cannot see
    it get nothing: a message never names or links a record out of scope."""
    recipients = [u for u in {u.pk: u for u in users}.values() if exclude is None or u.pk != exclude.pk]
    if target is not None:
        recipients = [u for u in recipients if can_view(u, target)]
    target_type = _label(target) if target is not None else ""
    target_id = target.pk if target is not None else None
    rows = [
        Notification(
            recipient=user,
            title=title[:200],
            body=body,
            url=url,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
        )
        for user in recipients
    ]
    Notification.objects.bulk_create(rows)
    if rows:
        notifications_created.send(sender=Notification, recipient_ids=[u.pk for u in recipients])
    return len(rows)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# --- Reminders (zhiben tick) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One reminder to send: ``key`` names what it is about and when (the
    same reminder always gets the same key), ``recipient_id`` whom to tell.
    ``title``/``body`` say what happened and why the recipient is told;
    ``url`` and the target (``target_type`` "app_label.model", ``target_id``)
    are the record the message is about."""

    key: str
    recipient_id: int
    title: str
    body: str
    url: str
    kind: str
    target_type: str
    target_id: int


REMINDER_BATCH = 500


def _claim(keys: list[tuple[str, int | None]], now) -> dict[str, int]:
    """INSERT the keys not yet taken and return those this call inserted
    (key -> reminder id). ``ON CONFLICT DO NOTHING RETURNING`` is the same
    SQL on SQLite (3.35+) and PostgreSQL."""
    table = Reminder._meta.db_table
    qn = connection.ops.quote_name
    values = ", ".join(["(%s, %s, %s)"] * len(keys))
    created_at = connection.ops.adapt_datetimefield_value(now)
    params: list = []
    for key, recipient_id in keys:
        params += [key, recipient_id, created_at]
    sql = (
        f"INSERT INTO {qn(table)} ({qn('key')}, {qn('recipient_id')}, {qn('created_at')}) VALUES {values} "
        f"ON CONFLICT ({qn('key')}) DO NOTHING RETURNING {qn('id')}, {qn('key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: pk for pk, key in cursor.fetchall()}


def claim_once(key: str) -> bool:
    """Mark a one-off action (an escalation) as done; False when another
    tick did (or is doing) it. Call inside the action's transaction, so that
    a rolled-back action leaves its key free."""
    return bool(_claim([(key, None)], timezone.now()))


def send_reminders(items: Iterable[Due], *, dry_run: bool = False) -> int:
    """Send each reminder whose key was never used; return how many were sent.

    Exactly once, also when several ticks run at the same time: per batch,
    one transaction (1) inserts the keys with ``ON CONFLICT DO NOTHING
    RETURNING`` — on PostgreSQL a concurrent insert of the same key waits
    for the other transaction and then yields nothing, on SQLite the write
    lock serializes the transactions — (2) creates the messages only for the
    keys it actually inserted, (3) links each key to its message. A failure
    rolls back all three: no key without its message, no message twice.
    Set-based: a few statements per batch of ``REMINDER_BATCH``, never one
    round trip per reminder.

    The caller chooses the recipients (the record's own parties, who may see
    it by construction); keys already taken are filtered before the insert,
    so a tick that finds nothing new writes nothing."""
    pending = {item.key: item for item in items}
    if not pending:
        return 0
    keys = list(pending)
    taken: set[str] = set()
    for start in range(0, len(keys), REMINDER_BATCH):
        chunk = keys[start : start + REMINDER_BATCH]
        taken.update(Reminder.objects.filter(key__in=chunk).values_list("key", flat=True))
    fresh = _in_scope([pending[key] for key in keys if key not in taken])
    if dry_run:
        return len(fresh)
    sent = 0
    for start in range(0, len(fresh), REMINDER_BATCH):
        batch = fresh[start : start + REMINDER_BATCH]
        with transaction.atomic():
            now = timezone.now()
            claimed = _claim([(item.key, item.recipient_id) for item in batch], now)
            if not claimed:
                continue
            mine = [item for item in batch if item.key in claimed]
            messages = Notification.objects.bulk_create(
                [
                    Notification(
                        recipient_id=item.recipient_id,
                        title=item.title[:200],
                        body=item.body,
                        url=item.url,
                        kind=item.kind,
                        target_type=item.target_type,
                        target_id=item.target_id,
                    )
                    for item in mine
                ]
            )
            Reminder.objects.bulk_update(
                [
                    Reminder(pk=claimed[item.key], notification_id=msg.pk)
                    for item, msg in zip(mine, messages, strict=True)
                ],
                ["notification"],
            )
            sent += len(mine)
    return sent


def fan_out(key: str, recipient_ids: Iterable[int], **message) -> list[Due]:
    """One :class:`Due` per recipient of one reminder (``key`` plus the
    recipient: each recipient's copy is sent once)."""
    return [Due(key=f"{key}:u{uid}", recipient_id=uid, **message) for uid in dict.fromkeys(recipient_ids)]


def _in_scope(items: list[Due]) -> list[Due]:
    """Drop the reminders whose recipient may not see their record (inactive
    users included): one query per recipient and kind of record, over the
    new reminders only."""
    if not items:
        return items
    users = {u.pk: u for u in User.objects.filter(pk__in={i.recipient_id for i in items}, is_active=True)}
    groups: dict[tuple[int, str], set[int]] = {}
    for item in items:
        if item.recipient_id in users and item.target_type and item.target_id is not None:
            groups.setdefault((item.recipient_id, item.target_type), set()).add(item.target_id)
    visible: set[tuple[int, str, int]] = set()
    for (uid, label), ids in groups.items():
        model = apps.get_model(label)
        manager = model._default_manager
        qs = manager.restrict(users[uid], "view") if hasattr(manager, "restrict") else manager.all()
        for start in range(0, len(ids), REMINDER_BATCH):
            chunk = list(ids)[start : start + REMINDER_BATCH]
            visible.update((uid, label, pk) for pk in qs.filter(pk__in=chunk).values_list("pk", flat=True))
    return [
        item
        for item in items
        if item.recipient_id in users
        and (not item.target_type or (item.recipient_id, item.target_type, item.target_id) in visible)
    ]


def staff_by_org(org_ids: Iterable[int], roles: Iterable[str] = DEPARTMENT_ROLES) -> dict[int, list[int]]:
    """For each organization id: the active users holding one of ``roles``
    in it or below it (``recipients_in`` for many organizations, one query
    per organization)."""
    out: dict[int, list[int]] = {}
    for org in Organization.objects.filter(pk__in=set(org_ids)):
        out[org.pk] = list(
            User.objects.filter(
                subtree_q("memberships__organization", org),
                is_active=True,
                memberships__is_active=True,
                memberships__organization__is_active=True,
                memberships__role__in=list(roles),
            )
            .distinct()
            .values_list("pk", flat=True)
        )
    return out


def enterprise_users_by_unit(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each unit id: its active 企业用户 (one query)."""
    out: dict[int, list[int]] = {}
    rows = Membership.objects.filter(
        unit_id__in=set(unit_ids),
        role=Role.ENTERPRISE,
        is_active=True,
        organization__is_active=True,
        user__is_active=True,
    ).values_list("unit_id", "user_id")
    for unit_id, user_id in rows.distinct():
        out.setdefault(unit_id, []).append(user_id)
    return out


def district_admin_ids() -> list[int]:
    return [user.pk for user in district_admins()]
