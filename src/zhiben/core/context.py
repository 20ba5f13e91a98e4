"""Per-request context (request id, client IP, actor) for code far from the view.

The audit trail reads these so that service functions need not be handed the
request. Management commands and tests get a fresh request id per call of
`use_context`.
"""

from __future__ import annotations

import contextvars
import ipaddress
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("zhiben_request", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current() -> RequestContext:
    """The context of the request (or command) being served."""
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext(request_id=new_request_id())
        _current.set(ctx)
    return ctx


@contextmanager
def use_context(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def client_ip_from_request(request: HttpRequest) -> str | None:
    """The client's IP address.

    REMOTE_ADDR is trusted; X-Forwarded-For is only honoured when the
    deployment says a proxy sits in front (ZHIBEN_TRUSTED_PROXY_COUNT > 0).
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "ZHIBEN_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    if remote:
        try:
            ipaddress.ip_address(remote)
        except ValueError:
            return None
    return remote
