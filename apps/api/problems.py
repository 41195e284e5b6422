"""One error shape for the whole API: RFC 9457 problem details.

Every error body is ``{"type", "title", "status", "detail", "code", "errors"}`` served as
``application/problem+json``; ``errors`` maps a field name (or ``non_field_errors``) to messages.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from apps.common.errors import AccessDenied, ApplicationError, ConflictError
from apps.common.outage import RETRY_AFTER_SECONDS, is_database_outage, outage_problem

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# "about:blank" per RFC 9457 §4.2.1: the status code says it all, `code` refines it.
PROBLEM_TYPE = "about:blank"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("This resource requires an If-Match header with the ETag you last read.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The resource has changed since you read it. Read it again and retry.")
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def problem(
    status_code: int, *, detail: Any = "", code: str = "", errors: dict | None = None, title: str = ""
) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE,
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": str(detail),
        "code": code or HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_"),
        "errors": errors or {},
    }


def _messages(value: Any, prefix: str = "") -> list[str]:
    """Every message under one field, as plain strings. Inner structure becomes a prefix: a list
    position reads "item 2: …", a nested field "id: …", so the documented shape (a list of strings
    per field) holds for list fields and nested serializers too."""
    if isinstance(value, dict):
        out: list[str] = []
        for key, inner in value.items():
            label = _("item %(n)d") % {"n": int(key) + 1} if str(key).isdecimal() else str(key)
            out += _messages(inner, f"{prefix}{label}: ")
        return out
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, (dict, list, tuple)) for v in value):  # a list serializer: one entry per item
            out = []
            for index, inner in enumerate(value):
                if inner:
                    out += _messages(inner, f"{prefix}{_('item %(n)d') % {'n': index + 1}}: ")
            return out
        return [f"{prefix}{v}" for v in value]
    return [f"{prefix}{value}"]


def _as_messages(detail: Any) -> dict[str, list[str]]:
    """DRF error details -> ``{field: [message, ...]}`` (``non_field_errors`` for the whole request)."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    return {str(field): _messages(value) for field, value in detail.items()}


def _first_code(detail: Any) -> str:
    if isinstance(detail, dict):
        for v in detail.values():
            return _first_code(v)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", "") or "invalid"


def _translate(exc: Exception) -> Exception:
    """Map domain and Django errors onto DRF exceptions with the right status."""
    if isinstance(exc, AccessDenied):
        return exceptions.PermissionDenied(detail=str(exc.message), code=exc.code)
    if isinstance(exc, ConflictError):
        return Conflict(detail=str(exc.message), code=exc.code)
    if isinstance(exc, ApplicationError):
        return exceptions.ValidationError(detail=exc.message_dict, code=exc.code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail=detail)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response:
    if is_database_outage(exc):
        # PostgreSQL is restarting or unreachable: a 503 the client may retry, not a bug report.
        logger.warning("Database unavailable during an API request: %s", type(exc).__name__)
        set_rollback()
        return Response(
            outage_problem(), status=503, content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Anything unexpected: log it with the traceback, roll back, answer in the same shape.
        logger.exception("Unhandled API error", exc_info=exc)
        set_rollback()
        return Response(
            problem(500, detail=_("Something went wrong on our side. The error has been logged.")),
            status=500, content_type=PROBLEM_CONTENT_TYPE,
        )
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        detail_data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        data = problem(
            response.status_code,
            detail=_("The request is not valid; see errors."),
            code=_first_code(exc.detail),
            errors=_as_messages(detail_data),
        )
    else:
        detail = exc.detail
        if isinstance(detail, (dict, list)):
            data = problem(response.status_code, detail="", code=_first_code(detail), errors=_as_messages(detail))
        else:
            data = problem(response.status_code, detail=detail, code=getattr(detail, "code", "") or exc.default_code)
    response.data = data
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status_code: int, *, detail: Any = "", code: str = "") -> HttpResponse:
    """A problem document outside DRF views (unknown /api/ paths)."""
    return HttpResponse(
        orjson.dumps(problem(status_code, detail=detail, code=code)), status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem_response(404, detail=_("No such resource."), code="not_found")
