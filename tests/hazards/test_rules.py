"""Hazard rules: creation, validation, codes, 存量/增量, overdue, duplicates,
督办, 回头看 and the enterprise side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import ConflictError, ServiceError, ValidationFailed
from zhiben.files.models import StoredFile
from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard, HazardEvidence, RecheckItem
from zhiben.hazards.services import PossibleDuplicate

from .conftest import photo

pytestmark = pytest.mark.django_db


def test_codes_are_numbered_per_year_of_discovery(make_hazard):
    a = make_hazard(found_on=dt.date(2025, 5, 1))
    b = make_hazard(found_on=dt.date(2025, 6, 1), description="另一处")
    c = make_hazard(found_on=dt.date(2023, 6, 1), description="第三处")
    assert (a.code, b.code, c.code) == ("YH-2025-000001", "YH-2025-000002", "YH-2023-000001")


def test_stock_is_derived_from_the_found_date(make_hazard):
    assert make_hazard(found_on=dt.date(2023, 12, 31)).is_stock is True
    assert make_hazard(found_on=dt.date(2024, 1, 1), description="x").is_stock is False


def test_creation_validates_everything_and_saves_nothing(users, hazard_data, reference):
    from zhiben.hazards.models import HazardCategory

    eco = HazardCategory.objects.get(code="eco-wf")
    bad = hazard_data(
        title=" ",
        found_on=timezone.localdate() + dt.timedelta(days=1),
        unit=None,
        unit_name="",
        unit_uscc="91310000XXXXXXXXX1",
        category=eco,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.hazard_create(actor=users["officer"], data=bad)
    details = exc.value.details
    assert {"title", "found_on", "unit_name", "unit_uscc", "category"} <= set(details)
    assert "不属于" in details["category"]
    assert not Hazard.objects.exists()


def test_only_parties_may_put_hazards_on_the_ledger(users, more_users, hazard_data, orgs):
    with pytest.raises(ServiceError):
        services.hazard_create(actor=users["readonly"], data=hazard_data())
    with pytest.raises(ServiceError):  # 建管委 cannot file for 商务委
        services.hazard_create(actor=more_users["jgw_officer"], data=hazard_data())
    # the 街道 files for hazards in its territory, for any owning department
    hazard = services.hazard_create(actor=users["street"], data=hazard_data(street=orgs["hk-bwt"]))
    assert hazard.owner == orgs["hk-swj"]
    # an enterprise files 自查 hazards for its own unit only
    own = services.hazard_create(
        actor=users["enterprise"], data=hazard_data(source="self_check", description="自查"), allow_duplicate=True
    )
    assert own.unit.name == "北外滩商场"
    with pytest.raises(ServiceError):
        services.hazard_create(actor=more_users["other_enterprise"], data=hazard_data(description="别家"))


def test_similar_open_hazard_is_flagged_as_possible_duplicate(users, hazard_data, make_hazard):
    existing = make_hazard()
    with pytest.raises(PossibleDuplicate) as exc:
        services.hazard_create(actor=users["officer"], data=hazard_data(description="二层东侧疏散通道堆放纸箱杂物"))
    assert exc.value.details[0]["code"] == existing.code
    assert Hazard.objects.count() == 1
    note = services.hazard_link_duplicate(actor=users["officer"], hazard=existing, text="3月5日复查再次发现")
    assert note.kind == "duplicate"
    forced = services.hazard_create(
        actor=users["officer"], data=hazard_data(description="二层东侧疏散通道堆放纸箱杂物"), allow_duplicate=True
    )
    assert forced.pk != existing.pk
    # different text, same unit and category: not a duplicate
    services.hazard_create(actor=users["officer"], data=hazard_data(description="地下车库消防车通道被占用停放车辆"))


def test_overdue_is_derived(drive):
    hazard = drive(HazardStatus.RECTIFYING)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    assert Hazard.objects.overdue().filter(pk=hazard.pk).exists()
    Hazard.objects.filter(pk=hazard.pk).update(deadline=timezone.localdate())
    assert not Hazard.objects.overdue().filter(pk=hazard.pk).exists()


def test_immediate_rectification_sets_the_deadline_to_today(users, drive):
    hazard = drive(HazardStatus.PENDING)
    services.hazard_confirm(actor=users["officer"], hazard=hazard, requirement="立即清理", deadline_kind="immediate")
    hazard.refresh_from_db()
    assert hazard.deadline == timezone.localdate() and hazard.deadline_kind == "immediate"


def test_enterprise_sees_only_its_own_unit_and_cannot_verify(users, more_users, drive, login):
    own = drive(HazardStatus.AWAITING_VERIFICATION)
    other = drive(HazardStatus.RECTIFYING, unit=None, unit_name="别的单位", description="别处")
    assert list(Hazard.objects.restrict(users["enterprise"])) == [own]
    assert not Hazard.objects.restrict(more_users["other_enterprise"]).exists()
    client = login(users["enterprise"])
    assert client.get(f"/hazards/{other.pk}/").status_code == 404
    with pytest.raises(ConflictError):
        services.hazard_verify_pass(actor=users["enterprise"], hazard=own, note="合格")
    page = client.get(f"/hazards/{own.pk}/").content.decode()
    assert "验收通过" not in page


def test_verification_closes_active_supervision(users, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    supervision = services.supervision_open(
        actor=users["admin"],
        hazard=hazard,
        kind="listed",
        level="city",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    services.hazard_submit(actor=users["enterprise"], hazard=hazard, note="已整改", files=[photo()])
    services.hazard_verify_pass(actor=users["officer"], hazard=hazard, note="合格")
    supervision.refresh_from_db()
    assert not supervision.is_active and supervision.closed_at is not None


def test_supervision_is_the_district_offices(users, drive):
    hazard = drive(HazardStatus.RECTIFYING)
    future = timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(ServiceError):
        services.supervision_open(actor=users["leader"], hazard=hazard, kind="supervised", deadline=future)
    with pytest.raises(ValidationFailed):
        services.supervision_open(actor=users["admin"], hazard=hazard, kind="supervised", level="city", deadline=future)
    supervision = services.supervision_open(actor=users["admin"], hazard=hazard, kind="supervised", deadline=future)
    with pytest.raises(ConflictError):
        services.supervision_open(actor=users["admin"], hazard=hazard, kind="listed", deadline=future)
    services.supervision_feedback_add(actor=users["enterprise"], supervision=supervision, text="已采购货架")
    assert supervision.feedback.count() == 1
    with pytest.raises(ServiceError):
        services.supervision_feedback_add(actor=users["readonly"], supervision=supervision, text="x")


def test_listed_hazards_are_shown_to_every_department(users, more_users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING)
    services.supervision_open(
        actor=users["admin"],
        hazard=hazard,
        kind="listed",
        level="district",
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    page = login(more_users["jgw_officer"]).get("/hazards-listed/").content.decode()
    assert hazard.code in page
    # … but the hazard itself stays in its owner's scope
    assert login(more_users["jgw_officer"]).get(f"/hazards/{hazard.pk}/").status_code == 404


# --- 回头看 -------------------------------------------------------------------------------------------


def _closed(drive, n):
    return [drive(HazardStatus.CLOSED, description=f"第{i}处") for i in range(n)]


def test_recheck_sample_is_random_but_reproducible(users, orgs, drive):
    _closed(drive, 12)
    today = timezone.localdate()
    first = services.recheck_draw(
        actor=users["leader"], organization=orgs["hk-swj"], period_start=today, period_end=today, percent=25
    )
    second = services.recheck_draw(
        actor=users["leader"], organization=orgs["hk-swj"], period_start=today, period_end=today, percent=25
    )
    ids = lambda b: sorted(b.items.values_list("hazard_id", flat=True))  # noqa: E731
    assert first.population == 12 and len(ids(first)) == 3
    assert ids(first) == ids(second)
    other = services.recheck_draw(
        actor=users["leader"],
        organization=orgs["hk-swj"],
        period_start=today,
        period_end=today,
        percent=25,
        seed="另一个种子",
    )
    assert other.seed == "另一个种子" and len(ids(other)) == 3
    assert services.draw_sample(list(range(1, 101)), 10, "s") == services.draw_sample(list(range(100, 0, -1)), 10, "s")


def test_recheck_draw_is_for_leaders_and_the_district_office(users, orgs):
    today = timezone.localdate()
    with pytest.raises(ServiceError):
        services.recheck_draw(
            actor=users["officer"], organization=orgs["hk-swj"], period_start=today, period_end=today, percent=10
        )


def test_failed_recheck_reopens_and_counts_as_relapse(users, orgs, drive):
    from zhiben.hazards.figures import hazard_figures

    [hazard] = _closed(drive, 1)
    today = timezone.localdate()
    batch = services.recheck_draw(
        actor=users["admin"], organization=orgs["hk-swj"], period_start=today, period_end=today, percent=100
    )
    item = batch.items.get()
    services.recheck_record(actor=users["officer"], item=item, passed=False, note="纸箱又堆回来了")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFYING and hazard.reopen_count == 1
    assert hazard.closed_at is None and hazard.verified_by is None
    assert RecheckItem.objects.get(pk=item.pk).result == "failed"
    assert hazard_figures(users["admin"]).relapses == 1
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="hazard.reopen").count() == 1
    with pytest.raises(ConflictError):
        services.recheck_record(actor=users["officer"], item=item, passed=True, note="again")


# --- Evidence upload ---------------------------------------------------------------------------------


def test_renamed_exe_is_refused_and_nothing_is_written(users, drive, settings):
    hazard = drive(HazardStatus.RECTIFYING)
    exe = SimpleUploadedFile("整改照片.jpg", b"MZ\x90\x00" + b"\x00" * 2000, content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as exc:
        services.hazard_submit(actor=users["enterprise"], hazard=hazard, note="已整改", files=[exe])
    assert "不是支持的图片或PDF" in exc.value.message
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFYING
    assert not HazardEvidence.objects.filter(hazard=hazard, phase="after").exists()
    stored_before = StoredFile.objects.count()
    assert not list((settings.MEDIA_ROOT / "evidence").rglob("*.exe"))
    assert StoredFile.objects.count() == stored_before


def test_oversized_file_is_refused_and_nothing_is_written(users, drive, settings):
    hazard = drive(HazardStatus.RECTIFYING)
    count = StoredFile.objects.count()
    settings.ZHIBEN_UPLOAD_MAX_BYTES = 500
    with pytest.raises(ValidationFailed) as exc:
        services.hazard_submit(actor=users["enterprise"], hazard=hazard, note="已整改", files=[photo()])
    assert "超过大小上限" in exc.value.message
    assert StoredFile.objects.count() == count
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING


def test_a_site_brings_its_unit_address_and_street(users, orgs, hazard_data, reference):
    from zhiben.registry.models import Site, SiteType
    from zhiben.registry.reference import load_files as load_registry

    load_registry()
    site = Site.objects.create(
        name="北外滩商场B1车库",
        site_type=SiteType.objects.first(),
        unit=None,
        address="东大名路1号",
        street=orgs["hk-bwt"],
        owner=orgs["hk-swj"],
        public_code="CS-TEST0001",
    )
    data = hazard_data(unit=None, unit_name="", site=site)
    hazard = services.hazard_create(actor=users["officer"], data=data)
    assert (hazard.site, hazard.address, hazard.street, hazard.unit_name) == (
        site,
        "东大名路1号",
        orgs["hk-bwt"],
        "北外滩商场B1车库",
    )
    with pytest.raises(PossibleDuplicate):
        services.hazard_create(actor=users["officer"], data=hazard_data(unit=None, unit_name="", site=site))


def test_migration_links_hazards_to_units_registered_later(users, units, hazard_data):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("zhiben.hazards.migrations.0004_link_hazards_to_registered_units")
    hazard = services.hazard_create(
        actor=users["admin"],
        data=hazard_data(unit=None, unit_name="北外滩商场（上报名称）", unit_uscc=units["commerce"].uscc),
    )
    # The service links it now; a hazard from before that rule was not.
    Hazard.objects.filter(pk=hazard.pk).update(unit=None)
    migration.link_units(apps, None)
    hazard.refresh_from_db()
    assert hazard.unit == units["commerce"] and hazard.unit_name == "北外滩商场（上报名称）"
