"""The campaign page tells its 检查对象条件 in words, not as a Python dict
(issue 9, item 7)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_campaign_page_describes_its_target_in_words(make_campaign, sites, users, orgs, login):
    campaign = make_campaign(
        target={
            "site_types": ["commercial_complex", "farmers_market"],
            "streets": ["hk-bwt"],
            "owner": "hk-swj",
            "sites": [sites["mall"].pk],
        }
    )
    html = login(users["officer"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    start = html.index('data-testid="campaign-target"')
    shown = html[start : html.index("</dd>", start)]
    assert "{" not in shown and "site_types" not in shown and "&#x27;" not in shown
    assert "商业综合体" in shown and "农贸市场" in shown
    assert "街道：北外滩街道" in shown
    assert "负责部门：区商务委（含下级）" in shown
    assert sites["mall"].name in shown
