"""事故多发点段 and their 整治: the services, the transitions and who may make them,
with the audit row each change writes and the record unchanged after a refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zhiben.audit.labels import action_label
from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.traffic import services
from zhiben.traffic.models import BlackSpotListing, BlackSpotRectification
from zhiben.traffic.workflow import WORKFLOW

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "traffic.md"


def test_listing_creates_its_rectification_with_one_audit_row(traffic):
    before = AuditEvent.objects.count()
    item = traffic["listing"](0, year=2024, level="city", accident_count=7, actor=traffic["gafj"])
    assert item.rectification.status == "not_started"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "black_spot.create" and event.after["year"] == 2024 and event.after["level"] == "city"
    assert action_label("black_spot.create") == "挂牌登记事故多发点段"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"year": 2014}, "year"),
        ({"year": 2999}, "year"),
        ({"level": "province"}, "level"),
        ({"accident_count": -1}, "accident_count"),
        ({"accident_count": 10_000}, "accident_count"),
        ({"reason": "x" * 301}, "reason"),
    ],
)
def test_bad_listing_is_refused_in_chinese_and_nothing_is_written(traffic, change, field):
    with pytest.raises(ValidationFailed) as exc:
        traffic["listing"](0, **change)
    assert field in exc.value.details and "挂牌信息有误" in exc.value.message
    assert not BlackSpotListing.objects.exists() and not BlackSpotRectification.objects.exists()


def test_listing_needs_a_road_spot_and_one_per_year(traffic):
    school = traffic["schools"][0]
    with pytest.raises(ValidationFailed, match="道路点段"):
        services.listing_create(
            actor=traffic["admin"],
            data={"site": school, "year": 2024, "level": "district", "lead_org": traffic["orgs"]["hk-gafj"]},
        )
    traffic["listing"](0, year=2024)
    with pytest.raises(ValidationFailed, match="已有2024年"):
        traffic["listing"](0, year=2024)
    traffic["listing"](0, year=2025)  # listed again the next year
    assert BlackSpotListing.objects.count() == 2


def test_who_may_list_a_point(traffic):
    # the 牵头单位's staff may list a point they lead, the owner's staff any lead; others not
    traffic["listing"](0, lead="hk-jgw", actor=traffic["jgw"])
    with pytest.raises(PermissionDeniedError):
        traffic["listing"](1, lead="hk-gafj", actor=traffic["jgw"])
    for who in ("other", "street", "readonly", "enterprise"):
        with pytest.raises(PermissionDeniedError):
            traffic["listing"](2, actor=traffic[who])
    assert BlackSpotListing.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.denied", after__attempted="black_spot.create").count() >= 4


def test_full_workflow_is_audited_per_transition(traffic):
    item = traffic["listing"](0)
    rect = traffic["advance"](item, "start", actor=traffic["gafj"])
    assert rect.status == "in_progress" and rect.started_on == dt.date(2024, 3, 1)
    rect = traffic["advance"](item, "complete", actor=traffic["street"])  # the 街道 of the site may handle
    assert rect.status == "completed" and rect.finished_on == dt.date(2024, 9, 1)
    with pytest.raises(PermissionDeniedError):
        traffic["advance"](item, "accept", actor=traffic["gafj"])  # an officer does not accept
    rect = traffic["advance"](item, "accept", actor=traffic["gafj_leader"])
    assert rect.status == "accepted" and rect.accepted_by == "区交安委办公室"
    assert rect.accepted_on == dt.date(2024, 10, 1) and rect.version == 3
    actions = list(
        AuditEvent.objects.filter(object_type="traffic.blackspotlisting", object_id=str(item.pk))
        .exclude(action="access.denied")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["black_spot.create", "black_spot.start", "black_spot.complete", "black_spot.accept"]
    last = AuditEvent.objects.filter(action="black_spot.accept").get()
    assert last.before["status"] == "completed" and last.after["status"] == "accepted"


def test_a_forbidden_transition_leaves_the_record_as_it_was(traffic):
    item = traffic["listing"](0)
    rect = BlackSpotRectification.objects.get(listing=item)
    for name in ("complete", "accept", "reopen"):  # not from 未启动
        with pytest.raises(ConflictError, match="当前状态为“未启动”"):
            traffic["advance"](item, name)
    with pytest.raises(PermissionDeniedError):
        traffic["advance"](item, "start", actor=traffic["other"])
    with pytest.raises(ValidationFailed):
        services.rectification_transition(actor=traffic["admin"], rectification=rect, name="fly")
    fresh = BlackSpotRectification.objects.get(pk=rect.pk)
    assert (fresh.status, fresh.version, fresh.started_on, fresh.measures) == ("not_started", 0, None, "")
    assert AuditEvent.objects.filter(action="transition.refused").count() == 3
    assert not AuditEvent.objects.filter(action__in=["black_spot.start", "black_spot.complete"]).exists()


@pytest.mark.parametrize(
    "step, data, field",
    [
        ("start", {"measures": "", "started_on": dt.date(2024, 3, 1)}, "measures"),
        ("start", {"measures": "标线", "started_on": None}, "started_on"),
        ("start", {"measures": "标线", "started_on": dt.date(2099, 1, 1)}, "started_on"),
        ("start", {"measures": "标线", "started_on": dt.date(2010, 1, 1)}, "started_on"),
        ("start", {"measures": "x" * 2001, "started_on": dt.date(2024, 3, 1)}, "measures"),
    ],
)
def test_bad_transition_data_changes_nothing(traffic, step, data, field):
    item = traffic["listing"](0)
    with pytest.raises(ValidationFailed) as exc:
        traffic["advance"](item, (step, data))
    assert field in exc.value.details
    assert BlackSpotRectification.objects.get(listing=item).status == "not_started"


def test_dates_must_follow_each_other(traffic):
    item = traffic["listing"](0)
    traffic["advance"](item, "start")
    with pytest.raises(ValidationFailed, match="完成日期不能早于2024-03-01"):
        traffic["advance"](item, ("complete", {"finished_on": dt.date(2024, 2, 1)}))
    traffic["advance"](item, "complete")
    with pytest.raises(ValidationFailed, match="验收日期不能早于2024-09-01"):
        traffic["advance"](item, ("accept", {"accepted_by": "区交安委", "accepted_on": dt.date(2024, 8, 1)}))
    with pytest.raises(ValidationFailed, match="验收单位"):
        traffic["advance"](item, ("accept", {"accepted_by": "", "accepted_on": dt.date(2024, 10, 1)}))
    assert BlackSpotRectification.objects.get(listing=item).status == "completed"


def test_reopen_needs_a_reason_and_clears_the_finish_date(traffic):
    item = traffic["listing"](0)
    traffic["advance"](item, "start", "complete")
    rect = BlackSpotRectification.objects.get(listing=item)
    with pytest.raises(ValidationFailed, match="退回原因"):
        services.rectification_transition(actor=traffic["admin"], rectification=rect, name="reopen")
    rect = services.rectification_transition(
        actor=traffic["gafj_leader"], rectification=rect, name="reopen", reason="护栏高度不足"
    )
    assert rect.status == "in_progress" and rect.finished_on is None
    assert AuditEvent.objects.get(action="black_spot.reopen").reason == "护栏高度不足"


def test_stale_version_is_a_conflict(traffic):
    item = traffic["listing"](0)
    rect = traffic["advance"](item, "start")
    with pytest.raises(ConflictError):
        services.rectification_transition(
            actor=traffic["admin"],
            rectification=rect,
            name="complete",
            data={"finished_on": dt.date(2024, 9, 1)},
            expected_version=0,
        )
    assert BlackSpotRectification.objects.get(pk=rect.pk).status == "in_progress"


def test_measures_edit_and_listing_update_are_audited(traffic):
    item = traffic["listing"](0)
    rect = services.rectification_update(
        actor=traffic["street"], rectification=item.rectification, data={"measures": "拟增设隔离栏"}
    )
    assert rect.measures == "拟增设隔离栏" and rect.version == 1
    with pytest.raises(ValidationFailed):
        services.rectification_update(actor=traffic["admin"], rectification=rect, data={"status": "accepted"})
    with pytest.raises(PermissionDeniedError):
        services.rectification_update(actor=traffic["other"], rectification=rect, data={"measures": "x"})
    services.listing_update(
        actor=traffic["gafj"],
        listing=item,
        data={"accident_count": 8, "lead_org": traffic["orgs"]["hk-jgw"]},
        reason="复核",
    )
    event = AuditEvent.objects.get(action="black_spot.update")
    assert event.before["accident_count"] == 3 and event.after["accident_count"] == 8 and event.reason == "复核"
    with pytest.raises(ValidationFailed, match="不能修改"):
        services.listing_update(actor=traffic["admin"], listing=item, data={"site": traffic["spots"][1]})


def test_workflow_table_is_in_the_docs():
    text = DOC.read_text(encoding="utf-8")
    assert WORKFLOW.markdown_table() in text
