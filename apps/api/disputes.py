"""/api/v1/disputes/ and what hangs off a dispute: stage changes, risk history, case parties,
negotiation issues, positions, case team, shares, and the timeline.

Every queryset comes from apps/disputes/selectors.py; every write is a service of
apps/disputes/services.py. The disputes list is built in one query: its rows (parties and lead
mediator included) come out of PostgreSQL as ``.values()`` with JSON sub-selects, rendered by
orjson; no model objects, no nested serializers.
"""

from __future__ import annotations

from typing import Any

import django_filters
import orjson
from django.contrib.postgres.aggregates import JSONBAgg
from django.db import transaction
from django.db.models import Func, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, JSONObject
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import Actor
from apps.accounts.models import Organisation, User
from apps.api.base import ActorAPIView
from apps.api.fields import AwareDateTimeFilter, FilterSet, IdFilter, ScopedPrimaryKeyField, StrictBooleanFilter
from apps.api.idempotency import idempotent
from apps.api.resources import DomainViewSet, org_users, refetch
from apps.api.serializers import InputSerializer
from apps.api.timeline import timeline_response
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    ClosureReason,
    Confidentiality,
    Dispute,
    DisputeType,
    NegotiationIssue,
    PartyPosition,
    ProcessFormat,
    Risk,
    RiskAssessment,
    RootCause,
    Stage,
    StageChange,
    Track,
)
from apps.disputes.selectors import (
    case_party_list,
    case_share_list,
    dispute_detail,
    dispute_list,
    disputes_visible,
    negotiation_issue_list,
    parties_writable,
    party_position_list,
    risk_assessment_list,
    stage_change_list,
    team_member_list,
)
from apps.disputes.services import (
    allowed_transitions,
    case_party_add,
    case_party_remove,
    case_party_update,
    case_share_grant,
    case_share_revoke,
    dispute_change_risk,
    dispute_change_stage,
    dispute_open,
    dispute_set_confidentiality,
    dispute_update,
    negotiation_issue_create,
    negotiation_issue_update,
    party_position_set,
    team_lead_transfer,
    team_member_add,
    team_member_change_role,
    team_member_remove,
)
from apps.negotiations.services import issue_reopen
from apps.parties.models import Party
from apps.sessions.selectors import DEFAULT_TIMELINE_PAGE, MAX_TIMELINE_PAGE, TIMELINE_KINDS

# --- disputes ----------------------------------------------------------------------------------------


class DisputePartyRef(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Id of a party (not a case party: see /parties/)."))
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Party.Kind.choices)
    role = serializers.ChoiceField(choices=CaseParty.Role.choices, help_text=_("The party's role in this dispute."))


