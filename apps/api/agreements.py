"""/api/v1/ agreements, agreement versions (with a diff), signatories, provisions (with their
current score), implementation assessments and roll-ups.

Reads through apps/agreements/selectors.py, writes through apps/agreements/services.py. The
provisions list is built with ``.values()`` in one query (current score and responsible parties
as sub-selects).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import Actor
from apps.accounts.models import Organisation
from apps.agreements.models import (
    Agreement,
    AgreementLink,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    DatePrecision,
    ImplementationAssessment,
    ImplementationLevel,
    Provision,
    ProvisionCategory,
    Signatory,
)
from apps.agreements.selectors import (
    agreement_detail,
    agreement_list,
    agreement_version_diff,
    agreement_version_list,
    assessment_list,
    implementation_rollup,
    provision_list,
    signatory_list,
)
from apps.agreements.services import (
    agreement_amend,
    agreement_change_status,
    agreement_create,
    agreement_link_add,
    agreement_link_remove,
    agreement_update,
    agreement_version_create,
    assessment_record,
    provision_create,
    provision_delete,
    provision_set_deadline,
    provision_update,
    signatory_add,
    signatory_remove,
)
from apps.api.base import ActorAPIView
from apps.api.concurrency import not_modified
from apps.api.fields import FilterSet, IdFilter, ScopedPrimaryKeyField, StrictBooleanFilter
from apps.api.resources import DomainViewSet, refetch
from apps.api.serializers import InputSerializer, ProblemSerializer
from apps.disputes.models import Dispute
from apps.disputes.selectors import disputes_visible, party_list, representative_list
from apps.parties.models import Party, Representative


def _disputes(actor: Actor) -> QuerySet:
    return disputes_visible(actor=actor)


def _agreements(actor: Actor) -> QuerySet:
    return agreement_list(actor=actor)


def _parties(actor: Actor) -> QuerySet:
    return party_list(actor=actor)


def _provisions(actor: Actor) -> QuerySet:
    return provision_list(actor=actor)


_TAGS = ["agreements"]


# --- agreements ----------------------------------------------------------------------------------------


class AgreementListRow(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=AgreementType.choices)
    status = serializers.ChoiceField(choices=AgreementStatus.choices)
    signed_on = serializers.DateField(allow_null=True)
    signed_on_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    place = serializers.CharField(allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField())
    in_force_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    provision_count = serializers.IntegerField(allow_null=True)
    latest_version = serializers.IntegerField(allow_null=True, help_text=_("Number of the latest text version."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SignatoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agreement_id = serializers.IntegerField()
    party_id = serializers.IntegerField()
    party_name = serializers.CharField()
    representative_id = serializers.IntegerField(allow_null=True)
    role = serializers.ChoiceField(choices=Signatory.Role.choices)
    signed_on = serializers.DateField(allow_null=True)
    place = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


def _signatory_row(s: Signatory) -> dict[str, Any]:
    return {"id": s.pk, "agreement_id": s.agreement_id, "party_id": s.party_id, "party_name": s.party.name,
            "representative_id": s.representative_id, "role": s.role, "signed_on": s.signed_on, "place": s.place,
            "created_at": s.created_at}


class VersionRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    change_summary = serializers.CharField(allow_blank=True)
    is_amendment = serializers.BooleanField()
    author = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class AgreementOutput(AgreementListRow):
    summary = serializers.CharField(allow_blank=True)
    status_reason = serializers.CharField(allow_blank=True)
    source_url = serializers.CharField(allow_blank=True)
    pax_agt_id = serializers.CharField(allow_blank=True)
    ucdp_paid = serializers.CharField(allow_blank=True)
    latest_text = serializers.CharField(allow_null=True)
    versions = VersionRef(many=True)
    signatories = SignatoryOutput(many=True)

    def to_representation(self, a: Agreement) -> dict[str, Any]:
        versions = getattr(a, "versions_loaded", [])
        return {
            **{n: getattr(a, n) for n in ("id", "dispute_id", "title", "type", "status", "signed_on",
                                          "signed_on_precision", "place", "languages", "in_force_on", "ended_on",
                                          "created_at", "updated_at", "summary", "status_reason", "source_url",
                                          "pax_agt_id", "ucdp_paid", "latest_text")},
            "provision_count": len(getattr(a, "provisions_loaded", [])),
            "latest_version": versions[-1].number if versions else None,
            "versions": [
                {"id": v.pk, "number": v.number, "change_summary": v.change_summary, "is_amendment": v.is_amendment,
                 "author": v.author_label, "created_at": v.created_at} for v in versions
            ],
            "signatories": [_signatory_row(s) for s in getattr(a, "signatories_loaded", [])],
        }


class AgreementInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_disputes)
    title = serializers.CharField(max_length=500)
    type = serializers.ChoiceField(choices=AgreementType.choices)
    summary = serializers.CharField(allow_blank=True, required=False)
    place = serializers.CharField(max_length=200, allow_blank=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=10), required=False, max_length=20)
    source_url = serializers.URLField(max_length=500, allow_blank=True, required=False)
    text = serializers.CharField(allow_blank=True, required=False, help_text=_("The first version of the text."))
    change_summary = serializers.CharField(max_length=500, allow_blank=True, required=False)


class AgreementUpdateInput(InputSerializer):
    title = serializers.CharField(max_length=500, required=False)
    type = serializers.ChoiceField(choices=AgreementType.choices, required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    place = serializers.CharField(max_length=200, allow_blank=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=10), required=False, max_length=20)
    source_url = serializers.URLField(max_length=500, allow_blank=True, required=False)
    pax_agt_id = serializers.CharField(max_length=20, allow_blank=True, required=False)
    ucdp_paid = serializers.CharField(max_length=20, allow_blank=True, required=False)


class AgreementStatusInput(InputSerializer):
    to_status = serializers.ChoiceField(choices=AgreementStatus.choices)
    on = serializers.DateField(required=False, help_text=_("The date of the change (signing, entry into force)."))
    place = serializers.CharField(max_length=200, allow_blank=True, required=False)
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    superseded_by = ScopedPrimaryKeyField(model=Agreement, scope=_agreements, required=False, allow_null=True)


class AgreementLinkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    from_agreement_id = serializers.IntegerField()
    to_agreement_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AgreementLink.Kind.choices, help_text=_(
        "The from-agreement supersedes / implements / renews the to-agreement."
    ))
    direction = serializers.ChoiceField(choices=[("out", "out"), ("in", "in")], help_text=_(
        "out: this agreement is the from-agreement; in: another agreement refers to this one."
    ))
    other_agreement_id = serializers.IntegerField()
    other_agreement_title = serializers.CharField()
    created_at = serializers.DateTimeField()


class AgreementLinksOutput(serializers.Serializer):
    agreement_id = serializers.IntegerField()
    links = AgreementLinkOutput(many=True, help_text=_("Links to agreements out of your reach are left out."))


def _link_row(link: AgreementLink, *, agreement_id: int) -> dict[str, Any]:
    out = link.from_agreement_id == agreement_id
    other = link.to_agreement if out else link.from_agreement
    return {"id": link.pk, "from_agreement_id": link.from_agreement_id, "to_agreement_id": link.to_agreement_id,
            "kind": link.kind, "direction": "out" if out else "in", "other_agreement_id": other.pk,
            "other_agreement_title": other.title, "created_at": link.created_at}


class AgreementLinkInput(InputSerializer):
    target = ScopedPrimaryKeyField(model=Agreement, scope=_agreements, help_text=_(
        "The agreement this one supersedes, implements or renews."
    ))
    kind = serializers.ChoiceField(choices=AgreementLink.Kind.choices)


# DELETE answers are not among the write methods the schema hook documents a 400 for; a link that
# records why its target is superseded stays, and that refusal is a 400.
_DELETE_REFUSED = OpenApiResponse(ProblemSerializer, description=str(_("The service refused: see detail.")))


class AgreementFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    status = django_filters.MultipleChoiceFilter(choices=AgreementStatus.choices)
    type = django_filters.ChoiceFilter(choices=AgreementType.choices)

    class Meta:
        model = Agreement
        fields = ["dispute", "status", "type", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=_TAGS, responses=AgreementListRow(many=True)),
    retrieve=extend_schema(tags=_TAGS, responses=AgreementOutput),
    create=extend_schema(tags=_TAGS, request=AgreementInput, responses={201: AgreementOutput}),
    update=extend_schema(tags=_TAGS, request=AgreementUpdateInput, responses=AgreementOutput),
    partial_update=extend_schema(tags=_TAGS, request=AgreementUpdateInput, responses=AgreementOutput),
)
class AgreementViewSet(DomainViewSet):
    """Agreements of the disputes the caller may read; the text lives in /agreement-versions/."""

    serializer_class = AgreementListRow
    input_serializer_class = AgreementInput
    filterset_class = AgreementFilter
    list_fields = {n: n for n in AgreementListRow().fields}

    def get_queryset(self) -> Any:
        if self.action == "list":
            return agreement_list(actor=self.actor).select_related(None).order_by()
        return agreement_detail(actor=self.actor).order_by()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return AgreementListRow if self.action == "list" else AgreementOutput

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return AgreementUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def get_object_for_update(self) -> Any:
        obj = super().get_object()
        return Agreement.objects.select_for_update().get(pk=obj.pk)

    def _full(self, a: Agreement) -> Agreement:
        return refetch(agreement_detail(actor=self.actor), a)

    def create_object(self, *, data: dict[str, Any]) -> Agreement:
        return self._full(agreement_create(actor=self.actor, **data))

    def update_object(self, *, instance: Agreement, data: dict[str, Any], partial: bool) -> Agreement:
        return self._full(agreement_update(actor=self.actor, agreement=instance, data=data))

    @extend_schema(tags=_TAGS, request=AgreementStatusInput, responses=AgreementOutput,
                   summary="Move the agreement along its workflow (initial, sign, in force, ...)")
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=AgreementStatusInput, output=lambda a: AgreementOutput(self._full(a)).data,
            do=lambda a, data: agreement_change_status(actor=self.actor, agreement=a, **data),
        )

    # --- links between agreements (apps/agreements/services.py: agreement_link_add / _remove) ---

    def _links(self, agreement: Agreement) -> dict[str, Any]:
        # agreement_detail prefetches both directions, without links to agreements out of reach.
        links = [*getattr(agreement, "links_out_loaded", []), *getattr(agreement, "links_in_loaded", [])]
        return {"agreement_id": agreement.pk,
                "links": [_link_row(link, agreement_id=agreement.pk) for link in sorted(links, key=lambda x: x.pk)]}

    @extend_schema(methods=["GET"], tags=_TAGS, responses=AgreementLinksOutput, filters=False,
                   summary="Links from and to this agreement (supersedes, implements, renews)")
    @extend_schema(methods=["POST"], tags=_TAGS, request=AgreementLinkInput, responses={201: AgreementLinkOutput},
                   summary="Record that this agreement supersedes, implements or renews another")
    @action(detail=True, methods=["get", "post"], url_path="links")
    def links(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "GET":
            return Response(self._links(self.get_object()))
        return self.run_action(
            request, input_class=AgreementLinkInput, status_code=status.HTTP_201_CREATED,
            output=lambda link: _link_row(link, agreement_id=link.from_agreement_id),
            do=lambda a, data: agreement_link_add(actor=self.actor, agreement=a, **data),
        )

    @extend_schema(
        tags=_TAGS, request=None, summary="Remove a link (from either of its agreements)",
        parameters=[OpenApiParameter("link_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, (400, "application/problem+json"): _DELETE_REFUSED},
    )
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_id>[0-9]+)")
    def remove_link(self, request: Request, pk: str | None = None, link_id: str | None = None) -> Response:
        with transaction.atomic():
            agreement = self.get_object()
            visible = {link.pk for link in (*agreement.links_out_loaded, *agreement.links_in_loaded)}
            if int(link_id or 0) not in visible:
                raise exceptions.NotFound()
            link = AgreementLink.objects.select_related("from_agreement__dispute", "to_agreement").get(
                pk=int(link_id or 0)
            )
            agreement_link_remove(actor=self.actor, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DiffChunkOutput(serializers.Serializer):
    tag = serializers.ChoiceField(choices=[(t, t) for t in ("equal", "insert", "delete", "replace")])
    old_start = serializers.IntegerField()
    new_start = serializers.IntegerField()
    old_lines = serializers.ListField(child=serializers.CharField(allow_blank=True))
    new_lines = serializers.ListField(child=serializers.CharField(allow_blank=True))


class DiffOutput(serializers.Serializer):
    from_number = serializers.IntegerField()
    to_number = serializers.IntegerField()
    lines_added = serializers.IntegerField()
    lines_removed = serializers.IntegerField()
    unified = serializers.CharField(allow_blank=True)
    chunks = DiffChunkOutput(many=True)


class AgreementDiffView(ActorAPIView):
    """The line diff between two versions of an agreement's text (either way round)."""

    query_parameters = frozenset({"from", "to"})

    @extend_schema(
        tags=_TAGS, operation_id="agreements_diff", responses=DiffOutput, summary="Diff two versions of the text",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, required=True, description=str(_("A version number."))),
            OpenApiParameter("to", OpenApiTypes.INT, required=True, description=str(_("A version number."))),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        numbers: dict[str, int] = {}
        errors: dict[str, list[str]] = {}
        for name in ("from", "to"):
            raw = request.query_params.get(name, "")
            if not raw.isdecimal() or not 1 <= int(raw) <= 1_000_000:
                errors[name] = [str(_("Give a version number."))]
            else:
                numbers[name] = int(raw)
        if errors:
            raise exceptions.ValidationError(errors)
        diff = agreement_version_diff(actor=self.actor, agreement_id=pk, from_number=numbers["from"],
                                      to_number=numbers["to"])
        return Response({
            "from_number": diff.from_number, "to_number": diff.to_number, "lines_added": diff.lines_added,
            "lines_removed": diff.lines_removed, "unified": diff.unified, "too_large": diff.too_large,
            "chunks": [{"tag": c.tag, "old_start": c.old_start, "new_start": c.new_start, "old_lines": c.old_lines,
                        "new_lines": c.new_lines} for c in diff.chunks],
        })


