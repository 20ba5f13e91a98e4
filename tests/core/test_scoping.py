"""The scope matrix: every role against records owned by its own org, a child,
the parent, a sibling, another 街道 and another unit; for "view" and "change";
through restrict(), the API and the pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from zhiben.audit.models import AuditEvent
from zhiben.core.scoping import can
from zhiben.registry.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped_units(orgs, units):
    """Units placed on every branch of the scope rules."""
    make = lambda name, owner, street=None: Unit.objects.create(  # noqa: E731
        name=name, owner=orgs[owner] if owner else None, street=orgs[street] if street else None
    )
    return {
        "enterprise_unit": units["commerce"],  # owner 区商务委, in 北外滩
        "other_unit": units["construction"],  # owner 区建管委, in 江湾镇
        "own_org": make("商务委直管", "hk-swj"),
        "child_org": make("市场管理科直管", "hk-swj-scglk"),
        "parent_org": make("区直管", "hk"),
        "sibling_org": make("建管委直管", "hk-jgw"),
        "own_street": make("北外滩属地", "hk-jgw", "hk-bwt"),
        "other_street": make("曲阳路属地", "hk-jgw", "hk-qyl"),
        "ecology": make("生态局直管", "hk-sthjj-fsyjk"),
    }


ALL = {
    "enterprise_unit",
    "other_unit",
    "own_org",
    "child_org",
    "parent_org",
    "sibling_org",
    "own_street",
    "other_street",
    "ecology",
}
DEPT = {"enterprise_unit", "own_org", "child_org"}
JGW = {"other_unit", "sibling_org", "own_street", "other_street"}

EXPECTED = {
    # role: (view, change)
    "admin": (ALL, ALL),
    "leader": (DEPT, DEPT),
    "officer": (DEPT, DEPT),
    # A 科室 sees every unit of its department (registry.models.department_units_q), changes its own subtree's.
    "section": (DEPT, {"child_org"}),
    "street": ({"enterprise_unit", "own_street"}, {"enterprise_unit", "own_street"}),
    "enterprise": ({"enterprise_unit"}, {"enterprise_unit"}),
    "expert": (JGW, set()),
    "readonly": ({"ecology"}, set()),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("action", ["view", "change"])
def test_restrict_matrix(users, scoped_units, role, action):
    names = {pk: name for name, unit in scoped_units.items() for pk in [unit.pk]}
    visible = {names[pk] for pk in Unit.objects.restrict(users[role], action).values_list("pk", flat=True)}
    expected = EXPECTED[role][0 if action == "view" else 1]
    assert visible == expected
    for name, unit in scoped_units.items():
        assert can(users[role], action, unit) == (name in expected), name


def test_anonymous_and_inactive_users_see_nothing(users, scoped_units):
    assert not Unit.objects.restrict(AnonymousUser(), "view").exists()
    admin = users["admin"]
    admin.is_active = False
    admin.save()
    assert not Unit.objects.restrict(admin, "view").exists()


def test_superuser_sees_everything(scoped_units, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    assert Unit.objects.restrict(root, "change").count() == len(scoped_units)


def test_inactive_membership_grants_nothing(users, scoped_units):
    officer = users["officer"]
    officer.memberships.update(is_active=False)
    officer.forget_memberships()
    assert not Unit.objects.restrict(officer, "view").exists()


def test_memberships_are_united(users, orgs, scoped_units):
    from zhiben.org.models import Membership

    officer = users["officer"]
    Membership.objects.create(user=officer, organization=orgs["hk-sthjj"], role="readonly")
    officer.forget_memberships()
    view = set(Unit.objects.restrict(officer, "view").values_list("name", flat=True))
    change = set(Unit.objects.restrict(officer, "change").values_list("name", flat=True))
    assert "生态局直管" in view and "生态局直管" not in change


def test_unknown_action_is_a_programming_error(users):
    with pytest.raises(ValueError):
        Unit.objects.restrict(users["admin"], "delete")


# --- Organizations through the API and the pages ------------------------------------------------

ORG_CASES = {
    # role: {org code: visible?}  own org, its child, parent (district), sibling dept, another street
    "admin": {"hk-swj": True, "hk-swj-scglk": True, "hk": True, "hk-jgw": True, "hk-qyl": True},
    "leader": {"hk-swj": True, "hk-swj-scglk": True, "hk": False, "hk-jgw": False, "hk-qyl": False},
    "officer": {"hk-swj": True, "hk-swj-scglk": True, "hk": False, "hk-jgw": False, "hk-qyl": False},
    "section": {"hk-swj": False, "hk-swj-scglk": True, "hk": False, "hk-jgw": False, "hk-qyl": False},
    "street": {"hk-bwt": True, "hk-swj": False, "hk": False, "hk-jgw": False, "hk-qyl": False},
    "enterprise": {"hk-swj": False, "hk-swj-scglk": False, "hk": False, "hk-jgw": False, "hk-qyl": False},
    "expert": {"hk-jgw": True, "hk-swj": False, "hk": False, "hk-qyl": False},
    "readonly": {"hk-sthjj": True, "hk-sthjj-fsyjk": True, "hk-swj": False, "hk": False, "hk-qyl": False},
}


@pytest.mark.parametrize("role", sorted(ORG_CASES))
def test_organization_api_and_pages_follow_scope(users, orgs, login, role):
    client = login(users[role])
    listed = set()
    url = "/api/v1/organizations?limit=500"
    body = client.get(url).json()
    listed = {item["code"] for item in body["items"]}
    for code, visible in ORG_CASES[role].items():
        org = orgs[code]
        api = client.get(f"/api/v1/organizations/{org.pk}")
        page = client.get(f"/organizations/{org.pk}/")
        if visible:
            assert api.status_code == 200 and api.json()["code"] == code
            assert page.status_code == 200 and org.name in page.content.decode()
            assert code in listed
        else:
            assert api.status_code == 404, code
            assert api.json()["code"] == "not_found"
            assert page.status_code == 404, code
            assert code not in listed


def test_out_of_scope_access_is_audited(users, orgs, login):
    client = login(users["officer"])
    before = AuditEvent.objects.filter(action="access.denied").count()
    assert client.get(f"/api/v1/organizations/{orgs['hk-jgw'].pk}").status_code == 404
    denial = AuditEvent.objects.filter(action="access.denied").order_by("-id").first()
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1
    assert denial.actor_id == users["officer"].pk
    assert denial.object_id == str(orgs["hk-jgw"].pk)


def test_nonexistent_object_is_404_without_denial(users, login):
    client = login(users["officer"])
    before = AuditEvent.objects.count()
    assert client.get("/api/v1/organizations/999999").status_code == 404
    assert AuditEvent.objects.count() == before
