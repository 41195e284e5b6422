"""Request rates per API key, per signed-in user and per anonymous address.

A sliding-window counter in Redis (shared by every web worker): one counter per caller and window,
and the estimate ``previous window × the share of it still inside the last period + this window``.
One round trip per request (a pipeline of GET and INCR), a few bytes per caller, instead of
DRF's default list of every request time (read, trimmed and written back whole on each request:
at 1,200/min that was a 10 kB value and ~1 ms per request).

Refused requests count too, so a client that keeps hammering stays refused until it slows down.
Anonymous callers are counted by address (``client_address``: the peer, or what a trusted proxy
says), and every failed authentication — a bad, revoked or foreign ``Authorization`` header, a
session refused — counts against that address too (``address_failure_hit``, called by the
authentication classes: DRF runs them before any throttle, and a refusal never reaches one).
If Redis is unreachable, requests are let through (logged): an outage of the limiter must not
take the API down.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.accounts.lockout import client_address
from apps.api.permissions import actor_of

logger = logging.getLogger(__name__)

KEY_PREFIX = "peacecase-throttle"
_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: a Redis that accepts connections but never answers must not hold requests.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


def throttle_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/min"`` -> (1200, 60). The period is the first letter of s, sec, m, min, h, hour, d, day."""
    count, _slash, period = rate.partition("/")
    return int(count), _DURATIONS[period[0]]


def throttle_reset(bucket: str) -> None:
    """Forget a caller's counters (``bucket`` as in ActorRateThrottle.bucket, e.g. ``"user:7"``)."""
    client = throttle_redis()
    keys = list(client.scan_iter(f"{KEY_PREFIX}:{bucket}:*", count=100))
    if keys:
        client.delete(*keys)


def address_bucket(request: Request) -> str:
    """The anonymous bucket of the caller's address; an IPv6 client is its /64, which one
    household or server usually holds whole (one address each would be no limit at all)."""
    address = client_address(request._request if isinstance(request, Request) else request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address or '-'}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"ip:{ip}"


def hit(scope: str, bucket: str) -> float | None:
    """Count one request of ``bucket`` at ``scope``'s rate: None if it may go on, else the seconds
    to wait."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return None
    limit, duration = parse_rate(rate)
    now = time.time()
    window = int(now // duration)
    current, previous = f"{KEY_PREFIX}:{bucket}:{window}", f"{KEY_PREFIX}:{bucket}:{window - 1}"
    try:
        pipe = throttle_redis().pipeline(transaction=False)
        pipe.get(previous)
        pipe.incr(current)
        pipe.expire(current, duration * 2)
        prev_count, count, _ok = pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("Throttle store unavailable; request let through", exc_info=True)
        return None
    elapsed = now - window * duration
    estimate = int(prev_count or 0) * (1 - elapsed / duration) + count
    if estimate <= limit:
        return None
    # Whole seconds, never 0: until this window ends, when the previous one stops weighing in full.
    return max(1, math.ceil(duration - elapsed))


def address_failure_hit(request: Request) -> float | None:
    """Count a failed authentication against the caller's address (the "anon" rate): None while
    the address is under its limit, else the seconds to wait."""
    return hit("anon", address_bucket(request))


class ActorRateThrottle(BaseThrottle):
    """One bucket per API key (rate "api_key"), per user (rate "user"), else per address ("anon").

    Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read per request so tests and
    operators can change them without a restart.
    """

    def __init__(self) -> None:
        self._wait: float | None = None

    @staticmethod
    def bucket(request: Request) -> tuple[str, str]:
        """(scope, bucket) of the caller."""
        actor = actor_of(request)
        if actor is not None and actor.is_api_key:
            return "api_key", f"key:{actor.api_key_id}"
        if request.user is not None and request.user.is_authenticated:
            return "user", f"user:{request.user.pk}"
        return "anon", address_bucket(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        scope, bucket = self.bucket(request)
        self._wait = hit(scope, bucket)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
