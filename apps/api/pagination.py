from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib import parse

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from apps.api.fields import parse_aware
from apps.api.sync import format_watermark, sync_watermark

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
WATERMARK_HEADER = "Sync-Watermark"


def cursor_of(url: str | None) -> str | None:
    """The ``cursor`` query parameter of a ``next`` link (what generated clients take)."""
    if not url:
        return None
    values = parse.parse_qs(parse.urlsplit(url).query).get("cursor")
    return values[0] if values else None


class StableCursorPagination(CursorPagination):
    """Cursor pagination over one unique, indexed key (``-id`` unless the view says ``ordering``).

    A page size over the maximum is a 400, not silently clamped: a client that asked for 500 rows
    and got 200 would think it had them all.

    Every page carries the pull's sync watermark (``sync_watermark`` and the ``Sync-Watermark``
    header): computed before the first page's rows are read and carried in the cursor, so every page
    of one pull answers the same value, and the last page's is the next pull's ``updated_since``.
    """

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"
    watermark: str | None = None

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            try:
                tokens = parse.parse_qs(base64.b64decode(encoded.encode("ascii")).decode("ascii"))
                raw = tokens.get("w", [None])[0]
                parsed = parse_aware(raw) if raw else None
            except (ValueError, TypeError, UnicodeError, binascii.Error):
                parsed = None
            if parsed is None:
                raise exceptions.NotFound(self.invalid_cursor_message)
            self.watermark = format_watermark(parsed)
        else:
            # Before the page's rows are read (see apps/api/sync.py).
            self.watermark = format_watermark(sync_watermark())
        return cursor

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = cursor.position
        if self.watermark:
            tokens["w"] = self.watermark
        encoded = base64.b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_paginated_response(self, data: Any) -> Response:
        next_url = self.get_next_link()
        previous_url = self.get_previous_link()
        return Response(
            {
                "next": next_url,
                "next_cursor": cursor_of(next_url),
                "previous": previous_url,
                "sync_watermark": self.watermark,
                "results": data,
            },
            headers={WATERMARK_HEADER: self.watermark} if self.watermark else None,
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return page_schema(schema)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        # isdecimal(), not isdigit(): "²" is a digit that int() refuses (a 500 before).
        if not raw.isdecimal() or int(raw) < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                },
                code="invalid",
            )
        size = int(raw)
        if size > self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("At most %(max)d rows a page.") % {"max": self.max_page_size}]},
                code="max_value",
            )
        return size

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {
                    "type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size,
                }
                param["description"] = str(
                    _("Rows a page, 1 to %(max)d (default %(default)d); more is a 400.")
                    % {"max": self.max_page_size, "default": self.page_size}
                )
            elif param["name"] == self.cursor_query_param:
                param["description"] = str(_("The previous page's next_cursor (or the cursor in its next link)."))
        return params


def page_schema(results: dict, *, previous: bool = True, watermark: bool = True) -> dict:
    """A list page in the schema: OpenAPI 3.1 nulls (``type: [string, "null"]``), no ``nullable``."""
    properties: dict[str, Any] = {
        "next": {"type": ["string", "null"], "format": "uri",
                 "description": str(_("The next page's URL; null on the last page."))},
        "next_cursor": {"type": ["string", "null"],
                        "description": str(_("The next page's cursor (pass it as cursor); null on the last page."))},
    }
    required = ["next", "next_cursor", "results"]
    if previous:
        properties["previous"] = {"type": ["string", "null"], "format": "uri",
                                  "description": str(_("The previous page's URL; null on the first page."))}
        required.append("previous")
    if watermark:
        properties["sync_watermark"] = {
            "type": "string", "format": "date-time",
            "description": str(_("This pull's watermark: after the last page, pass it as updated_since (and "
                                 "to /changes/ as since) in the next pull; no change is missed.")),
        }
        required.append("sync_watermark")
    properties["results"] = results
    return {"type": "object", "required": sorted(required), "properties": properties}
