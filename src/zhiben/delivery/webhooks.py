"""The wire format of webhooks: signing, the address guard and one HTTP POST
with the standard library (no new dependency).

Signature: ``X-Zhiben-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``
with the subscription's secret; ``X-Zhiben-Timestamp`` is the Unix time of the
attempt (docs/delivery.md shows how a receiver verifies).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT = 10  # seconds
USER_AGENT = "Zhiben-Webhook/1"


class UnsafeAddress(ValueError):
    """A URL the server must not call (the message is Chinese, for the user)."""


def allow_private() -> bool:
    return bool(getattr(settings, "ZHIBEN_WEBHOOK_ALLOW_PRIVATE", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, resolve: bool = True) -> None:
    """Refuse anything but http/https to a public address (SSRF guard).
    Loopback, private, link-local, reserved and shared ranges are refused unless
    ``ZHIBEN_WEBHOOK_ALLOW_PRIVATE`` is set. Checked when a subscription is
    saved and again before every attempt (the name may resolve differently)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeAddress("接收地址格式不正确") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeAddress("接收地址只能以 http:// 或 https:// 开头")
    host = parts.hostname
    if not host:
        raise UnsafeAddress("接收地址缺少主机名")
    if parts.username or parts.password:
        raise UnsafeAddress("接收地址不能包含用户名或密码")
    if allow_private():
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise UnsafeAddress("接收地址不能指向本机或内网地址")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    elif not resolve:
        return
    else:
        try:
            infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UnsafeAddress(f"无法解析接收地址的主机名：{host}") from exc
        addresses = [info[4][0] for info in infos]
    if not addresses or not all(_is_public(a) for a in addresses):
        raise UnsafeAddress("接收地址不能指向本机或内网地址")


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (also used by the tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


@dataclass(frozen=True)
class Result:
    ok: bool
    status: int | None
    error: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer (3xx), never followed


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, *, secret: str, event_type: str, delivery_id: str, timestamp: str, body: bytes) -> Result:
    """One attempt. 2xx is success; anything else (3xx too) a failure."""
    try:
        check_url(url)
    except UnsafeAddress as exc:
        return Result(False, None, str(exc))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Zhiben-Event": event_type,
            "X-Zhiben-Delivery": delivery_id,
            "X-Zhiben-Timestamp": timestamp,
            "X-Zhiben-Signature": sign(secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            status = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        return Result(False, exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Result(False, None, f"连接失败：{reason}"[:500])
    if 200 <= status < 300:
        return Result(True, status, "")
    return Result(False, status, f"HTTP {status}")
