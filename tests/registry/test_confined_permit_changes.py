"""有限空间作业审批: correcting (更正) and withdrawing (撤回) a permit — only its recorder,
only before 审批通过; refused changes leave the record as it was and are on the audit trail;
pages and API (with Idempotency-Key)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhiben.audit.labels import action_label
from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.registry import services
from zhiben.registry.models import ConfinedSpace, ConfinedSpaceWorkPermit
from zhiben.registry.tabular.confined import export_confined_spaces

BAD_GAS = {"oxygen_pct": "18.0", "lel_pct": "0", "h2s_ppm": "0", "co_ppm": "2"}


def _space(actor, unit) -> ConfinedSpace:
    return services.confined_space_create(
        actor=actor, data={"unit": unit, "name": "1号污水井", "code": "YX-01", "space_type": "underground"}
    )


def _permit(actor, space, **data) -> ConfinedSpaceWorkPermit:
    return services.confined_permit_record(
        actor=actor,
        space=space,
        data={
            "work_date": timezone.localdate(),
            "start_time": dt.time(9, 0),
            "end_time": dt.time(11, 0),
            "content": "清淤",
            "approver_name": "王经理",
            "guardian_name": "李师傅",
            **BAD_GAS,
            "approved": False,
            **data,
        },
    )


def _state(permit) -> tuple:
    fresh = ConfinedSpaceWorkPermit.objects.get(pk=permit.pk)
    return (fresh.oxygen_pct, fresh.approved, fresh.content, fresh.withdrawn_at, fresh.withdraw_reason)


@pytest.fixture
def outsider(orgs):
    """An officer of 区建管委: the commerce unit is out of their scope."""
    return make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs["hk-jgw"])


@pytest.fixture
def pending(users, units):
    """A permit refused for its gas reading (氧气 18%), recorded by the unit's 企业用户."""
    space = _space(users["enterprise"], units["commerce"])
    return _permit(users["enterprise"], space)


def test_recorder_corrects_the_readings_and_approves(users, pending):
    before = AuditEvent.objects.count()
    permit = services.confined_permit_update(
        actor=users["enterprise"],
        permit=pending,
        data={"oxygen_pct": "20.9", "approved": True},
        reason="复测：通风30分钟后氧气合格",
    )
    assert permit.oxygen_pct == Decimal("20.9") and permit.approved
    event = AuditEvent.objects.get(pk__gt=before)
    assert event.action == "confined.permit_update" and event.reason == "复测：通风30分钟后氧气合格"
    assert event.object_id == str(pending.space_id)
    assert event.before["oxygen_pct"] == "18.0" and event.after["approved"] is True
    assert action_label("confined.permit_update") == "更正有限空间作业审批"
    # Approved now: neither correction nor withdrawal any more, and nothing changes.
    state = _state(permit)
    with pytest.raises(ConflictError, match="已审批通过"):
        services.confined_permit_update(actor=users["enterprise"], permit=permit, data={"content": "改"})
    with pytest.raises(ConflictError, match="已审批通过"):
        services.confined_permit_withdraw(actor=users["enterprise"], permit=permit, reason="不做了")
    assert _state(permit) == state
    assert AuditEvent.objects.filter(action="transition.refused").count() == 2


def test_correction_is_validated_and_cannot_approve_bad_gas(users, pending):
    state, rows = _state(pending), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="气体检测不合格"):
        services.confined_permit_update(actor=users["enterprise"], permit=pending, data={"approved": True})
    with pytest.raises(ValidationFailed, match="结束时间须晚于开始时间"):
        services.confined_permit_update(actor=users["enterprise"], permit=pending, data={"end_time": dt.time(8, 0)})
    with pytest.raises(ValidationFailed, match="不能修改"):
        services.confined_permit_update(actor=users["enterprise"], permit=pending, data={"space": None})
    with pytest.raises(ValidationFailed, match="更正原因"):
        services.confined_permit_update(
            actor=users["enterprise"], permit=pending, data={"content": "x"}, reason="长" * 301
        )
    assert _state(pending) == state and AuditEvent.objects.count() == rows


def test_only_the_recorder_may_correct_or_withdraw(users, units, pending):
    state = _state(pending)
    colleague = make_user("t_ent2", Role.ENTERPRISE, units["commerce"].owner, unit=units["commerce"])
    for actor in (users["admin"], users["officer"], colleague, users["readonly"]):
        with pytest.raises(PermissionDeniedError, match="只有记录该作业审批的人员"):
            services.confined_permit_update(actor=actor, permit=pending, data={"content": "改"})
        with pytest.raises(PermissionDeniedError):
            services.confined_permit_withdraw(actor=actor, permit=pending, reason="撤")
    assert _state(pending) == state
    # A recorder who lost the right (account disabled) may no longer either.
    users["enterprise"].is_active = False
    users["enterprise"].save()
    with pytest.raises(PermissionDeniedError):
        services.confined_permit_withdraw(actor=users["enterprise"], permit=pending, reason="撤")
    assert _state(pending) == state


