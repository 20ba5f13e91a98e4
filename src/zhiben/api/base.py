"""The API object, authentication, the one error shape, the input types and
pagination.

Every error answers ``{"code": str, "message": str, "details": any}``, and every
operation declares the error statuses it may answer (``ERROR_STATUSES``) with
that shape in the OpenAPI schema.

Input bounds live here once, as annotated types every input schema uses:
``Text(n)`` (at most n characters, no NUL, no lone surrogate), ``Id``
(a positive 64-bit integer), ``Day()`` (a date from 2000-01-01, optionally
not after today), ``Limit``. ``filter_query(FilterSet)`` turns a django-filter
set into a query schema, so the list filters are declared and bounded too.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import logging
from decimal import Decimal
from typing import Annotated, Any, Literal

import django_filters
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.db.models import F
from django.http import Http404, HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from zhiben.core import context
from zhiben.core.errors import ServiceError, ValidationFailed
from zhiben.core.validators import text_problem

logger = logging.getLogger(__name__)


class InvalidJSON(Exception):
    pass


class InvalidText(Exception):
    """A string in the body that no database stores (NUL, lone surrogate)."""

    def __init__(self, field: str, problem: str):
        super().__init__(problem)
        self.field = field
        self.problem = problem


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_strings(value, path: str = "") -> None:
    """Walk a parsed body: every key and string must be storable text."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise InvalidText(path, problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem:
                raise InvalidText(f"{path}.{key!a}".lstrip("."), problem)
            _check_strings(item, f"{path}.{key}".lstrip("."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}.{index}".lstrip("."))


class StrictJSONParser(Parser):
    """Plain JSON only (no NaN/Infinity), and text a database can store."""

    def parse_body(self, request: HttpRequest):
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
            _check_strings(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidJSON(str(exc)) from exc
        return data


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


# --- Input types: every bound in one place ---------------------------------------------

BIGINT_MAX = 2**63 - 1
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# Limits for TextFields (the model has none): a description, a note, a reason.
LONG_TEXT = 5000
NO_NUL = r"^[^\u0000]*$"  # declared for clients and fuzzers; the validator also refuses lone surrogates


def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise PydanticCustomError("invalid_text", problem)
    return value


@functools.cache
def Text(max_length: int = LONG_TEXT, *, min_length: int = 0) -> Any:
    """A string of at most ``max_length`` characters, storable on every database."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": NO_NUL}),
        AfterValidator(_clean_text),
    ]


Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
Limit = Annotated[int, Field(ge=1, le=500)]
Cursor = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")]  # empty: the first page
Version = Annotated[int, Field(ge=0, le=BIGINT_MAX)]


def _date_in_range(value: dt.date, *, past_only: bool) -> dt.date:
    if value < EARLIEST_DATE or value > LATEST_DATE:
        raise PydanticCustomError(
            "date_out_of_range",
            "日期应在 {earliest} 至 {latest} 之间",
            {"earliest": str(EARLIEST_DATE), "latest": str(LATEST_DATE)},
        )
    if past_only and value > timezone.localdate():
        raise PydanticCustomError("date_in_future", "日期不能晚于今天")
    return value


_day = Annotated[dt.date, AfterValidator(functools.partial(_date_in_range, past_only=False))]
_past_day = Annotated[dt.date, AfterValidator(functools.partial(_date_in_range, past_only=True))]


def Day(*, past_only: bool = False) -> Any:
    """A date from 2000-01-01 to 2100-12-31; ``past_only``: not after today (发现日期)."""
    return _past_day if past_only else _day


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise PydanticCustomError("local_time", "请填写北京时间的时:分（如 09:30），不带时区")
    return value.replace(second=0, microsecond=0)


_TIME_SCHEMA = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}

LocalTime = Annotated[
    dt.time,
    AfterValidator(_local_time),
    WithJsonSchema({**_TIME_SCHEMA, "description": "北京时间 时:分（HH:MM）"}),
]
"""An input wall-clock time of day in Asia/Shanghai, "HH:MM" (JSON Schema's "time"
format would demand a UTC offset, which a 作业时间 written on a permit does not have)."""

LocalTimeOut = Annotated[
    dt.time,
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({**_TIME_SCHEMA, "description": "北京时间 时:分（HH:MM）"}),
]
"""The same time in a response: "HH:MM"."""


def Money(max_digits: int = 10, decimal_places: int = 2) -> Any:
    return Annotated[Decimal, Field(ge=0, max_digits=max_digits, decimal_places=decimal_places, allow_inf_nan=False)]


def _filter_type(f: django_filters.Filter) -> Any:
    """The query type of one django-filter filter."""
    choices = f.extra.get("choices")
    if callable(choices):
        choices = choices()
    values = tuple(str(value) for value, _ in choices or () if value not in ("", None))
    if isinstance(f, django_filters.MultipleChoiceFilter) and values:
        return list[Literal[values]]
    if isinstance(f, django_filters.ChoiceFilter) and values:
        return Literal[values]
    if isinstance(f, django_filters.BooleanFilter):
        return bool
    if isinstance(f, django_filters.DateFilter):
        return Day()
    if isinstance(f, django_filters.NumberFilter):
        return Annotated[int, Field(ge=f.extra.get("min_value", -BIGINT_MAX), le=f.extra.get("max_value", BIGINT_MAX))]
    if isinstance(f, django_filters.ModelMultipleChoiceFilter):
        return list[Id] if not f.extra.get("to_field_name") else list[Text(100)]
    if isinstance(f, django_filters.ModelChoiceFilter):
        return Id if not f.extra.get("to_field_name") else Text(100)
    return Text(f.extra.get("max_length") or 200)


def filter_query(filterset_class: type[django_filters.FilterSet], **overrides: Any) -> type[Schema]:
    """A query schema declaring (and bounding) every filter of a FilterSet.

    The endpoint takes it as ``filters: Query[filter_query(TheFilterSet)]`` so the
    OpenAPI schema lists each filter; the FilterSet still does the filtering.
    ``overrides``: name -> type, for a filter whose bound its owner decides.
    """
    fields: dict[str, Any] = {}
    for name, f in filterset_class.base_filters.items():
        kind = overrides.get(name) or _filter_type(f)
        fields[name] = (kind | None, Field(None, description=str(f.label or name)))
    return create_model(f"{filterset_class.__name__}Query", __base__=Schema, **fields)


def valid_filterset(request, filterset_class: type[django_filters.FilterSet], queryset, **kwargs: Any):
    """The list endpoint's FilterSet over the request's query string (the cursor
    and limit left out), validated: a 422 names every bad filter. ``kwargs`` go
    to the FilterSet (``user=request.auth``, ``today=`` …)."""
    params = QueryDict(mutable=True)
    params.update(request.GET)
    for key in ("cursor", "limit"):
        params.pop(key, None)
    filterset = filterset_class(params, queryset=queryset, **kwargs)
    if not filterset.is_valid():
        raise ValidationFailed("筛选条件有误", details={k: [str(e) for e in v] for k, v in filterset.errors.items()})
    return filterset


def filtered(request, filterset_class: type[django_filters.FilterSet], queryset, **kwargs: Any):
    """:func:`valid_filterset`'s filtered queryset."""
    return valid_filterset(request, filterset_class, queryset, **kwargs).qs


ERROR_STATUSES = {
    400: "请求有误（如请求体不是合法的 JSON）",
    401: "未登录或访问令牌无效",
    403: "无权执行此操作",
    404: "对象不存在或无权访问",
    409: "与当前状态冲突（版本、重复、状态流转）",
    413: "请求体过大",
    422: "参数校验失败",
    429: "请求过于频繁",
    503: "系统繁忙（数据库正被其他写入占用），未做任何修改，请稍后重试",
}


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "幂等键：同一用户以同一键重复提交时返回第一次的结果，不会重复执行",
    "schema": {"type": "string", "maxLength": 100},
}


class ZhibenAPI(NinjaAPI):
    """The API, with every error status declared (with ``ErrorOut``) on every operation."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        idempotent_ids = self._idempotent_operation_ids()
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(str(status), {"description": description, **error})
                if operation.get("operationId") in idempotent_ids:
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema

    def _idempotent_operation_ids(self) -> set[str]:
        """Operations wrapped by ``@idempotent`` (they honour ``Idempotency-Key``;
        the decorator marks them, so this module need not import it)."""
        return {
            self.get_openapi_operation_id(operation)
            for _, router in self._routers
            for path_view in router.path_operations.values()
            for operation in path_view.operations
            if getattr(operation.view_func, "honours_idempotency_key", False)
        }


def _docs_access(view):
    """The schema and the docs: a logged-in session or a personal access token."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            from zhiben.accounts.services import token_authenticate

            if token_authenticate(token.strip()) is not None:
                return view(request, *args, **kwargs)
            return JsonResponse(
                {"code": "unauthenticated", "message": "请先登录或提供有效的访问令牌", "details": None}, status=401
            )
        return redirect_to_login(request.get_full_path())

    return wrapper


api = ZhibenAPI(
    title="治本 Zhiben API",
    version="1",
    description="虹口区安全生产治本攻坚三年行动工作平台接口。浏览器使用登录会话；程序使用个人访问令牌（Bearer）。",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    parser=StrictJSONParser(),
    docs_decorator=_docs_access,
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, message: str, details: Any = None):
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


PYDANTIC_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "too_long": "不能超过 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "decimal_whole_digits": "整数位数过多",
    "finite_number": "应为有限的数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "literal_error": "取值应为：{expected}",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "string_pattern_mismatch": "格式不正确",
}


