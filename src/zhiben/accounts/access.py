"""Who may do what with sign-in credentials — every access decision of the
accounts app is here.

* personal access tokens: every signed-in, active user creates tokens for
  themself only and sees only their own; a token is revoked by its owner or
  by the district office (区安委办管理员, superusers);
* the TOTP second factor: a user enrols a device for themself only; it is
  removed by its owner or by the district office;
* ending a user's credentials (every token, and with a disabled account every
  session) follows the change that causes it — a password change, an
  administrator's reset, disabling the account — whose own right is checked
  by org's services; the accounts app does not decide it again;
* under ``ZHIBEN_REQUIRE_ADMIN_2FA`` the district office must use a second
  factor (``services.second_factor_required``).

accounts sits above org, so these rules use ``zhiben.org.access``.
"""

from __future__ import annotations

from zhiben.org.access import is_active_user, is_admin

from .models import PersonalAccessToken


def can_create_token(actor) -> bool:
    """Any signed-in, active user, for themself."""
    return is_active_user(actor)


def can_revoke_token(actor, token: PersonalAccessToken) -> bool:
    """The token's owner, or the district office."""
    return actor is not None and (token.user_id == actor.pk or is_admin(actor))


def can_remove_second_factor(actor, user) -> bool:
    """The user themself, or the district office."""
    return actor is not None and (actor.pk == user.pk or is_admin(actor))


__all__ = ["can_create_token", "can_remove_second_factor", "can_revoke_token"]
