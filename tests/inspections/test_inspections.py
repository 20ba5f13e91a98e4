"""Inspections: finishing creates hazards atomically; the docx report;
企业自查 with 即查即改; 屡禁不止; 监督人员履职; audit rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import Hazard
from zhiben.inspections import selectors, services
from zhiben.inspections.models import Inspection, InspectionAnswer

from .conftest import photo

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def gb(reference):
    return reference["gb35181-2017"].current_version


@pytest.fixture
def gas(reference):
    return reference["gas-restaurant"].current_version


def _two_failures(gb, answers_for):
    # 6.5 is a direct-determination (major) item; use a non-major checklist item too.
    return answers_for(gb, fail={"6.5": "地下一层仅一个安全出口", "6.6": "未设自动喷水灭火系统"})


def test_finish_creates_one_hazard_per_failed_item(
    make_campaign, sites, users, gas, answers_for, actions, last_audit_id
):
    campaign = make_campaign(checklist=gas.checklist)
    inspection = services.inspection_create(
        actor=users["officer"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
        answers=answers_for(
            gas, fail={"1-1": "报警器断电", "4-1": "地下室存放液化石油气钢瓶"}, photos={"1-1": [photo()]}
        ),
    )
    start = last_audit_id()
    services.inspection_finish(actor=users["officer"], inspection=inspection)
    # One inspection row and one hazard.create row per failed item.
    assert sorted(actions(start)) == ["hazard.create", "hazard.create", "inspection.finish"]
    inspection.refresh_from_db()
    assert inspection.is_finished
    hazards = Hazard.objects.filter(inspection_answers__inspection=inspection).order_by("pk")
    assert hazards.count() == 2
    by_item = {a.item.code: a.hazard for a in inspection.answers.filter(result="fail").select_related("item", "hazard")}
    assert by_item["4-1"].level == "major" and by_item["1-1"].level == "general"
    major = by_item["4-1"]
    assert major.source == "supervision" and major.unit == sites["mall"].unit and major.owner == sites["mall"].owner
    assert major.found_on == DAY and "地下室存放液化石油气钢瓶" in major.description
    assert major.category.code == "gas-gpcf" or not major.category.children.exists()
    assert by_item["1-1"].evidence.filter(phase="before").count() == 1
    with pytest.raises(ConflictError):
        services.inspection_finish(actor=users["officer"], inspection=inspection)


def test_unanswered_items_block_finish(make_campaign, sites, users, gb):
    campaign = make_campaign()
    inspection = services.inspection_create(
        actor=users["admin"], data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY}
    )
    with pytest.raises(ValidationFailed):
        services.inspection_finish(actor=users["admin"], inspection=inspection)


def test_hazard_failure_rolls_everything_back(make_campaign, sites, users, gb, answers_for, monkeypatch, audit_rows):
    campaign = make_campaign()
    real = hazard_services.hazard_create
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValidationFailed("模拟失败")
        return real(**kwargs)

    monkeypatch.setattr(hazard_services, "hazard_create", flaky)
    before = audit_rows()
    with pytest.raises(ValidationFailed):
        services.inspection_create(
            actor=users["admin"],
            data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
            answers=_two_failures(gb, answers_for),
            finish=True,
        )
    assert calls["n"] == 2
    assert not Inspection.objects.exists() and not Hazard.objects.exists()
    assert audit_rows() == before
    # Finishing a saved draft: it stays a draft and no hazard exists.
    monkeypatch.setattr(hazard_services, "hazard_create", real)
    draft = services.inspection_create(
        actor=users["admin"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
        answers=_two_failures(gb, answers_for),
    )
    calls["n"] = 0
    monkeypatch.setattr(hazard_services, "hazard_create", flaky)
    with pytest.raises(ValidationFailed):
        services.inspection_finish(actor=users["admin"], inspection=draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and not Hazard.objects.exists()
    assert not InspectionAnswer.objects.filter(hazard__isnull=False).exists()


def test_two_failures_one_major(make_campaign, sites, users, answers_for, reference, last_audit_id, actions):
    version = reference["civil-defense-monthly"].current_version
    campaign = make_campaign(
        owner=sites["shelter"].owner,
        checklist=reference["civil-defense-monthly"],
        target={"sites": [sites["shelter"].pk]},
    )
    start = last_audit_id()
    inspection = services.inspection_create(
        actor=users["admin"],
        data={"campaign": campaign, "site": sites["shelter"], "inspected_on": DAY},
        answers=answers_for(version, fail={"A-1": "未备案", "C-3": "安全出口不足"}),
        finish=True,
    )
    assert sorted(actions(start)) == ["hazard.create", "hazard.create", "inspection.finish"]
    hazards = Hazard.objects.filter(inspection_answers__inspection=inspection)
    assert hazards.count() == 2
    assert sorted(hazards.values_list("level", flat=True)) == ["general", "major"]
    assert set(hazards.values_list("street", flat=True)) == {sites["shelter"].street_id}


def test_third_party_source(make_campaign, sites, users, gb, answers_for):
    campaign = make_campaign(method="third_party")
    services.inspection_create(
        actor=users["admin"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
        answers=answers_for(gb, fail={"6.5": "出口不足"}),
        finish=True,
    )
    assert Hazard.objects.get().source == "third_party"


def test_repeat_sighting_links_existing_hazard(make_campaign, sites, users, gb, answers_for, actions, last_audit_id):
    campaign = make_campaign()
    data = {"campaign": campaign, "site": sites["mall"], "inspected_on": DAY}
    services.inspection_create(
        actor=users["admin"], data=data, answers=answers_for(gb, fail={"6.5": "出口不足"}), finish=True
    )
    start = last_audit_id()
    second = services.inspection_create(
        actor=users["admin"],
        data={**data, "inspected_on": DAY + dt.timedelta(days=7)},
        answers=answers_for(gb, fail={"6.5": "出口不足"}),
        finish=True,
    )
    assert sorted(actions(start)) == ["hazard.link_duplicate", "inspection.finish"]
    assert Hazard.objects.count() == 1
    assert second.answers.get(result="fail").linked_existing


def test_docx_report(make_campaign, sites, users, gb, answers_for, login):
    campaign = make_campaign()
    inspection = services.inspection_create(
        actor=users["officer"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY},
        answers=_two_failures(gb, answers_for),
        finish=True,
    )
    response = login(users["officer"]).get(f"/inspections/{inspection.pk}/report.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "北外滩商业广场" in cells
    for code in Hazard.objects.values_list("code", flat=True):
        assert code in text and code in cells
    assert "检查人员（签字）" in text and "被检查单位负责人（签字）" in text
    assert "GB 35181" in cells  # checklist name
    assert login(users["readonly"]).get(f"/inspections/{inspection.pk}/report.docx").status_code == 404


def test_self_check_with_fix_on_site(sites, users, reference, login, actions, last_audit_id):
    enterprise = users["enterprise"]
    version = reference["gas-restaurant"].current_version
    start = last_audit_id()
    inspection = services.inspection_create(
        actor=enterprise,
        data={
            "kind": "self_check",
            "site": sites["mall"],
            "checklist": reference["gas-restaurant"],
            "inspected_on": DAY,
        },
    )
    answers = [{"item": i, "result": "pass"} for i in version.items.all()]
    answers[0] = {
        "item": answers[0]["item"],
        "result": "fail",
        "note": "报警器未通电",
        "fixed": True,
        "fix_note": "已恢复供电并测试",
        "photos": [photo()],
        "after_photos": [photo("after.jpg", (20, 200, 20))],
    }
    answers[1] = {"item": answers[1]["item"], "result": "fail", "note": "位置不当"}
    services.inspection_update(actor=enterprise, inspection=inspection, answers=answers)
    services.inspection_finish(actor=enterprise, inspection=inspection)
    assert actions(start) == [
        "inspection.create",
        "inspection.update",
        "hazard.create",
        "hazard.add_evidence",
        "hazard.create",
        "inspection.finish",
    ]
    fixed = inspection.answers.get(fixed_on_site=True).hazard
    assert fixed.source == "self_check" and fixed.status == "pending" and fixed.deadline_kind == "immediate"
    assert fixed.evidence.filter(phase="after").count() == 1
    # The enterprise cannot verify its own finding; the department closes it in one step.
    with pytest.raises(ConflictError):
        services.self_fix_accept(actor=enterprise, answer=inspection.answers.get(fixed_on_site=True))
    start = last_audit_id()
    closed = services.self_fix_accept(actor=users["officer"], answer=inspection.answers.get(fixed_on_site=True))
    assert closed.status == "closed" and closed.verified_by == users["officer"]
    assert actions(start) == ["hazard.fix_on_spot"]
    assert closed.self_verified  # 回头看 samples it first
    # The enterprise cannot self-check another unit's site, nor a major item as 即查即改.
    with pytest.raises(PermissionDeniedError):
        services.inspection_create(
            actor=enterprise,
            data={
                "kind": "self_check",
                "site": sites["works"],
                "checklist": reference["gas-restaurant"],
                "inspected_on": DAY,
            },
        )
    other = services.inspection_create(
        actor=enterprise,
        data={
            "kind": "self_check",
            "site": sites["mall"],
            "checklist": reference["gas-restaurant"],
            "inspected_on": DAY,
        },
    )
    major_item = version.items.get(major=True)
    with pytest.raises(ValidationFailed):
        services.inspection_update(
            actor=enterprise,
            inspection=other,
            answers=[{"item": major_item, "result": "fail", "fixed": True, "after_photos": [photo()]}],
        )
    # Pages: the menu entry and the self-check page are the enterprise's only.
    client = login(enterprise)
    assert 'href="/self-check/"' in client.get("/inspections/").content.decode()
    assert client.get("/self-check/").status_code == 200
    assert login(users["officer"]).get("/self-check/").status_code == 404
    assert 'href="/self-check/"' not in login(users["officer"]).get("/inspections/").content.decode()


def test_repeat_problems(make_campaign, sites, users, gb, answers_for):
    campaign = make_campaign()
    for day in (dt.date(2026, 2, 1), dt.date(2026, 3, 1)):
        services.inspection_create(
            actor=users["admin"],
            data={"campaign": campaign, "site": sites["mall"], "inspected_on": day},
            answers=answers_for(gb, fail={"6.6": "喷淋未设置"}),
            finish=True,
        )
    services.inspection_create(
        actor=users["admin"],
        data={"campaign": campaign, "site": sites["market"], "inspected_on": dt.date(2026, 2, 1)},
        answers=answers_for(gb, fail={"6.6": "喷淋未设置"}),
        finish=True,
    )
    rows = selectors.repeat_problems(Inspection.objects.all(), dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [(r.site.name, r.inspections, r.dates) for r in rows] == [
        ("北外滩商业广场", 2, [dt.date(2026, 2, 1), dt.date(2026, 3, 1)])
    ]
    assert selectors.repeat_problems(Inspection.objects.all(), dt.date(2026, 2, 15), dt.date(2026, 12, 31)) == []


def test_inspector_activity(make_campaign, sites, users, gb, answers_for, orgs, login):
    campaign = make_campaign()
    services.inspection_create(
        actor=users["officer"],
        data={
            "campaign": campaign,
            "site": sites["mall"],
            "inspected_on": dt.date(2026, 2, 1),
            "team_orgs": [orgs["hk-bwt"]],
        },
        answers=answers_for(gb, fail={"6.6": "喷淋未设置"}),
        finish=True,
    )
    services.inspection_create(
        actor=users["officer"],
        data={"campaign": campaign, "site": sites["mall"], "inspected_on": dt.date(2026, 3, 1)},
        answers=answers_for(gb),
        finish=True,
    )
    from zhiben.registry.models import Site

    data = selectors.inspector_activity(
        Inspection.objects.all(), dt.date(2026, 1, 1), dt.date(2026, 12, 31), sites=Site.objects.all()
    )
    assert [(r.label, r.inspections, r.hazards) for r in data["inspectors"]] == [("t_officer", 2, 1)]
    orgs_rows = {r.label: r for r in data["organizations"]}
    swj = orgs_rows[str(orgs["hk-swj"])]
    assert (swj.inspections, swj.hazards, swj.never_visited) == (2, 1, 1)
    assert [s.name for s in swj.never_visited_sample] == ["三角地农贸市场"]
    bwt = orgs_rows[str(orgs["hk-bwt"])]
    assert (bwt.inspections, bwt.hazards, bwt.never_visited) == (1, 1, 1)
    assert login(users["officer"]).get("/inspections/activity/?start=2026-01-01&end=2026-12-31").status_code == 200
    assert login(users["officer"]).get("/inspections/repeat/").status_code == 200
