"""Importing the six real plans: counts, unit resolution, the name mapping,
idempotent re-import, revised versions (diff, in-place update that keeps
reports), rights, and one audit row per change."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.plans import selectors, services
from zhiben.plans.choices import ImportStatus
from zhiben.plans.models import Milestone, Obligation, OrgNameMapping, ProgressReport, Task, TaskUnit
from zhiben.registry.models import Sector

from .conftest import audit_count, month

pytestmark = pytest.mark.django_db

# name → (owner code, tasks, milestones, active obligations incl. plan-level, report due day)
EXPECTED = {
    "civil-defense": ("hk-gdb", 15, 8, 13, 28),
    "commerce": ("hk-swj", 13, 6, 7, 24),
    "construction": ("hk-jgw", 16, 1, 3, None),
    "ecology": ("hk-sthjj", 10, 15, 7, 28),
    "economy": ("hk-awb", 3, 0, 0, None),
    "road-traffic": ("hk-gafj", 22, 11, 2, None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_import_each_plan(name, import_plan, parsed):
    owner, tasks, milestones, obligations, due_day = EXPECTED[name]
    plan = import_plan(name)
    assert plan.owner.code == owner
    assert plan.tasks.count() == tasks == len(parsed[name]["tasks"])
    assert Milestone.objects.filter(task__plan=plan).count() == milestones
    assert plan.obligations.filter(is_active=True).count() == obligations
    assert plan.report_due_day == due_day
    assert (plan.period_start, plan.period_end) == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    # every obligation has its dated instances
    for obligation in plan.obligations.all():
        assert obligation.instances.exists()
    # one audit row for the import
    assert audit_count(plan) == 1
    assert AuditEvent.objects.get(object_type="plans.plan", object_id=str(plan.pk)).action == "plan.import"


def test_commerce_sections_resolve_to_the_commerce_committee(import_plan, orgs):
    plan = import_plan("commerce")
    task = plan.tasks.get(number="2")
    leads = {u.organization.code for u in task.lead_units}
    assert leads == {
        "hk-swj-scglk",
        "hk-swj-syfzk",
        "hk-swj-qyxtfwk",
        "hk-swj-mycjk",
        "hk-swj-lyspk",
        "hk-swj-wzcbk",
    }
    assert all(org.parent_id == orgs["hk-swj"].pk for org in task.lead_organizations())


def test_tasks_without_a_lead_are_led_by_the_plan_owner(import_plan, orgs):
    plan = import_plan("commerce")
    task = plan.tasks.get(number="1")
    [lead] = task.lead_units
    assert lead.is_default and lead.organization == orgs["hk-swj"]


def test_ecology_sections_resolve_within_the_bureau(import_plan, orgs):
    plan = import_plan("ecology")
    task = plan.tasks.get(number="1")
    assert {u.organization.code for u in task.lead_units} == {"hk-sthjj-fsyjk", "hk-sthjj-fzxjk", "hk-sthjj-bgs"}


def test_unresolved_names_are_listed_and_mapping_relinks(import_plan, users, orgs):
    import_plan("ecology")
    import_plan("road-traffic")
    names = {row["name"]: row for row in selectors.unresolved_names()}
    assert {"各相关科室", "各科室", "各街道办事处"} <= set(names)
    assert TaskUnit.objects.filter(name="各科室", organization__isnull=True).exists()  # kept, not dropped

    linked = services.name_map(actor=users["admin"], name="各相关科室", organization=orgs["hk-sthjj"])
    assert linked == names["各相关科室"]["count"]
    assert not TaskUnit.objects.filter(name="各相关科室", organization__isnull=True).exists()
    services.name_map(actor=users["admin"], name="各街道办事处", ignored=True)
    remaining = {row["name"] for row in selectors.unresolved_names()}
    assert "各相关科室" not in remaining and "各街道办事处" not in remaining and "各科室" in remaining
    mapping = OrgNameMapping.objects.get(name="各相关科室")
    assert audit_count(mapping) == 1

    with pytest.raises(PermissionDeniedError):
        services.name_map(actor=users["leader"], name="各科室", organization=orgs["hk-sthjj"])
    with pytest.raises(ValidationFailed):
        services.name_map(actor=users["admin"], name="各科室")


def test_mapping_applies_to_later_imports(import_plan, users, orgs):
    services.name_map(actor=users["admin"], name="属地街道", ignored=True)
    import_plan("road-traffic")
    import_plan("civil-defense")
    remaining = {row["name"] for row in selectors.unresolved_names()}
    assert "属地街道" not in remaining


def test_reimport_is_idempotent(import_plan, parsed):
    plan = import_plan("commerce")
    events = AuditEvent.objects.count()
    tasks = list(Task.objects.values_list("pk", "title"))
    outcome = services.plan_import(actor=None, data=parsed["commerce"], source_name="commerce.txt")
    assert outcome.kind == "unchanged" and "未做任何更改" in outcome.message
    assert outcome.plan == plan
    assert list(Task.objects.values_list("pk", "title")) == tasks
    assert AuditEvent.objects.count() == events


def _revised(data: dict) -> dict:
    revised = copy.deepcopy(data)
    revised["source"]["sha256"] = "f" * 64
    tasks = revised["tasks"]
    tasks[2]["deadlines"] = [{"date": "2025-06-30", "text": "2025年6月底前完成"}]  # deadline changed
    tasks[3]["title"] = tasks[3]["title"] + "（修订）"  # still similar: changed, not replaced
    removed = tasks.pop(5)
    tasks.append(
        {**copy.deepcopy(tasks[0]), "number": "14", "title": "新增：开展燃气安全专项整治", "text": "新增任务。"}
    )
    return revised, removed


def test_revised_version_shows_diff_then_updates_in_place(import_plan, parsed, users, orgs):
    plan = import_plan("commerce")
    kept = plan.tasks.get(number="3")
    gone = plan.tasks.get(title=parsed["commerce"]["tasks"][5]["title"])
    section = orgs["hk-swj"]
    report = services.report_save(
        actor=users["officer"], task=kept, organization=section, month=month(2025, 3), summary="进展"
    )
    revised, removed = _revised(parsed["commerce"])

    outcome = services.plan_import(actor=users["admin"], data=revised, source_name="commerce-v2.txt")
    assert outcome.kind == "revision"
    diff = outcome.pending.diff
    assert [t["title"] for t in diff["added"]] == ["新增：开展燃气安全专项整治"]
    assert [t["title"] for t in diff["removed"]] == [removed["title"]]
    changed = {t["number"]: t for t in diff["changed"]}
    assert changed["3"]["deadlines"] == {"before": ["2026-12-31"], "after": ["2025-06-30"]}
    assert "任务名称" in changed["4"]["fields"]
    # nothing applied yet
    plan.refresh_from_db()
    assert plan.version == 1 and plan.tasks.count() == 13

    before = audit_count(plan)
    services.plan_revision_apply(actor=users["admin"], pending=outcome.pending)
    plan.refresh_from_db()
    assert plan.version == 2 and plan.source_sha256 == "f" * 64
    assert audit_count(plan) == before + 1
    live = plan.tasks.filter(removed_at__isnull=True)
    assert live.count() == 13
    kept.refresh_from_db()
    assert kept.removed_at is None
    assert [m.due_date for m in kept.milestones.all()] == [dt.date(2025, 6, 30)]
    assert ProgressReport.objects.get(pk=report.pk).task_id == kept.pk  # report kept on the surviving task
    gone.refresh_from_db()
    assert gone.removed_at is not None
    assert outcome.pending.__class__.objects.get(pk=outcome.pending.pk).status == ImportStatus.APPLIED
    # the same revision again is now "unchanged"
    again = services.plan_import(actor=users["admin"], data=revised)
    assert again.kind == "unchanged"


def test_stale_or_decided_revision_is_refused(import_plan, parsed, users):
    import_plan("commerce")
    revised, _ = _revised(parsed["commerce"])
    first = services.plan_import(actor=users["admin"], data=revised).pending
    services.plan_revision_discard(actor=users["admin"], pending=first)
    from zhiben.core.errors import ConflictError

    with pytest.raises(ConflictError):
        services.plan_revision_apply(actor=users["admin"], pending=first)


def test_owner_from_the_sector(parsed, users, orgs, sectors):
    """Without a chosen owner, the sector's 主管部门 (economy: 区科委, data/sectors.yaml)."""
    plan = services.plan_import(actor=users["admin"], data=parsed["economy"]).plan
    assert plan.owner == orgs["hk-kw"]


