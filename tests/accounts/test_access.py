"""accounts/access.py: tokens and the second factor are one's own; the
district office may revoke and remove them for anyone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from zhiben.accounts import access, selectors
from zhiben.accounts.services import token_create

pytestmark = pytest.mark.django_db


def test_a_token_is_revoked_by_its_owner_or_the_district_office(users):
    token, _ = token_create(actor=users["officer"], name="脚本")
    assert access.can_revoke_token(users["officer"], token)
    assert access.can_revoke_token(users["admin"], token)
    assert not access.can_revoke_token(users["leader"], token)
    assert not access.can_revoke_token(AnonymousUser(), token)


def test_only_active_signed_in_users_create_tokens(users):
    assert access.can_create_token(users["enterprise"])
    assert not access.can_create_token(AnonymousUser())
    users["officer"].is_active = False
    assert not access.can_create_token(users["officer"])


def test_the_second_factor_is_removed_by_its_owner_or_the_district_office(users):
    assert access.can_remove_second_factor(users["street"], users["street"])
    assert access.can_remove_second_factor(users["admin"], users["street"])
    assert not access.can_remove_second_factor(users["leader"], users["street"])


def test_a_user_finds_only_their_own_tokens(users):
    mine, _ = token_create(actor=users["officer"], name="我的")
    theirs, _ = token_create(actor=users["leader"], name="别人的")
    assert list(selectors.tokens_of(users["officer"])) == [mine]
    assert selectors.token_of(users["officer"], mine.pk) == mine
    assert selectors.token_of(users["officer"], theirs.pk) is None
    assert selectors.confirmed_device(users["officer"]) is None
