"""危大工程 and 起重机械 rules: refusals in Chinese leave the record unchanged; rights."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.construction import services
from zhiben.construction.models import Crane, DangerousWork
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from .conftest import past

APPROVED = {"scheme_approved_on": past(10), "scheme_approved_by": "王工"}


def _reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_over_scale_work_cannot_start_without_expert_review_and_nothing_changes(make_work, people):
    work = make_work(over_scale=True, **APPROVED)
    before = AuditEvent.objects.count()
    with pytest.raises(ConflictError) as exc:
        services.work_update(actor=people["jgw"], work=work, data={"status": "in_progress", "note": "开挖"})
    assert "专家论证" in exc.value.message and "施工中" in exc.value.message
    reloaded = _reload(work)
    assert reloaded.status == "not_started" and reloaded.note == ""
    # The refusal is on the record (transition.refused), no change row.
    actions = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert "dangerous_work.update" not in actions


@pytest.mark.parametrize("conclusion, allowed", [("fail", False), ("pass_revised", True), ("pass", True)])
def test_over_scale_work_starts_only_after_a_passed_review(make_work, people, conclusion, allowed):
    work = make_work(over_scale=True, expert_review_on=past(20), expert_conclusion=conclusion, **APPROVED)
    change = {"status": "in_progress"}
    if allowed:
        services.work_update(actor=people["jgw"], work=work, data=change)
        assert _reload(work).status == "in_progress"
        assert AuditEvent.objects.filter(action="dangerous_work.update", object_id=str(work.pk)).count() == 1
    else:
        with pytest.raises(ConflictError):
            services.work_update(actor=people["jgw"], work=work, data=change)
        assert _reload(work).status == "not_started"


def test_reviewed_but_unapproved_scheme_is_refused_too(make_work, people):
    work = make_work(over_scale=True, expert_review_on=past(20), expert_conclusion="pass")
    with pytest.raises(ConflictError) as exc:
        services.work_update(actor=people["builder"], work=work, data={"status": "in_progress"})
    assert "专项施工方案尚未审批" in exc.value.message
    assert _reload(work).status == "not_started"


def test_an_ordinary_work_needs_only_its_approved_scheme(make_work, people):
    work = make_work()
    with pytest.raises(ConflictError):
        services.work_update(actor=people["jgw"], work=work, data={"status": "done"})
    services.work_update(actor=people["jgw"], work=work, data={"status": "in_progress", **APPROVED})
    assert _reload(work).status == "in_progress"


def test_creating_an_over_scale_work_already_in_progress_is_refused(people, project):
    with pytest.raises(ConflictError):
        services.work_create(
            actor=people["jgw"],
            data={
                "site": project,
                "name": "高支模",
                "work_type": "formwork",
                "over_scale": True,
                "status": "in_progress",
                **APPROVED,
            },
        )
    assert not DangerousWork.objects.exists()


def test_bad_work_data_is_refused_field_by_field(make_work, people, project):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        services.work_create(
            actor=people["jgw"],
            data={
                "site": project,
                "name": " ",
                "work_type": "cave",
                "scheme_approved_on": tomorrow,
                "scheme_approved_by": "王工",
                "expert_conclusion": "pass",
            },
        )
    assert set(exc.value.details) >= {"name", "work_type", "scheme_approved_on", "expert_review_on"}
    assert not DangerousWork.objects.exists()


def test_a_work_is_only_for_a_construction_site(people, reference, users):
    from zhiben.registry import services as registry_services

    mall = registry_services.site_create(
        actor=users["admin"], data={"site_type": reference["types"]["commercial_complex"], "name": "商场"}
    )
    with pytest.raises(ValidationFailed) as exc:
        services.work_create(actor=users["admin"], data={"site": mall, "name": "基坑", "work_type": "pit"})
    assert exc.value.details["site"] == "所选场所不是建筑工地"


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("admin", True),
        ("jgw", True),
        ("jwz", True),
        ("builder", True),
        ("officer", False),
        ("street", False),
        ("enterprise", False),
        ("jgw_expert", False),
        ("readonly", False),
    ],
)
def test_who_may_register_a_work(people, project, who, allowed):
    data = {"site": project, "name": "基坑", "work_type": "pit"}
    if allowed:
        work = services.work_create(actor=people[who], data=data)
        assert work.created_by == people[who]
        assert AuditEvent.objects.filter(action="dangerous_work.create", object_id=str(work.pk)).count() == 1
    else:
        with pytest.raises(PermissionDeniedError):
            services.work_create(actor=people[who], data=data)
        assert not DangerousWork.objects.exists()


# --- 起重机械 -------------------------------------------------------------------------------


def _crane(people, project, **data) -> Crane:
    return services.crane_create(
        actor=people["jgw"],
        data={"site": project, "crane_type": "tower", "record_no": "沪FS-T-001", "owner_unit": "申江租赁", **data},
    )


IN_USE_READY = {
    "inspected_on": past(30),
    "inspection_result": "pass",
    "inspection_valid_until": timezone.localdate() + dt.timedelta(days=200),
    "use_registered_on": past(20),
}


@pytest.mark.parametrize(
    "missing, message",
    [
        ({"inspection_result": "fail"}, "没有检验合格的记录"),
        ({"inspected_on": None, "inspection_result": ""}, "没有检验合格的记录"),
        ({"use_registered_on": None}, "尚未办理使用登记"),
        ({"inspection_valid_until": past(1)}, "检验已于"),
    ],
)
def test_a_crane_is_in_use_only_after_a_passing_inspection_and_registration(people, project, missing, message):
    crane = _crane(people, project, **{**IN_USE_READY, **missing})
    with pytest.raises(ConflictError) as exc:
        services.crane_update(actor=people["builder"], crane=crane, data={"status": "in_use", "note": "启用"})
    assert message in exc.value.message
    reloaded = _reload(crane)
    assert reloaded.status == "installing" and reloaded.note == ""


def test_a_ready_crane_goes_in_use_and_dismantled_needs_a_date(people, project):
    crane = _crane(people, project, **IN_USE_READY)
    services.crane_update(actor=people["builder"], crane=crane, data={"status": "in_use"})
    assert _reload(crane).status == "in_use"
    with pytest.raises(ConflictError):
        services.crane_update(actor=people["builder"], crane=crane, data={"status": "dismantled"})
    services.crane_update(actor=people["builder"], crane=crane, data={"status": "dismantled", "dismantled_on": past(0)})
    assert _reload(crane).status == "dismantled"
    assert AuditEvent.objects.filter(action="crane.update", object_id=str(crane.pk)).count() == 2


def test_crane_dates_and_duplicates_are_checked(people, project):
    _crane(people, project)
    with pytest.raises(ValidationFailed) as exc:
        _crane(
            people,
            project,
            inspected_on=past(5),
            inspection_valid_until=past(10),
            use_registered_on=past(8),
        )
    assert set(exc.value.details) == {"record_no", "inspection_valid_until", "use_registered_on"}
    assert Crane.objects.count() == 1


def test_the_inspection_expiry_is_shown(people, project):
    today = timezone.localdate()
    crane = _crane(people, project, inspection_valid_until=today - dt.timedelta(days=1))
    assert crane.inspection_state(today)[1] == "danger" and "已过期" in crane.inspection_state(today)[0]
    crane.inspection_valid_until = today + dt.timedelta(days=10)
    assert crane.inspection_state(today) == (
        f"即将到期（{crane.inspection_valid_until:%Y-%m-%d}，剩 10 天）",
        "warning",
    )
    crane.inspection_valid_until = today + dt.timedelta(days=100)
    assert crane.inspection_state(today)[1] == "success"