# --- versions ----------------------------------------------------------------------------------------------


class AgreementVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agreement_id = serializers.IntegerField()
    number = serializers.IntegerField()
    based_on_id = serializers.IntegerField(allow_null=True)
    is_latest = serializers.BooleanField(help_text=_("Only the latest version can be edited (PUT/PATCH + If-Match)."))
    text = serializers.CharField()
    change_summary = serializers.CharField(allow_blank=True)
    is_amendment = serializers.BooleanField()
    author = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, v: AgreementVersion) -> dict[str, Any]:
        return {**{n: getattr(v, n) for n in ("id", "agreement_id", "number", "based_on_id", "text",
                                              "change_summary", "is_amendment", "created_at")},
                "is_latest": not v.superseded, "author": v.author_label}


class AgreementVersionInput(InputSerializer):
    agreement = ScopedPrimaryKeyField(model=Agreement, scope=_agreements)
    based_on = serializers.IntegerField(
        min_value=1, allow_null=True,
        help_text=_("The number of the latest version you read (null for the first text)."),
    )
    text = serializers.CharField(max_length=2_000_000)
    change_summary = serializers.CharField(max_length=500, allow_blank=True, required=False)
    reason = serializers.CharField(allow_blank=True, required=False,
                                   help_text=_("Why a signed text is amended (required for an amendment)."))


