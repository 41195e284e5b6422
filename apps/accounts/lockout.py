"""Failed sign-in lockout per (account, client address), kept in Redis.

The key is derived from the e-mail as typed, whether or not an account exists, so a
locked pair answers exactly as an unknown one would: nothing can be learnt by probing.
When Redis is down we let sign-in proceed (and log it): locking everyone out of a
mediation record because the broker is down would be worse than a missing rate limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
from functools import cache

import redis
from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger(__name__)


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _is_trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(getattr(settings, "PEACECASE_TRUSTED_PROXIES", ())))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent the request, for lockouts and rate limits.

    REMOTE_ADDR, unless that peer is one of PEACECASE_TRUSTED_PROXIES (none by default): then the
    nearest address in X-Forwarded-For that is not itself a trusted proxy. A client can write any
    X-Forwarded-For it likes; only what our own proxies appended to it is believed.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not _is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _is_trusted_proxy(hop):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            # Not an address: the chain is broken here, so the last proxy we trust is the client.
            return remote
    return remote


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _key(kind: str, identity: str, ip: str | None) -> str:
    digest = hashlib.sha256(f"{identity.strip().lower()}|{ip or '-'}".encode()).hexdigest()[:32]
    return f"{settings.LOCKOUT_KEY_PREFIX}{kind}:{digest}"


def is_locked(*, identity: str, ip: str | None, kind: str = "login") -> bool:
    try:
        count = _client().get(_key(kind, identity, ip))
    except redis.RedisError:
        log.warning("lockout check skipped: Redis unavailable")
        return False
    return count is not None and int(count) >= settings.LOCKOUT_FAILURES


def record_failure(*, identity: str, ip: str | None, kind: str = "login") -> int:
    key = _key(kind, identity, ip)
    try:
        pipe = _client().pipeline()
        pipe.incr(key)
        pipe.expire(key, settings.LOCKOUT_SECONDS)
        count, _ = pipe.execute()
    except redis.RedisError:
        log.warning("lockout not recorded: Redis unavailable")
        return 0
    return int(count)


def reset(*, identity: str, ip: str | None, kind: str = "login") -> None:
    with contextlib.suppress(redis.RedisError):
        _client().delete(_key(kind, identity, ip))


def hit_rate_limit(*, identity: str, ip: str | None, kind: str, limit: int, window_seconds: int) -> bool:
    """Count one use; True when this use is over the limit for the window."""
    return record_failure_window(identity=identity, ip=ip, kind=kind, window_seconds=window_seconds) > limit


def record_failure_window(*, identity: str, ip: str | None, kind: str, window_seconds: int) -> int:
    key = _key(kind, identity, ip)
    try:
        pipe = _client().pipeline()
        # SET NX + INCR rather than EXPIRE NX, which Redis < 7 (the embedded one) lacks.
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
    except redis.RedisError:
        log.warning("rate limit not recorded: Redis unavailable")
        return 0
    return int(count)
