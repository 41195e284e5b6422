"""Optimistic concurrency: ETag on reads of one object, If-Match on edits (opt-in per view)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models
from rest_framework.request import Request

from apps.api.problems import PreconditionFailed, PreconditionRequired


def etag_for(obj: models.Model) -> str:
    """A strong ETag from the version field if the model has one, else pk + updated_at."""
    version = getattr(obj, "version", None)
    if version is None:
        updated_at = getattr(obj, "updated_at", None)
        version = updated_at.isoformat() if updated_at is not None else ""
    digest = hashlib.sha256(f"{obj._meta.label}:{obj.pk}:{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _parse_etags(header: str) -> list[str]:
    # Weak validators never match If-Match (RFC 9110 §13.1.1: strong comparison).
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(request: Request, obj: models.Model) -> None:
    """428 without If-Match, 412 when it names another version; ``*`` matches any."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = _parse_etags(header)
    if "*" in tags:
        return
    if etag_for(obj) not in tags:
        raise PreconditionFailed()


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    tags = [t.removeprefix("W/") for t in _parse_etags(header)]
    return "*" in tags or etag in tags


def set_etag(response: Any, obj: models.Model) -> Any:
    response["ETag"] = etag_for(obj)
    return response
