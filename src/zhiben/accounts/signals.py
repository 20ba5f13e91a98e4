"""Session bookkeeping at login, lockout auditing, and the end of a user's
credentials when their password changes or their account is disabled."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from zhiben.audit.services import audit_record

from .middleware import SESSION_AUTH_AT, SESSION_SEEN


@receiver(user_logged_in)
def _stamp_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_AUTH_AT] = now
        request.session[SESSION_SEEN] = now


@receiver(user_locked_out)
def _on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_record(
        action="auth.locked_out",
        actor=None,
        actor_name=str(username or "")[:150],
        object_type="org.user",
        object_repr=str(username or "")[:200],
        after={"ip": ip_address},
    )


_CHANGES = "_zb_credential_changes"


@receiver(pre_save, sender=get_user_model())
def _note_credential_changes(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user is saved: did the password change (``set_password`` was
    called, not merely a re-hash at login) or is the account being disabled?"""
    if raw or instance.pk is None:
        return
    fields = set(update_fields) if update_fields is not None else None
    changes = []
    if (fields is None or "password" in fields) and getattr(instance, "_password", None) is not None:
        changes.append("password")
    if (fields is None or "is_active" in fields) and not instance.is_active:
        was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()
        if was_active:
            changes.append("disabled")
    setattr(instance, _CHANGES, changes)


@receiver(post_save, sender=get_user_model())
def _end_credentials(sender, instance, created=False, raw=False, **kwargs):
    changes = getattr(instance, _CHANGES, None)
    if raw or created or not changes:
        return
    setattr(instance, _CHANGES, [])
    from .services import credentials_revoke

    credentials_revoke(
        actor=None,
        user=instance,
        reason="账号停用" if "disabled" in changes else "密码已修改",
        end_sessions="disabled" in changes,
    )