def _chinese(error: dict) -> str:
    kind = error.get("type", "")
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", "取值无效"))  # our own PydanticCustomError messages are Chinese already
    try:
        ctx = {key: str(value).replace("' or '", "'、'") for key, value in (error.get("ctx") or {}).items()}
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template


def _field_name(loc) -> str:
    """("body", "payload", "role") -> "role"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] or parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if parts and parts[0] == "filters":  # a filter_query() schema
            parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = [
        {"field": _field_name(e.get("loc", [])), "message": _chinese(e), "type": e.get("type")} for e in exc.errors
    ]
    message = "请求参数有误"
    if details:
        first = details[0]
        message = (
            f"请求参数有误：{first['field']} {first['message']}"
            if first["field"]
            else f"请求参数有误：{first['message']}"
        )
    return error_response(request, 422, "validation_failed", message, details)


@api.exception_handler(InvalidJSON)
def _invalid_json(request, exc: InvalidJSON):
    return error_response(request, 400, "invalid_json", "请求体不是合法的 JSON", None)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", "请先登录或提供有效的访问令牌")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, InvalidText):
        return _invalid_text(request, cause)
    if isinstance(cause, RequestDataTooBig):
        return _too_big(request, cause)
    if exc.status_code == 400 and isinstance(cause, InvalidJSON):
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


@api.exception_handler(InvalidText)
def _invalid_text(request, exc: InvalidText):
    details = [{"field": exc.field, "message": exc.problem, "type": "invalid_text"}]
    return error_response(request, 422, "validation_failed", f"请求参数有误：{exc.problem}", details)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response(request, 413, "payload_too_large", "请求体过大，请减少内容后重试")


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return error_response(request, 400, "bad_request", "请求有误")


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _data_error(request, exc):
    # A bound an input schema missed (a value out of the column's range): a 422,
    # logged so the schema gets the bound.
    logger.warning("API input reached the database out of range: %s", exc)
    return error_response(request, 422, "validation_failed", "请求参数超出允许的范围")


@api.exception_handler(Exception)
def _server_error(request, exc):
    from zhiben.core.services import BUSY_MESSAGE, is_database_busy

    if is_database_busy(exc):
        # A lock held by another writer outside a service (e.g. an Idempotency-Key
        # claim): transient, nothing changed. DatabaseBusyMiddleware adds Retry-After.
        return error_response(request, 503, "database_busy", BUSY_MESSAGE)
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
        value = int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        value = -1
    if not 0 <= value <= BIGINT_MAX:
        raise ValidationFailed(
            "分页游标无效", code="invalid_cursor", details={"cursor": "请使用上一页返回的 next_cursor"}
        )
    return value


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
