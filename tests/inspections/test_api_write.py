"""The inspections write API: record a supervision inspection or a 企业自查,
record item results, finish (one hazard per failed item, as on the page).

Each endpoint × roles: allowed; out of scope 404 (audited); visible but not
the caller's to act on 403 (audited); bad input 422 with nothing saved; and
Idempotency-Key (same key twice: one effect, the same answer)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.hazards.models import Hazard
from zhiben.inspections import services
from zhiben.inspections.models import Inspection, InspectionAnswer

from .conftest import photo

DAY = dt.date(2026, 3, 10)


def post(client, path, data=None, **headers):
    return client.post(f"/api/v1{path}", data=data or {}, content_type="application/json", **headers)


def denials() -> int:
    return AuditEvent.objects.filter(action="access.denied").count()


@pytest.fixture
def gb(reference):
    return reference["gb35181-2017"].current_version


@pytest.fixture
def campaign(make_campaign):
    return make_campaign()  # 区商务委's round over commercial complexes and farmers' markets, checklist GB 35181


@pytest.fixture
def draft(campaign, sites, users):
    """An inspection of the mall by 区商务委's officer, 检查中."""
    return services.inspection_create(
        actor=users["officer"], data={"campaign": campaign, "site": sites["mall"], "inspected_on": DAY}
    )


def all_pass(version, **fail) -> list[dict]:
    return [
        {"item_code": i.code, "result": "fail" if i.code in fail else "pass", "note": fail.get(i.code, "")}
        for i in version.items.all()
    ]


# --- POST /inspections ---------------------------------------------------------------------------


