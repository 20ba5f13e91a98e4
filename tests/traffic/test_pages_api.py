"""事故多发点段 pages and API: who sees what (404 out of scope, the role matrix), the list's
filters and pages, the forms and transition buttons, and the API (cursor list, detail,
create, update, transition, Idempotency-Key, 422 and nothing changed)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.traffic.models import BlackSpotListing, BlackSpotRectification

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(traffic):
    """One point in 北外滩 led by 区公安分局, one in 江湾镇 led by 区建管委."""
    return traffic["listing"](0, year=2024), traffic["listing"](2, year=2025, lead="hk-jgw", level="city")


# role → (sees the 北外滩 point, sees the 江湾镇 point)
MATRIX = {
    "admin": (True, True),
    "gafj": (True, True),  # the sites' owner
    "jgw": (False, True),  # 牵头单位 of the second
    "street": (True, False),  # 北外滩街道
    "other": (False, False),  # 区商务委
    "readonly": (False, False),  # 区生态环境局
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_role_matrix_pages_and_api(traffic, two, login, role):
    client = login(traffic[role])
    for item, visible in zip(two, MATRIX[role], strict=True):
        assert client.get(f"/traffic/black-spots/{item.pk}/").status_code == (200 if visible else 404)
        assert client.get(f"/api/v1/traffic/black-spots/{item.pk}").status_code == (200 if visible else 404)
    listed = {x["id"] for x in client.get("/api/v1/traffic/black-spots").json()["items"]}
    assert listed == {item.pk for item, visible in zip(two, MATRIX[role], strict=True) if visible}
    page = client.get("/traffic/black-spots/").content.decode()
    assert f"共 {sum(MATRIX[role])} 处" in page


def test_enterprise_users_get_404_everywhere(traffic, two, login):
    client = login(traffic["enterprise"])
    for url in (
        "/traffic/black-spots/",
        "/traffic/black-spots/new/",
        f"/traffic/black-spots/{two[0].pk}/",
        f"/traffic/black-spots/{two[0].pk}/edit/",
        "/traffic/black-spots/progress/",
        "/traffic/school-plans/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/traffic/black-spots").json()["items"] == []
    assert client.get(f"/api/v1/traffic/black-spots/{two[0].pk}").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_out_of_scope_writes_are_404_and_change_nothing(traffic, two, login):
    client = login(traffic["other"])
    pk = two[0].pk
    assert client.post(f"/traffic/black-spots/{pk}/transition/", {"transition": "start"}).status_code == 404
    assert client.post(f"/traffic/black-spots/{pk}/edit/", {"year": 2024}).status_code == 404
    body = {"transition": "start", "measures": "x", "started_on": "2024-03-01"}
    assert (
        client.post(f"/api/v1/traffic/black-spots/{pk}/transition", body, content_type="application/json").status_code
        == 404
    )
    assert BlackSpotRectification.objects.get(listing_id=pk).status == "not_started"


def test_list_filters_and_menu(traffic, two, login):
    client = login(traffic["gafj"])
    page = client.get("/traffic/black-spots/")
    html = page.content.decode()
    assert "事故多发点段" in html and "一校一方案" in html and "行业台账" in html  # menu entries
    assert "共 1 处" in client.get("/traffic/black-spots/", {"year": 2025}).content.decode()
    assert "共 1 处" in client.get("/traffic/black-spots/", {"level": "city"}).content.decode()
    assert "共 1 处" in client.get("/traffic/black-spots/", {"q": "逸仙"}).content.decode()
    assert "共 0 处" in client.get("/traffic/black-spots/", {"status": "accepted"}).content.decode()
    assert client.get("/traffic/black-spots/", {"year": "abc", "page": "999"}).status_code == 200
    assert client.get("/api/v1/traffic/black-spots", {"year": 1990}).status_code == 422


def test_forms_list_a_point_and_make_transitions(traffic, login, today):
    client = login(traffic["gafj"])
    spot = traffic["spots"][1]
    assert client.get("/traffic/black-spots/new/").status_code == 200
    bad = client.post(
        "/traffic/black-spots/new/",
        {"site": spot.pk, "year": 2024, "level": "city", "lead_org": "", "accident_count": 2},
    )
    assert bad.status_code == 422 and not BlackSpotListing.objects.exists()
    lead = traffic["orgs"]["hk-gafj"].pk
    ok = client.post(
        "/traffic/black-spots/new/",
        {"site": spot.pk, "year": 2024, "level": "city", "lead_org": lead, "accident_count": 2},
    )
    assert ok.status_code == 302
    item = BlackSpotListing.objects.get()
    detail = client.get(f"/traffic/black-spots/{item.pk}/").content.decode()
    assert 'data-testid="transition-start"' in detail and 'data-testid="transition-accept"' not in detail
    url = f"/traffic/black-spots/{item.pk}/transition/"
    refused = client.post(url, {"transition": "start", "measures": "", "started_on": "2024-03-01", "version": 0})
    assert refused.status_code == 422 and "请填写整治措施" in refused.content.decode()
    assert BlackSpotRectification.objects.get().status == "not_started"
    wrong_state = client.post(url, {"transition": "complete", "finished_on": "2024-09-01", "version": 0})
    assert wrong_state.status_code == 422 and "当前状态为“未启动”" in wrong_state.content.decode()
    started = client.post(
        url, {"transition": "start", "measures": "增设护栏", "started_on": "2024-03-01", "version": 0}
    )
    assert started.status_code == 302
    done = client.post(url, {"transition": "complete", "finished_on": "2024-09-01", "evidence": "照片", "version": 1})
    assert done.status_code == 302
    rect = BlackSpotRectification.objects.get()
    assert (rect.status, rect.finished_on, rect.evidence) == ("completed", dt.date(2024, 9, 1), "照片")
    edit = client.post(
        f"/traffic/black-spots/{item.pk}/rectification/",
        {"measures": "增设护栏和标线", "evidence": "照片", "version": 2},
    )
    assert edit.status_code == 302 and BlackSpotRectification.objects.get().measures == "增设护栏和标线"
    leader = login(traffic["gafj_leader"])
    assert 'data-testid="transition-accept"' in leader.get(f"/traffic/black-spots/{item.pk}/").content.decode()
    accepted = leader.post(
        url, {"transition": "accept", "accepted_by": "区交安委办", "accepted_on": "2024-10-01", "version": 3}
    )
    assert accepted.status_code == 302
    detail = leader.get(f"/traffic/black-spots/{item.pk}/").content.decode()
    assert "已验收" in detail and "验收事故多发点段整治" in detail  # the change log, labelled
    edit_page = client.get(f"/traffic/black-spots/{item.pk}/edit/")
    assert edit_page.status_code == 200
    changed = client.post(
        f"/traffic/black-spots/{item.pk}/edit/",
        {"year": 2024, "level": "district", "lead_org": lead, "accident_count": 4, "change_reason": "复核"},
    )
    assert changed.status_code == 302 and BlackSpotListing.objects.get().level == "district"


def test_street_officer_may_not_list_but_may_handle(traffic, two, login, today):
    client = login(traffic["street"])
    assert client.get("/traffic/black-spots/new/").status_code == 403
    assert client.get(f"/traffic/black-spots/{two[0].pk}/edit/").status_code == 403
    response = client.post(
        f"/traffic/black-spots/{two[0].pk}/transition/",
        {"transition": "start", "measures": "标线", "started_on": "2024-03-01"},
    )
    assert response.status_code == 302
    readonly_listing = login(traffic["gafj"])  # sanity: the owner sees the change
    assert "整治中" in readonly_listing.get(f"/traffic/black-spots/{two[0].pk}/").content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_api_create_update_transition_and_idempotency(traffic, login, today):
    client = login(traffic["gafj"])
    body = {
        "site_id": traffic["spots"][0].pk,
        "year": 2024,
        "level": "district",
        "accident_count": 5,
        "lead_org_id": traffic["orgs"]["hk-gafj"].pk,
        "reason": "事故多发",
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": "traffic-create-1"}
    created = client.post("/api/v1/traffic/black-spots", body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    again = client.post("/api/v1/traffic/black-spots", body, content_type="application/json", **headers)
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    assert BlackSpotListing.objects.count() == 1
    pk = created.json()["id"]
    assert created.json()["transitions"] == ["start"] and created.json()["rectification"]["status"] == "not_started"

    patched = client.patch(f"/api/v1/traffic/black-spots/{pk}", {"accident_count": 6}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["accident_count"] == 6
    moved = client.post(
        f"/api/v1/traffic/black-spots/{pk}/transition",
        {"transition": "start", "measures": "增设隔离栏", "started_on": "2024-02-01", "expected_version": 0},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["rectification"]["status"] == "in_progress"
    conflict = client.post(
        f"/api/v1/traffic/black-spots/{pk}/transition",
        {"transition": "accept", "accepted_by": "x", "accepted_on": "2024-03-01"},
        content_type="application/json",
    )
    assert conflict.status_code == 409 and "不能验收" in conflict.json()["message"]
    rect = client.patch(
        f"/api/v1/traffic/black-spots/{pk}/rectification", {"evidence": "施工照片"}, content_type="application/json"
    )
    assert rect.status_code == 200 and rect.json()["rectification"]["evidence"] == "施工照片"

    page = client.get("/api/v1/traffic/black-spots", {"limit": 1}).json()
    assert [x["id"] for x in page["items"]] == [pk] and page["next_cursor"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"year": 2014},
        {"level": "province"},
        {"accident_count": -1},
        {"reason": "x" * 301},
        {"unknown": 1},
        {"site_id": 0},
        {"year": "二〇二四"},
    ],
)
def test_api_bad_input_is_422_and_nothing_changes(traffic, login, change, today):
    client = login(traffic["gafj"])
    body = {
        "site_id": traffic["spots"][0].pk,
        "year": 2024,
        "level": "district",
        "lead_org_id": traffic["orgs"]["hk-gafj"].pk,
        **change,
    }
    response = client.post("/api/v1/traffic/black-spots", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["message"]
    assert not BlackSpotListing.objects.exists()


def test_api_transition_bad_dates_are_422(traffic, two, login, today):
    client = login(traffic["admin"])
    url = f"/api/v1/traffic/black-spots/{two[0].pk}/transition"
    for body in (
        {"transition": "start", "measures": "x", "started_on": "2028-01-01"},
        {"transition": "start", "measures": "x"},
        {"transition": "launch"},
    ):
        assert client.post(url, body, content_type="application/json").status_code == 422, body
    assert BlackSpotRectification.objects.get(listing=two[0]).status == "not_started"


def test_api_school_plans(traffic, login, today):
    client = login(traffic["gafj"])
    body = {"site_id": traffic["schools"][0].pk, "school_year": 2026, "guard_posts": "护学岗"}
    created = client.post(
        "/api/v1/traffic/school-plans", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    bad = client.patch(f"/api/v1/traffic/school-plans/{pk}", {"status": "implemented"}, content_type="application/json")
    assert bad.status_code == 422
    assert client.get(f"/api/v1/traffic/school-plans/{pk}").json()["status"] == "drafting"
    ok = client.patch(
        f"/api/v1/traffic/school-plans/{pk}",
        {
            "status": "implemented",
            "traffic_facilities": "标线",
            "pickup_order": "即停即走",
            "police_name": "刘警官",
            "reviewed_on": "2026-09-05",
        },
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "implemented" and ok.json()["version"] == 1
    listed = client.get("/api/v1/traffic/school-plans", {"status": "implemented"}).json()["items"]
    assert [p["id"] for p in listed] == [pk]
    assert login(traffic["other"]).get(f"/api/v1/traffic/school-plans/{pk}").status_code == 404
    future = {"site_id": traffic["schools"][1].pk, "school_year": 2026, "reviewed_on": "2027-02-01"}
    assert client.post("/api/v1/traffic/school-plans", future, content_type="application/json").status_code == 422
