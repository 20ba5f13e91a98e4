"""Scoped reads of delivery: a user's channel choices, the subscriptions and
their delivery log (for administrators, see access.py)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .access import visible_subscriptions
from .choices import EmailMode, MessageGroup
from .models import ChannelPreference, Delivery, Subscription


def preferences_of(user) -> dict[str, str]:
    """group -> e-mail mode for every group (missing rows: inbox only)."""
    chosen = dict(ChannelPreference.objects.filter(user=user).values_list("group", "email"))
    return {group: chosen.get(group, EmailMode.OFF) for group in MessageGroup.values}


def subscriptions_for(actor):
    return visible_subscriptions(actor).order_by("id")


def subscription_for(actor, pk: int) -> Subscription:
    """The subscription, or 404 (the views check the right first: 403)."""
    return get_object_or_404(visible_subscriptions(actor), pk=pk)


def deliveries_of(subscription: Subscription):
    return Delivery.objects.filter(subscription=subscription).order_by("-id")