def test_withdraw_needs_a_reason_then_is_final(users, pending):
    state = _state(pending)
    for reason in ("", "   ", "长" * 301):
        with pytest.raises(ValidationFailed):
            services.confined_permit_withdraw(actor=users["enterprise"], permit=pending, reason=reason)
    assert _state(pending) == state
    permit = services.confined_permit_withdraw(actor=users["enterprise"], permit=pending, reason="气体不合格，改期作业")
    assert permit.is_withdrawn and permit.withdrawn_by == users["enterprise"]
    event = AuditEvent.objects.filter(action="confined.permit_withdraw").get()
    assert event.reason == "气体不合格，改期作业" and event.after == {"permit": permit.pk, "withdrawn": True}
    state = _state(permit)
    with pytest.raises(ConflictError, match="已撤回"):
        services.confined_permit_withdraw(actor=users["enterprise"], permit=permit, reason="再撤")
    with pytest.raises(ConflictError, match="已撤回"):
        services.confined_permit_update(actor=users["enterprise"], permit=permit, data={"content": "改"})
    assert _state(permit) == state


def test_withdrawn_permits_do_not_count_in_the_export(users, units, pending):
    space = pending.space
    _permit(users["enterprise"], space, work_date=timezone.localdate() - dt.timedelta(days=3))
    services.confined_permit_withdraw(actor=users["enterprise"], permit=pending, reason="改期")
    out = io.BytesIO()
    export_confined_spaces(ConfinedSpace.objects.filter(pk=space.pk), out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("作业审批次数")] == 1
    last = row[header.index("最近作业日期")]
    last = last.date() if isinstance(last, dt.datetime) else last
    assert str(last) == str(timezone.localdate() - dt.timedelta(days=3))


# --- pages ---------------------------------------------------------------------------------


def test_pages_correct_and_withdraw(users, units, login, pending, outsider):
    client = login(users["enterprise"])
    detail = client.get(f"/confined-spaces/{pending.space_id}/").content.decode()
    assert f"/confined-spaces/permits/{pending.pk}/edit/" in detail
    assert f"/confined-spaces/permits/{pending.pk}/withdraw/" in detail
    # Someone else in scope sees the permit but no buttons, and the pages refuse them.
    admin = login(users["admin"])
    assert (
        f"/confined-spaces/permits/{pending.pk}/edit/"
        not in admin.get(f"/confined-spaces/{pending.space_id}/").content.decode()
    )
    assert admin.get(f"/confined-spaces/permits/{pending.pk}/edit/").status_code == 403
    assert admin.post(f"/confined-spaces/permits/{pending.pk}/withdraw/", {"reason": "x"}).status_code == 403
    # Out of scope: 404.
    assert login(outsider).get(f"/confined-spaces/permits/{pending.pk}/edit/").status_code == 404
    form = {
        "work_date": pending.work_date.isoformat(),
        "start_time": "09:00",
        "end_time": "11:00",
        "content": "清淤",
        "approver_name": "王经理",
        "guardian_name": "李师傅",
        "oxygen_pct": "18.0",
        "lel_pct": "0",
        "h2s_ppm": "0",
        "co_ppm": "2",
        "approved": "on",
    }
    bad = client.post(f"/confined-spaces/permits/{pending.pk}/edit/", form)
    assert bad.status_code == 422 and "气体检测不合格" in bad.content.decode()
    assert not ConfinedSpaceWorkPermit.objects.get(pk=pending.pk).approved
    ok = client.post(
        f"/confined-spaces/permits/{pending.pk}/edit/",
        {**form, "oxygen_pct": "20.5", "approved": "", "reason": "补录复测值"},
    )
    assert ok.status_code == 302
    assert ConfinedSpaceWorkPermit.objects.get(pk=pending.pk).oxygen_pct == Decimal("20.5")
    assert AuditEvent.objects.get(action="confined.permit_update").reason == "补录复测值"
    empty = client.post(f"/confined-spaces/permits/{pending.pk}/withdraw/", {"reason": ""})
    assert empty.status_code == 422 and not ConfinedSpaceWorkPermit.objects.get(pk=pending.pk).is_withdrawn
    assert client.get(f"/confined-spaces/permits/{pending.pk}/withdraw/").status_code == 200
    done = client.post(f"/confined-spaces/permits/{pending.pk}/withdraw/", {"reason": "作业取消"})
    assert done.status_code == 302
    page = client.get(f"/confined-spaces/{pending.space_id}/").content.decode()
    assert "已撤回" in page and "作业取消" in page and "撤回有限空间作业审批" in page
    assert f"/confined-spaces/permits/{pending.pk}/edit/" not in page
    # A withdrawn permit's pages send back to the space with the reason why.
    again = client.get(f"/confined-spaces/permits/{pending.pk}/edit/")
    assert again.status_code == 302 and again["Location"] == f"/confined-spaces/{pending.space_id}/"


