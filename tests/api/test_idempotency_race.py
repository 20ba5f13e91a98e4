"""``Idempotency-Key``: parallel requests with one key act exactly once; a
request that fails releases the key; a claim held by a live request is a 409."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client, RequestFactory
from django.utils import timezone

from zhiben.accounts.services import token_create
from zhiben.api.idempotency import idempotent
from zhiben.api.models import IdempotencyRecord, IdempotencyState
from zhiben.hazards.models import Hazard
from zhiben.hazards.reference import load_files

THREADS = 8


def _payload(units, orgs, title="消防通道堵塞"):
    return {
        "sector": "commerce",
        "category": "fire-tdzd",
        "source": "supervision",
        "found_on": "2026-10-01",
        "title": title,
        "description": "一层消防车道被占用",
        "unit_id": units["commerce"].pk,
        "owner_id": orgs["hk-swj"].pk,
    }


def _post(client, payload, key=None, token=None):
    headers = {}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post("/api/v1/hazards", data=payload, content_type="application/json", **headers)


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_with_one_key_create_exactly_one_hazard(users, orgs, units):
    """8 threads POST the same hazard with one key at once (SQLite and
    PostgreSQL): one 201 acts, the others get the replay or 409."""
    load_files()
    _, token = token_create(actor=users["officer"], name="race", days=1)
    payload = _payload(units, orgs)
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict, bool]] = []
    lock = threading.Lock()

    def worker():
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = _post(client, payload, key="race-key-1", token=token)
            with lock:
                results.append((response.status_code, response.json(), response.has_header("Idempotent-Replay")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(results) == THREADS
    assert Hazard.objects.count() == 1
    hazard = Hazard.objects.get()
    acted = [body for status, body, replay in results if status == 201 and not replay]
    assert len(acted) == 1 and acted[0]["id"] == hazard.pk
    for status, body, _replay in results:
        if status == 201:
            assert body["id"] == hazard.pk
        else:
            assert status == 409 and body["code"] == "idempotency_in_progress", body
            assert "处理中" in body["message"]
    # Afterwards the key replays the stored response.
    again = _post(Client(), payload, key="race-key-1", token=token)
    assert again.status_code == 201 and again["Idempotent-Replay"] == "true"
    assert again.json()["id"] == hazard.pk
    assert Hazard.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="race-key-1")
    assert record.state == IdempotencyState.DONE and record.status == 201


@pytest.mark.django_db
def test_a_failed_request_releases_the_key(users, orgs, units, login):
    load_files()
    client = login(users["officer"])
    bad = _post(client, {**_payload(units, orgs), "category": "nonsense"}, key="k-fail")
    assert bad.status_code == 422
    assert not IdempotencyRecord.objects.filter(key="k-fail").exists()
    good = _post(client, _payload(units, orgs), key="k-fail")
    assert good.status_code == 201, good.content
    assert Hazard.objects.count() == 1


@pytest.mark.django_db
def test_an_exception_releases_the_key(users):
    request = RequestFactory().post("/api/v1/x", HTTP_IDEMPOTENCY_KEY="k-boom")
    request.auth = users["officer"]

    @idempotent
    def view(request):
        assert IdempotencyRecord.objects.get(key="k-boom").state == IdempotencyState.PENDING
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        view(request)
    assert not IdempotencyRecord.objects.filter(key="k-boom").exists()


@pytest.mark.django_db
def test_a_key_being_processed_is_409_and_nothing_is_created(users, orgs, units, login):
    load_files()
    IdempotencyRecord.objects.create(
        user=users["officer"], key="k-busy", method="POST", path="/api/v1/hazards", state=IdempotencyState.PENDING
    )
    response = _post(login(users["officer"]), _payload(units, orgs), key="k-busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert response.json()["message"] == "相同幂等键的请求正在处理中，请稍后重试"
    assert not Hazard.objects.exists()


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over(users, orgs, units, login):
    """A claim whose worker died (kill -9) does not block the key forever."""
    load_files()
    record = IdempotencyRecord.objects.create(
        user=users["officer"], key="k-dead", method="POST", path="/api/v1/hazards", state=IdempotencyState.PENDING
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(hours=1))
    response = _post(login(users["officer"]), _payload(units, orgs), key="k-dead")
    assert response.status_code == 201, response.content
    assert Hazard.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="k-dead").state == IdempotencyState.DONE


@pytest.mark.django_db
def test_keys_are_per_user(users, orgs, units, login):
    load_files()
    first = _post(login(users["officer"]), _payload(units, orgs), key="shared")
    second = _post(
        login(users["leader"]), {**_payload(units, orgs, title="另一条隐患"), "allow_duplicate": True}, key="shared"
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
