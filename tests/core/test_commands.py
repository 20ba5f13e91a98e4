"""Operator commands: setup, demo (idempotent), the `zhiben` entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from zhiben.audit.models import AuditEvent
from zhiben.org.choices import Role
from zhiben.org.models import Membership, Organization, User
from zhiben.registry.models import Unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_creates_every_role_and_is_idempotent(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "Zhiben@2024" in out and "admin" in out
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    streets = Membership.objects.filter(role=Role.STREET_OFFICER).values_list("organization__code", flat=True)
    assert len(set(streets)) >= 2
    departments = Membership.objects.filter(role=Role.DEPT_OFFICER).values("organization__path")
    assert len(departments) >= 3
    counts = (User.objects.count(), Unit.objects.count(), Organization.objects.count(), Membership.objects.count())
    events = AuditEvent.objects.count()
    call_command("demo")
    assert (
        User.objects.count(),
        Unit.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == events  # nothing changed, nothing recorded
    # Every demo account was created through the audited service.
    assert AuditEvent.objects.filter(action="user.create").count() == User.objects.count() - 1
    assert User.objects.get(username="qiye_bwt").memberships.get().unit.uscc


@pytest.mark.django_db
def test_reference_organizations_resolve_by_alias(orgs):
    assert Organization.objects.resolve("区建管委") == Organization.objects.resolve("区建设管理委员会")
    assert Organization.objects.resolve("区建管委").code == "hk-jgw"
    assert Organization.objects.resolve("区国动办") == Organization.objects.resolve("区国防动员办公室")
    assert Organization.objects.resolve("办公室") is None  # ambiguous without a parent
    assert Organization.objects.resolve("办公室", within=orgs["hk-swj"]).code == "hk-swj-bgs"
    assert Organization.objects.streets().count() == 8
    sections = Organization.objects.filter(parent=orgs["hk-swj"]).values_list("name", flat=True)
    assert {"办公室", "商业发展科", "贸易促进科", "企业协调服务科", "市场管理科", "粮油食品科", "物资储备科"} <= set(
        sections
    )


@pytest.mark.django_db
def test_subtree_paths_follow_a_move(orgs):
    section = orgs["hk-swj-scglk"]
    section.parent = orgs["hk-jgw"]
    section.save()
    section.refresh_from_db()
    assert section.path.startswith(orgs["hk-jgw"].path)
    assert section.department == orgs["hk-jgw"]


def test_entry_point_runs_django_commands():
    result = subprocess.run(
        [sys.executable, "-m", "zhiben", "help", "audit"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test"},
    )
    assert result.returncode == 0 and "verify" in result.stdout


def test_make_help_lists_the_targets():
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for target in ("run", "test", "lint", "check", "bench"):
        assert f"make {target}" in result.stdout


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text("utf-8").splitlines()[:20]
    text = "\n".join(head)
    assert "make run" in text and "make test" in text