class LeadMediatorRef(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The user's id."))
    name = serializers.CharField()
    email = serializers.EmailField()


class DisputeListRow(serializers.Serializer):
    """One row of the disputes list (the contract partners and the benchmark rely on)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    risk = serializers.ChoiceField(choices=Risk.choices)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    process_format = serializers.ChoiceField(choices=ProcessFormat.choices)
    track = serializers.ChoiceField(choices=Track.choices)
    countries = serializers.ListField(child=serializers.CharField())
    dispute_types = serializers.ListField(child=serializers.ChoiceField(choices=DisputeType.choices))
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    updated_at = serializers.DateTimeField()
    parties = DisputePartyRef(many=True)
    lead_mediator = LeadMediatorRef(allow_null=True)


class IssueRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=NegotiationIssue.Status.choices)
    order = serializers.IntegerField()


class DisputeOutput(serializers.Serializer):
    """A dispute: the list row plus its description, agenda and what the caller may do next."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    stage = serializers.ChoiceField(choices=Stage.choices)
    allowed_stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Stage.choices), help_text=_("Stages the dispute may move to next.")
    )
    risk = serializers.ChoiceField(choices=Risk.choices)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    process_format = serializers.ChoiceField(choices=ProcessFormat.choices)
    track = serializers.ChoiceField(choices=Track.choices)
    countries = serializers.ListField(child=serializers.CharField())
    dispute_types = serializers.ListField(child=serializers.ChoiceField(choices=DisputeType.choices))
    root_causes = serializers.ListField(child=serializers.ChoiceField(choices=RootCause.choices))
    root_causes_other = serializers.CharField(allow_blank=True)
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    closure_reason = serializers.CharField(allow_blank=True)
    ucdp_conflict_id = serializers.CharField(allow_blank=True)
    pax_process_id = serializers.CharField(allow_blank=True)
    organisation_id = serializers.IntegerField(help_text=_("The owning organisation (yours, or one sharing it)."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    parties = DisputePartyRef(many=True)
    lead_mediator = LeadMediatorRef(allow_null=True)
    issues = IssueRef(many=True)

    def to_representation(self, instance: Dispute) -> dict[str, Any]:
        leads = getattr(instance, "leads_loaded", [])
        lead = leads[0] if leads else None
        return {
            **{name: getattr(instance, name) for name in (
                "id", "reference", "title", "summary", "stage", "risk", "confidentiality", "process_format", "track",
                "countries", "dispute_types", "root_causes", "root_causes_other", "opened_on", "closed_on",
                "closure_reason", "ucdp_conflict_id", "pax_process_id", "organisation_id", "created_at", "updated_at",
            )},
            "allowed_stages": allowed_transitions(instance),
            "parties": [
                {"id": cp.party_id, "name": cp.party.name, "kind": cp.party.kind, "role": cp.role}
                for cp in instance.parties_loaded
            ],
            "lead_mediator": None if lead is None else {
                "id": lead.user_id, "name": lead.user.name, "email": lead.user.email,
            },
            "issues": [
                {"id": i.pk, "title": i.title, "status": i.status, "order": i.order} for i in instance.issues.all()
            ],
        }


def _lead_user_scope(actor: Actor) -> QuerySet:
    return org_users(actor)


class DisputeInput(InputSerializer):
    title = serializers.CharField(max_length=300)
    lead_mediator = ScopedPrimaryKeyField(
        model=User, scope=_lead_user_scope,
        help_text=_("A user id: a mediator, case officer or admin of your organisation."),
    )
    opened_on = serializers.DateField(required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    dispute_types = serializers.ListField(child=serializers.ChoiceField(choices=DisputeType.choices), required=False)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, max_length=50)
    process_format = serializers.ChoiceField(choices=ProcessFormat.choices, required=False)
    track = serializers.ChoiceField(choices=Track.choices, required=False)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    root_causes = serializers.ListField(child=serializers.ChoiceField(choices=RootCause.choices), required=False)
    root_causes_other = serializers.CharField(max_length=500, allow_blank=True, required=False)
    ucdp_conflict_id = serializers.CharField(max_length=40, allow_blank=True, required=False)
    pax_process_id = serializers.CharField(max_length=40, allow_blank=True, required=False)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False,
                                    help_text=_("An open stage (default intake)."))
    lead_affiliations = serializers.ListField(child=serializers.CharField(max_length=300), required=False,
                                              max_length=50)


class DisputeUpdateInput(InputSerializer):
    """PUT sends every field (title required); PATCH any of them. Stage and risk have their own actions."""

    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(allow_blank=True, required=False)
    dispute_types = serializers.ListField(child=serializers.ChoiceField(choices=DisputeType.choices), required=False)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, max_length=50)
    process_format = serializers.ChoiceField(choices=ProcessFormat.choices, required=False)
    track = serializers.ChoiceField(choices=Track.choices, required=False)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    root_causes = serializers.ListField(child=serializers.ChoiceField(choices=RootCause.choices), required=False)
    root_causes_other = serializers.CharField(max_length=500, allow_blank=True, required=False)
    opened_on = serializers.DateField(required=False)
    ucdp_conflict_id = serializers.CharField(max_length=40, allow_blank=True, required=False)
    pax_process_id = serializers.CharField(max_length=40, allow_blank=True, required=False)


class StageChangeInput(InputSerializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    closure_reason = serializers.ChoiceField(choices=ClosureReason.choices, required=False)
    closed_on = serializers.DateField(required=False)


class RiskChangeInput(InputSerializer):
    risk = serializers.ChoiceField(choices=Risk.choices)
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    assessed_on = serializers.DateField(required=False)


class ConfidentialityInput(InputSerializer):
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, help_text=_(
        "restricted: the case team and the organisation's admins alone read the dispute."
    ))
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)


