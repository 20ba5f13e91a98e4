"""Services: filing, editing and the use-state workflow (报废 is final), each change
audited once, every refusal leaving the record as it was with a Chinese message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.civildefence import services
from zhiben.civildefence.models import FilingStateChange, UseFiling
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed


def test_filing_is_created_with_its_first_history_entry_and_one_audit_row(works, gdb, data_for, last_audit_id, actions):
    since = last_audit_id()
    filing = services.filing_create(actor=gdb["officer"], data=data_for(works["park"]))
    assert actions(since) == ["civildefence.create"]
    assert filing.state == "in_use" and filing.area_m2 == Decimal("1200.50") and filing.version == 1
    (entry,) = filing.changes.all()
    assert (entry.from_state, entry.to_state, entry.changed_on) == ("", "in_use", filing.filed_on)
    event = AuditEvent.objects.get(action="civildefence.create")
    assert event.after["filing_no"] == "HKRF-T-001" and event.after["site"] == works["park"].pk


def test_a_registered_unit_as_user_clears_the_typed_name(works, gdb, data_for, units, users):
    filing = services.filing_create(
        actor=users["admin"], data=data_for(works["park"], user_unit=units["commerce"], user_name="别的名字")
    )
    assert filing.user_unit == units["commerce"] and filing.user_name == "" and filing.user_label == "北外滩商场"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"filing_no": ""}, "filing_no"),
        ({"filing_no": "x" * 41}, "filing_no"),
        ({"purpose": "party"}, "purpose"),
        ({"area_m2": "0"}, "area_m2"),
        ({"area_m2": "2000000"}, "area_m2"),
        ({"area_m2": "12.345"}, "area_m2"),
        ({"area_m2": "abc"}, "area_m2"),
        ({"filed_on": timezone.localdate() + dt.timedelta(days=1)}, "filed_on"),
        ({"filed_on": dt.date(1999, 12, 31)}, "filed_on"),
        ({"valid_until": timezone.localdate() - dt.timedelta(days=365)}, "valid_until"),
        ({"valid_until": dt.date(2101, 1, 1)}, "valid_until"),
        ({"manager_name": "  "}, "manager_name"),
        ({"user_name": ""}, "user_name"),  # 在用 needs a 使用单位
        ({"state": "retired"}, "state"),
        ({"note": "x" * 301}, "note"),
        ({"user_name": "a\x00b"}, "user_name"),
    ],
)
def test_bad_data_is_refused_by_field_in_chinese_and_nothing_is_written(works, gdb, data_for, override, field):
    with pytest.raises(ValidationFailed) as caught:
        services.filing_create(actor=gdb["officer"], data=data_for(works["park"], **override))
    assert field in caught.value.details
    assert caught.value.message.startswith("使用备案信息有误")
    assert not UseFiling.objects.exists() and not FilingStateChange.objects.exists()
    assert not AuditEvent.objects.filter(action="civildefence.create").exists()


def test_only_civil_defence_works_can_be_filed(works, users, data_for):
    with pytest.raises(ValidationFailed) as caught:
        services.filing_create(actor=users["admin"], data=data_for(works["mall"]))
    assert "人防工程" in caught.value.details["site"]


def test_idle_work_may_be_filed_without_a_user(works, gdb, make_filing):
    filing = make_filing(works["park"], state="idle", user_name="")
    assert filing.state == "idle" and filing.user_label == ""


def test_number_is_unique_and_a_work_has_one_open_filing(works, gdb, make_filing):
    make_filing(works["park"])
    with pytest.raises(ValidationFailed) as caught:
        make_filing(works["river"])  # same number
    assert "已被使用" in caught.value.details["filing_no"]
    with pytest.raises(ValidationFailed) as caught:
        make_filing(works["park"], filing_no="HKRF-T-002")
    assert "未报废" in caught.value.details["site"]
    assert UseFiling.objects.count() == 1


def test_a_retired_work_may_be_filed_again(works, gdb, make_filing):
    old = make_filing(works["park"])
    services.filing_transition(actor=gdb["officer"], filing=old, name="retire", reason="结构老化")
    again = make_filing(works["park"], filing_no="HKRF-T-009")
    assert again.state == "in_use" and UseFiling.objects.filter(site=works["park"]).count() == 2


@pytest.mark.parametrize("who", ["street", "officer", "readonly_gdb", "oyl", "enterprise"])
def test_only_the_owner_department_and_the_district_office_may_file(works, gdb, users, data_for, who):
    actor = {"readonly_gdb": gdb["readonly"], "oyl": gdb["oyl"]}.get(who) or users[who]  # users["officer"]: 商务委
    with pytest.raises(PermissionDeniedError):
        services.filing_create(actor=actor, data=data_for(works["park"]))
    assert not UseFiling.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_department_leader_its_section_and_district_admin_may_file(works, gdb, users, data_for):
    services.filing_create(actor=gdb["leader"], data=data_for(works["park"]))
    services.filing_create(actor=users["admin"], data=data_for(works["river"], filing_no="HKRF-T-002"))
    filing = services.filing_create(actor=gdb["center"], data=data_for(works["lane"], filing_no="HKRF-T-003"))
    services.filing_transition(actor=gdb["center"], filing=filing, name="set_idle")
    assert UseFiling.objects.count() == 3


def test_update_is_audited_with_before_and_after_and_bumps_the_version(works, gdb, make_filing, last_audit_id, actions):
    filing = make_filing(works["park"])
    since = last_audit_id()
    filing = services.filing_update(
        actor=gdb["officer"], filing=filing, data={"purpose": "storage", "area_m2": "800"}, reason="用途变更"
    )
    assert actions(since) == ["civildefence.update"]
    event = AuditEvent.objects.get(action="civildefence.update")
    assert event.before["purpose"] == "parking" and event.after["purpose"] == "storage" and event.reason == "用途变更"
    assert filing.version == 2 and filing.area_m2 == Decimal("800.00")
    # the same data again changes nothing and writes nothing
    since = last_audit_id()
    services.filing_update(actor=gdb["officer"], filing=filing, data={"purpose": "storage"})
    assert actions(since) == [] and UseFiling.objects.get().version == 2


def test_update_refuses_the_site_and_the_state_and_a_stale_version(works, gdb, make_filing):
    filing = make_filing(works["park"])
    with pytest.raises(ValidationFailed):
        services.filing_update(actor=gdb["officer"], filing=filing, data={"state": "idle"})
    with pytest.raises(ValidationFailed):
        services.filing_update(actor=gdb["officer"], filing=filing, data={"site": works["river"]})
    with pytest.raises(ConflictError) as caught:
        services.filing_update(actor=gdb["officer"], filing=filing, data={"note": "x"}, expected_version=7)
    assert "已被他人修改" in caught.value.message
    filing.refresh_from_db()
    assert filing.state == "in_use" and filing.note == "" and filing.version == 1


def test_state_changes_are_recorded_in_the_history_and_audited(works, gdb, make_filing, last_audit_id, actions):
    filing = make_filing(works["park"])
    since = last_audit_id()
    filing = services.filing_transition(actor=gdb["officer"], filing=filing, name="set_idle", reason="租约到期")
    filing = services.filing_transition(actor=gdb["officer"], filing=filing, name="resume")
    filing = services.filing_transition(actor=gdb["officer"], filing=filing, name="retire", reason="经鉴定报废")
    assert actions(since) == ["civildefence.transition"] * 3
    assert filing.state == "retired" and filing.version == 4
    history = list(filing.changes.order_by("pk").values_list("from_state", "to_state", "reason"))
    assert history == [
        ("", "in_use", "登记备案"),
        ("in_use", "idle", "租约到期"),
        ("idle", "in_use", ""),
        ("in_use", "retired", "经鉴定报废"),
    ]
    last = AuditEvent.objects.filter(action="civildefence.transition").order_by("pk").last()
    assert last.before == {"state": "in_use"} and last.after["state"] == "retired" and last.reason == "经鉴定报废"


@pytest.mark.parametrize("name", ["set_idle", "resume", "retire"])
def test_retired_is_final_and_a_refused_change_leaves_the_record_as_it_was(works, gdb, make_filing, name):
    filing = make_filing(works["park"])
    filing = services.filing_transition(actor=gdb["officer"], filing=filing, name="retire", reason="报废")
    with pytest.raises(ConflictError) as caught:
        services.filing_transition(actor=gdb["officer"], filing=filing, name=name, reason="试试")
    assert "报废为最终状态" in caught.value.message
    with pytest.raises(ConflictError):
        services.filing_update(actor=gdb["officer"], filing=filing, data={"note": "改一下"})
    filing.refresh_from_db()
    assert filing.state == "retired" and filing.version == 2 and filing.note == ""
    assert filing.changes.count() == 2
    assert AuditEvent.objects.filter(action="transition.refused").count() == 2


def test_transition_from_the_wrong_state_is_refused_in_chinese(works, gdb, make_filing):
    filing = make_filing(works["park"])
    with pytest.raises(ConflictError) as caught:
        services.filing_transition(actor=gdb["officer"], filing=filing, name="resume")
    assert "当前状态为“在用”，不能恢复使用" in caught.value.message
    assert UseFiling.objects.get().state == "in_use"


def test_retire_needs_a_reason_and_resume_needs_a_user(works, gdb, make_filing):
    filing = make_filing(works["park"], state="idle", user_name="")
    with pytest.raises(ValidationFailed) as caught:
        services.filing_transition(actor=gdb["officer"], filing=filing, name="retire", reason="  ")
    assert "原因" in caught.value.message
    with pytest.raises(ConflictError) as caught:
        services.filing_transition(actor=gdb["officer"], filing=filing, name="resume")
    assert "使用单位" in caught.value.message
    filing.refresh_from_db()
    assert filing.state == "idle" and filing.changes.count() == 1


def test_street_officer_and_readonly_may_not_change_the_state(works, gdb, make_filing):
    filing = make_filing(works["park"])
    for actor in (gdb["oyl"], gdb["readonly"]):
        with pytest.raises(PermissionDeniedError):
            services.filing_transition(actor=actor, filing=filing, name="set_idle")
    assert UseFiling.objects.get().state == "in_use"
