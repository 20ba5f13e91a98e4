"""The hazard API's transition endpoints are derived from workflow.py
(zhiben.api.workflow), like the detail page's actions (zhiben.web.toolkit.workflow):
one per transition the page offers, through the one dispatcher; and 即查即改
(fix-on-spot) through the API with the page's rules, photo included."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.api.base import api
from zhiben.audit.models import AuditEvent
from zhiben.hazards import services, workflow
from zhiben.hazards.api import TRANSITION_ENDPOINTS
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.models import Hazard
from zhiben.hazards.views import TRANSITION_FORMS

from .conftest import photo

pytestmark = pytest.mark.django_db


def post(client, url, data=None, **headers):
    return client.post(url, data=data or {}, content_type="application/json", **headers)


def pdf(name: str = "after.pdf") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (100, 140), "white").save(out, format="PDF")
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


def upload_after(client, pk: int, file) -> None:
    response = client.post(f"/api/v1/hazards/{pk}/evidence", {"phase": "after", "files": [file]})
    assert response.status_code == 201, response.content


# --- Derived from the table ----------------------------------------------------------------------


def test_every_page_action_has_its_endpoint_and_both_use_the_one_dispatcher():
    assert [e.name for e in TRANSITION_ENDPOINTS] == [n for n in workflow.TRANSITIONS if n in TRANSITION_FORMS]
    assert set(TRANSITION_FORMS) <= set(services.TRANSITION_SERVICES) == set(workflow.TRANSITIONS)


def test_openapi_has_one_idempotent_operation_per_transition():
    paths = api.get_openapi_schema()["paths"]
    for endpoint in TRANSITION_ENDPOINTS:
        operation = paths[f"/api/v1/hazards/{{pk}}/{endpoint.name.replace('_', '-')}"]["post"]
        assert operation["operationId"] == f"zhiben_hazards_api_{endpoint.name}"
        assert operation["summary"] == endpoint.summary
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
            endpoint.payload.__name__
        )
    assert "/api/v1/hazards/{pk}/reopen" not in paths  # 回头看's, not an endpoint


# --- 即查即改 through the API ------------------------------------------------------------------------


def test_fix_on_spot_needs_a_photo_then_closes_self_verified(users, drive, login):
    hazard = drive(HazardStatus.PENDING)
    client = login(users["officer"])
    refused = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理"})
    assert refused.status_code == 422 and refused.json()["code"] == "validation_failed"
    assert "files" in refused.json()["details"]
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.PENDING
    upload_after(client, hazard.pk, photo())
    closed = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理", "expected_version": 0})
    assert closed.status_code == 409 and closed.json()["code"] == "stale_version"
    version = Hazard.objects.get(pk=hazard.pk).version
    closed = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理", "expected_version": version})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and closed.json()["allowed_transitions"] == ["reopen"]
    hazard.refresh_from_db()
    assert hazard.self_verified and hazard.verified_by == users["officer"] == hazard.submitted_by
    assert hazard.requirement == "即查即改，当场整改"
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="hazard.fix_on_spot").count() == 1


def test_fix_on_spot_refuses_a_pdf_instead_of_a_photo(users, drive, login):
    hazard = drive(HazardStatus.RECTIFYING)
    client = login(users["officer"])
    upload_after(client, hazard.pk, pdf())
    refused = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理"})
    assert refused.status_code == 422 and refused.json()["message"] == "即查即改须上传整改后照片"
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFYING


def test_fix_on_spot_keeps_the_rules_of_the_table(users, more_users, drive, login):
    major = drive(HazardStatus.RECTIFYING, level="major", description="重大")
    leader = login(users["leader"])
    upload_after(leader, major.pk, photo())
    guarded = post(leader, f"/api/v1/hazards/{major.pk}/fix-on-spot", {"note": "当场整改"})
    assert guarded.status_code == 409 and guarded.json()["code"] == "guard_failed"
    assert "只有一般隐患" in guarded.json()["message"]

    general = drive(HazardStatus.RECTIFYING, description="一般")
    upload_after(login(users["officer"]), general.pk, photo())
    unit = post(login(users["enterprise"]), f"/api/v1/hazards/{general.pk}/fix-on-spot", {"note": "自己改了"})
    assert unit.status_code == 409 and unit.json()["code"] == "transition_not_permitted"
    outside = post(login(more_users["jgw_officer"]), f"/api/v1/hazards/{general.pk}/fix-on-spot", {"note": "x"})
    assert outside.status_code == 404
    closed = drive(HazardStatus.CLOSED, description="已销号")
    again = post(login(users["officer"]), f"/api/v1/hazards/{closed.pk}/fix-on-spot", {"note": "x"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    unknown = post(login(users["officer"]), f"/api/v1/hazards/{general.pk}/fix-on-spot", {"note": "x", "files": []})
    assert unknown.status_code == 422  # JSON only: photos go through …/evidence first
    assert Hazard.objects.get(pk=general.pk).status == HazardStatus.RECTIFYING


def test_fix_on_spot_honours_the_idempotency_key(users, drive, login):
    hazard = drive(HazardStatus.PENDING)
    client = login(users["street"])
    upload_after(client, hazard.pk, photo())
    first = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理"}, HTTP_IDEMPOTENCY_KEY="fos-1")
    again = post(client, f"/api/v1/hazards/{hazard.pk}/fix-on-spot", {"note": "当场清理"}, HTTP_IDEMPOTENCY_KEY="fos-1")
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replay"] == "true"
    assert first.json() == again.json()
    assert AuditEvent.objects.filter(object_id=str(hazard.pk), action="hazard.fix_on_spot").count() == 1


def test_transfer_to_an_unknown_organization_is_422_before_the_hazard_is_looked_up(users, login):
    response = post(login(users["officer"]), "/api/v1/hazards/999999/transfer", {"to_org_id": 999999, "reason": "x"})
    assert response.status_code == 422 and response.json()["details"] == {"to_org_id": "不存在"}
