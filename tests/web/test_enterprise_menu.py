"""An enterprise user's menu shows what an enterprise does; the government
pages refuse it with a plain Chinese message (issue 9, item 7)."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.web.navigation import menu_for

pytestmark = pytest.mark.django_db

GOVERNMENT_ENTRIES = {
    "行动方案",
    "我的任务",
    "月度报送",
    "合规日历",
    "网格",
    "组织机构",
    "监管盲区",
    "高风险清单",
    "排查轮次",
    "检查表",
    "挂牌督办",
    "回头看",
}
ENTERPRISE_ENTRIES = {
    "工作台",
    "我的消息",
    "隐患台账",
    "检查记录",
    "企业自查",
    "生产经营单位",
    "场所与点位",
    "有限空间",
}
GOVERNMENT_PAGES = [
    "/plans/",
    "/plan-tasks/",
    "/plan-reports/",
    "/plan-calendar/",
    "/grids/",
    "/organizations/",
    "/registry/blind-spots/",
    "/registry/high-risk/",
    "/campaigns/",
]


def _labels(user) -> set[str]:
    return {item["label"] for group in menu_for(user, "/workspace/") for item in group["items"]}


def test_enterprise_menu_lists_what_an_enterprise_does(users):
    labels = _labels(users["enterprise"])
    assert labels == ENTERPRISE_ENTRIES
    assert not labels & GOVERNMENT_ENTRIES


@pytest.mark.parametrize("role", ["admin", "leader", "officer", "section", "street", "expert", "readonly"])
def test_government_menus_keep_the_supervision_pages(users, role):
    labels = _labels(users[role])
    assert {"行动方案", "月度报送", "网格", "组织机构", "监管盲区"} <= labels


def test_enterprise_html_menu_and_workspace(users, login):
    html = login(users["enterprise"]).get("/workspace/").content.decode()
    for label in ("行动方案", "网格", "组织机构", "监管盲区", "月度报送"):
        assert label not in html, label
    assert "本单位" in html and users["enterprise"].active_memberships()[0].unit.name in html


def test_government_pages_refuse_an_enterprise_user_in_chinese(users, login):
    client = login(users["enterprise"])
    for url in GOVERNMENT_PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert "该页面供区安委办、行业部门和街道使用" in html, url
        assert "Traceback" not in html and "data/" not in html
    denied = AuditEvent.objects.filter(action="access.denied", actor=users["enterprise"]).count()
    assert denied == len(GOVERNMENT_PAGES)


@pytest.mark.parametrize("role", ["officer", "street", "readonly"])
def test_government_pages_open_for_government_roles(users, login, role):
    client = login(users[role])
    for url in GOVERNMENT_PAGES:
        assert client.get(url).status_code == 200, url


def test_blind_spots_page_shows_no_developer_path(users, login):
    html = login(users["admin"]).get("/registry/blind-spots/").content.decode()
    assert "ownership.yaml" not in html and "data/" not in html


def test_pages_about_one_government_object_are_404_for_an_enterprise(users, orgs, login):
    own_department = users["enterprise"].active_memberships()[0].organization
    response = login(users["enterprise"]).get(f"/organizations/{own_department.pk}/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    assert login(users["officer"]).get(f"/organizations/{own_department.pk}/").status_code == 200
