from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as country_registry

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation, User
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.services import audit_record, full_clean_or_raise, model_update_or_raise
from apps.disputes.models import (
    FORWARD,
    OPEN_STAGES,
    CaseParty,
    CaseShare,
    CaseTeamMember,
    ClosureReason,
    Confidentiality,
    Dispute,
    DisputeType,
    NegotiationIssue,
    PartyPosition,
    ReferenceCounter,
    RiskAssessment,
    Stage,
    StageChange,
)
from apps.disputes.selectors import actor_can_write
from apps.parties.models import Party, normalise_name

DISPUTE_FIELDS = [
    "title", "summary", "dispute_types", "countries", "process_format", "track", "confidentiality",
    "root_causes", "root_causes_other", "opened_on", "ucdp_conflict_id", "pax_process_id",
]
WRITING_ROLES = (Membership.Role.ADMIN, Membership.Role.MEDIATOR, Membership.Role.CASE_OFFICER)


def ensure_can_write(*, actor: Actor, dispute: Dispute) -> None:
    """Every write on a dispute or anything inside it goes through here."""
    if not actor_can_write(actor=actor, dispute=dispute):
        raise AccessDenied(_("You may read this dispute but not change it."))


def ensure_open(dispute: Dispute, *, field: str | None = None) -> None:
    if not dispute.is_open:
        raise ApplicationError(
            _("The dispute is %(stage)s; reopen it before changing its record.")
            % {"stage": dispute.get_stage_display().lower()},
            field=field,
        )


def _normalise_countries(countries: list[str] | None) -> list[str]:
    out: list[str] = []
    for code in countries or []:
        code = str(code).strip().upper()
        if code not in country_registry:
            raise ApplicationError(_("“%(code)s” is not an ISO 3166 country code.") % {"code": code},
                                   field="countries")
        if code not in out:
            out.append(code)
    return out


def _check_types(types: list[str] | None) -> list[str]:
    for t in types or []:
        if t not in DisputeType.values:
            raise ApplicationError(_("Unknown dispute type “%(t)s”.") % {"t": t}, field="dispute_types")
    return list(dict.fromkeys(types or []))


def _next_reference(organisation: Organisation, year: int) -> str:
    # The counter row is locked, so two disputes opened at once never get the same number.
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
        organisation=organisation, year=year
    )
    counter.last += 1
    while Dispute.objects.filter(organisation=organisation, reference=f"PC-{year}-{counter.last:04d}").exists():
        counter.last += 1  # imported or hand-made references are skipped, never reused
    counter.save(update_fields=["last"])
    return f"PC-{year}-{counter.last:04d}"


def _membership(user: User, organisation: Organisation) -> Membership | None:
    return Membership.objects.filter(user=user, organisation=organisation).first()


@transaction.atomic
def dispute_open(
    *,
    actor: Actor,
    title: str,
    lead_mediator: User,
    opened_on: dt.date | None = None,
    summary: str = "",
    dispute_types: list[str] | None = None,
    countries: list[str] | None = None,
    process_format: str = "mediation",
    track: str = "1",
    risk: str = "medium",
    confidentiality: str = Confidentiality.STANDARD,
    root_causes: list[str] | None = None,
    root_causes_other: str = "",
    ucdp_conflict_id: str = "",
    pax_process_id: str = "",
    stage: str = Stage.INTAKE,
    lead_affiliations: list[str] | None = None,
) -> Dispute:
    if not actor.can_write:
        raise AccessDenied(_("Your role may not open disputes."))
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError(_("A dispute needs a title."), field="title")
    if stage not in OPEN_STAGES:
        raise ApplicationError(_("A dispute opens in an open stage."), field="stage")
    opened_on = opened_on or timezone.localdate()
    dispute = Dispute(
        organisation=actor.organisation, title=title, summary=summary or "",
        dispute_types=_check_types(dispute_types), countries=_normalise_countries(countries),
        process_format=process_format, track=track, stage=stage, risk=risk, confidentiality=confidentiality,
        root_causes=list(dict.fromkeys(root_causes or [])), root_causes_other=root_causes_other or "",
        opened_on=opened_on, ucdp_conflict_id=ucdp_conflict_id or "", pax_process_id=pax_process_id or "",
        reference="PC-0000-0000",
    )
    full_clean_or_raise(dispute, exclude=["reference"])
    lead_membership = _membership(lead_mediator, actor.organisation)
    if lead_membership is None or lead_membership.role not in WRITING_ROLES:
        raise ApplicationError(_("The lead mediator must be a mediator of your organisation."), field="lead_mediator")
    dispute.reference = _next_reference(actor.organisation, opened_on.year)
    dispute.save()
    StageChange.objects.create(dispute=dispute, from_stage="", to_stage=stage, by=actor.user, by_label=actor.label,
                               reason=_("Dispute opened"))
    RiskAssessment.objects.create(dispute=dispute, risk=risk, assessed_on=opened_on, by=actor.user,
                                  reason=_("Initial assessment"))
    CaseTeamMember.objects.create(
        dispute=dispute, user=lead_mediator, role=CaseTeamMember.Role.LEAD_MEDIATOR, starts_on=opened_on,
        affiliations=list(lead_affiliations or []), no_conflict_declared=not lead_affiliations,
    )
    audit_record(actor=actor, action="disputes.dispute.opened", target=dispute,
                 after={"reference": dispute.reference, "title": title, "stage": stage, "risk": risk,
                        "confidentiality": confidentiality, "lead_mediator": lead_mediator.pk})
    return dispute


