"""Writes to proposals and their threads. Atomic, audited (never with the text), scoped, with reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import ApplicationError
from apps.common.services import audit_record, full_clean_or_raise
from apps.disputes.models import CaseParty, Dispute, NegotiationIssue
from apps.disputes.policies import ensure_may_write
from apps.disputes.services import ensure_open
from apps.negotiations import notify
from apps.negotiations.models import LIVE_STATUSES, Proposal, ProposalResponse, ProposalStatus
from apps.sessions.models import MediationSession
from apps.sessions.services import clean_aware

Stance = ProposalResponse.Stance


def _party_of(dispute: Dispute, case_party: CaseParty | None, *, field: str) -> None:
    if case_party is not None and (not isinstance(case_party, CaseParty) or case_party.dispute_id != dispute.pk):
        raise ApplicationError(_("%(party)s is not a party to this dispute.") % {"party": case_party}, field=field)


def _when(value: dt.datetime | None, *, field: str) -> dt.datetime:
    if value is None:
        return timezone.now()
    value = clean_aware(value, field=field)
    if value > timezone.now() + dt.timedelta(minutes=1):
        raise ApplicationError(_("This cannot be in the future."), field=field)
    return value


def _lock(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("dispute", "issue").get(pk=proposal.pk)


def _ensure_live(proposal: Proposal) -> None:
    if not proposal.is_live:
        raise ApplicationError(
            _("The proposal is %(status)s: it can no longer be answered.")
            % {"status": proposal.get_status_display().lower()},
            field="status",
        )


def _set_status(proposal: Proposal, status: str) -> None:
    proposal.status = status
    proposal.status_changed_at = timezone.now()
    proposal.save(update_fields=["status", "status_changed_at", "updated_at"])


@transaction.atomic
def proposal_table(
    *,
    actor: Actor,
    dispute: Dispute,
    issue: NegotiationIssue,
    text: str,
    tabled_by: CaseParty | None = None,
    bridging: bool = False,
    tabled_in: MediationSession | None = None,
    responds_to: Proposal | None = None,
    concessions: str = "",
    response_deadline: dt.datetime | None = None,
    tabled_at: dt.datetime | None = None,
) -> Proposal:
    """Table a proposal on an issue: a party's (``tabled_by``) or the mediator's bridging one.

    With ``responds_to`` it is a counter-proposal: on the same issue, and its parent is
    superseded unless another party is still considering it.
    """
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute, field="dispute")
    if issue.dispute_id != dispute.pk:
        raise ApplicationError(_("The issue belongs to another dispute."), field="issue")
    if responds_to is not None:
        if responds_to.dispute_id != dispute.pk:
            raise ApplicationError(_("The proposal answered belongs to another dispute."), field="responds_to")
        if responds_to.issue_id != issue.pk:
            raise ApplicationError(
                _("A counter-proposal is on the same issue as the proposal it answers (“%(issue)s”).")
                % {"issue": responds_to.issue.title},
                field="issue",
            )
    issue = NegotiationIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == NegotiationIssue.Status.AGREED:
        raise ApplicationError(
            _("“%(issue)s” is agreed: reopen the issue before tabling on it.") % {"issue": issue.title},
            field="issue",
        )
    if bridging and tabled_by is not None:
        raise ApplicationError(_("A bridging proposal is the mediator's, not a party's."), field="tabled_by")
    if not bridging and tabled_by is None:
        raise ApplicationError(
            _("Say which party tables the proposal, or mark it as the mediator's bridging proposal."),
            field="tabled_by",
        )
    _party_of(dispute, tabled_by, field="tabled_by")
    if tabled_in is not None:
        tabled_in = MediationSession.objects.get(pk=tabled_in.pk)
        if tabled_in.dispute_id != dispute.pk:
            raise ApplicationError(_("The session belongs to another dispute."), field="tabled_in")
        if tabled_in.status == MediationSession.Status.CANCELLED:
            raise ApplicationError(_("The session was cancelled."), field="tabled_in")
        if tabled_by is not None and not tabled_in.session_parties.filter(case_party=tabled_by).exists():
            raise ApplicationError(
                _("%(party)s did not take part in that session.") % {"party": tabled_by}, field="tabled_in"
            )
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("The proposal has no text."), field="text")
    tabled_at = _when(tabled_at, field="tabled_at")
    if response_deadline is not None:
        response_deadline = clean_aware(response_deadline, field="response_deadline")
        if response_deadline <= tabled_at:
            raise ApplicationError(_("The response deadline must come after the proposal is tabled."),
                                   field="response_deadline")
    proposal = Proposal(
        dispute=dispute, issue=issue, tabled_by=tabled_by, bridging=bridging, tabled_in=tabled_in,
        responds_to=responds_to, text=text, concessions=(concessions or "").strip(), tabled_at=tabled_at,
        response_deadline=response_deadline, recorded_by=actor.user,
    )
    full_clean_or_raise(proposal)
    proposal.save()
    superseded = None
    if responds_to is not None:
        parent = _lock(responds_to)
        if tabled_by is not None and tabled_by.pk != parent.tabled_by_id:
            # Countering is this party's answer to the parent: it no longer keeps it alive by considering it.
            ProposalResponse.objects.update_or_create(
                proposal=parent, case_party=tabled_by,
                defaults={"stance": Stance.COUNTERED, "responded_at": tabled_at, "recorded_by": actor.user},
            )
        if parent.is_live:
            others_considering = parent.responses.filter(stance=Stance.CONSIDERING)
            if tabled_by is not None:
                others_considering = others_considering.exclude(case_party=tabled_by)
            if parent.tabled_by_id is not None:
                others_considering = others_considering.exclude(case_party_id=parent.tabled_by_id)
            if not others_considering.exists():
                _set_status(parent, ProposalStatus.SUPERSEDED)
                superseded = parent
                audit_record(actor=actor, action="negotiations.proposal.superseded", target=parent,
                             organisation=dispute.organisation, before={"status": responds_to.status},
                             after={"status": ProposalStatus.SUPERSEDED, "by": proposal.pk})
    audit_record(actor=actor, action="negotiations.proposal.tabled", target=proposal,
                 organisation=dispute.organisation,
                 after={"issue": issue.pk, "tabled_by": getattr(tabled_by, "pk", None), "bridging": bridging,
                        "tabled_in": getattr(tabled_in, "pk", None), "responds_to": getattr(responds_to, "pk", None),
                        "response_deadline": response_deadline, "length": len(text)})
    notify.proposal_tabled(proposal=proposal)
    if superseded is not None:
        notify.proposal_answered(proposal=superseded)
    return proposal


@transaction.atomic
def proposal_counter(
    *,
    actor: Actor,
    parent: Proposal,
    text: str,
    tabled_by: CaseParty | None = None,
    bridging: bool = False,
    issue: NegotiationIssue | None = None,
    tabled_in: MediationSession | None = None,
    concessions: str = "",
    response_deadline: dt.datetime | None = None,
    tabled_at: dt.datetime | None = None,
) -> Proposal:
    """A counter-proposal to ``parent``; ``issue``, when given, must be the parent's."""
    return proposal_table(
        actor=actor, dispute=parent.dispute, issue=issue if issue is not None else parent.issue, text=text,
        tabled_by=tabled_by, bridging=bridging, tabled_in=tabled_in, responds_to=parent, concessions=concessions,
        response_deadline=response_deadline, tabled_at=tabled_at,
    )


