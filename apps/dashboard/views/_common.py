from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

# Cells a spreadsheet would run as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so spreadsheet programs read the file as UTF-8 (Arabic, accents)
        yield writer.writerow([str(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(str(v) if v is not None else "") for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def forbidden(request: HttpRequest) -> HttpResponse:
    """A page the caller's role may not open (objects out of reach are a 404 instead)."""
    return render(request, "dashboard/forbidden.html", status=403)