def test_rights_and_owner_choice(import_plan, parsed, users, orgs, sectors):
    Sector.objects.filter(code="economy").update(owner=None)  # a sector without a 主管部门
    with pytest.raises(ValidationFailed) as exc:
        services.plan_import(actor=users["admin"], data=parsed["economy"])
    assert exc.value.code == "owner_required"
    with pytest.raises(PermissionDeniedError):
        services.plan_import(actor=users["officer"], data=parsed["commerce"])
    with pytest.raises(PermissionDeniedError):
        services.plan_import(actor=users["leader"], data=parsed["ecology"])  # not the leader's department
    outcome = services.plan_import(actor=users["leader"], data=parsed["commerce"])
    assert outcome.kind == "created" and outcome.plan.imported_by == users["leader"]
    assert AuditEvent.objects.filter(action="access.denied", actor=users["officer"]).count() == 1


def test_obligation_of_a_task_belongs_to_its_lead(import_plan, orgs):
    plan = import_plan("civil-defense")
    biweekly = Obligation.objects.get(plan=plan, period="week", every=2)
    assert biweekly.instances.count() == 78
    assert biweekly.organization.code in {"hk-gdb", "hk-gdb-mfglzx"}
    plan_level = Obligation.objects.get(plan=plan, task=None, due_day=28)
    assert plan_level.organization == orgs["hk-gdb"]
    assert plan_level.instances.count() == 36


def test_holiday_duty_becomes_dated_instances(import_plan, parsed, orgs):
    """A duty written 逢节假日 (the parser's period "holiday") is scheduled before each public holiday."""
    from zhiben.plans.parsing import parse_plan_text

    data = parse_plan_text(
        "虹口区某行业安全生产治本攻坚三年行动方案（2024—2026年）\n"
        "一、主要任务\n"
        "（一）开展节前检查。逢节假日组织开展安全检查。（牵头单位：区商务委）\n"
    )
    assert any(d.get("period") == "holiday" for t in data["tasks"] for d in t.get("recurring") or [])
    plan = services.plan_import(actor=None, data=data, source_name="holiday.txt", owner=orgs["hk-swj"]).plan
    duty = Obligation.objects.get(plan=plan, period="holiday")
    assert duty.schedule_label == "逢节假日"
    dues = list(duty.instances.order_by("due_date").values_list("due_date", flat=True))
    assert dt.date(2025, 1, 27) in dues and dt.date(2025, 9, 30) in dues
    assert len(dues) == 19
