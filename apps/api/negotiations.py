"""/api/v1/proposals/, the thread of an issue as a tree, and the text on the table per issue.

Reads through apps/negotiations/selectors.py, writes through apps/negotiations/services.py.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import Actor
from apps.api.base import ActorAPIView
from apps.api.fields import AwareDateTimeField, FilterSet, IdFilter, ScopedPrimaryKeyField, StrictBooleanFilter
from apps.api.resources import DomainViewSet
from apps.api.serializers import InputSerializer
from apps.disputes.models import CaseParty, NegotiationIssue
from apps.disputes.selectors import case_party_list, dispute_get, negotiation_issue_list
from apps.negotiations.models import LIVE_STATUSES, Proposal, ProposalResponse, ProposalStatus
from apps.negotiations.selectors import (
    ProposalNode,
    issue_current_texts,
    proposal_get,
    proposal_list,
    proposal_thread,
    proposals_visible,
)
from apps.negotiations.services import (
    proposal_accept,
    proposal_consider,
    proposal_counter,
    proposal_reject,
    proposal_set_deadline,
    proposal_table,
    proposal_withdraw,
)
from apps.sessions.models import MediationSession
from apps.sessions.selectors import sessions_visible


def _case_parties(actor: Actor) -> QuerySet:
    return case_party_list(actor=actor)


def _issues(actor: Actor) -> QuerySet:
    return negotiation_issue_list(actor=actor)


def _sessions(actor: Actor) -> QuerySet:
    return sessions_visible(actor=actor)


def _proposals(actor: Actor) -> QuerySet:
    return proposals_visible(actor=actor)


class ResponseRef(serializers.Serializer):
    case_party_id = serializers.IntegerField()
    name = serializers.CharField()
    stance = serializers.ChoiceField(choices=ProposalResponse.Stance.choices)
    responded_at = serializers.DateTimeField()


class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    issue_id = serializers.IntegerField()
    tabled_by_id = serializers.IntegerField(allow_null=True, help_text=_("The case party; null for bridging."))
    tabled_by_name = serializers.CharField(allow_null=True)
    bridging = serializers.BooleanField()
    tabled_in_id = serializers.IntegerField(allow_null=True, help_text=_("The session it was tabled in."))
    responds_to_id = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    concessions = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    tabled_at = serializers.DateTimeField()
    response_deadline = serializers.DateTimeField(allow_null=True)
    response_overdue = serializers.BooleanField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_PLAIN = ("id", "dispute_id", "issue_id", "tabled_by_id", "bridging", "tabled_in_id", "responds_to_id", "text",
          "concessions", "status", "tabled_at", "response_deadline", "response_overdue", "status_changed_at",
          "created_at", "updated_at")


def _proposal_row(p: Proposal) -> dict[str, Any]:
    row = {n: getattr(p, n, None) for n in _PLAIN}
    row["response_overdue"] = bool(row["response_overdue"])
    row["tabled_by_name"] = p.tabled_by.party.name if p.tabled_by_id else None
    return row


class ProposalDetailOutput(ProposalOutput):
    responses = ResponseRef(many=True)

    def to_representation(self, p: Proposal) -> dict[str, Any]:
        return {**_proposal_row(p), "responses": [
            {"case_party_id": r.case_party_id, "name": r.case_party.party.name, "stance": r.stance,
             "responded_at": r.responded_at} for r in getattr(p, "responses_loaded", [])
        ]}


class ProposalInput(InputSerializer):
    issue = ScopedPrimaryKeyField(model=NegotiationIssue, scope=_issues)
    text = serializers.CharField(max_length=100000)
    tabled_by = ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties, required=False, allow_null=True,
                                      help_text=_("The case party tabling it; leave out with bridging: true."))
    bridging = serializers.BooleanField(required=False, default=False)
    tabled_in = ScopedPrimaryKeyField(model=MediationSession, scope=_sessions, required=False, allow_null=True)
    responds_to = ScopedPrimaryKeyField(model=Proposal, scope=_proposals, required=False, allow_null=True,
                                        help_text=_("The proposal this counters (same issue)."))
    concessions = serializers.CharField(allow_blank=True, required=False)
    response_deadline = AwareDateTimeField(required=False, allow_null=True)
    tabled_at = AwareDateTimeField(required=False)


class CounterInput(InputSerializer):
    """A counter-proposal: tabled on the parent's issue, in answer to it."""

    text = serializers.CharField(max_length=100000)
    tabled_by = ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties, required=False, allow_null=True,
                                      help_text=_("The case party tabling it; leave out with bridging: true."))
    bridging = serializers.BooleanField(required=False, default=False)
    tabled_in = ScopedPrimaryKeyField(model=MediationSession, scope=_sessions, required=False, allow_null=True)
    concessions = serializers.CharField(allow_blank=True, required=False)
    response_deadline = AwareDateTimeField(required=False, allow_null=True)
    tabled_at = AwareDateTimeField(required=False)


