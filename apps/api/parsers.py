from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from apps.api.problems import RequestTooLarge


class OrjsonParser(BaseParser):
    """JSON bodies only, size-checked.

    DRF parsers read the WSGI stream directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    check on ``request.body``, so the limit is enforced here (413).
    """

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and str(declared).isdecimal() and int(declared) > limit:
            raise RequestTooLarge()
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc
