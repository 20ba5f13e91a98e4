"""``Idempotency-Key`` support for write endpoints.

Usage in a router::

    @router.post("/hazards/{pk}/confirm")
    @idempotent
    def confirm(request, pk: int, payload: ConfirmIn): ...

Before the view acts, the key is *claimed*: an ``IdempotencyRecord`` in state
``pending`` is inserted in its own transaction, and the unique constraint on
(user, key) lets exactly one of several parallel requests win. The winner runs
the view; a 2xx response is stored on the record (state ``done``) and every
later request with the key gets it unchanged (header ``Idempotent-Replay:
true``) without acting again. A request arriving while the winner still works
gets 409 ``idempotency_in_progress``. When the view fails (an exception or a
non-2xx answer) the claim is released, so a retry with the same key acts.

A claim older than ``CLAIM_TIMEOUT`` (its worker died) may be taken over.
Reusing a key for another path or method is a 422.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja.responses import Status

from zhiben.core.errors import ConflictError, ValidationFailed

from .models import IdempotencyRecord, IdempotencyState

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 100
CLAIM_TIMEOUT = timedelta(minutes=10)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = JsonResponse(record.body, status=record.status, safe=False)
    response["Idempotent-Replay"] = "true"
    return response


def _claim(request, user, key: str) -> IdempotencyRecord | HttpResponse:
    """Insert the pending record (committed at once, so parallel requests see
    it) and return it; or the stored response when the key was used."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user, key=key, method=request.method, path=request.path, state=IdempotencyState.PENDING
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is None:  # released between our insert and this read: the caller may retry
        raise ConflictError("相同幂等键的请求刚刚处理失败，请重试", code="idempotency_in_progress")
    if existing.path != request.path or existing.method != request.method:
        raise ValidationFailed("该 Idempotency-Key 已用于其他请求", details={"Idempotency-Key": "已被使用"})
    if existing.state == IdempotencyState.DONE:
        return _replay(existing)
    now = timezone.now()
    if existing.created_at < now - CLAIM_TIMEOUT:
        # The worker that claimed it is gone: take the claim over (only one
        # taker wins the conditional update).
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, state=IdempotencyState.PENDING, created_at=existing.created_at
        ).update(created_at=now)
        if taken:
            existing.created_at = now
            return existing
    raise ConflictError("相同幂等键的请求正在处理中，请稍后重试", code="idempotency_in_progress")


def _release(claim: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=claim.pk, state=IdempotencyState.PENDING, created_at=claim.created_at).delete()


def _finish(claim: IdempotencyRecord, status: int, body) -> None:
    IdempotencyRecord.objects.filter(pk=claim.pk, state=IdempotencyState.PENDING, created_at=claim.created_at).update(
        state=IdempotencyState.DONE, status=status, body=body
    )


def _operation(wrapper):
    """The Ninja operation whose view is ``wrapper`` (found once, then kept)."""
    if not hasattr(wrapper, "_operation"):
        from .base import api

        wrapper._operation = next(
            (
                operation
                for _, router in api._routers
                for path_view in router.path_operations.values()
                for operation in path_view.operations
                if operation.view_func is wrapper
            ),
            None,
        )
        if wrapper._operation is not None and wrapper._operation.api is None:
            # Ninja binds copies of the routers it mounts; the original operation
            # has the same schemas and only lacks the API it renders with.
            wrapper._operation.api = api
    return wrapper._operation


def _render(wrapper, request, result) -> HttpResponse:
    """The response Ninja would send for ``result``: through the operation's
    response schema (a view may return model instances; only the schema's
    fields are sent and stored)."""
    if isinstance(result, HttpResponse):
        return result
    from .base import api

    operation = _operation(wrapper)
    if operation is not None:
        return operation._result_to_response(request, result, api.create_temporal_response(request))
    status, body = 200, result
    if isinstance(result, Status):
        status, body = result.status_code, result.value
    return api.create_response(request, body, status=status)


def idempotent(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        user = getattr(request, "auth", None)
        if not key or user is None or not getattr(user, "is_authenticated", False):
            return view(request, *args, **kwargs)  # keys are per user: nothing to claim without one
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed("Idempotency-Key 不能超过100个字符", details={"Idempotency-Key": "过长"})
        claim = _claim(request, user, key)
        if isinstance(claim, HttpResponse):
            return claim
        try:
            result = view(request, *args, **kwargs)
        except BaseException:
            _release(claim)
            raise
        rendered = _render(wrapper, request, result)
        stored = None
        if 200 <= rendered.status_code < 300 and rendered.get("Content-Type", "").startswith("application/json"):
            try:
                stored = json.loads(rendered.content or b"null")
            except ValueError:
                stored = None
        if stored is None and rendered.status_code != 204:
            _release(claim)
        else:
            _finish(claim, rendered.status_code, stored)
        return rendered

    wrapper.honours_idempotency_key = True  # read by api.base to declare the header in OpenAPI
    return wrapper
