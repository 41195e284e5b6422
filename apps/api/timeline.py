"""The body of ``GET /api/v1/disputes/{id}/timeline/`` (the view lives with the disputes in apps/api/disputes.py).

A page is built in a fixed number of queries whatever its size: access, then the page with each
entry's fields already shaped as JSON by PostgreSQL (``dispute_timeline_json``), plus the INSERT
auditing the team notes shown when there are any. orjson embeds each entry's ``data`` as it is
(``orjson.Fragment``): no model objects, no decode and re-encode.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from apps.accounts.actors import Actor
from apps.common.errors import ApplicationError
from apps.sessions.selectors import DEFAULT_TIMELINE_PAGE, MAX_TIMELINE_PAGE, dispute_timeline_json


def timeline_response(request: Request, *, actor: Actor, dispute_id: int) -> Response:
    """A dispute out of reach is a 404 whatever the page size and cursor; then a bad page size is a 400
    and a bad cursor a 404, as before."""
    raw_size = request.query_params.get("page_size", str(DEFAULT_TIMELINE_PAGE))
    # isascii: "²".isdigit() is true, and int() refuses it.
    limit = int(raw_size) if raw_size.isascii() and raw_size.isdigit() else 0
    try:
        page = dispute_timeline_json(actor=actor, dispute_id=dispute_id,
                                     cursor=request.query_params.get("cursor") or None, limit=limit)
    except ApplicationError as exc:
        if exc.field == "limit":
            raise exceptions.ValidationError(
                {"page_size": [_("Give a whole number from 1 to %(max)d.") % {"max": MAX_TIMELINE_PAGE}]}
            ) from exc
        if exc.field == "cursor":
            raise exceptions.NotFound(_("Invalid cursor")) from exc
        raise
    if page is None:
        raise exceptions.NotFound()
    results: list[dict[str, Any]] = [
        {"kind": kind, "at": at, "id": pk, "data": orjson.Fragment(data)} for kind, at, pk, data in page.entries
    ]
    next_url = None
    if page.next_cursor:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
    return Response({"next": next_url, "next_cursor": page.next_cursor or None, "results": results})