class DisputeFilter(FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, help_text=_("Repeat for several stages."))
    risk = django_filters.MultipleChoiceFilter(choices=Risk.choices)
    confidentiality = django_filters.ChoiceFilter(choices=Confidentiality.choices)
    process_format = django_filters.ChoiceFilter(choices=ProcessFormat.choices)
    track = django_filters.ChoiceFilter(choices=Track.choices)
    type = django_filters.ChoiceFilter(choices=DisputeType.choices, method="filter_type",
                                       help_text=_("One of the dispute's types."))
    country = django_filters.CharFilter(method="filter_country", max_length=2,
                                        help_text=_("ISO 3166-1 alpha-2: one of the dispute's countries."))
    reference = django_filters.CharFilter(method="filter_reference")
    mine = StrictBooleanFilter(method="filter_mine", help_text=_("Only disputes on whose case team you are."))

    class Meta:
        model = Dispute
        fields = ["stage", "risk", "confidentiality", "process_format", "track", "type", "country", "reference",
                  "mine", "updated_since"]

    def filter_type(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(dispute_types__contains=[value])

    def filter_country(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(countries__contains=[value.strip().upper()])

    def filter_reference(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(reference=value.strip().upper())

    def filter_mine(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(is_mine=value)


class _JSONText(Func):
    """A JSON document as text: orjson embeds it as it is (``orjson.Fragment``), no decode and re-encode."""

    template = "(%(expressions)s)::text"
    output_field = TextField()


def _party_refs() -> Coalesce:
    parties = (
        CaseParty.objects.filter(dispute=OuterRef("pk")).order_by()
        .values("dispute")
        .annotate(j=_JSONText(JSONBAgg(
            JSONObject(id="party_id", name="party__name", kind="party__kind", role="role"), order_by="id",
        )))
        .values("j")
    )
    return Coalesce(Subquery(parties, output_field=TextField()), Value("[]"), output_field=TextField())


def _lead_ref() -> Subquery:
    lead = (
        CaseTeamMember.objects.filter(dispute=OuterRef("pk"), active=True, role=CaseTeamMember.Role.LEAD_MEDIATOR)
        .order_by()
        .values(j=_JSONText(JSONObject(id="user_id", name="user__name", email="user__email")))[:1]
    )
    return Subquery(lead, output_field=TextField())


_DISPUTE_TAGS = ["disputes"]


@extend_schema_view(
    list=extend_schema(tags=_DISPUTE_TAGS, responses=DisputeListRow(many=True)),
    retrieve=extend_schema(tags=_DISPUTE_TAGS, responses=DisputeOutput),
    create=extend_schema(tags=_DISPUTE_TAGS, request=DisputeInput, responses={201: DisputeOutput}),
    update=extend_schema(tags=_DISPUTE_TAGS, request=DisputeUpdateInput, responses=DisputeOutput),
    partial_update=extend_schema(tags=_DISPUTE_TAGS, request=DisputeUpdateInput, responses=DisputeOutput),
)
class DisputeViewSet(DomainViewSet):
    """Disputes the caller may read (DESIGN.md §3); writes by the case team, admins, write keys on
    standard disputes and contributor organisations. Changing a dispute needs If-Match."""

    serializer_class = DisputeListRow
    input_serializer_class = DisputeInput
    filterset_class = DisputeFilter
    if_match_required = True
    list_fields = {
        **{name: name for name in (
            "id", "reference", "title", "stage", "risk", "confidentiality", "process_format", "track", "countries",
            "dispute_types", "opened_on", "closed_on", "updated_at",
        )},
        "parties": _party_refs(),
        "lead_mediator": _lead_ref(),
    }

    def list_row(self, row: dict[str, Any]) -> dict[str, Any]:
        row["parties"] = orjson.Fragment(row["parties"])
        if row["lead_mediator"] is not None:
            row["lead_mediator"] = orjson.Fragment(row["lead_mediator"])
        return row

    def get_queryset(self) -> Any:
        if self.action == "list":
            # The rows are built in SQL (list_fields): the selector's prefetches and annotations are
            # for model objects. Only ``mine`` needs the list selector's is_mine; otherwise the bare
            # visibility rule (the same one dispute_list starts from) costs less to build.
            if "mine" in self.request.query_params:
                return dispute_list(actor=self.actor).prefetch_related(None).select_related(None)
            return disputes_visible(actor=self.actor)
        return dispute_detail(actor=self.actor)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return DisputeListRow if self.action == "list" else DisputeOutput

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return DisputeUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def get_object_for_update(self) -> Any:
        # Lock the bare row: the detail selector's annotations and joins cannot be locked FOR UPDATE.
        obj = super().get_object()
        return Dispute.objects.select_for_update().get(pk=obj.pk)

    def create_object(self, *, data: dict[str, Any]) -> Dispute:
        dispute = dispute_open(actor=self.actor, **data)
        return refetch(dispute_detail(actor=self.actor), dispute)

    def update_object(self, *, instance: Dispute, data: dict[str, Any], partial: bool) -> Dispute:
        dispute = dispute_update(actor=self.actor, dispute=instance, data=data)
        return refetch(dispute_detail(actor=self.actor), dispute)

    def _changed(self, dispute: Dispute) -> dict[str, Any]:
        return DisputeOutput(refetch(dispute_detail(actor=self.actor), dispute)).data

    @extend_schema(tags=_DISPUTE_TAGS, request=StageChangeInput, responses=DisputeOutput,
                   summary="Move the dispute to another stage")
    @action(detail=True, methods=["post"], url_path="stage")
    def stage(self, request: Request, pk: str | None = None) -> Response:
        """Move along the workflow (``allowed_stages``); closing needs a closure reason."""
        return self.run_action(
            request, input_class=StageChangeInput, output=self._changed,
            do=lambda d, data: dispute_change_stage(actor=self.actor, dispute=d, **data),
        )

    @extend_schema(tags=_DISPUTE_TAGS, request=RiskChangeInput, responses=DisputeOutput,
                   summary="Record a dated escalation-risk assessment")
    @action(detail=True, methods=["post"], url_path="risk")
    def risk(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=RiskChangeInput, output=self._changed,
            do=lambda d, data: dispute_change_risk(actor=self.actor, dispute=d, **data),
        )

    @extend_schema(tags=_DISPUTE_TAGS, request=ConfidentialityInput, responses=DisputeOutput,
                   summary="Restrict the dispute, or make it standard again (admins and the lead mediator)")
    @action(detail=True, methods=["post"], url_path="confidentiality")
    def confidentiality(self, request: Request, pk: str | None = None) -> Response:
        """A shared dispute cannot be restricted: revoke its shares first."""
        return self.run_action(
            request, input_class=ConfidentialityInput, output=self._changed,
            do=lambda d, data: dispute_set_confidentiality(actor=self.actor, dispute=d, **data),
        )


# --- the timeline --------------------------------------------------------------------------------------


def _kind_field(value: str) -> serializers.Field:
    """``kind``, the union's discriminator: a string with one value (JSON Schema ``const``)."""
    cls = type(f"{value.title().replace('_', '')}Kind", (serializers.CharField,), {})
    return extend_schema_field({"type": "string", "const": value})(cls)()


class StageChangeData(serializers.Serializer):
    from_stage = serializers.CharField(allow_blank=True)
    to_stage = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    by = serializers.CharField(allow_blank=True, help_text=_("Who moved it."))


class SessionData(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(help_text=_("joint, caucus, shuttle, ... (see /sessions/)."))
    status = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)
    parties = serializers.ListField(child=serializers.CharField(), help_text=_("The names of the parties present."))


class NoteData(serializers.Serializer):
    session_id = serializers.IntegerField(allow_null=True)
    visibility = serializers.CharField()
    author = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_null=True, allow_blank=True, help_text=_(
        "Null when the caller may not read it (a team-only note off the case team)."
    ))


class DisclosureData(serializers.Serializer):
    note_id = serializers.IntegerField(allow_null=True)
    proposal_id = serializers.IntegerField(allow_null=True)
    to_party = serializers.CharField(help_text=_("The name of the party told."))
    session_id = serializers.IntegerField(allow_null=True)
    by = serializers.CharField(allow_blank=True)


class ProposalData(serializers.Serializer):
    issue_id = serializers.IntegerField()
    issue = serializers.CharField(help_text=_("The issue's title."))
    status = serializers.CharField()
    bridging = serializers.BooleanField()
    tabled_by = serializers.CharField(allow_null=True, help_text=_("The party's name; null for a bridging text."))
    text = serializers.CharField(allow_blank=True)


class ActionItemData(serializers.Serializer):
    description = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True)


_TIMELINE_DATA = {
    "stage_change": StageChangeData, "session": SessionData, "note": NoteData, "disclosure": DisclosureData,
    "proposal": ProposalData, "action_item": ActionItemData,
}
assert set(_TIMELINE_DATA) == set(TIMELINE_KINDS), "every timeline kind has its typed entry"


def _timeline_entry(kind: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    name = "Timeline" + "".join(part.title() for part in kind.split("_")) + "Entry"
    return type(name, (serializers.Serializer,), {
        "kind": _kind_field(kind),
        "at": serializers.DateTimeField(),
        "id": serializers.IntegerField(help_text=_("The id of the row in its own resource (sessions, notes, ...).")),
        "data": data(),
        "__doc__": f"A timeline entry of kind {kind}.",
    })


TimelineEntryOutput = PolymorphicProxySerializer(
    component_name="TimelineEntry",
    serializers={kind: _timeline_entry(kind, data) for kind, data in _TIMELINE_DATA.items()},
    resource_type_field_name="kind",
    many=False,
)


class TimelinePageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text=_("The next page's URL; null on the last page."))
    next_cursor = serializers.CharField(allow_null=True, help_text=_("The next page's cursor; null on the last page."))
    results = serializers.ListField(child=TimelineEntryOutput)


class DisputeTimelineView(ActorAPIView):
    """The record of one dispute, newest first, in one cursor-paginated list."""

    query_parameters = frozenset({"cursor", "page_size"})

    @extend_schema(
        tags=_DISPUTE_TAGS, operation_id="disputes_timeline", responses=TimelinePageOutput,
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description=str(_("The `next` link's cursor."))),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=str(
                _("Entries a page, 1 to %(max)d (default %(default)d).")
                % {"max": MAX_TIMELINE_PAGE, "default": DEFAULT_TIMELINE_PAGE})),
        ],
        summary="The dispute's timeline",
    )
    def get(self, request: Request, pk: int) -> Response:
        return timeline_response(request, actor=self.actor, dispute_id=pk)