def _respond(actor: Actor, proposal: Proposal, case_party: CaseParty, stance: str, at: dt.datetime) -> None:
    _party_of(proposal.dispute, case_party, field="case_party")
    if case_party.pk == proposal.tabled_by_id:
        raise ApplicationError(_("A party does not answer its own proposal."), field="case_party")
    ProposalResponse.objects.update_or_create(
        proposal=proposal, case_party=case_party,
        defaults={"stance": stance, "responded_at": at, "recorded_by": actor.user},
    )


@transaction.atomic
def proposal_consider(
    *, actor: Actor, proposal: Proposal, case_party: CaseParty, at: dt.datetime | None = None
) -> Proposal:
    """A party takes the proposal under consideration (it keeps it alive against counter-proposals)."""
    ensure_may_write(actor=actor, dispute=proposal.dispute)
    ensure_open(proposal.dispute)
    proposal = _lock(proposal)
    _ensure_live(proposal)
    at = _when(at, field="at")
    _respond(actor, proposal, case_party, Stance.CONSIDERING, at)
    before = proposal.status
    if proposal.status == ProposalStatus.TABLED:
        _set_status(proposal, ProposalStatus.UNDER_CONSIDERATION)
    audit_record(actor=actor, action="negotiations.proposal.considered", target=proposal,
                 organisation=proposal.dispute.organisation, before={"status": before},
                 after={"status": proposal.status, "case_party": case_party.pk})
    notify.proposal_considered(proposal=proposal)
    return proposal


