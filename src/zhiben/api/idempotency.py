"""``Idempotency-Key`` support for write endpoints.

Usage in a router::

    @router.post("/hazards/{pk}/confirm")
    @idempotent
    def confirm(request, pk: int, payload: ConfirmIn): ...

The first successful (2xx) response for (user, key) is stored; a retry with
the same key and path returns it unchanged (header ``Idempotent-Replay: true``)
without acting again. Reusing a key for another path is a 422.
"""

from __future__ import annotations

import functools
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from ninja.responses import Status

from zhiben.core.errors import ValidationFailed

from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = JsonResponse(record.body, status=record.status, safe=False)
    response["Idempotent-Replay"] = "true"
    return response


def idempotent(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 100:
            raise ValidationFailed("Idempotency-Key 不能超过100个字符", details={"Idempotency-Key": "过长"})
        user = request.auth
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is not None:
            if existing.path != request.path or existing.method != request.method:
                raise ValidationFailed("该 Idempotency-Key 已用于其他请求", details={"Idempotency-Key": "已被使用"})
            return _replay(existing)
        result = view(request, *args, **kwargs)
        status, body = 200, result
        if isinstance(result, Status):
            status, body = result.status_code, result.value
        if isinstance(result, HttpResponse):
            return result
        from .base import api

        rendered = api.create_response(request, body, status=status)
        if 200 <= status < 300:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        status=status,
                        body=json.loads(rendered.content or b"null"),
                    )
            except IntegrityError:
                pass  # a concurrent identical request stored it first
        return rendered

    return wrapper
