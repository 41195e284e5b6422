from __future__ import annotations

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A rule of the domain was broken. The message is for the user; field names the input."""

    def __init__(self, message: str | Promise, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code

    @property
    def message_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [str(self.message)]}


class ConflictError(ApplicationError):
    """An edit based on a stale version (optimistic concurrency)."""

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="conflict")


class AccessDenied(ApplicationError):
    """The caller can see the object but may not change it (objects out of reach are a 404)."""

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="forbidden")
