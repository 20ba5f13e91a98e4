"""Read-side helpers of accounts: a user's own tokens and second-factor
devices. No writes."""

from __future__ import annotations

from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import PersonalAccessToken


def tokens_of(user) -> QuerySet[PersonalAccessToken]:
    """The user's personal access tokens (theirs only)."""
    return PersonalAccessToken.objects.filter(user=user)


def token_of(user, pk: int) -> PersonalAccessToken | None:
    """One of the user's own tokens, or None (another user's token is not found)."""
    return tokens_of(user).filter(pk=pk).first()


def confirmed_device(user) -> TOTPDevice | None:
    """The user's enrolled (confirmed) TOTP device, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()