@transaction.atomic
def dispute_update(*, actor: Actor, dispute: Dispute, data: dict) -> Dispute:
    ensure_can_write(actor=actor, dispute=dispute)
    data = {k: v for k, v in data.items() if k in DISPUTE_FIELDS}
    if "title" in data:
        data["title"] = " ".join((data["title"] or "").split())
        if not data["title"]:
            raise ApplicationError(_("A dispute needs a title."), field="title")
    if "countries" in data:
        data["countries"] = _normalise_countries(data["countries"])
    if "dispute_types" in data:
        data["dispute_types"] = _check_types(data["dispute_types"])
    if data.get("confidentiality") == Confidentiality.RESTRICTED and dispute.shares.filter(
        revoked_at__isnull=True
    ).exists():
        raise ApplicationError(
            _("Revoke the dispute's shares with other organisations before restricting it."), field="confidentiality"
        )
    dispute, before, after = model_update_or_raise(instance=dispute, fields=DISPUTE_FIELDS, data=data)
    if before:
        audit_record(actor=actor, action="disputes.dispute.updated", target=dispute, before=before, after=after)
    return dispute


def allowed_transitions(dispute: Dispute) -> list[str]:
    """The stages a dispute may move to from where it is."""
    stage = dispute.stage
    if stage == Stage.CLOSED:
        return []
    if stage in (Stage.SUSPENDED, Stage.WITHDRAWN):
        resume = dispute.stage_before_suspension or Stage.INTAKE
        other = Stage.WITHDRAWN if stage == Stage.SUSPENDED else Stage.SUSPENDED
        return [resume, other, Stage.CLOSED]
    out: list[str] = []
    if stage in FORWARD:
        out.append(FORWARD[stage])
    backward = {v: k for k, v in FORWARD.items()}
    if stage in backward and stage != Stage.INTAKE:
        out.append(backward[stage])
    out += [Stage.SUSPENDED, Stage.WITHDRAWN]
    if Stage.CLOSED not in out:
        out.append(Stage.CLOSED)
    return out


@transaction.atomic
def dispute_change_stage(
    *,
    actor: Actor,
    dispute: Dispute,
    to_stage: str,
    reason: str = "",
    closure_reason: str = "",
    closed_on: dt.date | None = None,
) -> Dispute:
    ensure_can_write(actor=actor, dispute=dispute)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if to_stage not in Stage.values:
        raise ApplicationError(_("Unknown stage."), field="to_stage")
    if to_stage not in allowed_transitions(dispute):
        raise ApplicationError(
            _("A dispute cannot move from %(from)s to %(to)s.")
            % {"from": dispute.get_stage_display(), "to": Stage(to_stage).label},
            field="to_stage",
        )
    before = {"stage": dispute.stage}
    from_stage = dispute.stage
    if to_stage == Stage.CLOSED:
        if closure_reason not in ClosureReason.values:
            raise ApplicationError(_("Closing a dispute needs a closure reason."), field="closure_reason")
        closed_on = closed_on or timezone.localdate()
        if closed_on < dispute.opened_on:
            raise ApplicationError(_("A dispute cannot close before it opened."), field="closed_on")
        dispute.closure_reason = closure_reason
        dispute.closed_on = closed_on
    if to_stage in (Stage.SUSPENDED, Stage.WITHDRAWN):
        if not reason.strip():
            raise ApplicationError(_("Say why the dispute is suspended or withdrawn."), field="reason")
        if from_stage in OPEN_STAGES:
            dispute.stage_before_suspension = from_stage
    elif from_stage in (Stage.SUSPENDED, Stage.WITHDRAWN) and to_stage != Stage.CLOSED:
        dispute.stage_before_suspension = ""
    dispute.stage = to_stage
    full_clean_or_raise(dispute)
    dispute.save(update_fields=["stage", "stage_before_suspension", "closure_reason", "closed_on", "updated_at"])
    StageChange.objects.create(dispute=dispute, from_stage=from_stage, to_stage=to_stage, by=actor.user,
                               by_label=actor.label, reason=reason or "")
    audit_record(actor=actor, action="disputes.dispute.stage_changed", target=dispute, before=before,
                 after={"stage": to_stage, "reason": reason, "closure_reason": closure_reason})
    _emit(dispute, "dispute.stage_changed", {"from": from_stage, "to": to_stage})
    return dispute


