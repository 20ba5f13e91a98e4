"""The shared access building blocks (org/access.py) every app's rules use."""

from __future__ import annotations

import re
from pathlib import Path

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


# --- The org app's own rules and the one way to ask about subtrees ----------------------


def test_users_are_administered_by_the_district_office(users):
    assert access.can_manage_users(users["admin"])
    for name in ("leader", "officer", "street", "enterprise", "expert", "readonly"):
        assert not access.can_manage_users(users[name])
    assert not access.can_manage_users(AnonymousUser())


def test_a_profile_is_edited_by_its_user_or_the_district_office(users):
    assert access.can_edit_profile(users["officer"], users["officer"])
    assert access.can_edit_profile(users["admin"], users["officer"])
    assert not access.can_edit_profile(users["leader"], users["officer"])


def test_no_app_compares_organization_paths_itself():
    """Subtrees are org's business: outside org/ and core/ nobody writes
    ``path__startswith`` or ``.path.startswith(`` (``request.path`` is a URL)."""
    package = Path(access.__file__).resolve().parents[1]
    pattern = re.compile(r"path__startswith|(?<!request)\.path\.startswith\(")
    offenders = []
    for source in sorted(package.rglob("*.py")):
        relative = source.relative_to(package)
        if relative.parts[0] in ("org", "core") or "migrations" in relative.parts:
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
