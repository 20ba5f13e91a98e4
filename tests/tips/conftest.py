"""Fixtures of the tips tests: reference data, a site owned by 区商务委 in
北外滩, photo factories, tip factories and a clean rate-limit cache."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files
from zhiben.registry.models import Sector, Site, SiteType
from zhiben.tips import services
from zhiben.tips.choices import TipChannel

NAME = "举报人王小明"
PHONE = "13912345678"
NAME_B = "举报人李大山"
PHONE_B = "13787654321"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reference(orgs):
    load_files()
    return {
        "commerce": Sector.objects.get(code="commerce"),
        "fire_category": HazardCategory.objects.get(code="fire-tdzd"),
    }


@pytest.fixture
def site(reference, orgs, units) -> Site:
    site_type = SiteType.objects.create(code="t-mall", name="测试商场", sector=reference["commerce"])
    return Site.objects.create(
        public_code="CS-TEST2345",
        name="北外滩商场B1",
        site_type=site_type,
        unit=units["commerce"],
        address="东大名路1号",
        street=orgs["hk-bwt"],
        owner=orgs["hk-swj"],
    )


def photo(name: str = "p.jpg", color=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def submit(site):
    """submit(**data) -> (tip, code): a public tip (by default at the site, with contact)."""

    def make(actor=None, photos=(), **overrides):
        data = {
            "channel": TipChannel.WEB,
            "text": "地下一层消防通道被杂物堵塞，无法通行",
            "place": "",
            "street": None,
            "site": site,
            "reporter_name": NAME,
            "reporter_phone": PHONE,
        }
        data.update(overrides)
        return services.tip_submit(actor=actor, data=data, photos=list(photos))

    return make


@pytest.fixture
def street_tip(submit, orgs):
    """A tip with no site in 北外滩: routed to the 街道 itself."""
    return submit(
        site=None, street=orgs["hk-bwt"], place="四川北路某小区", reporter_name=NAME_B, reporter_phone=PHONE_B
    )


@pytest.fixture
def more_handlers(orgs):
    from zhiben.core.testing import make_user
    from zhiben.org.choices import Role

    return {"jgw_officer": make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs["hk-jgw"])}


@pytest.fixture
def make_existing(users, reference, units, orgs, site):
    """An open hazard at the site with the same text as the default tip."""
    from django.utils import timezone

    from zhiben.hazards import services as hazard_services

    def make():
        return hazard_services.hazard_create(
            actor=users["admin"],
            data={
                "site": site,
                "sector": reference["commerce"],
                "category": reference["fire_category"],
                "source": "supervision",
                "found_on": timezone.localdate(),
                "title": "消防通道堵塞",
                "description": "地下一层消防通道被杂物堵塞，无法通行",
                "unit": units["commerce"],
                "owner": orgs["hk-swj"],
            },
        )

    return make
