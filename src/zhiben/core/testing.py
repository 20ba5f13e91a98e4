"""Helpers shared by the test suite (and usable from benchmarks)."""

from __future__ import annotations

from zhiben.core.validators import uscc_check_char

PASSWORD = "Test@Pass2024"


def make_uscc(seed: int) -> str:
    """A valid 统一社会信用代码 derived from ``seed``."""
    first17 = f"91310109MA{seed:07d}"
    return first17 + uscc_check_char(first17)


def make_user(username: str, role: str, org, unit=None, **extra):
    """A user with one membership (bypasses the services: fixtures only)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    membership = apps.get_model("org", "Membership")
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, display_name=username, **extra)
    membership.objects.create(user=user, organization=org, role=role, unit=unit)
    return user
