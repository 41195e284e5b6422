from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class StableCursorPagination(CursorPagination):
    """Cursor pagination over one unique, indexed key (``-id`` unless the view says ``ordering``).

    A page size over the maximum is a 400, not silently clamped: a client that asked for 500 rows
    and got 200 would think it had them all.
    """

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"

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
        return params
