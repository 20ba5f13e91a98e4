"""Per-client-IP rate limits of the public pages, kept in Django's cache.

Settings (``getattr`` with defaults):

* ``ZHIBEN_TIP_RATE = (5, 600)``: at most 5 tip submissions (POSTs of the
  public form) per IP in a sliding window of 600 seconds;
* ``ZHIBEN_TIP_TRACK_RATE = (20, 600)``: at most 20 tracking-code lookups.

The cache is the ``default`` one. Without ``CACHES`` Django uses a per-process
LocMemCache, so with several worker processes each counts on its own (the
limit is then per process). Production should configure a shared cache
(e.g. Redis: ``django.core.cache.backends.redis.RedisCache``). The IP is only
kept as a salted SHA-256 in the cache key, and only for the window.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_SUBMIT_RATE = (5, 600)
DEFAULT_TRACK_RATE = (20, 600)


def _rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    value = getattr(settings, name, default)
    limit, window = value
    return int(limit), int(window)


def submit_rate() -> tuple[int, int]:
    return _rate("ZHIBEN_TIP_RATE", DEFAULT_SUBMIT_RATE)


def track_rate() -> tuple[int, int]:
    return _rate("ZHIBEN_TIP_TRACK_RATE", DEFAULT_TRACK_RATE)


def _key(scope: str, ip: str | None) -> str:
    salted = f"{settings.SECRET_KEY}:{ip or 'unknown'}".encode()
    return f"zhiben:tips:rate:{scope}:{hashlib.sha256(salted).hexdigest()[:32]}"


def hit(scope: str, ip: str | None, rate: tuple[int, int], now: float | None = None) -> bool:
    """Count one attempt; ``False`` when the limit was already reached in the
    window (the refused attempt is not counted)."""
    limit, window = rate
    now = time.time() if now is None else now
    key = _key(scope, ip)
    stamps = [t for t in cache.get(key, []) if t > now - window]
    if len(stamps) >= limit:
        return False
    stamps.append(now)
    cache.set(key, stamps, timeout=window)
    return True


def reset(scope: str, ip: str | None) -> None:
    cache.delete(_key(scope, ip))
