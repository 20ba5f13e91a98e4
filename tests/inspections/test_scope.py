"""Scope and the access module's branches."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError
from zhiben.core.testing import make_user
from zhiben.inspections import access, services
from zhiben.org.choices import Role

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def inspection(make_campaign, sites, users, answers_for, reference):
    campaign = make_campaign()
    return services.inspection_create(
        actor=users["officer"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
        answers=answers_for(reference["gb35181-2017"].current_version),
        finish=True,
    )


def test_visibility_branches(inspection, users, orgs):
    visible = lambda user: access.visible_inspections(user).filter(pk=inspection.pk).exists()  # noqa: E731
    assert visible(users["admin"])  # district admin
    assert visible(users["leader"]) and visible(users["officer"])  # owning department
    assert visible(users["section"]) is False  # a section below does not own it
    assert visible(users["street"])  # the site's 街道 (北外滩)
    assert visible(users["enterprise"])  # the site's unit
    assert not visible(users["expert"])  # 区建管委 expert, not on the team
    assert not visible(users["readonly"])
    inspection.inspectors.add(users["expert"])
    assert visible(users["expert"])  # on the team
    outsider = make_user("t_other_street", Role.STREET_OFFICER, orgs["hk-jwz"])
    assert not visible(outsider)  # another 街道


def test_rights(inspection, users, sites, make_campaign, orgs):
    assert access.can_manage_checklists(users["leader"]) and not access.can_manage_checklists(users["officer"])
    assert access.can_inspect(users["officer"], orgs["hk-swj"])
    assert not access.can_inspect(users["expert"], orgs["hk-swj"])
    assert access.can_inspect(users["expert"], orgs["hk-swj"], make_campaign(team_users=[users["expert"]]))
    assert access.can_self_check(users["enterprise"], sites["mall"])
    assert not access.can_self_check(users["enterprise"], sites["works"])
    assert not access.can_self_check(users["officer"], sites["mall"])
    assert not access.can_edit_inspection(users["readonly"], inspection)
    assert not access.is_enterprise(users["officer"]) and access.is_enterprise(users["enterprise"])
    with pytest.raises(PermissionDeniedError):
        services.inspection_create(
            actor=users["expert"],
            data={
                "site": sites["mall"],
                "organization": orgs["hk-swj"],
                "method": "joint",
                "checklist_version": inspection.checklist_version,
                "inspected_on": DAY,
            },
        )
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_out_of_scope_is_404_and_audited(inspection, users, login):
    before = AuditEvent.objects.filter(action="access.denied").count()
    for url in (f"/inspections/{inspection.pk}/", f"/inspections/{inspection.pk}/report.docx"):
        assert login(users["readonly"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 2
    assert login(users["officer"]).get(f"/inspections/{inspection.pk}/").status_code == 200
    assert login(users["officer"]).get(f"/api/v1/inspections/{inspection.pk}").status_code == 200
    assert login(users["readonly"]).get(f"/api/v1/inspections/{inspection.pk}").status_code == 404
    listing = login(users["readonly"]).get("/api/v1/inspections").json()
    assert listing == []


def test_expert_sees_only_team_inspections(inspection, users, login):
    client = login(users["expert"])
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 404
    inspection.inspectors.add(users["expert"])
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 200
    assert "北外滩商业广场" in client.get("/inspections/").content.decode()