class AgreementVersionEditInput(InputSerializer):
    """A new version based on this one; the version itself is never overwritten."""

    text = serializers.CharField(max_length=2_000_000)
    change_summary = serializers.CharField(max_length=500, allow_blank=True, required=False)
    reason = serializers.CharField(allow_blank=True, required=False,
                                   help_text=_("Why a signed text is amended (required for an amendment)."))


class VersionFilter(FilterSet):
    agreement = IdFilter(field_name="agreement_id")
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = AgreementVersion
        fields = ["agreement"]


def _save_version(actor: Actor, agreement: Agreement, based_on: AgreementVersion | None,
                  data: dict[str, Any]) -> AgreementVersion:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.text_is_frozen:
        if based_on is None:
            raise exceptions.ValidationError({"based_on": [_("A signed text is amended from its latest version.")]})
        return agreement_amend(actor=actor, agreement=agreement, based_on=based_on, text=data["text"],
                               change_summary=data.get("change_summary", ""), reason=data.get("reason", ""))
    return agreement_version_create(actor=actor, agreement=agreement, based_on=based_on, text=data["text"],
                                    change_summary=data.get("change_summary", ""))


@extend_schema_view(
    list=extend_schema(tags=_TAGS), retrieve=extend_schema(tags=_TAGS),
    create=extend_schema(tags=_TAGS, request=AgreementVersionInput, responses={201: AgreementVersionOutput},
                         summary="Save a new version of the text (based_on: the latest you read)"),
    update=extend_schema(tags=_TAGS, request=AgreementVersionEditInput, summary=(
        "Save a new version based on this one (If-Match: this version's ETag; stale once a newer one exists)")),
    partial_update=extend_schema(tags=_TAGS, request=AgreementVersionEditInput, summary=(
        "Save a new version based on this one (If-Match: this version's ETag; stale once a newer one exists)")),
)
class AgreementVersionViewSet(DomainViewSet):
    """Every version of an agreement's text, never overwritten. Editing a version adds its successor."""

    serializer_class = AgreementVersionOutput
    input_serializer_class = AgreementVersionInput
    filterset_class = VersionFilter
    if_match_required = True

    def get_queryset(self) -> Any:
        # ``version`` (has a successor) feeds the ETag: a version's tag goes stale once it is not the latest.
        later = AgreementVersion.objects.filter(based_on=OuterRef("pk"))
        return (
            AgreementVersion.objects.filter(agreement__in=agreement_list(actor=self.actor).values("pk"))
            .annotate(superseded=Exists(later), version=Exists(later))
            .order_by()
        )

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return AgreementVersionEditInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def get_object_for_update(self) -> Any:
        # The agreement's row lock (taken in _save_version) orders concurrent edits; the version row
        # itself never changes, so it is read, not locked.
        return self.get_object()

    def _reread(self, v: AgreementVersion) -> AgreementVersion:
        return refetch(self.get_queryset(), v)

    def create_object(self, *, data: dict[str, Any]) -> AgreementVersion:
        agreement = data["agreement"]
        number = data.get("based_on")
        based_on = None
        if number is not None:
            based_on = agreement_version_list(actor=self.actor, agreement_id=agreement.pk).filter(
                number=number).first()
            if based_on is None:
                raise exceptions.ValidationError({"based_on": [_("The agreement has no such version.")]})
        return self._reread(_save_version(self.actor, agreement, based_on, data))

    def update_object(self, *, instance: AgreementVersion, data: dict[str, Any], partial: bool) -> AgreementVersion:
        return self._reread(_save_version(self.actor, instance.agreement, instance, data))