# --- read-only histories ---------------------------------------------------------------------------------


class DisputeIdFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id", help_text=_("Only rows of this dispute."))


class StageChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    from_stage = serializers.CharField(allow_blank=True)
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(allow_blank=True)
    by_label = serializers.CharField(help_text=_("Who moved it."))
    created_at = serializers.DateTimeField()


class StageChangeFilter(DisputeIdFilter):
    updated_since = None  # type: ignore[assignment]
    since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                help_text=_("Only changes at or after this moment (ISO 8601 with offset)."))

    class Meta:
        model = StageChange
        fields = ["dispute", "since"]


@extend_schema_view(list=extend_schema(tags=_DISPUTE_TAGS), retrieve=extend_schema(tags=_DISPUTE_TAGS))
class StageChangeViewSet(DomainViewSet):
    """Every move of a dispute's stage: who, when, why."""

    serializer_class = StageChangeOutput
    filterset_class = StageChangeFilter
    list_fields = {n: n for n in StageChangeOutput().fields}

    def get_queryset(self) -> Any:
        return stage_change_list(actor=self.actor).select_related(None).order_by()



class RiskAssessmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    risk = serializers.ChoiceField(choices=Risk.choices)
    previous = serializers.CharField(allow_blank=True)
    assessed_on = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class RiskFilter(DisputeIdFilter):
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = RiskAssessment
        fields = ["dispute"]