# --- API -------------------------------------------------------------------------------------


def test_api_correct_and_withdraw_with_idempotency(users, units, login, pending, outsider):
    client = login(users["enterprise"])
    url = f"/api/v1/confined-permits/{pending.pk}"
    refused = client.patch(url, {"approved": True}, content_type="application/json")
    assert refused.status_code == 422 and "气体检测不合格" in refused.json()["message"]
    for body in ({"oxygen_pct": 101}, {"content": ""}, {"approver_name": None}, {"bogus": 1}, {"reason": "x" * 301}):
        assert client.patch(url, body, content_type="application/json").status_code == 422, body
    assert _state(pending)[0] == Decimal("18.0")
    headers = {"HTTP_IDEMPOTENCY_KEY": "fix-1"}
    body = {"oxygen_pct": "20.8", "reason": "复测"}
    first = client.patch(url, body, content_type="application/json", **headers)
    assert first.status_code == 200, first.content
    assert first.json()["oxygen_pct"] in ("20.8", 20.8) and first.json()["withdrawn"] is False
    again = client.patch(url, body, content_type="application/json", **headers)
    assert again.status_code == 200 and AuditEvent.objects.filter(action="confined.permit_update").count() == 1
    assert login(users["admin"]).patch(url, {"content": "x"}, content_type="application/json").status_code == 403
    assert login(outsider).patch(url, {"content": "x"}, content_type="application/json").status_code == 404
    withdraw = f"{url}/withdraw"
    assert client.post(withdraw, {"reason": ""}, content_type="application/json").status_code == 422
    key = {"HTTP_IDEMPOTENCY_KEY": "withdraw-1"}
    done = client.post(withdraw, {"reason": "作业取消"}, content_type="application/json", **key)
    assert done.status_code == 200 and done.json()["withdrawn"] and done.json()["withdraw_reason"] == "作业取消"
    replay = client.post(withdraw, {"reason": "作业取消"}, content_type="application/json", **key)
    assert replay.status_code == 200 and AuditEvent.objects.filter(action="confined.permit_withdraw").count() == 1
    conflict = client.post(withdraw, {"reason": "再撤"}, content_type="application/json")
    assert conflict.status_code == 409 and "已撤回" in conflict.json()["message"]
    detail = client.get(f"/api/v1/confined-spaces/{pending.space_id}").json()
    assert detail["permits"][0]["withdrawn"] is True


# --- demo data ---------------------------------------------------------------------------------


def test_demo_confined_spaces(db, login):
    from django.core.management import call_command

    from zhiben.org.models import User
    from zhiben.registry.services.confined import gas_problems

    call_command("demo", stdout=io.StringIO())
    spaces = ConfinedSpace.objects.select_related("unit__sector")
    assert {s.unit.sector.code for s in spaces} == {"commerce", "ecology", "greening"}
    assert {s.unit.owner.code for s in spaces} == {"hk-swj", "hk-sthjj", "hk-lhsrj"}
    permits = list(ConfinedSpaceWorkPermit.objects.all())
    refused = [p for p in permits if not p.approved and not p.is_withdrawn]
    assert len(refused) == 1 and gas_problems(refused[0].__dict__)
    assert [p.withdraw_reason for p in permits if p.is_withdrawn] == ["供应商未到货，作业改期"]
    assert all(not gas_problems(p.__dict__) for p in permits if p.approved)
    assert AuditEvent.objects.filter(action="confined.permit").count() == len(permits)
    assert AuditEvent.objects.filter(action="confined.create").count() == spaces.count()
    counts = (ConfinedSpace.objects.count(), ConfinedSpaceWorkPermit.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (ConfinedSpace.objects.count(), ConfinedSpaceWorkPermit.objects.count()) == counts
    # The mall's 企业用户 sees (only) its spaces and the permits it recorded.
    enterprise = login(User.objects.get(username="qiye_bwt"))
    listed = enterprise.get("/confined-spaces/").content.decode()
    assert "地下二层污水提升井" in listed and "废液收集池" not in listed
    well = ConfinedSpace.objects.get(name="地下二层污水提升井")
    page = enterprise.get(f"/confined-spaces/{well.pk}/").content.decode()
    assert "进入前检测氧气不足" in page and "未通过" in page
    admin = login(User.objects.get(username="admin"))
    for space in ConfinedSpace.objects.all():
        assert admin.get(f"/confined-spaces/{space.pk}/").status_code == 200
