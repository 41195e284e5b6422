"""/api/v1/parties/ and /api/v1/representatives/: the actors of the organisation's disputes.

Reads through apps/disputes/selectors.py (own parties, and those of disputes shared with the
caller's organisation); writes through apps/parties/services.py (own organisation only).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from apps.accounts.actors import Actor
from apps.api.fields import FilterSet, IdFilter, ScopedPrimaryKeyField
from apps.api.resources import DomainViewSet
from apps.api.serializers import InputSerializer
from apps.disputes.selectors import parties_writable, party_list, party_visible_q, representative_list
from apps.parties.models import Party, Representative
from apps.parties.services import party_create, party_update, representative_create, representative_update

# --- parties ---------------------------------------------------------------------------------------


class PartyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation_id = serializers.IntegerField(help_text=_("The organisation the party record belongs to."))
    kind = serializers.ChoiceField(choices=Party.Kind.choices)
    name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    country = serializers.CharField(allow_blank=True, help_text=_("ISO 3166-1 alpha-2, or empty."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PartyInput(InputSerializer):
    kind = serializers.ChoiceField(choices=Party.Kind.choices)
    name = serializers.CharField(max_length=300)
    aliases = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=50)
    country = serializers.CharField(max_length=2, allow_blank=True, required=False)


class PartyFilter(FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text=_("Name or alias contains (accents and case ignored)."))
    kind = django_filters.ChoiceFilter(choices=Party.Kind.choices)
    country = django_filters.CharFilter(method="filter_country", help_text=_("ISO 3166-1 alpha-2."))

    class Meta:
        model = Party
        fields = ["q", "kind", "country", "updated_since"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        actor = self.request.actor  # type: ignore[union-attr]
        return qs.filter(pk__in=party_list(actor=actor, q=value).values("pk"))

    def filter_country(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(country=value.strip().upper())


_PARTY_TAGS = ["parties"]


@extend_schema_view(
    list=extend_schema(tags=_PARTY_TAGS),
    retrieve=extend_schema(tags=_PARTY_TAGS),
    create=extend_schema(tags=_PARTY_TAGS, responses={201: PartyOutput}),
    update=extend_schema(tags=_PARTY_TAGS),
    partial_update=extend_schema(tags=_PARTY_TAGS),
)
class PartyViewSet(DomainViewSet):
    """Parties: the organisation's own, and those of disputes shared with it (read-only)."""

    serializer_class = PartyOutput
    input_serializer_class = PartyInput
    filterset_class = PartyFilter
    list_fields = {name: name for name in PartyOutput().fields}

    def get_queryset(self) -> Any:
        if self.request.method in ("PUT", "PATCH"):
            # Visible but not writable (a shared dispute's party) is a 403 from the service, not a 404.
            return Party.objects.filter(party_visible_q(self.actor))
        return party_list(actor=self.actor).order_by()

    def create_object(self, *, data: dict[str, Any]) -> Party:
        return party_create(actor=self.actor, **data)

    def update_object(self, *, instance: Party, data: dict[str, Any], partial: bool) -> Party:
        return party_update(actor=self.actor, party=instance, data=data)


# --- representatives -------------------------------------------------------------------------------


class RepresentativeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    party_id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField()
    authority = serializers.ChoiceField(choices=Representative.Authority.choices)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _writable_parties(actor: Actor) -> QuerySet[Party]:
    return parties_writable(actor=actor)


class RepresentativeInput(InputSerializer):
    party = ScopedPrimaryKeyField(model=Party, scope=_writable_parties,
                                  help_text=_("A party of your own organisation."))
    name = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    phone = serializers.CharField(max_length=50, allow_blank=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=20)
    time_zone = serializers.CharField(max_length=64, required=False)
    authority = serializers.ChoiceField(choices=Representative.Authority.choices, required=False)
    active = serializers.BooleanField(required=False)


class RepresentativeUpdateInput(RepresentativeInput):
    party = None  # type: ignore[assignment]  # a representative does not move between parties


class RepresentativeFilter(FilterSet):
    party = IdFilter(field_name="party_id")

    class Meta:
        model = Representative
        fields = ["party", "updated_since"]


_REP_TAGS = ["representatives"]


@extend_schema_view(
    list=extend_schema(tags=_REP_TAGS),
    retrieve=extend_schema(tags=_REP_TAGS),
    create=extend_schema(tags=_REP_TAGS, responses={201: RepresentativeOutput}),
    update=extend_schema(tags=_REP_TAGS, request=RepresentativeUpdateInput),
    partial_update=extend_schema(tags=_REP_TAGS, request=RepresentativeUpdateInput),
)
class RepresentativeViewSet(DomainViewSet):
    """People acting for a party (name, contact, languages, time zone, authority to commit)."""

    serializer_class = RepresentativeOutput
    input_serializer_class = RepresentativeInput
    filterset_class = RepresentativeFilter
    list_fields = {name: name for name in RepresentativeOutput().fields}

    def get_queryset(self) -> Any:
        return representative_list(actor=self.actor).order_by()

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return RepresentativeUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> Representative:
        data = dict(data)
        party = data.pop("party")
        return representative_create(actor=self.actor, party=party, **data)

    def update_object(self, *, instance: Representative, data: dict[str, Any], partial: bool) -> Representative:
        return representative_update(actor=self.actor, representative=instance, data=data)
