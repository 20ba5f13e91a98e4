"""A zero in 重大隐患存量剩余 is good news, not red (issue 9, item 7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from zhiben.hazards import services
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Sector

pytestmark = pytest.mark.django_db


def _stock_figure(html: str) -> tuple[str, str]:
    match = re.search(r'<div class="value ([^"]*)" data-testid="major-stock-remaining">\s*(\d+)', html)
    assert match, html
    return match.group(1), match.group(2)


def test_zero_major_stock_is_not_red_and_a_remaining_one_is(users, units, orgs, login):
    load_files()
    client = login(users["admin"])
    classes, value = _stock_figure(client.get("/hazards/figures/").content.decode())
    assert value == "0" and "text-danger" not in classes

    services.hazard_create(
        actor=users["admin"],
        data={
            "sector": Sector.objects.get(code="commerce"),
            "category": HazardCategory.objects.get(code="fire-tdzd"),
            "level": "major",
            "source": "supervision",
            "difficulty": "hard",
            "found_on": dt.date(2023, 6, 1),
            "title": "商场消防设施长期损坏",
            "description": "自动喷水灭火系统瘫痪",
            "unit": units["commerce"],
            "owner": orgs["hk-swj"],
            "deadline_kind": "date",
        },
        allow_duplicate=True,
    )
    classes, value = _stock_figure(client.get("/hazards/figures/").content.decode())
    assert value == "1" and "text-danger" in classes


def test_zero_overdue_is_not_red_on_the_workspace_or_the_figures(users, login):
    client = login(users["admin"])
    workspace = client.get("/", follow=True).content.decode()
    panel = re.search(r'<a class="([^"]*)" href="[^"]*\?overdue=true" data-testid="panel-overdue">', workspace)
    assert panel and "text-danger" not in panel.group(1), workspace
    figures = client.get("/hazards/figures/").content.decode()
    overdue = re.search(r'<span class="([^"]*)" data-testid="overdue">0</span>', figures)
    assert overdue and "text-danger" not in overdue.group(1), figures