@transaction.atomic
def proposal_accept(
    *,
    actor: Actor,
    proposal: Proposal,
    by_parties: Sequence[CaseParty] | None = None,
    at: dt.datetime | None = None,
) -> Proposal:
    """The proposal is accepted: its issue becomes agreed, and the issue's other live proposals are superseded."""
    ensure_may_write(actor=actor, dispute=proposal.dispute)
    ensure_open(proposal.dispute)
    proposal = _lock(proposal)
    _ensure_live(proposal)
    at = _when(at, field="at")
    for cp in by_parties or []:
        _respond(actor, proposal, cp, Stance.ACCEPTED, at)
    before = proposal.status
    _set_status(proposal, ProposalStatus.ACCEPTED)
    issue = NegotiationIssue.objects.select_for_update().get(pk=proposal.issue_id)
    issue_before = issue.status
    issue.status = NegotiationIssue.Status.AGREED
    issue.save(update_fields=["status", "updated_at"])
    others = list(
        Proposal.objects.select_for_update().select_related("dispute", "issue")
        .filter(issue_id=issue.pk, status__in=LIVE_STATUSES).exclude(pk=proposal.pk)
    )
    for other in others:
        _set_status(other, ProposalStatus.SUPERSEDED)
    audit_record(actor=actor, action="negotiations.proposal.accepted", target=proposal,
                 organisation=proposal.dispute.organisation, before={"status": before},
                 after={"status": ProposalStatus.ACCEPTED, "by_parties": [cp.pk for cp in by_parties or []],
                        "superseded": [o.pk for o in others]})
    audit_record(actor=actor, action="negotiations.issue.agreed", target=issue,
                 organisation=proposal.dispute.organisation, dispute_id=issue.dispute_id,
                 before={"status": issue_before}, after={"status": issue.status, "proposal": proposal.pk})
    notify.proposal_answered(proposal=proposal)
    for other in others:
        notify.proposal_answered(proposal=other)
    return proposal


@transaction.atomic
def proposal_reject(
    *, actor: Actor, proposal: Proposal, by_party: CaseParty | None = None, at: dt.datetime | None = None
) -> Proposal:
    ensure_may_write(actor=actor, dispute=proposal.dispute)
    ensure_open(proposal.dispute)
    proposal = _lock(proposal)
    _ensure_live(proposal)
    at = _when(at, field="at")
    if by_party is not None:
        _respond(actor, proposal, by_party, Stance.REJECTED, at)
    before = proposal.status
    _set_status(proposal, ProposalStatus.REJECTED)
    audit_record(actor=actor, action="negotiations.proposal.rejected", target=proposal,
                 organisation=proposal.dispute.organisation, before={"status": before},
                 after={"status": ProposalStatus.REJECTED, "by_party": getattr(by_party, "pk", None)})
    notify.proposal_answered(proposal=proposal)
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Actor, proposal: Proposal, reason: str = "") -> Proposal:
    """The party (or the mediator, for a bridging proposal) takes its proposal off the table."""
    ensure_may_write(actor=actor, dispute=proposal.dispute)
    ensure_open(proposal.dispute)
    proposal = _lock(proposal)
    _ensure_live(proposal)
    before = proposal.status
    _set_status(proposal, ProposalStatus.WITHDRAWN)
    audit_record(actor=actor, action="negotiations.proposal.withdrawn", target=proposal,
                 organisation=proposal.dispute.organisation, before={"status": before},
                 after={"status": ProposalStatus.WITHDRAWN, "reason": (reason or "").strip()})
    notify.proposal_answered(proposal=proposal)
    return proposal


@transaction.atomic
def proposal_set_deadline(
    *, actor: Actor, proposal: Proposal, response_deadline: dt.datetime | None
) -> Proposal:
    """Set, move or clear the response deadline of a live proposal; its reminders follow."""
    ensure_may_write(actor=actor, dispute=proposal.dispute)
    ensure_open(proposal.dispute)
    proposal = _lock(proposal)
    _ensure_live(proposal)
    if response_deadline is not None:
        response_deadline = clean_aware(response_deadline, field="response_deadline")
        if response_deadline <= proposal.tabled_at:
            raise ApplicationError(_("The response deadline must come after the proposal is tabled."),
                                   field="response_deadline")
    before = {"response_deadline": proposal.response_deadline}
    proposal.response_deadline = response_deadline
    proposal.save(update_fields=["response_deadline", "updated_at"])
    audit_record(actor=actor, action="negotiations.proposal.deadline_set", target=proposal,
                 organisation=proposal.dispute.organisation, before=before,
                 after={"response_deadline": response_deadline})
    notify.proposal_deadline_changed(proposal=proposal)
    return proposal


@transaction.atomic
def issue_reopen(*, actor: Actor, issue: NegotiationIssue, reason: str) -> NegotiationIssue:
    """An agreed issue goes back on the table (the accepted proposal stays accepted, as history)."""
    ensure_may_write(actor=actor, dispute=issue.dispute)
    ensure_open(issue.dispute)
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the issue is reopened."), field="reason")
    issue = NegotiationIssue.objects.select_for_update().select_related("dispute").get(pk=issue.pk)
    if issue.status != NegotiationIssue.Status.AGREED:
        raise ApplicationError(_("Only an agreed issue can be reopened."), field="status")
    issue.status = NegotiationIssue.Status.OPEN
    issue.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="negotiations.issue.reopened", target=issue,
                 organisation=issue.dispute.organisation, dispute_id=issue.dispute_id,
                 before={"status": NegotiationIssue.Status.AGREED},
                 after={"status": issue.status, "reason": reason.strip()})
    return issue
