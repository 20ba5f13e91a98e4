"""Every branch of plans/access.py: plan visibility, my tasks, rights."""

from __future__ import annotations

import pytest

from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.plans import access
from zhiben.plans.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(import_plan):
    return {"commerce": import_plan("commerce"), "ecology": import_plan("ecology"), "road": import_plan("road-traffic")}


def titles(user) -> set[str]:
    return {p.owner.code for p in access.visible_plans(user)}


def test_visibility_by_role(users, orgs, plans, plan_users):
    assert titles(users["admin"]) == {"hk-swj", "hk-sthjj", "hk-gafj"}
    # 区商务委 owns commerce and leads tasks of road-traffic
    assert titles(users["leader"]) == {"hk-swj", "hk-gafj"}
    assert titles(users["officer"]) == {"hk-swj", "hk-gafj"}
    # the section leads commerce task 2 only
    assert titles(users["section"]) == {"hk-swj"}
    # 生态环境局 reader: owns ecology
    assert titles(users["readonly"]) == {"hk-sthjj"}
    # 建管委 expert: 区建管委 leads road-traffic tasks
    assert titles(users["expert"]) == {"hk-gafj"}
    # a 街道 named by no plan in this set (各街道办事处 is unresolved) sees none
    assert titles(users["street"]) == set()
    assert titles(users["enterprise"]) == set()
    # anonymous / inactive
    from django.contrib.auth.models import AnonymousUser

    assert not access.visible_plans(AnonymousUser()).exists()
    users["leader"].is_active = False
    assert not access.visible_plans(users["leader"]).exists()
    # a participating unit only: 区教育局 in road-traffic
    assert titles(plan_users["jyj_officer"]) == {"hk-gafj"}
    assert titles(plan_users["fgj_officer"]) == set()


def test_removed_tasks_do_not_grant_visibility(users, plans):
    plans["commerce"].tasks.filter(number="2").update(removed_at="2025-01-01T00:00:00Z")
    assert titles(users["section"]) == set()
    assert not access.visible_tasks(users["leader"]).filter(number="2", plan=plans["commerce"]).exists()


def test_my_tasks(users, orgs, plans):
    mine = access.my_tasks(users["section"])
    assert {t.number for t in mine} == {"2"}
    assert access.my_tasks(users["leader"]).filter(plan=plans["commerce"]).count() == 13
    assert access.my_tasks(users["leader"], organization=orgs["hk-swj-scglk"]).count() == 1
    assert not access.my_tasks(users["enterprise"]).exists()


def test_rights(users, orgs, plans):
    commerce = plans["commerce"]
    assert access.can_import(users["admin"]) and access.can_import(users["leader"])
    assert not access.can_import(users["officer"])
    assert access.can_import(users["leader"], orgs["hk-swj"]) and not access.can_import(
        users["leader"], orgs["hk-sthjj"]
    )
    assert access.can_manage_plan(users["leader"], commerce) and not access.can_manage_plan(
        users["leader"], plans["ecology"]
    )
    assert access.can_map_names(users["admin"]) and not access.can_map_names(users["leader"])
    task = Task.objects.get(plan=commerce, number="2")
    assert {o.code for o in access.report_organizations(users["section"], task)} == {"hk-swj-scglk"}
    assert len(access.report_organizations(users["officer"], task)) == 6
    assert access.report_organizations(users["admin"], task) == []
    street_leader = make_user("t_street_leader", Role.DEPT_LEADER, orgs["hk-bwt"])
    assert not access.can_import(street_leader, orgs["hk-swj"])


def test_out_of_scope_plan_is_404_and_audited(users, plans, login):
    from zhiben.audit.models import AuditEvent

    ecology = plans["ecology"]
    enterprise = login(users["enterprise"])
    assert enterprise.get(f"/plans/{ecology.pk}/").status_code == 404
    assert enterprise.get(f"/api/v1/plans/{ecology.pk}").status_code == 404
    denials = AuditEvent.objects.filter(action="access.denied", actor=users["enterprise"], object_id=str(ecology.pk))
    assert denials.count() == 2