@extend_schema_view(list=extend_schema(tags=_DISPUTE_TAGS), retrieve=extend_schema(tags=_DISPUTE_TAGS))
class RiskAssessmentViewSet(DomainViewSet):
    """The dated escalation-risk history (record a new one with POST /disputes/{id}/risk/)."""

    serializer_class = RiskAssessmentOutput
    filterset_class = RiskFilter
    list_fields = {n: n for n in RiskAssessmentOutput().fields}

    def get_queryset(self) -> Any:
        return risk_assessment_list(actor=self.actor).select_related(None).order_by()


# --- case parties ----------------------------------------------------------------------------------------


def _writable_disputes(actor: Actor) -> QuerySet:
    # Visible disputes: the service answers "visible but not writable" with a 403 itself.
    return disputes_visible(actor=actor)


class CasePartyOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The case party id (sessions, proposals and notes refer to it)."))
    dispute_id = serializers.IntegerField()
    party_id = serializers.IntegerField()
    party_name = serializers.CharField()
    party_kind = serializers.ChoiceField(choices=Party.Kind.choices)
    role = serializers.ChoiceField(choices=CaseParty.Role.choices)
    red_lines = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CasePartyInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_writable_disputes)
    party = ScopedPrimaryKeyField(model=Party, scope=lambda actor: parties_writable(actor=actor),
                                  help_text=_("A party of your own organisation."))
    role = serializers.ChoiceField(choices=CaseParty.Role.choices, required=False)
    red_lines = serializers.CharField(allow_blank=True, required=False)
    override_reason = serializers.CharField(allow_blank=True, required=False,
                                            help_text=_("An admin's reason to add a party over a declared conflict."))