def _emit(dispute: Dispute, event: str, extra: dict) -> None:
    """Tell the organisation's webhooks, when that app is installed (it is a layer below us)."""
    try:
        from apps.webhooks.services import webhook_emit
    except ImportError:
        return
    payload = {"dispute": {"id": dispute.pk, "reference": dispute.reference}, **extra}
    webhook_emit(organisation=dispute.organisation, event=event, payload=payload)


@transaction.atomic
def dispute_change_risk(
    *, actor: Actor, dispute: Dispute, risk: str, reason: str = "", assessed_on: dt.date | None = None
) -> Dispute:
    ensure_can_write(actor=actor, dispute=dispute)
    from apps.disputes.models import Risk

    if risk not in Risk.values:
        raise ApplicationError(_("Unknown risk level."), field="risk")
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ApplicationError(_("A risk assessment cannot be dated in the future."), field="assessed_on")
    previous = dispute.risk
    RiskAssessment.objects.create(dispute=dispute, risk=risk, previous=previous, assessed_on=assessed_on,
                                  reason=reason or "", by=actor.user)
    dispute.risk = risk
    dispute.save(update_fields=["risk", "updated_at"])
    audit_record(actor=actor, action="disputes.dispute.risk_changed", target=dispute, before={"risk": previous},
                 after={"risk": risk, "reason": reason})
    return dispute


# --- case parties and positions -------------------------------------------------------------------


@transaction.atomic
def case_party_add(
    *, actor: Actor, dispute: Dispute, party: Party, role: str = CaseParty.Role.CONFLICT_PARTY, red_lines: str = ""
) -> CaseParty:
    ensure_can_write(actor=actor, dispute=dispute)
    if party.organisation_id != dispute.organisation_id:
        raise ApplicationError(_("The party must belong to the dispute's organisation."), field="party")
    if CaseParty.objects.filter(dispute=dispute, party=party).exists():
        raise ApplicationError(_("This party is already in the dispute."), field="party")
    case_party = CaseParty(dispute=dispute, party=party, role=role, red_lines=red_lines or "")
    full_clean_or_raise(case_party)
    case_party.save()
    audit_record(actor=actor, action="disputes.case_party.added", target=case_party, organisation=dispute.organisation,
                 after={"party": party.pk, "role": role})
    return case_party


@transaction.atomic
def case_party_update(*, actor: Actor, case_party: CaseParty, data: dict) -> CaseParty:
    ensure_can_write(actor=actor, dispute=case_party.dispute)
    case_party, before, after = model_update_or_raise(instance=case_party, fields=["role", "red_lines"], data=data)
    if before:
        audit_record(actor=actor, action="disputes.case_party.updated", target=case_party,
                     organisation=case_party.dispute.organisation, before=before, after=after)
    return case_party


@transaction.atomic
def case_party_remove(*, actor: Actor, case_party: CaseParty) -> None:
    ensure_can_write(actor=actor, dispute=case_party.dispute)
    from django.db.models import ProtectedError

    snapshot = {"party": case_party.party_id, "role": case_party.role}
    audit_record(actor=actor, action="disputes.case_party.removed", target=case_party,
                 organisation=case_party.dispute.organisation, before=snapshot)
    try:
        with transaction.atomic():
            case_party.delete()
    except ProtectedError as exc:
        raise ApplicationError(
            _("This party has sessions, proposals or signatures in the dispute and cannot be removed."), field="party"
        ) from exc


@transaction.atomic
def party_position_set(
    *, actor: Actor, case_party: CaseParty, issue: NegotiationIssue, position: str = "", interests: str = ""
) -> PartyPosition:
    ensure_can_write(actor=actor, dispute=case_party.dispute)
    if issue.dispute_id != case_party.dispute_id:
        raise ApplicationError(_("The issue belongs to another dispute."), field="issue")
    obj, created = PartyPosition.objects.get_or_create(case_party=case_party, issue=issue)
    before = {} if created else {"position": obj.position, "interests": obj.interests}
    obj.position, obj.interests = position or "", interests or ""
    obj.save()
    audit_record(actor=actor, action="disputes.position.set", target=obj, organisation=case_party.dispute.organisation,
                 dispute_id=case_party.dispute_id, before=before,
                 after={"position": obj.position, "interests": obj.interests})
    return obj


