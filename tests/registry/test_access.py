"""registry/access.py: who is offered registering units and sites, and the
rights stated in its docstring, checked role by role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from zhiben.registry import access

pytestmark = pytest.mark.django_db


def test_who_is_offered_registering_units_and_sites(users):
    units = {name for name, user in users.items() if access.can_register_units(user)}
    sites = {name for name, user in users.items() if access.can_register_sites(user)}
    assert units == {"admin", "leader", "officer", "section"}
    assert sites == units | {"street"}
    assert not access.can_register_units(AnonymousUser())


def test_unit_rights_follow_the_owner_subtree(users, units):
    commerce = units["commerce"]  # 区商务委, 北外滩
    assert access.can_change_unit(users["officer"], commerce)
    assert not access.can_change_unit(users["section"], commerce)  # a 科室 is below the owner
    assert access.can_see_contacts(users["section"], commerce)  # …but sees its department's phones
    assert access.can_add_document(users["enterprise"], commerce)
    assert not access.can_change_unit(users["enterprise"], commerce)
    assert not access.can_see_contacts(users["expert"], commerce)
    assert access.can_manage_site(users["street"], commerce.owner, commerce.street)
    assert not access.can_manage_site(users["street"], commerce.owner, None)
    assert list(access.visible_units(users["officer"])) == [commerce]
