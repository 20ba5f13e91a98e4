"""The record page flow (fill in, finish) and the demo data."""

from __future__ import annotations

from django.core.management import call_command

from zhiben.hazards.models import Hazard
from zhiben.inspections.models import Campaign, Inspection

from .conftest import photo


def test_record_and_finish_through_pages(make_campaign, sites, users, login, reference):
    campaign = make_campaign()
    client = login(users["officer"])
    assert client.get(f"/inspections/new/?campaign={campaign.pk}").status_code == 200
    response = client.post(
        "/inspections/new/",
        {"campaign": campaign.pk, "site": sites["mall"].pk, "inspected_on": "2026-03-10"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inspection = Inspection.objects.get()
    items = list(inspection.checklist_version.items.all())
    data = {f"result_{i.pk}": "pass" for i in items}
    data[f"result_{items[4].pk}"] = "fail"
    data[f"note_{items[4].pk}"] = "安全出口不足"
    data[f"photos_{items[4].pk}"] = photo()
    data["finish"] = "1"
    assert client.post(f"/inspections/{inspection.pk}/", data).status_code == 302
    inspection.refresh_from_db()
    assert inspection.is_finished
    hazard = Hazard.objects.get()
    assert hazard.level == "major"
    page = client.get(f"/inspections/{inspection.pk}/").content.decode()
    assert hazard.code in page
    answer = inspection.answers.get(result="fail")
    photo_row = answer.photos.get()
    assert client.get(f"/inspections/{inspection.pk}/photos/{photo_row.pk}/").status_code == 200
    assert login(users["readonly"]).get(f"/inspections/{inspection.pk}/photos/{photo_row.pk}/").status_code == 404


def test_demo_data(orgs, reference):
    call_command("demo", verbosity=0)
    campaign = Campaign.objects.get()
    assert campaign.draws.count() == 1
    assert Inspection.objects.filter(campaign=campaign, status="finished").count() == 2
    assert Hazard.objects.filter(inspection_answers__inspection__campaign=campaign, level="major").count() == 1
    call_command("demo", verbosity=0)  # idempotent
    assert Campaign.objects.count() == 1 and Inspection.objects.filter(campaign=campaign).count() == 2
