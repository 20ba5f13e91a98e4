"""Shared fixtures: the real reference organizations, one user per role and
helpers to log in and call the API."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from zhiben.core.testing import make_uscc, make_user
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User
from zhiben.org.services import organizations_load_file
from zhiben.registry.models import Unit

# Property tests explore new random inputs on every local run (and a failure found is replayed from
# .hypothesis/ until fixed); in CI (CI=true, set by .ci/run) they run a fixed sequence, so that the
# gate passes or fails the same way for the same commit. New bugs are found locally, fixed with a
# regression test.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def orgs(db) -> dict[str, Organization]:
    """The reference organization tree from data/organizations.yaml, by code."""
    organizations_load_file()
    return {o.code: o for o in Organization.objects.all()}


@pytest.fixture
def units(orgs) -> dict[str, Unit]:
    """Two units: one supervised by 区商务委 in 北外滩, one by 区建管委 in 江湾镇."""
    return {
        "commerce": Unit.objects.create(
            name="北外滩商场", uscc=make_uscc(1), street=orgs["hk-bwt"], owner=orgs["hk-swj"]
        ),
        "construction": Unit.objects.create(
            name="江湾工地", uscc=make_uscc(2), street=orgs["hk-jwz"], owner=orgs["hk-jgw"]
        ),
    }


@pytest.fixture
def users(orgs, units) -> dict[str, User]:
    """One user per role (department users in 区商务委 and its 市场管理科)."""
    return {
        "admin": make_user("t_admin", Role.DISTRICT_ADMIN, orgs["hk-awb"]),
        "leader": make_user("t_leader", Role.DEPT_LEADER, orgs["hk-swj"]),
        "officer": make_user("t_officer", Role.DEPT_OFFICER, orgs["hk-swj"]),
        "section": make_user("t_section", Role.DEPT_OFFICER, orgs["hk-swj-scglk"]),
        "street": make_user("t_street", Role.STREET_OFFICER, orgs["hk-bwt"]),
        "enterprise": make_user("t_enterprise", Role.ENTERPRISE, orgs["hk-swj"], unit=units["commerce"]),
        "expert": make_user("t_expert", Role.EXPERT, orgs["hk-jgw"]),
        "readonly": make_user("t_readonly", Role.READONLY, orgs["hk-sthjj"]),
    }


@pytest.fixture
def login():
    """login(user) -> a Client with a logged-in session."""

    def _login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def browser_required() -> bool:
    return os.environ.get("ZHIBEN_REQUIRE_BROWSER") == "1"


@pytest.fixture
def task_worker(transactional_db):
    """A task worker (the database queue, every queue) in a thread of the test process for the
    duration of the test, as `zhiben worker` runs one in a process of its own."""
    import threading

    from django.db import connections

    from zhiben.core import background

    worker = background.make_worker(["*"], interval=0.05)

    def work():
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="test-task-worker", daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(60)
