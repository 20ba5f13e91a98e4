"""Every transition × every role, allowed and forbidden; every transition from
every state it may not start from. A forbidden attempt leaves the hazard as it
was and writes one denial to the audit trail; an allowed one writes exactly one
audit row for the hazard."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, ServiceError
from zhiben.hazards import services, workflow
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard

from .conftest import photo

pytestmark = pytest.mark.django_db

ROLES = [
    "admin",
    "leader",
    "officer",
    "section",
    "street",
    "enterprise",
    "expert",
    "readonly",
    "jgw_officer",
    "other_street",
    "other_enterprise",
]

# Who may make each transition on a 一般/易整改 hazard owned by 区商务委 in 北外滩
# for 北外滩商场 (section = 市场管理科, a child of the owner, is NOT the owner).
ALLOWED = {
    "confirm": {"admin", "leader", "officer"},
    "submit": {"admin", "leader", "officer", "street", "enterprise"},
    "verify_pass": {"admin", "leader", "officer"},
    "verify_fail": {"admin", "leader", "officer"},
    "transfer": {"admin", "leader", "officer"},
    "transfer_accept": {"admin", "jgw_officer"},
    "transfer_return": {"admin", "jgw_officer"},
    "void": {"admin", "leader"},
    "reopen": {"admin", "leader", "officer"},
    "fix_on_spot": {"admin", "leader", "officer", "street"},
}
SOURCE = {
    "confirm": HazardStatus.PENDING,
    "submit": HazardStatus.RECTIFYING,
    "verify_pass": HazardStatus.AWAITING_VERIFICATION,
    "verify_fail": HazardStatus.AWAITING_VERIFICATION,
    "transfer": HazardStatus.RECTIFYING,
    "transfer_accept": HazardStatus.TRANSFERRING,
    "transfer_return": HazardStatus.TRANSFERRING,
    "void": HazardStatus.RECTIFYING,
    "reopen": HazardStatus.CLOSED,
    "fix_on_spot": HazardStatus.RECTIFYING,
}
TARGET = {
    "confirm": HazardStatus.RECTIFYING,
    "submit": HazardStatus.AWAITING_VERIFICATION,
    "verify_pass": HazardStatus.CLOSED,
    "verify_fail": HazardStatus.RECTIFYING,
    "transfer": HazardStatus.TRANSFERRING,
    "transfer_accept": HazardStatus.PENDING,  # back to the state before (drive() transfers a pending hazard)
    "transfer_return": HazardStatus.PENDING,
    "void": HazardStatus.VOID,
    "reopen": HazardStatus.RECTIFYING,
    "fix_on_spot": HazardStatus.CLOSED,
}


def call(name: str, actor, hazard: Hazard, orgs):
    if name == "confirm":
        return services.hazard_confirm(
            actor=actor, hazard=hazard, requirement="清理", deadline_kind="date", deadline=dt.date(2026, 12, 31)
        )
    if name == "submit":
        return services.hazard_submit(actor=actor, hazard=hazard, note="已整改", files=[photo()])
    if name == "verify_pass":
        return services.hazard_verify_pass(actor=actor, hazard=hazard, note="合格")
    if name == "verify_fail":
        return services.hazard_verify_fail(actor=actor, hazard=hazard, reason="仍有纸箱")
    if name == "transfer":
        return services.hazard_transfer(actor=actor, hazard=hazard, to_org=orgs["hk-jgw"], reason="属建管委")
    if name == "transfer_accept":
        return services.hazard_transfer_accept(actor=actor, hazard=hazard)
    if name == "transfer_return":
        return services.hazard_transfer_return(actor=actor, hazard=hazard, reason="不属本部门")
    if name == "void":
        return services.hazard_void(actor=actor, hazard=hazard, reason="重复上报")
    if name == "reopen":
        return services.hazard_reopen(actor=actor, hazard=hazard, reason="回头看发现返潮")
    if name == "fix_on_spot":
        return services.hazard_fix_on_spot(actor=actor, hazard=hazard, note="当场清理", files=[photo()])
    raise AssertionError(name)


def test_the_table_covers_every_transition():
    assert set(ALLOWED) == set(workflow.TRANSITIONS)


def _state(hazard: Hazard) -> dict:
    fresh = Hazard.objects.get(pk=hazard.pk)
    return {f.attname: getattr(fresh, f.attname) for f in Hazard._meta.concrete_fields}


@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_transition_by_role(name, role, everyone, orgs, drive):
    hazard = drive(SOURCE[name])
    actor = everyone[role]
    before_events = AuditEvent.objects.filter(object_id=str(hazard.pk), object_type="hazards.hazard").count()
    before_state = _state(hazard)
    if role in ALLOWED[name]:
        call(name, actor, hazard, orgs)
        hazard.refresh_from_db()
        assert hazard.status == TARGET[name]
        events = AuditEvent.objects.filter(object_id=str(hazard.pk), object_type="hazards.hazard").order_by("id")
        assert events.count() == before_events + 1
        assert events.last().action == f"hazard.{name}"
        assert events.last().actor_id == actor.pk
    else:
        with pytest.raises(ConflictError) as exc:
            call(name, actor, hazard, orgs)
        assert exc.value.code == "transition_not_permitted"
        assert _state(hazard) == before_state
        denial = AuditEvent.objects.order_by("-id").first()
        assert denial.action == "transition.refused"
        assert denial.actor_id == actor.pk
        assert denial.after["attempted"] == f"hazard.{name}"
        assert (
            AuditEvent.objects.filter(
                object_id=str(hazard.pk), object_type="hazards.hazard", action__startswith="hazard."
            ).count()
            == before_events
        )


@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("status", [s.value for s in HazardStatus])
def test_transition_from_wrong_state_is_refused(name, status, users, orgs, drive):
    transition = workflow.TRANSITIONS[name]
    if status in transition.sources:
        pytest.skip("allowed source state")
    hazard = drive(status)
    before_state = _state(hazard)
    with pytest.raises(ConflictError) as exc:
        call(name, users["admin"], hazard, orgs)
    assert exc.value.code == "invalid_transition"
    assert _state(hazard) == before_state
    assert AuditEvent.objects.order_by("-id").first().action == "transition.refused"


# --- Guards and rules ----------------------------------------------------------------------------


def test_major_hazard_needs_a_complete_governance_plan_before_submission(users, drive):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    with pytest.raises(ConflictError) as exc:
        services.hazard_submit(actor=users["officer"], hazard=hazard, note="已整改", files=[photo()])
    assert exc.value.code == "guard_failed" and "治理方案" in exc.value.message
    services.governance_plan_save(
        actor=users["officer"],
        hazard=hazard,
        parts={
            "objectives": "消除",
            "methods": "清理",
            "funding": "",
            "organization": "物业",
            "schedule": "一周",
            "safety": "警示",
        },
    )
    with pytest.raises(ConflictError) as exc:
        services.hazard_submit(actor=users["officer"], hazard=hazard, note="已整改", files=[photo()])
    assert "经费和物资" in exc.value.message
    services.governance_plan_save(actor=users["enterprise"], hazard=hazard, parts={"funding": "5万元"})
    services.hazard_submit(actor=users["enterprise"], hazard=hazard, note="已整改", files=[photo()])
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.AWAITING_VERIFICATION


def test_major_hazard_is_verified_by_a_leader_or_the_district_office(users, drive):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION, level="major")
    with pytest.raises(ConflictError) as exc:
        services.hazard_verify_pass(actor=users["officer"], hazard=hazard, note="合格")
    assert exc.value.code == "guard_failed"
    services.hazard_verify_pass(actor=users["leader"], hazard=hazard, note="合格")
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.CLOSED


def test_very_hard_hazard_is_verified_by_the_district_office(users, drive):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION, difficulty="very_hard")
    for role in ("leader", "officer"):
        with pytest.raises(ConflictError):
            services.hazard_verify_pass(actor=users[role], hazard=hazard, note="合格")
    services.hazard_verify_pass(actor=users["admin"], hazard=hazard, note="合格")
    assert Hazard.objects.get(pk=hazard.pk).verified_by == users["admin"]


def test_submission_needs_after_evidence_and_a_note(users, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    with pytest.raises(ServiceError) as exc:
        services.hazard_submit(actor=users["enterprise"], hazard=hazard, note="已整改", files=[])
    assert "整改后的照片" in exc.value.message
    with pytest.raises(ServiceError):
        services.hazard_submit(actor=users["enterprise"], hazard=hazard, note=" ", files=[photo()])
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING


@pytest.mark.parametrize("name", ["verify_fail", "void", "transfer", "transfer_return", "reopen"])
def test_reasons_are_required(name, users, orgs, drive):
    hazard = drive(SOURCE[name])
    admin = users["admin"]
    calls = {
        "verify_fail": lambda: services.hazard_verify_fail(actor=admin, hazard=hazard, reason=""),
        "void": lambda: services.hazard_void(actor=admin, hazard=hazard, reason="  "),
        "transfer": lambda: services.hazard_transfer(actor=admin, hazard=hazard, to_org=orgs["hk-jgw"], reason=""),
        "transfer_return": lambda: services.hazard_transfer_return(actor=admin, hazard=hazard, reason=""),
        "reopen": lambda: services.hazard_reopen(actor=admin, hazard=hazard, reason=""),
    }
    with pytest.raises(ServiceError) as exc:
        calls[name]()
    assert exc.value.code == "validation_failed"
    assert Hazard.objects.get(pk=hazard.pk).status == SOURCE[name]


def test_transfer_moves_ownership_keeps_history_and_informs_the_target(
    users, more_users, orgs, drive, django_capture_on_commit_callbacks
):
    from zhiben.notify.models import Notification

    hazard = drive(HazardStatus.RECTIFYING)
    target_user = more_users["jgw_officer"]
    assert not Hazard.objects.restrict(target_user).filter(pk=hazard.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.hazard_transfer(actor=users["officer"], hazard=hazard, to_org=orgs["hk-jgw"], reason="属建管委监管")
    assert Notification.objects.filter(recipient=target_user, kind="hazard.transfer").exists()
    assert Hazard.objects.restrict(target_user).filter(pk=hazard.pk).exists()  # the target sees it to decide
    services.hazard_transfer_accept(actor=target_user, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.owner == orgs["hk-jgw"] and hazard.status == HazardStatus.RECTIFYING
    assert hazard.pending_owner is None
    assert not Hazard.objects.restrict(users["officer"]).filter(pk=hazard.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_id=str(hazard.pk), object_type="hazards.hazard")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["hazard.transfer", "hazard.transfer_accept"]


def test_returned_transfer_keeps_owner_and_reason(users, more_users, orgs, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    services.hazard_transfer(actor=users["officer"], hazard=hazard, to_org=orgs["hk-jgw"], reason="属建管委")
    services.hazard_transfer_return(actor=more_users["jgw_officer"], hazard=hazard, reason="系商业场所，不属建管委")
    hazard.refresh_from_db()
    assert hazard.owner == orgs["hk-swj"] and hazard.status == HazardStatus.RECTIFYING
    assert hazard.transfers.get().return_reason == "系商业场所，不属建管委"
    assert not Hazard.objects.restrict(more_users["jgw_officer"]).filter(pk=hazard.pk).exists()


def test_stale_version_is_a_conflict(users, drive):
    hazard = drive(HazardStatus.PENDING)
    with pytest.raises(ConflictError) as exc:
        services.hazard_confirm(
            actor=users["officer"],
            hazard=hazard,
            requirement="x",
            deadline_kind="immediate",
            expected_version=hazard.version + 5,
        )
    assert exc.value.code == "stale_version"


def test_allowed_transitions_lists_only_what_the_user_may_do(users, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    hazard = Hazard.objects.select_related("owner", "pending_owner").get(pk=hazard.pk)
    assert {t.name for t in workflow.allowed_transitions(users["enterprise"], hazard)} == {"submit"}
    assert {t.name for t in workflow.allowed_transitions(users["leader"], hazard)} == {
        "submit",
        "transfer",
        "void",
        "fix_on_spot",
    }
    assert workflow.allowed_transitions(users["readonly"], hazard) == []


def test_workflow_doc_is_generated_from_the_table():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "hazard-workflow.md").read_text("utf-8")
    assert workflow.mermaid() in doc
    assert workflow.markdown_table() in doc


def test_plan_cannot_change_while_awaiting_verification(users, drive):
    # Found by the Hypothesis state machine: an incomplete plan saved after submission.
    hazard = drive(HazardStatus.AWAITING_VERIFICATION, level="major")
    with pytest.raises(ConflictError):
        services.governance_plan_save(actor=users["admin"], hazard=hazard, parts={"funding": ""})
    assert hazard.plan.is_complete
