"""The shared access building blocks (org/access.py) every app's rules use."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from zhiben.org import access
from zhiben.org.choices import Role
from zhiben.org.models import Organization


def test_anonymous_and_inactive_users_hold_nothing(users, orgs):
    officer = users["officer"]
    officer.is_active = False
    for user in (AnonymousUser(), officer, None):
        assert not access.is_active_user(user)
        assert not access.is_admin(user)
        assert access.memberships(user) == []
        assert not access.holds_role_over(user, orgs["hk-swj"], access.STAFF_ROLES)
        assert access.enterprise_unit_ids(user) == []


def test_roles_count_for_the_organization_and_below(users, orgs):
    leader, section = users["leader"], users["section"]
    department, sub = orgs["hk-swj"], orgs["hk-swj-scglk"]
    assert access.holds_role_over(leader, sub, access.STAFF_ROLES)
    assert access.holds_role_over(leader, department, (Role.DEPT_LEADER,))
    assert not access.holds_role_over(leader, orgs["hk-jgw"], access.STAFF_ROLES)
    # a section's officer acts below the department, not over it …
    assert not access.holds_role_over(section, department, access.STAFF_ROLES)
    # … but works within it
    assert access.leads_within(section, department, access.STAFF_ROLES)
    assert not access.holds_role_over(users["expert"], orgs["hk-jgw"], access.STAFF_ROLES)
    assert access.is_admin(users["admin"]) and not access.is_admin(leader)


def test_subtree_q_selects_exactly_the_subtree(orgs):
    department = orgs["hk-swj"]
    inside = set(Organization.objects.filter(access.subtree_q("", department)))
    assert inside == {o for o in orgs.values() if o.is_within(department)}
    assert orgs["hk-swj-scglk"] in inside and orgs["hk-jgw"] not in inside
    assert not Organization.objects.filter(access.subtree_q("", [])).exists()
    two = set(Organization.objects.filter(access.subtree_q("", [department, orgs["hk-jgw"]])))
    assert two == inside | {o for o in orgs.values() if o.is_within(orgs["hk-jgw"])}
    children = Organization.objects.filter(access.subtree_q("parent", department))
    assert set(children) == {o for o in inside if o.parent_id and o.parent.is_within(department)}


def test_enterprise_membership(users, units):
    enterprise = users["enterprise"]
    assert access.enterprise_unit_ids(enterprise) == [units["commerce"].pk]
    assert access.is_unit_member(enterprise, units["commerce"].pk)
    assert not access.is_unit_member(enterprise, units["construction"].pk)
    assert not access.is_unit_member(users["leader"], units["commerce"].pk)
    assert access.within_any(units["commerce"].owner, access.organizations(users["leader"]))
