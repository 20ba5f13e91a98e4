"""Issue 9: units reach the 科室 that supervise them (2), notifications only to
those who can see and act (3), separation of duties on 验收 and 即查即改 (4), the
duplicate check within scope (12), and the smaller page defects (7)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.forms import HazardForm
from zhiben.hazards.models import Hazard
from zhiben.notify.models import Notification

from .conftest import photo

pytestmark = pytest.mark.django_db


# --- 2. 科室 officers and their department's units ------------------------------------------------


def test_section_officer_picks_its_departments_units(users, units):
    form = HazardForm(user=users["section"])
    choices = set(form.fields["unit"].queryset)
    assert units["commerce"] in choices  # owned by 区商务委, the 科室's department
    assert units["construction"] not in choices


def test_section_hazard_on_a_picked_unit_reaches_the_enterprise_and_the_dossier(users, units, orgs, reference, login):
    client = login(users["section"])
    response = client.post(
        "/hazards/new/",
        {
            "sector": reference["commerce"].pk,
            "category": reference["fire_category"].pk,
            "level": "general",
            "source": "supervision",
            "difficulty": "easy",
            "found_on": "2026-03-01",
            "title": "农贸市场通道堆物",
            "description": "东侧通道堆放杂物",
            "unit": units["commerce"].pk,
            "owner": orgs["hk-swj-scglk"].pk,
            "deadline_kind": "date",
            "deadline": "2026-04-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hazard = Hazard.objects.get(title="农贸市场通道堆物")
    assert hazard.unit == units["commerce"]
    enterprise = login(users["enterprise"])
    assert enterprise.get(f"/hazards/{hazard.pk}/").status_code == 200
    assert hazard.code in login(users["officer"]).get(f"/units/{units['commerce'].pk}/").content.decode()


def test_free_text_unit_with_a_registered_uscc_is_linked(users, units, orgs, hazard_data):
    hazard = services.hazard_create(
        actor=users["section"],
        data=hazard_data(
            unit=None,
            unit_name="北外滩商场（手填）",
            unit_uscc=units["commerce"].uscc.lower(),
            owner=orgs["hk-swj-scglk"],
        ),
    )
    assert hazard.unit == units["commerce"]
    assert hazard.street == units["commerce"].street
    assert Hazard.objects.restrict(users["enterprise"]).filter(pk=hazard.pk).exists()


def test_uscc_of_a_unit_out_of_scope_is_not_linked(everyone, units, orgs, hazard_data):
    hazard = services.hazard_create(
        actor=everyone["jgw_officer"],
        data=hazard_data(unit=None, unit_name="某商场", unit_uscc=units["commerce"].uscc, owner=orgs["hk-jgw"]),
    )
    assert hazard.unit is None  # nothing tells the actor the code is registered
    assert not Hazard.objects.restrict(everyone["enterprise"]).filter(pk=hazard.pk).exists()


def test_unit_link_only_for_those_who_may_open_the_unit(everyone, units, orgs, make_hazard, login):
    hazard = make_hazard(owner=orgs["hk-jgw"])  # 区建管委's hazard at a 区商务委 unit
    page = login(everyone["jgw_officer"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert f"/units/{units['commerce'].pk}/" not in page
    assert units["commerce"].name in page
    page = login(everyone["admin"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert f"/units/{units['commerce'].pk}/" in page


# --- 3. Notifications ---------------------------------------------------------------------------------


def test_new_hazard_notice_goes_to_those_who_can_see_and_confirm(
    users, make_hazard, orgs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hazard = make_hazard(owner=orgs["hk-swj"])
    notified = set(Notification.objects.filter(kind="hazard.create").values_list("recipient__username", flat=True))
    assert "t_officer" in notified and "t_leader" in notified
    assert "t_section" not in notified  # 市场管理科 cannot see its bureau's hazards
    assert not Notification.objects.filter(recipient=users["section"], target_id=hazard.pk).exists()


def test_section_hazard_notice_reaches_the_section(users, make_hazard, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_hazard(owner=orgs["hk-swj-scglk"])
    assert Notification.objects.filter(recipient=users["section"], kind="hazard.create").exists()


def test_awaiting_notice_only_to_those_who_may_verify(users, drive, django_capture_on_commit_callbacks):
    hazard = drive(HazardStatus.RECTIFYING)
    with django_capture_on_commit_callbacks(execute=True):
        services.hazard_submit(actor=users["officer"], hazard=hazard, note="已清理", files=[photo()])
    notified = set(Notification.objects.filter(kind="hazard.submit").values_list("recipient__username", flat=True))
    assert notified == {"t_leader"}  # not the submitter, not the 科室 that cannot see it


def test_inbox_never_links_to_a_record_out_of_scope(users, make_hazard, login):
    hazard = make_hazard()
    stale = Notification.objects.create(
        recipient=users["section"],
        title=f"新隐患待确认：{hazard.code} {hazard.title}",
        url=f"/hazards/{hazard.pk}/",
        target_type="hazards.hazard",
        target_id=hazard.pk,
    )
    client = login(users["section"])
    inbox = client.get("/inbox/").content.decode()
    assert hazard.title not in inbox and "无权查看" in inbox
    response = client.post(f"/inbox/{stale.pk}/read/")
    assert response.status_code == 302 and response.url == "/inbox/"


# --- 4. Separation of duties on 验收 --------------------------------------------------------------------


def test_whoever_recorded_the_rectification_cannot_verify_it(users, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    services.hazard_submit(actor=users["officer"], hazard=hazard, note="已清理", files=[photo()])
    with pytest.raises(ConflictError) as exc:
        services.hazard_verify_pass(actor=users["officer"], hazard=hazard, note="合格")
    assert exc.value.code == "guard_failed" and "不能由您验收" in exc.value.message
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.AWAITING_VERIFICATION
    services.hazard_verify_pass(actor=users["leader"], hazard=hazard, note="现场复核合格")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED and hazard.verification_note == "现场复核合格"
    assert hazard.submitted_by == users["officer"] and hazard.verified_by == users["leader"]
    assert not hazard.self_verified


def test_verification_needs_an_opinion(users, drive, login):
    hazard = drive(HazardStatus.AWAITING_VERIFICATION)
    with pytest.raises(ValidationFailed):
        services.hazard_verify_pass(actor=users["officer"], hazard=hazard, note="  ")
    response = login(users["officer"]).post(f"/hazards/{hazard.pk}/do/verify_pass/", {"note": ""})
    assert response.status_code == 422
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.AWAITING_VERIFICATION


def test_major_hazard_never_verified_by_the_enterprise(users, orgs, drive):
    from zhiben.core.testing import make_user
    from zhiben.org.choices import Role

    hazard = drive(HazardStatus.AWAITING_VERIFICATION, level="major")
    # An enterprise user who also holds a leader's role in the department still may not.
    both = make_user("t_both", Role.ENTERPRISE, orgs["hk-swj"], unit=hazard.unit)
    both.memberships.create(organization=orgs["hk-swj"], role=Role.DEPT_LEADER)
    both.forget_memberships()
    with pytest.raises(ConflictError) as exc:
        services.hazard_verify_pass(actor=both, hazard=hazard, note="合格")
    assert "责任单位不能自行验收" in exc.value.message


def test_fix_on_spot_closes_a_general_hazard_self_verified(users, drive):
    hazard = drive(HazardStatus.PENDING)
    with pytest.raises(ValidationFailed):
        services.hazard_fix_on_spot(actor=users["officer"], hazard=hazard, note="当场清理")  # no photo
    services.hazard_fix_on_spot(actor=users["officer"], hazard=hazard, note="当场清理", files=[photo()])
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED and hazard.self_verified
    assert hazard.verified_by == users["officer"] == hazard.submitted_by
    assert hazard.deadline is not None


def test_fix_on_spot_refused_for_a_major_hazard(users, drive):
    hazard = drive(HazardStatus.RECTIFYING, level="major")
    with pytest.raises(ConflictError) as exc:
        services.hazard_fix_on_spot(actor=users["leader"], hazard=hazard, note="当场整改", files=[photo()])
    assert "只有一般隐患" in exc.value.message


def test_recheck_samples_self_verified_hazards_first(users, orgs, drive):
    closed = [drive(HazardStatus.CLOSED, description=f"隐患{i}") for i in range(9)]
    spot = drive(HazardStatus.PENDING, description="当场")
    services.hazard_fix_on_spot(actor=users["officer"], hazard=spot, note="当场清理", files=[photo()])
    today = dt.date.today()
    for seed in ("a", "b", "c"):
        batch = services.recheck_draw(
            actor=users["admin"],
            organization=orgs["hk-swj"],
            period_start=today - dt.timedelta(days=3),
            period_end=today + dt.timedelta(days=3),
            percent=10,
            seed=seed,
        )
        assert list(batch.items.values_list("hazard_id", flat=True)) == [spot.pk]
    assert len(closed) == 9


def test_reopening_clears_the_self_verified_mark(users, drive):
    hazard = drive(HazardStatus.PENDING)
    services.hazard_fix_on_spot(actor=users["officer"], hazard=hazard, note="当场清理", files=[photo()])
    services.hazard_reopen(actor=users["leader"], hazard=hazard, reason="返潮")
    hazard.refresh_from_db()
    assert not hazard.self_verified and hazard.submitted_by is None and hazard.verification_note == ""


# --- 12. The duplicate check stays within scope ----------------------------------------------------------


def test_duplicate_check_does_not_reveal_other_departments_hazards(everyone, units, orgs, make_hazard, login):
    existing = make_hazard()  # 区商务委's open hazard at 北外滩商场
    payload = {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-03-01",
        "title": existing.title,
        "description": existing.description,
        "unit_name": "猜测的单位",
        "unit_uscc": units["commerce"].uscc,
        "owner_id": orgs["hk-jgw"].pk,
    }
    response = login(everyone["jgw_officer"]).post("/api/v1/hazards", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    text = response.content.decode()
    assert existing.code not in text and "possible_duplicate" not in text
    assert response.json()["unit_id"] is None
    # Within scope the check still answers.
    same = login(everyone["officer"]).post(
        "/api/v1/hazards", {**payload, "owner_id": orgs["hk-swj"].pk}, content_type="application/json"
    )
    assert same.status_code == 409 and same.json()["code"] == "possible_duplicate"


# --- 7 and the 500 on 接收移交 ----------------------------------------------------------------------------


def test_refused_transfer_accept_is_a_message_not_a_500(users, drive, login):
    hazard = drive(HazardStatus.TRANSFERRING)  # offered to 区建管委
    response = login(users["officer"]).post(f"/hazards/{hazard.pk}/do/transfer_accept/")
    assert response.status_code == 409
    assert "无权" in response.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.TRANSFERRING


def test_timeline_keeps_refusals_in_the_audit_log_only(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING)
    assert login(users["readonly"]).get(f"/hazards/{hazard.pk}/").status_code == 404  # audited denial
    with pytest.raises(ConflictError):
        services.hazard_void(actor=users["enterprise"], hazard=hazard, reason="x")
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="access.denied").exists()
    page = login(users["officer"]).get(f"/hazards/{hazard.pk}/").content.decode()
    assert "越权访问被拒绝" not in page and "操作被拒绝" not in page


def test_read_only_account_cannot_open_the_new_hazard_page(users, login):
    response = login(users["readonly"]).get("/hazards/new/")
    assert response.status_code == 403
    assert "只能查看隐患" in response.content.decode()
    assert "/hazards/new/" not in login(users["readonly"]).get("/hazards/").content.decode()


def test_form_text_is_bounded_with_a_chinese_message(users, units, orgs, reference, login):
    response = login(users["officer"]).post(
        "/hazards/new/",
        {
            "sector": reference["commerce"].pk,
            "category": reference["fire_category"].pk,
            "level": "general",
            "source": "supervision",
            "difficulty": "easy",
            "found_on": "2026-03-01",
            "title": "通道堆物",
            "description": "堆" * 120_000,
            "unit": units["commerce"].pk,
            "owner": orgs["hk-swj"].pk,
            "deadline_kind": "date",
        },
    )
    assert response.status_code == 422
    assert "不能超过 5000 个字符" in response.content.decode()
    assert not Hazard.objects.exists()


def test_service_bounds_text_from_any_caller(users, hazard_data):
    with pytest.raises(ValidationFailed) as exc:
        services.hazard_create(actor=users["officer"], data=hazard_data(title="长" * 5000))
    assert "title" in exc.value.details
    assert not Hazard.objects.exists()


def test_form_defaults_and_fills_follow_the_user(users, units, orgs, reference):
    assert HazardForm(user=users["enterprise"]).fields["source"].initial == "self_check"
    assert HazardForm(user=users["expert"]).fields["source"].initial == "third_party"
    form = HazardForm(user=users["section"])
    assert form.fields["source"].initial == "supervision"
    assert form.fields["owner"].initial == orgs["hk-swj-scglk"].pk
    html = str(form["unit"])
    assert f'data-owner="{orgs["hk-swj-scglk"].pk}"' in html  # the 科室 records its department's unit under itself
    assert f'data-street="{orgs["hk-bwt"].pk}"' in html
    categories = str(form["category"])
    assert f'value="{reference["fire_category"].pk}" data-sectors=' in categories
