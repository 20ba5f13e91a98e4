"""Session bookkeeping at login and lockout auditing."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
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
