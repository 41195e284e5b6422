"""Input fields and filters shared by the domain resources.

Strict where DRF and django-filter are lenient: a naive datetime is a 400 (never read in the
server's zone), an unknown choice or boolean is a 400 (never silently ignored), and an id is
resolved through the caller's selectors, so another organisation's object is a 400 naming the
field, exactly like an id that does not exist.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# "+" in an unencoded query string arrives as a space: "2026-01-01T00:00:00 02:00".
_SPACE_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")
NAIVE_MESSAGE = _("Give the time zone: an offset such as +02:00, or Z for UTC.")


def parse_aware(value: Any) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 string; None when it is not one; ValueError when naive."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = _SPACE_OFFSET.sub(r"+\1", value.strip())
        try:
            parsed = parse_datetime(text)
        except ValueError:
            return None
        if parsed is None:
            return None
    else:
        return None
    if timezone.is_naive(parsed):
        raise ValueError("naive")
    try:
        # In UTC: PostgreSQL refuses offsets Python accepts (-22:09), a 500 before.
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # year 1 minus an offset
        return None


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset (or Z); a naive datetime is refused rather than guessed."""

    default_error_messages = {
        "naive": NAIVE_MESSAGE,
        "invalid": _("Give an ISO 8601 date and time with its offset, e.g. 2026-03-02T09:00:00+03:00."),
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            parsed = parse_aware(value)
        except ValueError:
            self.fail("naive")
        if parsed is None:
            self.fail("invalid")
        return parsed.astimezone(dt.UTC)


class AwareIsoDateTimeFormField(forms.Field):
    default_error_messages = {
        "invalid": _("Give an ISO 8601 date and time with its offset, e.g. 2026-03-02T09:00:00Z."),
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        try:
            parsed = parse_aware(value)
        except ValueError:
            raise forms.ValidationError(NAIVE_MESSAGE, code="naive") from None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(django_filters.Filter):
    field_class = AwareIsoDateTimeFormField


class _BooleanChoiceField(forms.TypedChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("null_label", None)
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``; anything else is a 400 (django-filter's BooleanFilter ignores it).

    With ``method``, the method receives a bool.
    """

    field_class = _BooleanChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is None or value == "":
            return qs
        return qs.filter(**{self.field_name: value})


@extend_schema_field({"type": "integer", "minimum": 1})
class IdFilter(django_filters.NumberFilter):
    """A positive integer id (a decimal or a word is a 400).

    Its description says what the id refers to (read from the model: "id of a case party (not a
    party)"), so a client cannot mistake one kind of id for another.
    """

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


# Two kinds of party id are easy to confuse: the party itself (an actor, see /parties/) and its
# role in one dispute (see /case-parties/), which sessions, notes and proposals refer to.
_ID_NOTES = {
    "disputes.caseparty": _("not a party: see /case-parties/"),
    "parties.party": _("not a case party: see /parties/"),
}


def id_description(model: type[Model]) -> str:
    """'Id of a case party (not a party: see /case-parties/).' for a model."""
    note = _ID_NOTES.get(model._meta.label_lower)
    if note:
        return str(_("Id of a %(thing)s (%(note)s).") % {"thing": model._meta.verbose_name, "note": note})
    return str(_("Id of a %(thing)s.") % {"thing": model._meta.verbose_name})


def _related_model(model: type[Model], path: str) -> type[Model] | None:
    """The model an id lookup such as ``case_party__dispute_id`` points at."""
    parts = path.split("__")
    parts[-1] = parts[-1].removesuffix("_id")
    for part in parts:
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # a method-based filter: no description from the model
            return None
        if field.related_model is None:
            return None
        model = field.related_model
    return model


class _DescribedFilterSetMetaclass(django_filters.filterset.FilterSetMetaclass):
    def __new__(mcs, name: str, bases: tuple, attrs: dict) -> Any:
        cls = super().__new__(mcs, name, bases, attrs)
        model = getattr(cls._meta, "model", None)
        for filter_ in cls.base_filters.values() if model is not None else ():
            if isinstance(filter_, IdFilter) and not getattr(filter_, "_described", False):
                target = _related_model(model, filter_.field_name)
                if target is not None:
                    extra = filter_.extra.get("help_text")
                    filter_.extra["help_text"] = f"{id_description(target)} {extra or ''}".strip()
                    filter_._described = True
        return cls


class FilterSet(django_filters.FilterSet, metaclass=_DescribedFilterSetMetaclass):
    """Every partner sync filters on ``updated_since``; subclasses point it at their column.

    Cheaper per request than django-filter's own: the filters hold no per-request state, so each
    request gets shallow copies (django-filter deep-copies them, choices and all), and the form
    class is built once per filterset class instead of once per request.
    """

    updated_since = AwareDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text=_("Only rows changed at or after this moment (ISO 8601 with offset): incremental sync."),
    )

    def __init__(
        self, data: Any = None, queryset: QuerySet | None = None, *, request: Any = None, prefix: str | None = None
    ) -> None:
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            filter_.model = queryset.model
            filter_.parent = self
            if getattr(base, "_method", None) is not None:
                filter_.method = base._method  # rebinds the FilterMethod to this copy (and so to this parent)
            self.filters[name] = filter_

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            fields = {name: base.field for name, base in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (self._meta.form,), fields)
            cls._form_class = form_class
        return form_class


class StrictFilterBackend(DjangoFilterBackend):
    """Invalid filter values are a 400 problem (django-filter's default for DRF), with the field named.

    A request naming none of the filters skips the filterset altogether (no form, no validation).
    """

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None and not any(
            param == name or param.startswith(f"{name}_")  # range widgets add suffixes
            for param in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


# --- ids in bodies, resolved through the caller's selectors ------------------------------------------


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id looked up in a queryset built for the caller by a selector.

    ``scope(actor) -> QuerySet``: whatever is out of the caller's reach does not exist, so the
    answer for another organisation's id is the same 400 as for an id that was never used.
    """

    default_error_messages = {
        "does_not_exist": _("No such object within your reach (id {pk_value})."),
        "incorrect_type": _("Give an integer id, not {data_type}."),
    }

    def __init__(self, model: type[Model], scope: Callable[[Any], QuerySet], **kwargs: Any) -> None:
        self.scope = scope
        described = id_description(model)
        kwargs["help_text"] = f"{described} {kwargs['help_text']}" if kwargs.get("help_text") else described
        # The empty queryset only tells the schema the model; lookups go through ``scope``.
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        from apps.api.permissions import actor_of

        request = self.context.get("request")
        actor = actor_of(request) if request is not None else None
        if actor is None:
            return self.queryset.none()
        return self.scope(actor)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
