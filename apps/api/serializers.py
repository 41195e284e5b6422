"""Serializer bases: input serializers reject unknown fields; the problem-details shape for the schema."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """A typo in a field name is a 400, not a silently ignored change.

    Read-only fields count as unknown on input: input and output serializers are separate
    (HackSoft), so an input serializer lists exactly what a client may send.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown field.")] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class InputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class InputModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    pass


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error response."""

    type = serializers.CharField(help_text=_('A URI naming the problem type; "about:blank" when the status says it.'))
    title = serializers.CharField(help_text=_("The HTTP status phrase."))
    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    detail = serializers.CharField(allow_blank=True, help_text=_("What went wrong, for a person to read."))
    code = serializers.CharField(help_text=_("A stable, machine-readable code, e.g. invalid, not_found, throttled."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_('Messages by field name ("non_field_errors" for the request as a whole).'),
    )
