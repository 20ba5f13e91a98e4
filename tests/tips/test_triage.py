"""Triage through the services: accept (new hazard), link, transfer, reject,
reply, rewards; one audit row each; who may; the late flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import Hazard, HazardNote
from zhiben.tips import services
from zhiben.tips.models import Tip, add_working_days, late_cutoff

from .conftest import photo

pytestmark = pytest.mark.django_db


def tip_rows(tip, action=None):
    qs = AuditEvent.objects.filter(object_type="tips.tip", object_id=str(tip.pk))
    return qs.filter(action=action) if action else qs


def test_accept_creates_one_hazard_routed_to_owner_and_street(submit, users, orgs, reference, site):
    tip, _ = submit(photos=[photo()])
    before = AuditEvent.objects.count()
    services.tip_accept(
        actor=users["officer"], tip=tip, sector=reference["commerce"], category=reference["fire_category"]
    )
    tip.refresh_from_db()
    hazard = Hazard.objects.get()
    assert tip.status == "accepted" and tip.hazard == hazard and tip.hazard_created
    assert hazard.source == "report" and hazard.owner == orgs["hk-swj"] and hazard.street == orgs["hk-bwt"]
    assert hazard.unit == site.unit and hazard.description == tip.text
    assert hazard.finder_name == f"网页举报 {tip.number}" and hazard.finder is None
    assert hazard.evidence.filter(phase="before").count() == 1  # the tip's photo
    assert tip_rows(tip, "tip.accept").count() == 1
    assert AuditEvent.objects.count() == before + 2  # tip.accept and the hazard's own hazard.create
    assert AuditEvent.objects.filter(action="hazard.create", object_id=str(hazard.pk)).count() == 1


def test_accept_for_a_street_tip_gives_the_street_the_hazard(street_tip, users, orgs, reference):
    tip, _ = street_tip
    assert tip.routed_to == orgs["hk-bwt"]
    services.tip_accept(
        actor=users["street"],
        tip=tip,
        sector=reference["commerce"],
        category=reference["fire_category"],
        title="楼道堆物",
    )
    hazard = Hazard.objects.get()
    assert hazard.owner == orgs["hk-bwt"] and hazard.street == orgs["hk-bwt"] and hazard.title == "楼道堆物"
    assert hazard.unit_name == "四川北路某小区"


def test_accept_warns_of_a_duplicate_then_link(submit, users, reference, units, orgs, site):
    existing = hazard_services.hazard_create(
        actor=users["admin"],
        data={
            "site": site,
            "sector": reference["commerce"],
            "category": reference["fire_category"],
            "source": "supervision",
            "found_on": timezone.localdate(),
            "title": "消防通道堵塞",
            "description": "地下一层消防通道被杂物堵塞，无法通行",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
        },
    )
    tip, _ = submit()
    with pytest.raises(hazard_services.PossibleDuplicate):
        services.tip_accept(
            actor=users["officer"], tip=tip, sector=reference["commerce"], category=reference["fire_category"]
        )
    tip.refresh_from_db()
    assert tip.status == "pending" and Hazard.objects.count() == 1 and not tip_rows(tip, "tip.accept").exists()
    services.tip_link(actor=users["officer"], tip=tip, hazard=existing)
    tip.refresh_from_db()
    assert tip.status == "accepted" and tip.hazard == existing and not tip.hazard_created
    assert Hazard.objects.count() == 1
    note = HazardNote.objects.get(hazard=existing)
    assert note.kind == "duplicate" and tip.number in note.text
    assert tip_rows(tip, "tip.link").count() == 1


def test_link_refuses_a_closed_hazard(submit, users, reference, units, orgs):
    hazard = hazard_services.hazard_create(
        actor=users["admin"],
        data={
            "sector": reference["commerce"],
            "category": reference["fire_category"],
            "source": "supervision",
            "found_on": timezone.localdate(),
            "title": "别的",
            "description": "别的隐患",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
        },
    )
    hazard_services.hazard_void(actor=users["admin"], hazard=hazard, reason="误报")
    tip, _ = submit()
    with pytest.raises(ConflictError):
        services.tip_link(actor=users["officer"], tip=Tip.objects.get(pk=tip.pk), hazard=Hazard.objects.get())
    assert Tip.objects.get(pk=tip.pk).status == "pending"


def test_transfer_moves_the_tip_and_needs_a_reason(submit, users, orgs, more_handlers):
    tip, _ = submit()
    with pytest.raises(ValidationFailed):
        services.tip_transfer(actor=users["officer"], tip=tip, to_org=orgs["hk-jgw"], reason=" ")
    with pytest.raises(ValidationFailed):
        services.tip_transfer(actor=users["officer"], tip=tip, to_org=orgs["hk-swj"], reason="同一单位")
    services.tip_transfer(actor=users["officer"], tip=tip, to_org=orgs["hk-jgw"], reason="属建设工地，建管委监管")
    tip.refresh_from_db()
    assert tip.status == "transferred" and tip.routed_to == orgs["hk-jgw"]
    event = tip_rows(tip, "tip.transfer").get()
    assert event.reason == "属建设工地，建管委监管"
    assert event.before["routed_to"] == orgs["hk-swj"].pk and event.after["routed_to"] == orgs["hk-jgw"].pk
    # it is theirs now: the sender may no longer act, the receiver may
    assert not Tip.objects.restrict(users["officer"]).filter(pk=tip.pk).exists()
    with pytest.raises(PermissionDeniedError):
        services.tip_reject(actor=users["officer"], tip=tip, reason="x")
    services.tip_reject(actor=more_handlers["jgw_officer"], tip=tip, reason="不属安全生产隐患")
    assert Tip.objects.get(pk=tip.pk).status == "rejected"


def test_reject_needs_a_reason_then_reply(submit, users):
    tip, _ = submit()
    with pytest.raises(ValidationFailed) as exc:
        services.tip_reject(actor=users["officer"], tip=tip, reason="")
    assert "请填写不予受理理由" in exc.value.message
    assert Tip.objects.get(pk=tip.pk).status == "pending" and not tip_rows(tip).exclude(action="tip.submit").exists()
    services.tip_reject(actor=users["officer"], tip=tip, reason="重复举报")
    assert tip_rows(tip, "tip.reject").count() == 1
    with pytest.raises(ValidationFailed):
        services.tip_reply(actor=users["officer"], tip=tip, text="  ")
    services.tip_reply(actor=users["officer"], tip=tip, text="您反映的问题已于昨日处理。")
    tip.refresh_from_db()
    assert tip.status == "replied" and tip.reply == "您反映的问题已于昨日处理。" and tip.replied_at
    assert tip_rows(tip, "tip.reply").count() == 1
    first = tip.replied_at
    services.tip_reply(actor=users["leader"], tip=tip, text="补充答复。")
    tip.refresh_from_db()
    assert tip.reply == "补充答复。" and tip.replied_at == first


def test_reply_before_a_decision_is_refused(submit, users):
    tip, _ = submit()
    with pytest.raises(ConflictError):
        services.tip_reply(actor=users["officer"], tip=tip, text="已收到")
    assert tip_rows(tip, "transition.refused").count() == 1


@pytest.mark.parametrize("role", ["street", "section", "enterprise", "expert", "readonly"])
def test_others_may_not_triage(submit, users, reference, role):
    tip, _ = submit()
    with pytest.raises(PermissionDeniedError):
        services.tip_reject(actor=users[role], tip=tip, reason="不归我管")
    with pytest.raises(PermissionDeniedError):
        services.tip_accept(
            actor=users[role], tip=tip, sector=reference["commerce"], category=reference["fire_category"]
        )
    assert Tip.objects.get(pk=tip.pk).status == "pending" and not Hazard.objects.exists()
    assert tip_rows(tip, "access.denied").count() == 2


def test_decided_tips_cannot_be_decided_again(submit, users, reference):
    tip, _ = submit()
    services.tip_reject(actor=users["officer"], tip=tip, reason="不实")
    with pytest.raises(ConflictError):
        services.tip_accept(
            actor=users["officer"], tip=tip, sector=reference["commerce"], category=reference["fire_category"]
        )
    assert not Hazard.objects.exists()


def test_staff_entry_channels_and_routing(users, orgs, units):
    tip, code = services.tip_submit(
        actor=users["officer"],
        data={
            "channel": "12345",
            "external_ref": "GD-20261101-001",
            "received_on": dt.date(2026, 11, 2),
            "text": "市民反映：餐饮店液化气钢瓶放在过道",
            "unit": units["construction"],
            "reporter_name": "陈女士",
            "reporter_phone": "021-65551234",
        },
    )
    assert tip.routed_to == orgs["hk-jgw"] and tip.street == orgs["hk-jwz"] and tip.created_by == users["officer"]
    assert tip.received_on == dt.date(2026, 11, 2) and services.tip_by_tracking_code(code) == tip
    plain, _ = services.tip_submit(actor=users["officer"], data={"channel": "letter", "text": "来信反映仓库违规住人"})
    assert plain.routed_to == orgs["hk-swj"]  # nothing named: the entering department
    with pytest.raises(ValidationFailed):
        services.tip_submit(actor=users["officer"], data={"channel": "web", "text": "网页渠道不能由工作人员登记"})
    with pytest.raises(PermissionDeniedError):
        services.tip_submit(actor=users["expert"], data={"channel": "12345", "text": "专家不能登记举报"})
    with pytest.raises(PermissionDeniedError):
        services.tip_submit(actor=users["enterprise"], data={"channel": "internal", "text": "企业不能登记举报"})


def test_working_days():
    friday = dt.date(2026, 11, 27)
    assert friday.weekday() == 4
    assert add_working_days(friday, 3) == dt.date(2026, 12, 2)  # Mon, Tue, Wed
    assert add_working_days(dt.date(2026, 11, 28), 3) == dt.date(2026, 12, 2)  # Saturday
    assert add_working_days(dt.date(2026, 11, 23), 3) == dt.date(2026, 11, 26)  # Monday -> Thursday
    # a tip is late exactly when received on or before the cut-off
    for today in (dt.date(2026, 12, 1) + dt.timedelta(days=i) for i in range(14)):
        cutoff = late_cutoff(today, 3)
        assert add_working_days(cutoff, 3) < today <= add_working_days(cutoff + dt.timedelta(days=1), 3)


def test_late_after_three_working_days(submit, users, monkeypatch):
    tip, _ = submit()
    Tip.objects.filter(pk=tip.pk).update(received_on=dt.date(2026, 11, 27))  # a Friday; due Wed 2 Dec
    tip.refresh_from_db()
    assert tip.reply_due == dt.date(2026, 12, 2)
    assert not tip.is_late(dt.date(2026, 12, 2))
    assert tip.is_late(dt.date(2026, 12, 3))
    assert list(Tip.objects.late(dt.date(2026, 12, 3))) == [tip]
    assert not Tip.objects.late(dt.date(2026, 12, 2)).exists()
    assert list(Tip.objects.not_late(dt.date(2026, 12, 2))) == [tip]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 12, 3))
    services.tip_reject(actor=users["officer"], tip=tip, reason="不实")
    assert Tip.objects.late().exists()  # decided but not answered: still late
    services.tip_reply(actor=users["officer"], tip=tip, text="不实")
    assert not Tip.objects.late().exists()
    Tip.objects.filter(pk=tip.pk).update(replied_at=dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC))
    tip.refresh_from_db()
    assert tip.is_late(dt.date(2026, 12, 9))  # answered after the deadline: flagged on the tip


def test_reply_deadline_is_configurable(submit, settings):
    settings.ZHIBEN_TIP_REPLY_WORKING_DAYS = 5
    tip, _ = submit()
    Tip.objects.filter(pk=tip.pk).update(received_on=dt.date(2026, 11, 23))
    tip.refresh_from_db()
    assert tip.reply_due == dt.date(2026, 11, 30)


def test_late_filter_on_the_list(submit, users, login, monkeypatch):
    late, _ = submit(text="旧举报：楼道堆物很多很多")
    fresh, _ = submit(text="新举报：楼道堆物很多很多")
    Tip.objects.filter(pk=late.pk).update(received_on=dt.date(2026, 11, 2))
    Tip.objects.filter(pk=fresh.pk).update(received_on=dt.date(2026, 11, 30))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 12, 1))
    client = login(users["officer"])
    html = client.get("/tips/", {"late": "true"}).content.decode()
    assert late.number in html and fresh.number not in html
    html = client.get("/tips/", {"late": "false"}).content.decode()
    assert fresh.number in html and late.number not in html


def test_rewards_for_accepted_tips_by_leaders(submit, users, reference):
    tip, _ = submit()
    with pytest.raises(ConflictError):
        services.tip_reward_record(
            actor=users["leader"], tip=tip, amount="200", basis="x", approved_on=dt.date(2026, 1, 5)
        )
    services.tip_accept(
        actor=users["officer"], tip=tip, sector=reference["commerce"], category=reference["fire_category"]
    )
    with pytest.raises(PermissionDeniedError):
        services.tip_reward_record(
            actor=users["officer"], tip=tip, amount="200", basis="x", approved_on=dt.date(2026, 1, 5)
        )
    with pytest.raises(ValidationFailed):
        services.tip_reward_record(
            actor=users["leader"], tip=tip, amount="0", basis="", approved_on=dt.date(2026, 1, 5)
        )
    reward = services.tip_reward_record(
        actor=users["leader"], tip=tip, amount="200", basis="《举报奖励办法》第五条", approved_on=dt.date(2026, 1, 5)
    )
    assert reward.approved_by == users["leader"] and str(reward.amount) == "200.00"
    assert tip_rows(tip, "tip.reward").count() == 1