# --- signatories ---------------------------------------------------------------------------------------------


class SignatoryInput(InputSerializer):
    agreement = ScopedPrimaryKeyField(model=Agreement, scope=_agreements)
    party = ScopedPrimaryKeyField(model=Party, scope=_parties)
    role = serializers.ChoiceField(choices=Signatory.Role.choices, required=False)
    representative = ScopedPrimaryKeyField(model=Representative, scope=lambda a: representative_list(actor=a),
                                           required=False, allow_null=True)
    signed_on = serializers.DateField(required=False, allow_null=True)
    place = serializers.CharField(max_length=200, allow_blank=True, required=False)


class SignatoryFilter(FilterSet):
    agreement = IdFilter(field_name="agreement_id")
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = Signatory
        fields = ["agreement"]


@extend_schema_view(
    list=extend_schema(tags=_TAGS), retrieve=extend_schema(tags=_TAGS),
    create=extend_schema(tags=_TAGS, responses={201: SignatoryOutput}), destroy=extend_schema(tags=_TAGS),
)
class SignatoryViewSet(DomainViewSet):
    """Who signed, witnessed or guaranteed an agreement."""

    serializer_class = SignatoryOutput
    input_serializer_class = SignatoryInput
    filterset_class = SignatoryFilter

    def get_queryset(self) -> Any:
        return signatory_list(actor=self.actor).order_by()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        return self.get_paginated_response([_signatory_row(s) for s in page])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        signatory = self.get_object()
        etag = self.get_etag(signatory)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(_signatory_row(signatory), headers={"ETag": etag})

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], Signatory):
            args[0].party_name = args[0].party.name
        return super().get_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> Signatory:
        return signatory_add(actor=self.actor, **data)

    def destroy_object(self, *, instance: Signatory) -> None:
        signatory_remove(actor=self.actor, signatory=instance)