class CasePartyUpdateInput(InputSerializer):
    role = serializers.ChoiceField(choices=CaseParty.Role.choices, required=False)
    red_lines = serializers.CharField(allow_blank=True, required=False)


class CasePartyFilter(DisputeIdFilter):
    class Meta:
        model = CaseParty
        fields = ["dispute", "updated_since"]


_CP_FIELDS = {**{n: n for n in ("id", "dispute_id", "party_id", "role", "red_lines", "created_at", "updated_at")},
              "party_name": "party__name", "party_kind": "party__kind"}


@extend_schema_view(
    list=extend_schema(tags=_DISPUTE_TAGS), retrieve=extend_schema(tags=_DISPUTE_TAGS),
    create=extend_schema(tags=_DISPUTE_TAGS, responses={201: CasePartyOutput}),
    update=extend_schema(tags=_DISPUTE_TAGS, request=CasePartyUpdateInput),
    partial_update=extend_schema(tags=_DISPUTE_TAGS, request=CasePartyUpdateInput),
    destroy=extend_schema(tags=_DISPUTE_TAGS),
)
class CasePartyViewSet(DomainViewSet):
    """A party's role in one dispute, with its red lines."""

    serializer_class = CasePartyOutput
    input_serializer_class = CasePartyInput
    filterset_class = CasePartyFilter
    list_fields = _CP_FIELDS

    def get_queryset(self) -> Any:
        return case_party_list(actor=self.actor).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], CaseParty):
            cp = args[0]
            cp.party_name, cp.party_kind = cp.party.name, cp.party.kind
        return super().get_serializer(*args, **kwargs)

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return CasePartyUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> CaseParty:
        return case_party_add(actor=self.actor, **data)

    def update_object(self, *, instance: CaseParty, data: dict[str, Any], partial: bool) -> CaseParty:
        return case_party_update(actor=self.actor, case_party=instance, data=data)

    def destroy_object(self, *, instance: CaseParty) -> None:
        case_party_remove(actor=self.actor, case_party=instance)


# --- negotiation issues and positions --------------------------------------------------------------------


class IssueOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    order = serializers.IntegerField()
    status = serializers.ChoiceField(choices=NegotiationIssue.Status.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class IssueInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_writable_disputes)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False)
    order = serializers.IntegerField(min_value=0, max_value=100000, required=False)


class IssueUpdateInput(InputSerializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    order = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    status = serializers.ChoiceField(choices=NegotiationIssue.Status.choices, required=False)


class ReopenInput(InputSerializer):
    reason = serializers.CharField(max_length=5000, help_text=_("Why the agreed issue goes back on the table."))


class IssueFilter(DisputeIdFilter):
    status = django_filters.ChoiceFilter(choices=NegotiationIssue.Status.choices)

    class Meta:
        model = NegotiationIssue
        fields = ["dispute", "status", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=["issues"]), retrieve=extend_schema(tags=["issues"]),
    create=extend_schema(tags=["issues"], responses={201: IssueOutput}),
    update=extend_schema(tags=["issues"], request=IssueUpdateInput),
    partial_update=extend_schema(tags=["issues"], request=IssueUpdateInput),
)
class NegotiationIssueViewSet(DomainViewSet):
    """The agenda items of a dispute (border demarcation, prisoner exchange, ...)."""

    serializer_class = IssueOutput
    input_serializer_class = IssueInput
    filterset_class = IssueFilter
    list_fields = {n: n for n in IssueOutput().fields}

    def get_queryset(self) -> Any:
        return negotiation_issue_list(actor=self.actor).order_by()

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return IssueUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> NegotiationIssue:
        return negotiation_issue_create(actor=self.actor, **data)

    def update_object(self, *, instance: NegotiationIssue, data: dict[str, Any], partial: bool) -> NegotiationIssue:
        return negotiation_issue_update(actor=self.actor, issue=instance, data=data)

    @extend_schema(tags=["issues"], request=ReopenInput, responses=IssueOutput,
                   summary="Reopen an agreed issue (its accepted proposal stays accepted, as history)")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=ReopenInput,
            do=lambda issue, data: issue_reopen(actor=self.actor, issue=issue, **data),
        )


class PositionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    case_party_id = serializers.IntegerField()
    party_name = serializers.CharField()
    issue_id = serializers.IntegerField()
    position = serializers.CharField(allow_blank=True)
    interests = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


def _visible_case_parties(actor: Actor) -> QuerySet:
    return case_party_list(actor=actor)


def _visible_issues(actor: Actor) -> QuerySet:
    return negotiation_issue_list(actor=actor)


class PositionInput(InputSerializer):
    case_party = ScopedPrimaryKeyField(model=CaseParty, scope=_visible_case_parties)
    issue = ScopedPrimaryKeyField(model=NegotiationIssue, scope=_visible_issues)
    position = serializers.CharField(allow_blank=True, required=False)
    interests = serializers.CharField(allow_blank=True, required=False)


class PositionFilter(FilterSet):
    dispute = IdFilter(field_name="case_party__dispute_id")
    issue = IdFilter(field_name="issue_id")

    class Meta:
        model = PartyPosition
        fields = ["dispute", "issue", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=["issues"]), retrieve=extend_schema(tags=["issues"]),
    create=extend_schema(
        tags=["issues"], responses={200: PositionOutput, 201: PositionOutput},
        summary="Set a party's position and interests on an issue (replaces the previous ones)",
        description=str(_("201 when the party had no position on the issue yet, 200 when this replaced it.")),
    ),
)
class PositionViewSet(DomainViewSet):
    """What each party says it wants on each issue (position) and why (interests)."""

    serializer_class = PositionOutput
    input_serializer_class = PositionInput
    filterset_class = PositionFilter
    list_fields = {**{n: n for n in ("id", "case_party_id", "issue_id", "position", "interests", "updated_at")},
                   "dispute_id": "case_party__dispute_id", "party_name": "case_party__party__name"}

    def get_queryset(self) -> Any:
        return party_position_list(actor=self.actor).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], PartyPosition):
            pos = args[0]
            pos.dispute_id, pos.party_name = pos.case_party.dispute_id, pos.case_party.party.name
        return super().get_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> PartyPosition:
        return party_position_set(actor=self.actor, **data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """POST sets or replaces: 201 for a new position, 200 when one was replaced (positions have
        no delete service, so there is no DELETE)."""

        def handler() -> Response:
            serializer = self.get_input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            with transaction.atomic():
                # Read under the same transaction as the service, which locks the row it replaces.
                existed = party_position_list(actor=self.actor).filter(
                    case_party=data["case_party"], issue=data["issue"]
                ).exists()
                instance = self.create_object(data=data)
            return Response(
                self.get_serializer(instance).data,
                status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
                headers={"ETag": self.get_etag(instance), **({} if existed else self.location_header(instance))},
            )

        return idempotent(request, self.actor, handler) if self.idempotent_create else handler()


# --- case team -------------------------------------------------------------------------------------------


class TeamMemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=CaseTeamMember.Role.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    active = serializers.BooleanField()


class TeamMemberInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_writable_disputes)
    user = ScopedPrimaryKeyField(model=User, scope=org_users, help_text=_("A user id of your organisation."))
    role = serializers.ChoiceField(choices=CaseTeamMember.Role.choices, help_text=_(
        "Not lead_mediator while the dispute has a lead: hand the lead over with PATCH instead."
    ))
    affiliations = serializers.ListField(child=serializers.CharField(max_length=300), required=False,
                                         max_length=50)
    starts_on = serializers.DateField(required=False)
    override_reason = serializers.CharField(allow_blank=True, required=False)


