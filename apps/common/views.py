from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # any failure means down; the reason is logged, not shown
        return "down"
    return "ok"


def _check_broker() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
    except (redis.RedisError, OSError, ValueError):
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body = {"database": _check_database(), "broker": _check_broker()}
    status = 200 if all(v == "ok" for v in body.values()) else 503
    return JsonResponse(body, status=status)
