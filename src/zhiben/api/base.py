"""The API object, authentication, the one error shape and pagination.

Every error answers ``{"code": str, "message": str, "details": any}``.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import ConfigDict

from zhiben.core import context
from zhiben.core.errors import ServiceError

logger = logging.getLogger(__name__)


class InvalidJSON(Exception):
    pass


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest):
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidJSON(str(exc)) from exc


class TokenAuth(HttpBearer):
    """``Authorization: Bearer zb_<key>_<secret>`` (a personal access token)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        from zhiben.accounts.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session (CSRF-checked for unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class StrictSchema(Schema):
    """Input schemas reject unknown fields (422)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


api = NinjaAPI(
    title="治本 Zhiben API",
    version="1",
    description="虹口区安全生产治本攻坚三年行动工作平台接口。浏览器使用登录会话；程序使用个人访问令牌（Bearer）。",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    parser=StrictJSONParser(),
    docs_decorator=login_required,
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, message: str, details: Any = None):
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


def _field_name(loc) -> str:
    """("body", "payload", "role") -> "role"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] or parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = [
        {"field": _field_name(e.get("loc", [])), "message": e.get("msg"), "type": e.get("type")} for e in exc.errors
    ]
    return error_response(request, 422, "validation_failed", "请求参数有误", details)


@api.exception_handler(InvalidJSON)
def _invalid_json(request, exc: InvalidJSON):
    return error_response(request, 400, "invalid_json", "请求体不是合法的 JSON", None)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", "请先登录或提供有效的访问令牌")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400 and isinstance(exc.__cause__, InvalidJSON):
        return error_response(request, 400, "invalid_json", "请求体不是合法的 JSON")
    if exc.status_code == 400:
        return error_response(request, 400, "bad_request", "请求有误", str(exc))
    if exc.status_code == 429:
        return error_response(request, 429, "throttled", "请求过于频繁，请稍后再试")
    return error_response(request, exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", "对象不存在或您无权访问")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error_response(request, 403, "permission_denied", "您没有执行此操作的权限")


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error", exc_info=exc)
    return error_response(
        request, 500, "server_error", "服务器内部错误，请联系管理员", {"request_id": context.current().request_id}
    )


# --- Cursor pagination -----------------------------------------------------------------


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ServiceError("分页游标无效", code="invalid_cursor") from None


def paginate_by_id(
    qs,
    *,
    cursor: str | None,
    limit: int,
    descending: bool = False,
    ids_first: bool = False,
    hide_pk_order: bool = False,
) -> tuple[list, str | None]:
    """Keyset pagination on the primary key: constant cost at any depth.

    ``ids_first``: select the page's ids with a narrow query (no joins, no
    prefetches), then load those rows. Worth it when the rows are wide and
    the filters select many rows: the database then sorts ids, not joined
    rows (bench/RESULTS.md). One query more, whatever the page size.

    ``hide_pk_order``: order the id query by ``pk + 0`` so that PostgreSQL
    does not walk the primary key backwards through a filtered range; it then
    uses the filter's index and sorts the (few) matching ids.
    """
    limit = max(1, min(limit, 500))
    after = decode_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after) if descending else qs.filter(pk__gt=after)
    order = "-pk" if descending else "pk"
    if not ids_first:
        rows = list(qs.order_by(order)[: limit + 1])
        next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
        return rows[:limit], next_cursor
    id_order = order
    if hide_pk_order:
        id_order = (F("pk") + 0).desc() if descending else (F("pk") + 0).asc()
    ids = list(qs.order_by(id_order).values_list("pk", flat=True)[: limit + 1])
    rows = list(qs.filter(pk__in=ids[:limit]).order_by(order)) if ids else []
    next_cursor = encode_cursor(ids[limit - 1]) if len(ids) > limit else None
    return rows, next_cursor
