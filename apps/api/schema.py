"""OpenAPI: every operation documents its problem-details errors, pagination and headers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from apps.api.problems import PROBLEM_CONTENT_TYPE
from apps.api.serializers import ProblemSerializer

_ERROR_TEXT = {
    "400": _("The request is not valid (body, query or headers); see errors."),
    "401": _("No credentials, or an invalid or revoked API key."),
    "403": _("Authenticated, but not allowed (read-only key, role, or API keys not accepted here)."),
    "404": _("No such object within the caller's reach."),
    "409": _("Conflict: an Idempotency-Key reused with a different body, or a stale edit."),
    "412": _("If-Match names an older version: read the object again."),
    "413": _("The body is too large."),
    "415": _("The body is not application/json."),
    "428": _("If-Match is required to change this object."),
    "429": _("Too many requests: wait the number of seconds in Retry-After."),
    "500": _("An unexpected error; it has been logged."),
    "503": _("The database is briefly unavailable: retry after the seconds in Retry-After."),
}
_WRITE_METHODS = ("POST", "PUT", "PATCH")


class PeaceCaseAutoSchema(AutoSchema):
    def _view_attr(self, name: str, default: Any = None) -> Any:
        return getattr(self.view, name, default)

    def get_request_serializer(self) -> Any:
        input_cls = self._view_attr("input_serializer_class")
        if input_cls is not None and self.method in _WRITE_METHODS:
            return input_cls
        return super().get_request_serializer()

    def _is_detail(self) -> bool:
        return "{" in self.path

    def _uses_if_match(self) -> bool:
        return bool(self._view_attr("if_match_required")) and self.method in ("PUT", "PATCH")

    def _uses_idempotency(self) -> bool:
        return bool(self._view_attr("idempotent_create")) and self.method == "POST"

    def get_override_parameters(self) -> list:
        params = list(super().get_override_parameters())
        if self._uses_idempotency():
            params.append(OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                description=str(_("Makes a retried POST safe: the same key and body within 24 hours return the "
                                  "first response (with Idempotent-Replayed: true); another body is a 409.")),
            ))
        if self._uses_if_match():
            params.append(OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, required=True,
                description=str(_("The ETag from your last read of this object.")),
            ))
        return params

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429", "500", "503"]
        # Any GET may carry a bad query (filters, page size, cursor, an action's own parameters).
        # A DELETE may be refused by its service's rules (e.g. a link that records a supersession).
        if self.method in _WRITE_METHODS or self.method in ("GET", "DELETE"):
            codes.append("400")
        # A list answers 404 to a forged cursor.
        if self._is_detail() or (self.method == "GET" and self._is_list_view()):
            codes.append("404")
        if self.method in _WRITE_METHODS:
            codes += ["409", "413", "415"]
        if self._uses_if_match():
            codes += ["412", "428"]
        return sorted(set(codes))

    def _get_response_bodies(self, direction: Any = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        problem_ref = self.resolve_serializer(ProblemSerializer(), "response").ref
        for code in self._error_codes():
            if code in responses:
                continue
            body: dict[str, Any] = {
                "description": str(_ERROR_TEXT[code]),
                "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}},
            }
            if code in ("429", "503"):
                body["headers"] = {"Retry-After": {
                    "schema": {"type": "integer"}, "description": str(_("Seconds to wait before retrying.")),
                }}
            responses[code] = body
        if self.method == "GET" and self._is_detail() and "200" in responses:
            responses["200"].setdefault("headers", {})["ETag"] = {
                "schema": {"type": "string"},
                "description": str(_("The version of this object; send it back in If-Match to change it.")),
            }
        return responses


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": str(_('"Api-Key <key>". Keys belong to an organisation and are read-only or read-write.')),
        }


class MemberSessionScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.MemberSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": str(_("A signed-in member's session; unsafe methods need the CSRF token."))}
