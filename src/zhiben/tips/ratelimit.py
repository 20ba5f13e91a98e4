"""Per-client-IP rate limits of the public pages, kept in Django's cache.

Settings (``getattr`` with defaults):

* ``ZHIBEN_TIP_RATE = (5, 600)``: at most 5 *accepted* tips (reports that
  were saved) per IP in a sliding window of 600 seconds. A form refused for a
  mistake (text too short, bad phone number …) does not count, so someone who
  needed several tries can still send the report;
* ``ZHIBEN_TIP_ATTEMPT_RATE = (30, 600)``: at most 30 POSTs of the public form
  per IP, valid or not (a flood of bad submissions is still stopped);
* ``ZHIBEN_TIP_TRACK_RATE = (20, 600)``: at most 20 tracking-code lookups.

The cache is the ``default`` one, shared by the server's worker processes:
the database cache in the demo and in production, Redis with
``ZHIBEN_REDIS_URL`` (config/settings/base.py, ``cache_config``). The test
settings keep a per-process LocMemCache. The IP is only
kept as a salted SHA-256 in the cache key, and only for the window.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_SUBMIT_RATE = (5, 600)
DEFAULT_ATTEMPT_RATE = (30, 600)
DEFAULT_TRACK_RATE = (20, 600)


def _rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    value = getattr(settings, name, default)
    limit, window = value
    return int(limit), int(window)


def submit_rate() -> tuple[int, int]:
    return _rate("ZHIBEN_TIP_RATE", DEFAULT_SUBMIT_RATE)


def attempt_rate() -> tuple[int, int]:
    return _rate("ZHIBEN_TIP_ATTEMPT_RATE", DEFAULT_ATTEMPT_RATE)


def track_rate() -> tuple[int, int]:
    return _rate("ZHIBEN_TIP_TRACK_RATE", DEFAULT_TRACK_RATE)


def _key(scope: str, ip: str | None) -> str:
    salted = f"{settings.SECRET_KEY}:{ip or 'unknown'}".encode()
    return f"zhiben:tips:rate:{scope}:{hashlib.sha256(salted).hexdigest()[:32]}"


def _stamps(key: str, window: int, now: float) -> list[float]:
    return [t for t in cache.get(key, []) if t > now - window]


def exhausted(scope: str, ip: str | None, rate: tuple[int, int], now: float | None = None) -> bool:
    """Whether the limit is reached in the window (counts nothing)."""
    limit, window = rate
    now = time.time() if now is None else now
    return len(_stamps(_key(scope, ip), window, now)) >= limit


def hit(scope: str, ip: str | None, rate: tuple[int, int], now: float | None = None) -> bool:
    """Count one attempt; ``False`` when the limit was already reached in the
    window (the refused attempt is not counted)."""
    limit, window = rate
    now = time.time() if now is None else now
    key = _key(scope, ip)
    stamps = _stamps(key, window, now)
    if len(stamps) >= limit:
        return False
    stamps.append(now)
    cache.set(key, stamps, timeout=window)
    return True


def unhit(scope: str, ip: str | None, rate: tuple[int, int]) -> None:
    """Take back the newest count (the counted action did not happen after all)."""
    key = _key(scope, ip)
    stamps = sorted(cache.get(key, []))
    if stamps:
        stamps.pop()
        cache.set(key, stamps, timeout=rate[1])


def reset(scope: str, ip: str | None) -> None:
    cache.delete(_key(scope, ip))
