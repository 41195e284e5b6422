"""OpenAPI: every operation documents its problem-details errors, pagination and headers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
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

    def _honours_if_none_match(self) -> bool:
        """GET of one object with an ETag: ResourceViewSet.retrieve and the organisation."""
        if self.method != "GET":
            return False
        action = getattr(self.view, "action", None)
        if action == "retrieve":
            return True
        return self.path.rstrip("/").endswith("/organisation")

    def _is_action(self) -> bool:
        """POST /<resource>/{id}/<verb>/: a domain operation on one object."""
        return self.method == "POST" and self._is_detail() and not self.path.rstrip("/").endswith("}")

    def get_override_parameters(self) -> list:
        params = list(super().get_override_parameters())
        if self._honours_if_none_match():
            params.append(OpenApiParameter(
                "If-None-Match", str, OpenApiParameter.HEADER, required=False,
                description=str(_("An ETag from an earlier read: 304 Not Modified (no body) while it is current.")),
            ))
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
        etag = {
            "schema": {"type": "string"},
            "description": str(_("The version of this object; send it back in If-Match to change it.")),
        }
        if self.method == "GET" and self._is_detail() and "200" in responses:
            responses["200"].setdefault("headers", {})["ETag"] = etag
        if self._honours_if_none_match():
            responses["304"] = {
                "description": str(_("Not Modified: the object still has the ETag sent in If-None-Match.")),
                "headers": {"ETag": etag},
            }
        if self.method in ("PUT", "PATCH") and "200" in responses:
            responses["200"].setdefault("headers", {})["ETag"] = etag
        if self._is_action():
            for code in ("200", "201"):
                if code in responses and "content" in responses[code]:
                    responses[code].setdefault("headers", {})["ETag"] = {
                        **etag, "description": str(_("The version of the object in the body.")),
                    }
        if self.method == "POST" and "201" in responses:
            headers = responses["201"].setdefault("headers", {})
            headers.setdefault("ETag", etag)
            headers["Location"] = {
                "schema": {"type": "string", "format": "uri"},
                "description": str(_("The URL of the object created.")),
            }
        return responses


class DescribedFilterExtension(DjangoFilterExtension):
    """django-filter's parameters, keeping each filter's help text when its type is set with
    ``extend_schema_field`` (integer ids, booleans, aware datetimes): drf-spectacular drops it there."""

    priority = 1

    def resolve_filter_field(self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str,
                             filter_field: Any) -> list[dict]:
        params = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        help_text = filter_field.extra.get("help_text")
        if help_text:
            for param in params:
                param.setdefault("description", str(help_text))
        return params


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


# --- post-processing: what generic clients need -------------------------------------------------------

_ID_PATTERN = "^[0-9]+$"
# Output fields named after another kind of row than they refer to; the rest read "<name>_id".
_ID_FIELD_TARGETS = {
    "to_party_id": "case party", "source_party_id": "case party", "owner_party_id": "case party",
    "tabled_by_id": "case party", "case_party_id": "case party", "party_id": "party",
    "verifier_party_id": "party", "user_id": "user", "owner_user_id": "user", "actor_id": "user",
    "organisation_id": "organisation", "verifier_organisation_id": "organisation",
    "current_proposal_id": "proposal", "parent_id": "proposal", "replaces_id": "proposal",
}
_ID_NOTES = {
    "case party": _("not a party: see /case-parties/"),
    "party": _("not a case party: see /parties/"),
}


def _singular(segment: str) -> str:
    words = segment.replace("-", " ")
    if words.endswith("ies"):
        return words[:-3] + "y"
    if words.endswith("s"):
        return words[:-1]
    return words


def _describe_id(thing: str) -> str:
    note = _ID_NOTES.get(thing)
    if note:
        return str(_("Id of a %(thing)s (%(note)s).") % {"thing": thing, "note": note})
    return str(_("Id of a %(thing)s.") % {"thing": thing})


def _path_parameters(result: dict) -> None:
    """Integer path ids (``[0-9]+`` routes), each saying what it is the id of."""
    for path, item in result.get("paths", {}).items():
        segments = [seg for seg in path.split("/") if seg]
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param.get("in") != "path":
                    continue
                schema = param.get("schema", {})
                if schema.get("pattern") == _ID_PATTERN or schema.get("type") in ("integer", "number"):
                    param["schema"] = {"type": "integer", "minimum": 1}
                    token = "{" + param["name"] + "}"
                    if token in segments and segments.index(token) > 0 and not param.get("description"):
                        owner = segments[segments.index(token) - 1]
                        param["description"] = _describe_id(_singular(owner))


def _id_properties(result: dict) -> None:
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if not name.endswith("_id") or "description" in prop or "$ref" in prop:
                continue
            types = prop.get("type")
            if types == "integer" or (isinstance(types, list) and "integer" in types):
                prop["description"] = _describe_id(_ID_FIELD_TARGETS.get(name, name[:-3].replace("_", " ")))


def _name_enum(schema: dict, prefix: str) -> None:
    values = schema.get("enum")
    if not values or not all(isinstance(v, str) for v in values):
        return
    if all(v[:1].isalpha() for v in values if v):
        return
    schema["x-enum-varnames"] = [
        f"{prefix}_{''.join(c if c.isalnum() else '_' for c in v).upper()}" if v else f"{prefix}_BLANK"
        for v in values
    ]


def _enum_names(result: dict) -> None:
    """Readable member names for enums whose values are not identifiers (``track``: TRACK_1_5, not
    VALUE_1): ``x-enum-varnames``, which openapi-python-client and openapi-generator read."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        prefix = name.removesuffix("Enum")
        _name_enum(component, "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(prefix)).upper())
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                _name_enum(schema.get("items", schema), param["name"].upper())


def _no_nullable(node: Any) -> None:
    """OpenAPI 3.1 has no ``nullable``: ``type: [..., "null"]`` instead (a 3.0 leftover breaks 3.1 tools)."""
    if isinstance(node, dict):
        if node.pop("nullable", False) is True:
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                kind.append("null")
            elif "$ref" in node:
                node["oneOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
        for value in node.values():
            _no_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _no_nullable(value)


def postprocess_for_clients(result: dict, generator: Any, request: Any, public: bool) -> dict:
    _path_parameters(result)
    _id_properties(result)
    _enum_names(result)
    _no_nullable(result)
    return result