# --- negotiation issues ------------------------------------------------------------------------------


@transaction.atomic
def negotiation_issue_create(
    *, actor: Actor, dispute: Dispute, title: str, description: str = "", order: int | None = None
) -> NegotiationIssue:
    ensure_can_write(actor=actor, dispute=dispute)
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError(_("An issue needs a title."), field="title")
    if NegotiationIssue.objects.filter(dispute=dispute, title__iexact=title).exists():
        raise ApplicationError(_("The dispute already has an issue with this title."), field="title")
    if order is None:
        order = NegotiationIssue.objects.filter(dispute=dispute).count() + 1
    issue = NegotiationIssue(dispute=dispute, title=title, description=description or "", order=order)
    full_clean_or_raise(issue)
    issue.save()
    audit_record(actor=actor, action="disputes.issue.created", target=issue, organisation=dispute.organisation,
                 after={"title": title})
    return issue


@transaction.atomic
def negotiation_issue_update(*, actor: Actor, issue: NegotiationIssue, data: dict) -> NegotiationIssue:
    ensure_can_write(actor=actor, dispute=issue.dispute)
    issue, before, after = model_update_or_raise(
        instance=issue, fields=["title", "description", "order", "status"], data=data
    )
    if before:
        audit_record(actor=actor, action="disputes.issue.updated", target=issue,
                     organisation=issue.dispute.organisation, before=before, after=after)
    return issue


# --- case team ---------------------------------------------------------------------------------------


def conflicting_parties(*, dispute: Dispute, affiliations: list[str]) -> list[Party]:
    """Parties of the dispute whose name or alias matches a declared affiliation."""
    wanted = {normalise_name(a) for a in affiliations if a and a.strip()}
    if not wanted:
        return []
    hits = []
    for cp in CaseParty.objects.filter(dispute=dispute).select_related("party"):
        names = {cp.party.normalised_name, *cp.party.normalised_aliases}
        if names & wanted:
            hits.append(cp.party)
    return hits


@transaction.atomic
def team_member_add(
    *,
    actor: Actor,
    dispute: Dispute,
    user: User,
    role: str,
    affiliations: list[str] | None = None,
    starts_on: dt.date | None = None,
    override_reason: str = "",
) -> CaseTeamMember:
    """Assign a user to the case team, after the conflict-of-interest check.

    A declared affiliation that matches a party of the dispute refuses the assignment,
    unless an admin records an override with a reason (kept in the audit trail).
    """
    ensure_can_write(actor=actor, dispute=dispute)
    if role not in CaseTeamMember.Role.values:
        raise ApplicationError(_("Unknown team role."), field="role")
    membership = _membership(user, dispute.organisation)
    if membership is None:
        raise ApplicationError(_("Only members of the dispute's organisation can join its team."), field="user")
    if membership.role not in WRITING_ROLES:
        raise ApplicationError(_("Analysts and partners cannot join a case team."), field="user")
    if CaseTeamMember.objects.filter(dispute=dispute, user=user, active=True).exists():
        raise ApplicationError(_("This person is already on the case team."), field="user")
    if role == CaseTeamMember.Role.LEAD_MEDIATOR and CaseTeamMember.objects.filter(
        dispute=dispute, role=CaseTeamMember.Role.LEAD_MEDIATOR, active=True
    ).exists():
        raise ApplicationError(_("The dispute already has a lead mediator."), field="role")
    affiliations = [a.strip() for a in (affiliations or []) if a and a.strip()]
    conflicts = conflicting_parties(dispute=dispute, affiliations=affiliations)
    if conflicts:
        if not override_reason.strip():
            raise ApplicationError(
                _("Conflict of interest: the declared affiliation matches %(parties)s, a party to this dispute.")
                % {"parties": ", ".join(p.name for p in conflicts)},
                field="affiliations",
            )
        if not actor.is_admin:
            raise AccessDenied(_("Only an admin can override a conflict of interest."), field="override_reason")
    member = CaseTeamMember(
        dispute=dispute, user=user, role=role, starts_on=starts_on or timezone.localdate(),
        affiliations=affiliations, no_conflict_declared=not affiliations,
        conflict_override_reason=override_reason.strip() if conflicts else "",
        conflict_override_by=actor.user if conflicts else None,
    )
    full_clean_or_raise(member)
    member.save()
    audit_record(actor=actor, action="disputes.team.member_added", target=member, organisation=dispute.organisation,
                 after={"user": user.pk, "role": role, "affiliations": affiliations})
    if conflicts:
        audit_record(actor=actor, action="disputes.team.conflict_overridden", target=member,
                     organisation=dispute.organisation,
                     after={"parties": [p.pk for p in conflicts], "reason": override_reason.strip()})
    return member


