"""The tips API's triage endpoints and the detail page's actions are derived
from workflow.py (zhiben.api.workflow, zhiben.web.toolkit.workflow) and call
the one dispatcher, services.tip_transition."""

from __future__ import annotations

import pytest

from zhiben.api.base import api
from zhiben.tips import services, workflow
from zhiben.tips.api import TRANSITION_ENDPOINTS
from zhiben.tips.views import ACTION_FORMS


def test_every_transition_has_its_endpoint_page_form_and_service():
    names = list(workflow.TRANSITIONS)
    assert [e.name for e in TRANSITION_ENDPOINTS] == names
    assert list(ACTION_FORMS) == names
    assert list(services.TRANSITION_SERVICES) == names


@pytest.mark.django_db
def test_openapi_keeps_the_hand_written_operations():
    paths = api.get_openapi_schema()["paths"]
    for endpoint in TRANSITION_ENDPOINTS:
        operation = paths[f"/api/v1/tips/{{pk}}/{endpoint.name}"]["post"]
        assert operation["operationId"] == f"zhiben_tips_api_{endpoint.name}"
        assert operation["summary"] == endpoint.summary
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    transfer = paths["/api/v1/tips/{pk}/transfer"]["post"]["responses"]
    assert {200, 204} <= {int(status) for status in transfer}