# --- provisions ------------------------------------------------------------------------------------------------


class ProvisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agreement_id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    label = serializers.CharField(allow_blank=True)
    order = serializers.IntegerField()
    text = serializers.CharField()
    category = serializers.ChoiceField(choices=ProvisionCategory.choices)
    responsible_party_ids = serializers.ListField(child=serializers.IntegerField())
    verifier_party_id = serializers.IntegerField(allow_null=True)
    verifier_organisation_id = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    current_score = serializers.ChoiceField(choices=ImplementationLevel.choices, allow_null=True, help_text=_(
        "The latest assessment (Peace Accords Matrix: 0 not initiated, 1 minimal, 2 intermediate, 3 full)."
    ))
    current_assessed_on = serializers.DateField(allow_null=True)
    is_overdue = serializers.BooleanField(help_text=_("Deadline passed and not fully implemented."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _responsible_ids() -> ArraySubquery:
    through = Provision.responsible_parties.through
    return ArraySubquery(through.objects.filter(provision_id=OuterRef("pk")).order_by("party_id").values("party_id"))


_PROVISION_FIELDS = {
    **{n: n for n in ("id", "agreement_id", "label", "order", "text", "category", "verifier_party_id",
                      "verifier_organisation_id", "deadline", "current_score", "current_assessed_on", "is_overdue",
                      "created_at", "updated_at")},
    "dispute_id": "agreement__dispute_id",
    "responsible_party_ids": _responsible_ids(),
}


class ProvisionInput(InputSerializer):
    agreement = ScopedPrimaryKeyField(model=Agreement, scope=_agreements)
    text = serializers.CharField(max_length=100000)
    category = serializers.ChoiceField(choices=ProvisionCategory.choices)
    label = serializers.CharField(max_length=40, allow_blank=True, required=False)
    order = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    responsible_parties = ScopedPrimaryKeyField(model=Party, scope=_parties, many=True, required=False)
    verifier_party = ScopedPrimaryKeyField(model=Party, scope=_parties, required=False, allow_null=True)
    verifier_organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True,
        help_text=_("The slug of a verifying organisation."),
    )
    deadline = serializers.DateField(required=False, allow_null=True)


class ProvisionUpdateInput(InputSerializer):
    text = serializers.CharField(max_length=100000, required=False)
    category = serializers.ChoiceField(choices=ProvisionCategory.choices, required=False)
    label = serializers.CharField(max_length=40, allow_blank=True, required=False)
    order = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    responsible_parties = ScopedPrimaryKeyField(model=Party, scope=_parties, many=True, required=False)
    verifier_party = ScopedPrimaryKeyField(model=Party, scope=_parties, required=False, allow_null=True)
    verifier_organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True,
    )
    deadline = serializers.DateField(required=False, allow_null=True)