class PartyAtInput(InputSerializer):
    case_party = ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties)
    at = AwareDateTimeField(required=False)


class AcceptInput(InputSerializer):
    by_parties = ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties, many=True, required=False)
    at = AwareDateTimeField(required=False)


class RejectInput(InputSerializer):
    by_party = ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties, required=False, allow_null=True)
    at = AwareDateTimeField(required=False)


class WithdrawInput(InputSerializer):
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)


class DeadlineInput(InputSerializer):
    response_deadline = AwareDateTimeField(allow_null=True)


class ProposalFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    issue = IdFilter(field_name="issue_id")
    status = django_filters.MultipleChoiceFilter(choices=ProposalStatus.choices)
    live = StrictBooleanFilter(method="filter_live", help_text=_("Tabled or under consideration."))

    class Meta:
        model = Proposal
        fields = ["dispute", "issue", "status", "live", "updated_since"]

    def filter_live(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(status__in=LIVE_STATUSES) if value else qs.exclude(status__in=LIVE_STATUSES)


_TAGS = ["proposals"]


def _act(**kwargs: Any) -> Any:
    return extend_schema(tags=_TAGS, responses=ProposalDetailOutput, **kwargs)


@extend_schema_view(
    list=extend_schema(tags=_TAGS, responses=ProposalOutput(many=True)),
    retrieve=extend_schema(tags=_TAGS, responses=ProposalDetailOutput),
    create=extend_schema(tags=_TAGS, responses={201: ProposalDetailOutput},
                         summary="Table a proposal (with responds_to: a counter-proposal)"),
)
class ProposalViewSet(DomainViewSet):
    """Positions tabled on an issue, their answers and their counter-proposal threads."""

    serializer_class = ProposalOutput
    input_serializer_class = ProposalInput
    filterset_class = ProposalFilter
    ordering = ("-tabled_at", "-id")

    def get_queryset(self) -> Any:
        return proposal_list(actor=self.actor).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action == "list":
            return super().get_serializer(*args, **kwargs)
        kwargs.setdefault("context", self.get_serializer_context())
        return ProposalDetailOutput(*args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        return self.get_paginated_response([_proposal_row(p) for p in page])

    def _full(self, p: Proposal) -> Proposal:
        full = proposal_get(actor=self.actor, proposal_id=p.pk)
        assert full is not None
        return full

    def get_object(self) -> Any:
        if self.action == "retrieve":
            p = proposal_get(actor=self.actor, proposal_id=int(self.kwargs["pk"]))
            if p is None:
                raise exceptions.NotFound()
            return p
        return super().get_object()

    def create_object(self, *, data: dict[str, Any]) -> Proposal:
        data = dict(data)
        issue = data["issue"]
        return self._full(proposal_table(actor=self.actor, dispute=issue.dispute, **data))

    def _run(self, request: Request, input_class: Any, service: Any) -> Response:
        return self.run_action(
            request, input_class=input_class, output=lambda p: ProposalDetailOutput(self._full(p)).data,
            do=lambda proposal, data: service(actor=self.actor, proposal=proposal, **data),
        )

    @extend_schema(tags=_TAGS, request=CounterInput, responses={201: ProposalDetailOutput},
                   summary="Table a counter-proposal to this proposal (on the same issue)")
    @action(detail=True, methods=["post"])
    def counter(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=CounterInput, status_code=status.HTTP_201_CREATED,
            output=lambda p: ProposalDetailOutput(self._full(p)).data,
            do=lambda parent, data: proposal_counter(actor=self.actor, parent=parent, **data),
        )

    @_act(request=PartyAtInput, summary="A party takes the proposal under consideration")
    @action(detail=True, methods=["post"])
    def consider(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, PartyAtInput, proposal_consider)

    @_act(request=AcceptInput, summary="Accept the proposal (its issue becomes agreed)")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AcceptInput, proposal_accept)

    @_act(request=RejectInput, summary="Reject the proposal")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, RejectInput, proposal_reject)

    @_act(request=WithdrawInput, summary="Take the proposal off the table")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, WithdrawInput, proposal_withdraw)

    @_act(request=DeadlineInput, summary="Set, move or clear the response deadline")
    @action(detail=True, methods=["post"])
    def deadline(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, DeadlineInput, proposal_set_deadline)


