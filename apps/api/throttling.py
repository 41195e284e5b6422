from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apps.api.permissions import actor_of

logger = logging.getLogger(__name__)


@cache
def throttle_cache() -> BaseCache:
    # Counters must be shared by every web worker, so they live in Redis, not in the
    # (per-process) default cache.
    return RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "peacecase-throttle", "TIMEOUT": 3600})


class ActorRateThrottle(SimpleRateThrottle):
    """One bucket per API key (rate "api_key") or per user (rate "user").

    Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read per request so tests and
    operators can change them without a restart of the class.
    """

    def __init__(self) -> None:  # the parent reads the rate too early; it is chosen per request
        self.cache = throttle_cache()

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        actor = actor_of(request)
        if actor is not None and actor.is_api_key:
            self.scope = "api_key"
            ident = f"key:{actor.api_key_id}"
        elif request.user is not None and request.user.is_authenticated:
            self.scope = "user"
            ident = f"user:{request.user.pk}"
        else:
            self.scope = "anon"
            ident = f"ip:{self.get_ident(request)}"
        return f"{self.scope}:{ident}"

    def allow_request(self, request: Request, view: Any) -> bool:
        self.key = self.get_cache_key(request, view)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.key is None or rate is None:
            return True
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        try:
            self.history = self.cache.get(self.key, [])
            self.now = self.timer()
            while self.history and self.history[-1] <= self.now - self.duration:
                self.history.pop()
            if len(self.history) >= self.num_requests:
                return self.throttle_failure()
            return self.throttle_success()
        except Exception:  # a Redis outage must not take the API down with it
            logger.warning("Throttle cache unavailable; request let through", exc_info=True)
            return True

    def wait(self) -> float | None:
        wait = super().wait()
        # Retry-After must be a whole number of seconds; never tell a client to retry at once.
        return max(1, int(wait + 0.999)) if wait is not None else None