class ProvisionDeadlineInput(InputSerializer):
    deadline = serializers.DateField(allow_null=True, help_text=_(
        "The new deadline; null clears it. Its reminders move in the same transaction."
    ))


class ProvisionFilter(FilterSet):
    agreement = IdFilter(field_name="agreement_id")
    dispute = IdFilter(field_name="agreement__dispute_id")
    category = django_filters.MultipleChoiceFilter(choices=ProvisionCategory.choices)
    score = django_filters.ChoiceFilter(
        choices=[*[(str(n), str(n)) for n in range(4)], ("none", "none")], method="filter_score",
        help_text=_("The current score, 0 to 3, or none (never assessed)."),
    )
    overdue = StrictBooleanFilter(method="filter_overdue", help_text=_("Deadline passed, not fully implemented."))
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lt")

    class Meta:
        model = Provision
        fields = ["agreement", "dispute", "category", "score", "overdue", "deadline_before", "updated_since"]

    def filter_score(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "none":
            return qs.filter(current_score__isnull=True)
        return qs.filter(current_score=int(value))

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        live = ~Q(agreement__status__in=["terminated", "superseded"])
        return qs.filter(Q(is_overdue=True) & live) if value else qs.exclude(Q(is_overdue=True) & live)


@extend_schema_view(
    list=extend_schema(tags=["provisions"]), retrieve=extend_schema(tags=["provisions"]),
    create=extend_schema(tags=["provisions"], responses={201: ProvisionOutput}),
    update=extend_schema(tags=["provisions"], request=ProvisionUpdateInput),
    partial_update=extend_schema(tags=["provisions"], request=ProvisionUpdateInput),
    destroy=extend_schema(tags=["provisions"]),
)
class ProvisionViewSet(DomainViewSet):
    """The commitments inside agreements, with their current implementation score."""

    serializer_class = ProvisionOutput
    input_serializer_class = ProvisionInput
    filterset_class = ProvisionFilter
    list_fields = _PROVISION_FIELDS

    def get_queryset(self) -> Any:
        return provision_list(actor=self.actor).select_related(None).order_by()

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return ProvisionUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def get_object(self) -> Any:
        obj = super().get_object()
        obj.dispute_id = obj.agreement.dispute_id
        obj.responsible_party_ids = sorted(p.pk for p in obj.responsible_parties.all())
        return obj

    def get_object_for_update(self) -> Any:
        return Provision.objects.select_for_update().select_related("agreement").get(pk=self.get_object().pk)

    def _full(self, p: Provision) -> Provision:
        self.kwargs["pk"] = p.pk
        return self.get_object()

    def create_object(self, *, data: dict[str, Any]) -> Provision:
        return self._full(provision_create(actor=self.actor, **data))

    def update_object(self, *, instance: Provision, data: dict[str, Any], partial: bool) -> Provision:
        return self._full(provision_update(actor=self.actor, provision=instance, data=data))

    def destroy_object(self, *, instance: Provision) -> None:
        provision_delete(actor=self.actor, provision=instance)

    @extend_schema(tags=["provisions"], request=ProvisionDeadlineInput, responses=ProvisionOutput,
                   summary="Set, move or clear the provision's deadline")
    @action(detail=True, methods=["post"])
    def deadline(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=ProvisionDeadlineInput,
            output=lambda p: ProvisionOutput(self._full(p)).data,
            do=lambda p, data: provision_set_deadline(actor=self.actor, provision=p, **data),
        )


# --- assessments ------------------------------------------------------------------------------------------------


class AssessmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    provision_id = serializers.IntegerField()
    score = serializers.ChoiceField(choices=ImplementationLevel.choices)
    assessed_on = serializers.DateField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    narrative = serializers.CharField(allow_blank=True)
    evidence = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    assessed_by_label = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class AssessmentInput(InputSerializer):
    provision = ScopedPrimaryKeyField(model=Provision, scope=_provisions)
    score = serializers.ChoiceField(choices=ImplementationLevel.choices)
    assessed_on = serializers.DateField(required=False)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    narrative = serializers.CharField(allow_blank=True, required=False)
    evidence = serializers.CharField(allow_blank=True, required=False)
    source = serializers.CharField(max_length=500, allow_blank=True, required=False)


class AssessmentFilter(FilterSet):
    provision = IdFilter(field_name="provision_id")
    agreement = IdFilter(field_name="provision__agreement_id")
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = ImplementationAssessment
        fields = ["provision", "agreement"]


@extend_schema_view(
    list=extend_schema(tags=["provisions"]), retrieve=extend_schema(tags=["provisions"]),
    create=extend_schema(tags=["provisions"], responses={201: AssessmentOutput},
                         summary="Record an implementation assessment (history is kept)"),
)
class AssessmentViewSet(DomainViewSet):
    """Dated implementation assessments; the latest of a provision is its current score."""

    serializer_class = AssessmentOutput
    input_serializer_class = AssessmentInput
    filterset_class = AssessmentFilter
    list_fields = {n: n for n in AssessmentOutput().fields}

    def get_queryset(self) -> Any:
        return assessment_list(actor=self.actor).select_related(None).order_by()

    def create_object(self, *, data: dict[str, Any]) -> ImplementationAssessment:
        return assessment_record(actor=self.actor, **data)


# --- roll-ups --------------------------------------------------------------------------------------------------


class RollupRowOutput(serializers.Serializer):
    agreement_id = serializers.IntegerField(required=False, help_text=_("With by=agreement or agreement_category."))
    category = serializers.ChoiceField(choices=ProvisionCategory.choices, required=False,
                                       help_text=_("With by=category or agreement_category."))
    total = serializers.IntegerField()
    assessed = serializers.IntegerField()
    not_assessed = serializers.IntegerField()
    level_0 = serializers.IntegerField()
    level_1 = serializers.IntegerField()
    level_2 = serializers.IntegerField()
    level_3 = serializers.IntegerField()
    share_0 = serializers.FloatField(allow_null=True)
    share_1 = serializers.FloatField(allow_null=True)
    share_2 = serializers.FloatField(allow_null=True)
    share_3 = serializers.FloatField(allow_null=True)
    mean_score = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()


_BY = ("agreement", "category", "agreement_category")


class RollupView(ActorAPIView):
    """Implementation at a glance: provisions per level, the mean score and the overdue count."""

    query_parameters = frozenset({"by", "agreement", "dispute"})

    @extend_schema(
        tags=["provisions"], operation_id="rollups_list", responses=RollupRowOutput(many=True),
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(_BY),
                             description=str(_("Grouping (default agreement_category)."))),
            OpenApiParameter("agreement", OpenApiTypes.INT),
            OpenApiParameter("dispute", OpenApiTypes.INT),
        ],
        summary="Implementation roll-ups",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        errors: dict[str, list[str]] = {}
        by = params.get("by", "agreement_category")
        if by not in _BY:
            errors["by"] = [str(_("One of: %(values)s.") % {"values": ", ".join(_BY)})]
        ids: dict[str, int | None] = {}
        for name in ("agreement", "dispute"):
            raw = params.get(name)
            if raw in (None, ""):
                ids[name] = None
            elif not raw.isdecimal() or int(raw) < 1:
                errors[name] = [str(_("Give an id."))]
            else:
                ids[name] = int(raw)
        if errors:
            raise exceptions.ValidationError(errors)
        rows = implementation_rollup(actor=self.actor, by=by, agreement_id=ids["agreement"],  # type: ignore[arg-type]
                                     dispute_id=ids["dispute"])
        return Response(rows)
