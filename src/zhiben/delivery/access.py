"""Who may do what with delivery.

* Channel choices (``ChannelPreference``): every active user chooses for
  themselves only — how the messages *they* receive reach them (the inbox is
  always on; e-mail instantly or as a daily digest). Nobody, not even an
  administrator, reads or changes another user's choices through the app.
* E-mails only copy notifications the user already received in the inbox
  (notify decided who may receive them), so they open no new scope; they go
  only to the user's own address on file.
* Webhook subscriptions (``Subscription``) and their delivery log: only
  区安委办管理员 (and superusers) see, create, edit, test and re-enable them;
  anyone else gets 403 on the pages. A subscription receives district-wide
  hazard and monthly-report events, which is why it is the district office's.
* A subscription's secret is shown once, to the administrator who created
  (or renewed) it; the pages never show it again.
"""

from __future__ import annotations

from zhiben.org.access import is_active_user, is_admin

from .models import Subscription


def can_choose_channels(actor, user) -> bool:
    """Only the user themselves."""
    return is_active_user(actor) and actor.pk == getattr(user, "pk", None)


def can_manage_subscriptions(actor) -> bool:
    return is_admin(actor)


def visible_subscriptions(actor):
    if not can_manage_subscriptions(actor):
        return Subscription.objects.none()
    return Subscription.objects.all()