def test_officer_records_an_inspection_in_a_campaign(campaign, sites, users, login, gb):
    response = post(
        login(users["officer"]),
        "/inspections",
        {"site_id": sites["mall"].pk, "campaign_id": campaign.pk, "inspected_on": str(DAY), "summary": "例行检查"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    inspection = Inspection.objects.get(pk=body["id"])
    assert body["status"] == "draft" and body["kind"] == "supervision" and body["campaign_id"] == campaign.pk
    assert inspection.organization == campaign.owner and inspection.method == campaign.method
    assert inspection.checklist_version == gb and users["officer"] in inspection.inspectors.all()
    assert len(body["answers"]) == gb.items.count() and {a["result"] for a in body["answers"]} == {"pending"}
    assert AuditEvent.objects.filter(action="inspection.create", object_id=str(inspection.pk)).exists()


def test_an_inspection_without_a_campaign_names_its_organization_method_and_checklist(
    sites, users, orgs, login, reference
):
    response = post(
        login(users["officer"]),
        "/inspections",
        {
            "site_id": sites["market"].pk,
            "checklist_id": reference["gb35181-2017"].pk,
            "inspected_on": str(DAY),
            "organization_id": orgs["hk-swj"].pk,
            "method": "joint",
            "team_org_ids": [orgs["hk-bwt"].pk],
            "inspector_ids": [users["expert"].pk],
            "latitude": "31.25",
            "longitude": "121.49",
        },
    )
    assert response.status_code == 201, response.content
    inspection = Inspection.objects.get(pk=response.json()["id"])
    assert inspection.method == "joint" and inspection.organization == orgs["hk-swj"]
    assert list(inspection.team_orgs.all()) == [orgs["hk-bwt"]]
    assert set(inspection.inspectors.all()) == {users["expert"], users["officer"]}
    assert str(inspection.latitude) == "31.250000"


def test_create_with_answers_and_finish_at_once(campaign, sites, users, login, gb):
    response = post(
        login(users["admin"]),
        "/inspections",
        {
            "site_id": sites["mall"].pk,
            "campaign_id": campaign.pk,
            "inspected_on": str(DAY),
            "answers": all_pass(gb, **{"6.5": "地下一层仅一个安全出口"}),
            "finish": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "finished"
    failed = [a for a in body["answers"] if a["result"] == "fail"]
    assert len(failed) == 1 and failed[0]["hazard_code"]
    hazard = Hazard.objects.get(code=failed[0]["hazard_code"])
    assert hazard.level == "major" and "地下一层仅一个安全出口" in hazard.description


@pytest.mark.parametrize("role", ["readonly", "expert", "section"])
def test_a_site_out_of_scope_is_404_and_audited(sites, users, orgs, login, reference, role):
    before, count = denials(), Inspection.objects.count()
    response = post(
        login(users[role]),
        "/inspections",
        {
            "site_id": sites["shelter"].pk,
            "checklist_id": reference["gb35181-2017"].pk,
            "inspected_on": str(DAY),
            "organization_id": orgs["hk-swj"].pk,
            "method": "joint",
        },
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denials() == before + 1 and Inspection.objects.count() == count


def test_a_campaign_out_of_scope_is_404(campaign, sites, users, login):
    response = post(
        login(users["readonly"]),
        "/inspections",
        {"site_id": sites["mall"].pk, "campaign_id": campaign.pk, "inspected_on": str(DAY)},
    )
    assert response.status_code == 404
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("role", ["enterprise", "street"])
def test_a_visible_site_for_another_organization_is_403_and_audited(sites, users, orgs, login, reference, role):
    """The mall is visible to its 企业用户 and its 街道, but neither inspects for 区商务委."""
    before = denials()
    response = post(
        login(users[role]),
        "/inspections",
        {
            "site_id": sites["mall"].pk,
            "checklist_id": reference["gb35181-2017"].pk,
            "inspected_on": str(DAY),
            "organization_id": orgs["hk-swj"].pk,
            "method": "joint",
        },
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert denials() == before + 1 and not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inspected_on": "2999-01-01"}, "inspected_on"),
        ({"checklist_version_id": 987654}, "checklist_version_id"),
        ({"organization_id": 987654}, "organization_id"),
        ({"team_org_ids": [987654]}, "team_org_ids"),
        ({"inspector_ids": [987654]}, "inspector_ids"),
        ({"method": "self_check"}, "method"),
        ({"latitude": "91"}, "latitude"),
        ({"summary": "x" * 5001}, "summary"),
        ({"unknown": 1}, "unknown"),
        ({"answers": [{"item_code": "6.5", "result": "pending"}]}, "answers"),
        ({"answers": [{"item_code": "no-such-item", "result": "pass"}]}, "answers"),
        ({"answers": [{"item_code": "6.5", "result": "pass"}] * 501}, "answers"),
        ({"inspected_on": "2025-12-31"}, "inspected_on"),  # before the campaign's period
    ],
)
def test_bad_input_is_422_and_saves_nothing(campaign, sites, users, login, change, field):
    payload = {"site_id": sites["mall"].pk, "campaign_id": campaign.pk, "inspected_on": str(DAY), **change}
    response = post(login(users["officer"]), "/inspections", payload)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert field in str(body["details"])
    assert not Inspection.objects.exists() and not InspectionAnswer.objects.exists()


def test_the_finish_refusal_rolls_the_creation_back(campaign, sites, users, login):
    """``finish`` with items unanswered: 422, and no inspection is left behind."""
    payload = {"site_id": sites["mall"].pk, "campaign_id": campaign.pk, "inspected_on": str(DAY), "finish": True}
    response = post(login(users["officer"]), "/inspections", payload)
    assert response.status_code == 422
    assert not Inspection.objects.exists()


# --- POST /self-checks ---------------------------------------------------------------------------


def test_enterprise_records_a_self_check_of_its_own_site(sites, users, login, reference):
    version = reference["gas-restaurant"].current_version
    response = post(
        login(users["enterprise"]),
        "/self-checks",
        {
            "site_id": sites["mall"].pk,
            "checklist_id": reference["gas-restaurant"].pk,
            "inspected_on": str(DAY),
            "answers": all_pass(version, **{"1-2": "报警器位置不当"}),
            "finish": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "self_check" and body["method"] == "self_check" and body["status"] == "finished"
    hazard = Hazard.objects.get(code=next(a["hazard_code"] for a in body["answers"] if a["result"] == "fail"))
    assert hazard.source == "self_check" and hazard.unit == sites["mall"].unit


@pytest.mark.parametrize(("role", "site"), [("enterprise", "works"), ("officer", "mall"), ("admin", "mall")])
def test_self_check_is_for_the_units_own_sites_only(sites, users, login, reference, role, site):
    response = post(
        login(users[role]),
        "/self-checks",
        {"site_id": sites[site].pk, "checklist_id": reference["gas-restaurant"].pk, "inspected_on": str(DAY)},
    )
    assert response.status_code == 404
    assert not Inspection.objects.exists()


def test_self_check_bad_input(sites, users, login):
    client = login(users["enterprise"])
    for payload in (
        {"site_id": sites["mall"].pk, "checklist_id": 987654, "inspected_on": str(DAY)},
        {"site_id": sites["mall"].pk, "inspected_on": str(DAY)},
        {"site_id": 0, "checklist_id": 1, "inspected_on": str(DAY)},
    ):
        assert post(client, "/self-checks", payload).status_code == 422
    assert not Inspection.objects.exists()


# --- POST /inspections/{id}/answers -------------------------------------------------------------


def test_the_team_records_results(draft, users, login, gb):
    first = gb.items.first()
    response = post(
        login(users["officer"]),
        f"/inspections/{draft.pk}/answers",
        {"answers": [{"item_code": first.code, "result": "fail", "note": "通道堵塞"}], "summary": "已检查一半"},
    )
    assert response.status_code == 200, response.content
    answer = draft.answers.get(item=first)
    assert answer.result == "fail" and answer.note == "通道堵塞"
    draft.refresh_from_db()
    assert draft.summary == "已检查一半"
    assert next(a for a in response.json()["answers"] if a["item_code"] == first.code)["result"] == "fail"
    # A leader of the inspecting department may fill it in too.
    assert post(login(users["leader"]), f"/inspections/{draft.pk}/answers", {"answers": []}).status_code == 200


@pytest.mark.parametrize(("role", "status"), [("readonly", 404), ("expert", 404), ("enterprise", 403), ("street", 403)])
def test_others_may_not_record_results(draft, users, login, gb, role, status):
    """Out of scope: 404; visible (the unit's 企业用户, the 街道) but not on the team: 403. Both audited."""
    before = denials()
    item = gb.items.first()
    response = post(
        login(users[role]),
        f"/inspections/{draft.pk}/answers",
        {"answers": [{"item_code": item.code, "result": "pass"}]},
    )
    assert response.status_code == status
    assert denials() == before + 1
    assert draft.answers.get(item=item).result == "pending"


def test_results_bad_input_changes_nothing(draft, users, login, gb):
    client = login(users["officer"])
    items = list(gb.items.all()[:2])
    for payload in (
        {"answers": [{"item_code": items[0].code, "result": "pass"}, {"item_code": "zz-9", "result": "pass"}]},
        {"answers": [{"item_code": items[0].code, "result": "maybe"}]},
        {"answers": [{"item_code": items[0].code, "result": "pass", "fixed": True}]},
        {"answers": [{"item_code": "", "result": "pass"}]},
        {"answers": [{"item_code": items[0].code, "result": "pass", "note": "\u0000"}]},
        {},
    ):
        response = post(client, f"/inspections/{draft.pk}/answers", payload)
        assert response.status_code == 422, (payload, response.content)
    assert set(draft.answers.values_list("result", flat=True)) == {"pending"}


def test_results_keep_a_fix_on_site_recorded_on_the_page(sites, users, login, reference):
    """即查即改 (with its after-photo) is the page's; an API update of the item's note keeps it."""
    enterprise = users["enterprise"]
    checklist = reference["gas-restaurant"]
    inspection = services.inspection_create(
        actor=enterprise,
        data={"kind": "self_check", "site": sites["mall"], "checklist": checklist, "inspected_on": DAY},
    )
    item = checklist.current_version.items.filter(major=False).first()
    services.inspection_update(
        actor=enterprise,
        inspection=inspection,
        answers=[
            {
                "item": item,
                "result": "fail",
                "fixed": True,
                "fix_note": "已恢复供电",
                "after_photos": [photo("after.jpg", (20, 200, 20))],
            }
        ],
    )
    client = login(enterprise)
    path = f"/inspections/{inspection.pk}/answers"
    assert (
        post(client, path, {"answers": [{"item_code": item.code, "result": "fail", "note": "报警器断电"}]}).status_code
        == 200
    )
    answer = inspection.answers.get(item=item)
    assert answer.fixed_on_site and answer.fix_note == "已恢复供电" and answer.note == "报警器断电"
    # No longer 不符合: nothing left to fix on site.
    assert post(client, path, {"answers": [{"item_code": item.code, "result": "pass"}]}).status_code == 200
    answer.refresh_from_db()
    assert answer.result == "pass" and not answer.fixed_on_site


def test_a_finished_inspection_takes_no_more_results(draft, users, login, gb):
    client = login(users["officer"])
    assert post(client, f"/inspections/{draft.pk}/answers", {"answers": all_pass(gb)}).status_code == 200
    assert post(client, f"/inspections/{draft.pk}/finish").status_code == 200
    response = post(client, f"/inspections/{draft.pk}/answers", {"answers": all_pass(gb, **{"6.6": "x"})})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_unknown_inspection_is_404(users, login, db):
    assert post(login(users["admin"]), "/inspections/987654/answers", {"answers": []}).status_code == 404
    assert post(login(users["admin"]), "/inspections/987654/finish").status_code == 404


# --- POST /inspections/{id}/finish --------------------------------------------------------------


def test_finish_turns_each_failed_item_into_a_hazard_as_the_page_does(draft, campaign, sites, users, login, gb):
    client = login(users["officer"])
    answers = all_pass(gb, **{"6.5": "地下一层仅一个安全出口", "6.6": "未设自动喷水灭火系统"})
    assert post(client, f"/inspections/{draft.pk}/answers", {"answers": answers}).status_code == 200
    response = post(client, f"/inspections/{draft.pk}/finish")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "finished"
    codes = {a["item_code"]: a["hazard_code"] for a in body["answers"] if a["result"] == "fail"}
    assert set(codes) == {"6.5", "6.6"} and all(codes.values())
    first, second = Hazard.objects.get(code=codes["6.5"]), Hazard.objects.get(code=codes["6.6"])
    levels = {i.code: "major" if i.major else "general" for i in gb.items.all()}  # GB 35181 ch. 6: all major
    assert first.level == levels["6.5"] and second.level == levels["6.6"]
    for hazard in (first, second):
        assert hazard.source == "supervision" and hazard.status == "pending"
        assert hazard.unit == sites["mall"].unit and hazard.owner == sites["mall"].owner
        assert hazard.site == sites["mall"]  # the hazard is on the site inspected (its 一企一档 and map)
        assert hazard.found_on == DAY and hazard.description.startswith(f"【{gb.checklist.name} ")
    assert "地下一层仅一个安全出口" in first.description and "未设自动喷水灭火系统" in second.description

    # The page, given the same results for the market, files its hazards the same way.
    page = services.inspection_create(
        actor=users["officer"], data={"campaign": campaign, "site": sites["market"], "inspected_on": DAY}
    )
    items = {i.code: i.pk for i in gb.items.all()}
    form = {f"result_{pk}": "pass" for pk in items.values()}
    form.update({f"result_{items['6.6']}": "fail", f"note_{items['6.6']}": "未设自动喷水灭火系统", "finish": "1"})
    assert client.post(f"/inspections/{page.pk}/", form).status_code == 302
    by_page = page.answers.get(item__code="6.6").hazard
    same = ("level", "source", "status", "category_id", "sector_id", "title", "description", "deadline_kind")
    assert {f: getattr(by_page, f) for f in same} == {f: getattr(second, f) for f in same}


def test_finish_with_items_unanswered_is_422_and_changes_nothing(draft, users, login):
    response = post(login(users["officer"]), f"/inspections/{draft.pk}/finish")
    assert response.status_code == 422
    draft.refresh_from_db()
    assert draft.status == "draft" and not Hazard.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("readonly", 404), ("enterprise", 403)])
def test_others_may_not_finish(draft, users, login, gb, role, status):
    post(login(users["officer"]), f"/inspections/{draft.pk}/answers", {"answers": all_pass(gb)})
    assert post(login(users[role]), f"/inspections/{draft.pk}/finish").status_code == status
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_create_with_one_key_twice_records_one_inspection(campaign, sites, users, login):
    client = login(users["officer"])
    payload = {"site_id": sites["mall"].pk, "campaign_id": campaign.pk, "inspected_on": str(DAY)}
    first = post(client, "/inspections", payload, HTTP_IDEMPOTENCY_KEY="insp-1")
    again = post(client, "/inspections", payload, HTTP_IDEMPOTENCY_KEY="insp-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replay"] == "true"
    assert Inspection.objects.count() == 1


def test_finish_with_one_key_twice_answers_the_same(draft, users, login, gb):
    client = login(users["officer"])
    post(client, f"/inspections/{draft.pk}/answers", {"answers": all_pass(gb, **{"6.6": "无喷淋"})})
    first = post(client, f"/inspections/{draft.pk}/finish", HTTP_IDEMPOTENCY_KEY="fin-1")
    again = post(client, f"/inspections/{draft.pk}/finish", HTTP_IDEMPOTENCY_KEY="fin-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Hazard.objects.count() == 1
    assert AuditEvent.objects.filter(action="inspection.finish", object_id=str(draft.pk)).count() == 1