class TeamMemberUpdateInput(InputSerializer):
    role = serializers.ChoiceField(choices=CaseTeamMember.Role.choices,
                                   help_text=_("lead_mediator hands the lead to this member."))


class TeamFilter(DisputeIdFilter):
    updated_since = None  # type: ignore[assignment]
    include_past = StrictBooleanFilter(method="filter_past", help_text=_("Include members who left the team."))

    class Meta:
        model = CaseTeamMember
        fields = ["dispute", "include_past"]

    def filter_past(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs  # the view decides which selector to call


@extend_schema_view(
    list=extend_schema(tags=_DISPUTE_TAGS), retrieve=extend_schema(tags=_DISPUTE_TAGS),
    create=extend_schema(tags=_DISPUTE_TAGS, responses={201: TeamMemberOutput}),
    update=extend_schema(tags=_DISPUTE_TAGS, request=TeamMemberUpdateInput),
    partial_update=extend_schema(tags=_DISPUTE_TAGS, request=TeamMemberUpdateInput),
    destroy=extend_schema(tags=_DISPUTE_TAGS, summary="End the assignment (today)"),
)
class TeamMemberViewSet(DomainViewSet):
    """Case team assignments. Only the organisation's admins and the lead mediator change the team (policies)."""

    serializer_class = TeamMemberOutput
    input_serializer_class = TeamMemberInput
    filterset_class = TeamFilter
    list_fields = {**{n: n for n in ("id", "dispute_id", "user_id", "role", "starts_on", "ends_on", "active")},
                   "name": "user__name"}

    def get_queryset(self) -> Any:
        past = self.action != "list" or self.request.query_params.get("include_past") == "true"
        return team_member_list(actor=self.actor, include_past=past).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], CaseTeamMember):
            args[0].name = args[0].user.name
        return super().get_serializer(*args, **kwargs)

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return TeamMemberUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> CaseTeamMember:
        return team_member_add(actor=self.actor, **data)

    def update_object(self, *, instance: CaseTeamMember, data: dict[str, Any], partial: bool) -> CaseTeamMember:
        if data["role"] == CaseTeamMember.Role.LEAD_MEDIATOR:
            return team_lead_transfer(actor=self.actor, dispute=instance.dispute, to_member=instance)
        return team_member_change_role(actor=self.actor, member=instance, role=data["role"])

    def destroy_object(self, *, instance: CaseTeamMember) -> None:
        team_member_remove(actor=self.actor, member=instance)


# --- shares ------------------------------------------------------------------------------------------------


class ShareOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    organisation_slug = serializers.CharField(help_text=_("The organisation the dispute is shared with."))
    organisation_name = serializers.CharField()
    level = serializers.ChoiceField(choices=CaseShare.Level.choices)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class ShareInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_writable_disputes)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(),
        help_text=_("The slug of the organisation to share with."),
    )
    level = serializers.ChoiceField(choices=CaseShare.Level.choices)


class ShareFilter(DisputeIdFilter):
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = CaseShare
        fields = ["dispute"]


@extend_schema_view(
    list=extend_schema(tags=_DISPUTE_TAGS), retrieve=extend_schema(tags=_DISPUTE_TAGS),
    create=extend_schema(tags=_DISPUTE_TAGS, responses={201: ShareOutput},
                         summary="Share a dispute with another organisation (or change the level)"),
    destroy=extend_schema(tags=_DISPUTE_TAGS, summary="Revoke a share"),
)
class CaseShareViewSet(DomainViewSet):
    """Shares of the organisation's disputes with other organisations: read by its members and keys
    (the selector), granted and revoked by its admins only (the services)."""

    serializer_class = ShareOutput
    input_serializer_class = ShareInput
    filterset_class = ShareFilter
    list_fields = {**{n: n for n in ("id", "dispute_id", "level", "created_at", "revoked_at")},
                   "organisation_slug": "organisation__slug", "organisation_name": "organisation__name"}

    def get_queryset(self) -> Any:
        return case_share_list(actor=self.actor).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], CaseShare):
            args[0].organisation_slug = args[0].organisation.slug
            args[0].organisation_name = args[0].organisation.name
        return super().get_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> CaseShare:
        return case_share_grant(actor=self.actor, **data)

    def destroy_object(self, *, instance: CaseShare) -> None:
        case_share_revoke(actor=self.actor, share=instance)

