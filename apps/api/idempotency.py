"""Idempotency-Key on POST: a retried request gets the first answer instead of a second object.

The record is inserted at the start of the request's transaction. A concurrent request with
the same key blocks on the unique index until the first commits, then replays its answer;
if the first fails (any error rolls the transaction back), nothing is remembered and the retry
runs normally. So only successful responses are replayed, for 24 hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import Actor
from apps.api.models import IdempotencyRecord
from apps.api.problems import Conflict
from apps.api.services import IDEMPOTENCY_TTL

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers worth replaying; the rest (Date, Vary, CSP, ...) are the server's, fresh each time.
_KEPT_HEADERS = ("Location", "ETag")


def caller_of(actor: Actor) -> str:
    # A key by its prefix: unique, not secret, and short (the primary key carries the hash).
    return f"key:{str(actor.api_key_id).partition('.')[0]}" if actor.is_api_key else f"user:{actor.user_id}"


def fingerprint(request: Request) -> str:
    # The parsed body, keys sorted: the same JSON re-serialised by a client still matches.
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def idempotent(request: Request, actor: Actor, handler: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not (1 <= len(key) <= 255) or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to 255 printable ASCII characters.")]}, code="invalid_idempotency_key"
        )
    lookup = {"organisation": actor.organisation, "caller": caller_of(actor), "key": key}
    print_ = fingerprint(request)
    with transaction.atomic():
        IdempotencyRecord.objects.filter(**lookup, created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(**lookup, fingerprint=print_, status_code=0)
        except IntegrityError:
            previous = IdempotencyRecord.objects.get(**lookup)
            if previous.fingerprint != print_:
                raise Conflict(
                    _("This Idempotency-Key was already used with a different request."),
                    code="idempotency_key_reused",
                ) from None
            response = Response(previous.response_data, status=previous.status_code)
            for name, value in previous.response_headers.items():
                response[name] = value
            response[REPLAYED_HEADER] = "true"
            return response
        response = handler()
        if response.status_code >= 300:
            # Not a success: do not remember it (and undo whatever the handler wrote).
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response_data = response.data
        record.response_headers = {h: response[h] for h in _KEPT_HEADERS if h in response}
        record.save(update_fields=["status_code", "response_data", "response_headers"])
    return response