@transaction.atomic
def team_member_remove(*, actor: Actor, member: CaseTeamMember, ends_on: dt.date | None = None) -> CaseTeamMember:
    dispute = member.dispute
    ensure_can_write(actor=actor, dispute=dispute)
    if not member.active:
        raise ApplicationError(_("This person has already left the case team."))
    if member.role == CaseTeamMember.Role.LEAD_MEDIATOR and dispute.is_open:
        raise ApplicationError(
            _("An open dispute needs a lead mediator: hand the lead to someone else first."), field="role"
        )
    member.active = False
    member.ends_on = ends_on or timezone.localdate()
    member.save(update_fields=["active", "ends_on", "updated_at"])
    audit_record(actor=actor, action="disputes.team.member_removed", target=member, organisation=dispute.organisation,
                 before={"active": True}, after={"active": False, "ends_on": member.ends_on})
    return member


@transaction.atomic
def team_lead_transfer(*, actor: Actor, dispute: Dispute, to_member: CaseTeamMember) -> CaseTeamMember:
    """Hand the lead to another active team member; the previous lead becomes co-mediator."""
    ensure_can_write(actor=actor, dispute=dispute)
    if to_member.dispute_id != dispute.pk or not to_member.active:
        raise ApplicationError(_("The new lead must be an active member of this case team."), field="to_member")
    current = CaseTeamMember.objects.select_for_update().filter(
        dispute=dispute, role=CaseTeamMember.Role.LEAD_MEDIATOR, active=True
    ).first()
    if current is not None and current.pk == to_member.pk:
        return to_member
    if current is not None:
        current.role = CaseTeamMember.Role.CO_MEDIATOR
        current.save(update_fields=["role", "updated_at"])
    to_member.role = CaseTeamMember.Role.LEAD_MEDIATOR
    to_member.save(update_fields=["role", "updated_at"])
    audit_record(actor=actor, action="disputes.team.lead_transferred", target=to_member,
                 organisation=dispute.organisation,
                 before={"lead": current.user_id if current else None}, after={"lead": to_member.user_id})
    return to_member


# --- sharing -----------------------------------------------------------------------------------------


@transaction.atomic
def case_share_grant(*, actor: Actor, dispute: Dispute, organisation: Organisation, level: str) -> CaseShare:
    if not actor.is_admin or dispute.organisation_id != actor.organisation.pk:
        raise AccessDenied(_("Only an admin of the dispute's organisation can share it."))
    if organisation.pk == dispute.organisation_id:
        raise ApplicationError(_("A dispute cannot be shared with its own organisation."), field="organisation")
    if dispute.confidentiality == Confidentiality.RESTRICTED:
        raise ApplicationError(_("Restricted disputes cannot be shared."), field="organisation")
    if level not in CaseShare.Level.values:
        raise ApplicationError(_("Unknown share level."), field="level")
    share = CaseShare.objects.select_for_update().filter(
        dispute=dispute, organisation=organisation, revoked_at__isnull=True
    ).first()
    if share is not None:
        if share.level == level:
            raise ApplicationError(_("The dispute is already shared with this organisation."), field="organisation")
        before = {"level": share.level}
        share.level = level
        share.save(update_fields=["level", "updated_at"])
        audit_record(actor=actor, action="disputes.share.level_changed", target=share,
                     organisation=dispute.organisation, before=before, after={"level": level})
        return share
    share = CaseShare.objects.create(dispute=dispute, organisation=organisation, level=level, granted_by=actor.user)
    audit_record(actor=actor, action="disputes.share.granted", target=share, organisation=dispute.organisation,
                 after={"organisation": organisation.pk, "level": level})
    return share


@transaction.atomic
def case_share_revoke(*, actor: Actor, share: CaseShare) -> CaseShare:
    if not actor.is_admin or share.dispute.organisation_id != actor.organisation.pk:
        raise AccessDenied(_("Only an admin of the dispute's organisation can revoke a share."))
    if share.revoked_at is not None:
        raise ApplicationError(_("This share is already revoked."))
    share.revoked_at = timezone.now()
    share.revoked_by = actor.user
    share.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=actor, action="disputes.share.revoked", target=share, organisation=share.dispute.organisation,
                 before={"level": share.level}, after={"revoked": True})
    return share