# --- the thread of an issue, and the text on the table ---------------------------------------------------


class ThreadNodeOutput(ProposalOutput):
    responses = ResponseRef(many=True)


# Recursive: a node's children are nodes (the schema names the component once and refers to it).
ThreadNodeOutput._declared_fields["children"] = ThreadNodeOutput(many=True, help_text=_(
    "Counter-proposals, in the order tabled; each node has this same shape."
))


class ThreadOutput(serializers.Serializer):
    issue_id = serializers.IntegerField()
    roots = ThreadNodeOutput(many=True)


def _node(node: ProposalNode) -> dict[str, Any]:
    p = node.proposal
    # The thread's selector does not annotate it; the same rule as proposal_list's, in Python.
    p.response_overdue = False
    row = _proposal_row(p)
    row["response_overdue"] = bool(p.status in LIVE_STATUSES and p.response_deadline
                                   and p.response_deadline < timezone.now())
    row["responses"] = [
        {"case_party_id": r.case_party_id, "name": r.case_party.party.name, "stance": r.stance,
         "responded_at": r.responded_at} for r in p.responses_loaded
    ]
    row["children"] = [_node(child) for child in node.children]
    return row


class IssueThreadView(ActorAPIView):
    """An issue's proposals as a tree: the first proposals, each with its counter-proposals."""

    @extend_schema(tags=_TAGS, operation_id="issues_thread", responses=ThreadOutput,
                   summary="The counter-proposal thread of an issue")
    def get(self, request: Request, pk: int) -> Response:
        if not negotiation_issue_list(actor=self.actor).filter(pk=pk).exists():
            raise exceptions.NotFound()
        roots = proposal_thread(actor=self.actor, issue_id=pk)
        return Response({"issue_id": pk, "roots": [_node(n) for n in roots]})


class CurrentTextOutput(serializers.Serializer):
    issue_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=NegotiationIssue.Status.choices)
    current_proposal_id = serializers.IntegerField(allow_null=True)
    current_text = serializers.CharField(allow_null=True)
    current_status = serializers.ChoiceField(choices=ProposalStatus.choices, allow_null=True)
    current_tabled_at = serializers.DateTimeField(allow_null=True)
    current_tabled_by = serializers.CharField(allow_null=True, help_text=_("Party name; null for bridging."))


class CurrentTextsView(ActorAPIView):
    """Per issue of a dispute: the text currently on the table (latest accepted or live proposal)."""

    @extend_schema(
        tags=_TAGS, operation_id="disputes_current_texts", responses=CurrentTextOutput(many=True),
        summary="The text on the table for each issue of a dispute",
    )
    def get(self, request: Request, pk: int) -> Response:
        if dispute_get(actor=self.actor, dispute_id=pk) is None:
            raise exceptions.NotFound()
        rows = issue_current_texts(actor=self.actor, dispute_id=pk).values(
            "title", "status", "current_proposal_id", "current_text", "current_status", "current_tabled_at",
            "current_tabled_by", issue_id=F("pk"),
        )
        return Response(list(rows))
