from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as country_registry

from apps.accounts.actors import WRITING_ROLES, Actor
from apps.accounts.models import Membership, Organisation, User
from apps.common.errors import ApplicationError
from apps.common.services import audit_record, full_clean_or_raise, model_update_or_raise
from apps.common.text import clean_name
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
    Risk,
    RiskAssessment,
    Stage,
    StageChange,
)
from apps.disputes.policies import (
    ensure_may_change_stage,
    ensure_may_manage_team,
    ensure_may_open_dispute,
    ensure_may_override_conflict,
    ensure_may_set_confidentiality,
    ensure_may_share,
    ensure_may_write,
)
from apps.parties.models import Party, normalise_name

DISPUTE_FIELDS = [
    "title", "summary", "dispute_types", "countries", "process_format", "track", "confidentiality",
    "root_causes", "root_causes_other", "opened_on", "ucdp_conflict_id", "pax_process_id",
]
PAUSED_STAGES = (Stage.SUSPENDED, Stage.WITHDRAWN)
# Closing "with an agreement" only makes sense once the process got that far.
AGREEMENT_STAGES = (Stage.AGREEMENT, Stage.IMPLEMENTATION)


def ensure_open(dispute: Dispute, *, field: str | None = None) -> None:
    """The dispute is in an active stage (not suspended, withdrawn or closed)."""
    if not dispute.is_open:
        raise ApplicationError(
            _("The dispute is %(stage)s; reopen it before changing its record.")
            % {"stage": dispute.get_stage_display().lower()},
            field=field,
        )


def ensure_not_closed(dispute: Dispute, *, field: str | None = None) -> None:
    """Closing is final: a closed dispute's record is history. Suspended and withdrawn ones can still change."""
    if dispute.stage == Stage.CLOSED:
        raise ApplicationError(_("The dispute is closed; its record can no longer change."), field=field)


@contextmanager
def _unique_or_raise(message: str, *, field: str) -> Iterator[None]:
    """A unique constraint lost to a concurrent request reads like the service's own check."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ApplicationError(message, field=field) from exc


def _normalise_countries(countries: list[str] | None) -> list[str]:
    out: list[str] = []
    for code in countries or []:
        code = str(code).strip().upper()
        if code not in country_registry:
            raise ApplicationError(_("“%(code)s” is not an ISO 3166-1 country code.") % {"code": code},
                                   field="countries")
        if code not in out:
            out.append(code)
    return out


def _check_types(types: list[str] | None) -> list[str]:
    for t in types or []:
        if t not in DisputeType.values:
            raise ApplicationError(_("Unknown dispute type “%(t)s”.") % {"t": t}, field="dispute_types")
    return list(dict.fromkeys(types or []))


def _clean_affiliations(affiliations: list[str] | None) -> list[str]:
    return list(dict.fromkeys(" ".join(str(a).split()) for a in affiliations or [] if a and str(a).strip()))


def _next_reference(organisation: Organisation, year: int) -> str:
    # The counter row is locked until commit, so two disputes opened at once never get the same
    # number; when the row does not exist yet, both insert it and get_or_create lets the loser
    # of the unique constraint read (and lock) the winner's row.
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
        organisation=organisation, year=year
    )
    counter.last += 1
    while Dispute.objects.filter(organisation=organisation, reference=f"PC-{year}-{counter.last:04d}").exists():
        counter.last += 1  # imported or hand-made references are skipped, never reused
    counter.save(update_fields=["last"])
    return f"PC-{year}-{counter.last:04d}"


def _membership(user: User, organisation: Organisation) -> Membership | None:
    return Membership.objects.filter(user=user, organisation=organisation, user__is_active=True).first()


def _lock(dispute: Dispute) -> Dispute:
    """Lock the dispute row and bring the caller's instance up to date with it."""
    dispute.refresh_from_db(from_queryset=Dispute.objects.select_for_update())
    return dispute


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
    """Open a dispute in the actor's organisation with its reference, first stage, risk and lead mediator."""
    ensure_may_open_dispute(actor=actor)
    title = clean_name(title)  # no invisible format characters (apps/common/text.py)
    if not title:
        raise ApplicationError(_("A dispute needs a title."), field="title")
    if stage not in OPEN_STAGES:
        raise ApplicationError(_("A dispute opens in an open stage."), field="stage")
    opened_on = opened_on or timezone.localdate()
    dispute = Dispute(
        organisation=actor.organisation, title=title, summary=summary or "",
        dispute_types=_check_types(dispute_types), countries=_normalise_countries(countries),
        process_format=process_format, track=track, stage=stage, risk=risk, confidentiality=confidentiality,
        root_causes=list(dict.fromkeys(root_causes or [])), root_causes_other=(root_causes_other or "").strip(),
        opened_on=opened_on, ucdp_conflict_id=(ucdp_conflict_id or "").strip(),
        pax_process_id=(pax_process_id or "").strip(), reference="PC-0000-0000",
    )
    full_clean_or_raise(dispute, exclude=["reference"])
    lead_membership = _membership(lead_mediator, actor.organisation)
    if lead_membership is None or lead_membership.role not in WRITING_ROLES:
        raise ApplicationError(_("The lead mediator must be a mediator of your organisation."), field="lead_mediator")
    affiliations = _clean_affiliations(lead_affiliations)
    dispute.reference = _next_reference(actor.organisation, opened_on.year)
    dispute.save()
    StageChange.objects.create(dispute=dispute, from_stage="", to_stage=stage, by=actor.user, by_label=actor.label,
                               reason=_("Dispute opened"))
    RiskAssessment.objects.create(dispute=dispute, risk=risk, assessed_on=opened_on, by=actor.user,
                                  reason=_("Initial assessment"))
    CaseTeamMember.objects.create(
        dispute=dispute, user=lead_mediator, role=CaseTeamMember.Role.LEAD_MEDIATOR, starts_on=opened_on,
        affiliations=affiliations, no_conflict_declared=not affiliations,
    )
    audit_record(actor=actor, action="disputes.dispute.opened", target=dispute, organisation=dispute.organisation,
                 after={"reference": dispute.reference, "title": title, "stage": stage, "risk": risk,
                        "confidentiality": confidentiality, "lead_mediator": lead_mediator.pk,
                        "opened_on": opened_on})
    return dispute


def _check_confidentiality_change(*, actor: Actor, dispute: Dispute, confidentiality: str) -> None:
    """Who may restrict or open up a dispute, and when.

    Only an admin of the owning organisation or the dispute's lead mediator: the change decides
    who in the organisation reads the case. A dispute shared with other organisations cannot be
    restricted (restricted disputes are never shared): revoke the shares first.
    """
    ensure_may_set_confidentiality(actor=actor, dispute=dispute)
    if confidentiality not in Confidentiality.values:
        raise ApplicationError(_("Unknown confidentiality level."), field="confidentiality")
    if confidentiality == Confidentiality.RESTRICTED and dispute.shares.filter(revoked_at__isnull=True).exists():
        raise ApplicationError(
            _("Revoke the dispute's shares with other organisations before restricting it."), field="confidentiality"
        )


@transaction.atomic
def dispute_update(*, actor: Actor, dispute: Dispute, data: dict) -> Dispute:
    """Change the dispute's descriptive fields (DISPUTE_FIELDS; stage and risk have their own services)."""
    ensure_may_write(actor=actor, dispute=dispute)
    _lock(dispute)
    ensure_not_closed(dispute)
    data = {k: v for k, v in data.items() if k in DISPUTE_FIELDS}
    if "title" in data:
        data["title"] = clean_name(data["title"])
        if not data["title"]:
            raise ApplicationError(_("A dispute needs a title."), field="title")
    if "countries" in data:
        data["countries"] = _normalise_countries(data["countries"])
    if "dispute_types" in data:
        data["dispute_types"] = _check_types(data["dispute_types"])
    if "root_causes" in data:
        data["root_causes"] = list(dict.fromkeys(data["root_causes"] or []))
    for key in ("summary", "root_causes_other", "ucdp_conflict_id", "pax_process_id"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if data.get("opened_on") is None:
        data.pop("opened_on", None)
    if "confidentiality" in data and data["confidentiality"] != dispute.confidentiality:
        _check_confidentiality_change(actor=actor, dispute=dispute, confidentiality=data["confidentiality"])
    dispute, before, after = model_update_or_raise(instance=dispute, fields=DISPUTE_FIELDS, data=data)
    if before:
        audit_record(actor=actor, action="disputes.dispute.updated", target=dispute,
                     organisation=dispute.organisation, before=before, after=after)
    return dispute


@transaction.atomic
def dispute_set_confidentiality(*, actor: Actor, dispute: Dispute, confidentiality: str, reason: str = "") -> Dispute:
    """Restrict a dispute (case team and admins only) or make it standard again; see the rules above."""
    # Checked before the no-op test: someone who may not change it is told so, even for today's level.
    ensure_may_set_confidentiality(actor=actor, dispute=dispute)
    _lock(dispute)
    ensure_not_closed(dispute, field="confidentiality")
    _check_confidentiality_change(actor=actor, dispute=dispute, confidentiality=confidentiality)
    if confidentiality == dispute.confidentiality:
        return dispute
    before = {"confidentiality": dispute.confidentiality}
    dispute.confidentiality = confidentiality
    dispute.save(update_fields=["confidentiality", "updated_at"])
    verb = "restricted" if confidentiality == Confidentiality.RESTRICTED else "unrestricted"
    audit_record(actor=actor, action=f"disputes.dispute.{verb}", target=dispute, organisation=dispute.organisation,
                 before=before, after={"confidentiality": confidentiality, "reason": (reason or "").strip()})
    return dispute


def allowed_transitions(dispute: Dispute) -> list[str]:
    """The stages a dispute may move to from where it is.

    Forward one stage, or back one (talks fall back to pre-negotiation); suspended or withdrawn
    from any open stage; closed from any open stage or while suspended or withdrawn (a process
    can end at any point: the closure reason says how). A suspended or withdrawn dispute resumes
    at the stage it left, or switches between suspended and withdrawn. Closed is final.
    """
    stage = dispute.stage
    if stage == Stage.CLOSED:
        return []
    if stage in PAUSED_STAGES:
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
    """Move the dispute along the workflow (see ``allowed_transitions``); one StageChange row per move.

    Closing needs a closure reason (and takes a closing date, today by default); suspending or
    withdrawing needs a reason. The caller's instance is updated in place and returned.
    """
    ensure_may_change_stage(actor=actor, dispute=dispute, to_stage=to_stage)
    _lock(dispute)  # two people moving the same dispute at once: the second sees the first's stage
    # Checked again on the locked row: a dispute suspended meanwhile is the lead's to resume.
    ensure_may_change_stage(actor=actor, dispute=dispute, to_stage=to_stage)
    reason = (reason or "").strip()
    closure_reason = (closure_reason or "").strip()
    if to_stage not in Stage.values:
        raise ApplicationError(_("Unknown stage."), field="to_stage")
    if to_stage not in allowed_transitions(dispute):
        raise ApplicationError(
            _("A dispute cannot move from %(from)s to %(to)s.")
            % {"from": dispute.get_stage_display(), "to": Stage(to_stage).label},
            field="to_stage",
        )
    from_stage = dispute.stage
    before = {"stage": from_stage}
    after: dict = {"stage": to_stage}
    if to_stage == Stage.CLOSED:
        if not closure_reason:
            raise ApplicationError(_("Closing a dispute needs a closure reason."), field="closure_reason")
        if closure_reason not in ClosureReason.values:
            raise ApplicationError(_("Unknown closure reason."), field="closure_reason")
        reached = from_stage if from_stage in OPEN_STAGES else dispute.stage_before_suspension
        if closure_reason == ClosureReason.AGREEMENT and reached not in AGREEMENT_STAGES:
            raise ApplicationError(
                _("Only a dispute that reached the agreement stage can close with an agreement."),
                field="closure_reason",
            )
        closed_on = closed_on or timezone.localdate()
        if closed_on < dispute.opened_on:
            raise ApplicationError(_("A dispute cannot close before it opened."), field="closed_on")
        if closed_on > timezone.localdate():
            raise ApplicationError(_("A dispute cannot be closed in the future."), field="closed_on")
        before.update(closure_reason=dispute.closure_reason, closed_on=dispute.closed_on)
        after.update(closure_reason=closure_reason, closed_on=closed_on)
        dispute.closure_reason = closure_reason
        dispute.closed_on = closed_on
    elif closure_reason or closed_on:
        raise ApplicationError(_("Only closing a dispute takes a closure reason and date."), field="closure_reason")
    if to_stage in PAUSED_STAGES:
        if not reason:
            raise ApplicationError(_("Say why the dispute is suspended or withdrawn."), field="reason")
        if from_stage in OPEN_STAGES:
            dispute.stage_before_suspension = from_stage
    elif from_stage in PAUSED_STAGES and to_stage != Stage.CLOSED:
        dispute.stage_before_suspension = ""
    if reason:
        after["reason"] = reason
    dispute.stage = to_stage
    full_clean_or_raise(dispute)
    dispute.save(update_fields=["stage", "stage_before_suspension", "closure_reason", "closed_on", "updated_at"])
    StageChange.objects.create(dispute=dispute, from_stage=from_stage, to_stage=to_stage, by=actor.user,
                               by_label=actor.label, reason=reason)
    audit_record(actor=actor, action="disputes.dispute.stage_changed", target=dispute,
                 organisation=dispute.organisation, before=before, after=after)
    _emit(dispute, "dispute.stage_changed", {"from": from_stage, "to": to_stage})
    return dispute


def _emit(dispute: Dispute, event: str, extra: dict) -> None:
    """Tell the webhooks of every organisation that may read the dispute (that app is a layer below us)."""
    try:
        from apps.webhooks.services import webhook_emit
    except ImportError:
        return
    payload = {"dispute": {"id": dispute.pk, "reference": dispute.reference}, **extra}
    webhook_emit(dispute_id=dispute.pk, event=event, payload=payload)


@transaction.atomic
def dispute_change_risk(
    *, actor: Actor, dispute: Dispute, risk: str, reason: str = "", assessed_on: dt.date | None = None
) -> Dispute:
    """Record a dated escalation-risk assessment; the dispute's risk is the latest one.

    An assessment dated before the latest recorded one is refused: the history stays in date
    order and the current risk is always the newest assessment.
    """
    ensure_may_write(actor=actor, dispute=dispute)
    _lock(dispute)
    ensure_not_closed(dispute, field="risk")
    if risk not in Risk.values:
        raise ApplicationError(_("Unknown risk level."), field="risk")
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ApplicationError(_("A risk assessment cannot be dated in the future."), field="assessed_on")
    if assessed_on < dispute.opened_on:
        raise ApplicationError(_("A risk assessment cannot be dated before the dispute opened."),
                               field="assessed_on")
    latest = dispute.risk_history.order_by("-assessed_on", "-id").values_list("assessed_on", flat=True).first()
    if latest is not None and assessed_on < latest:
        raise ApplicationError(
            _("The latest assessment is dated %(date)s; a new one cannot be dated earlier.") % {"date": latest},
            field="assessed_on",
        )
    previous = dispute.risk
    reason = (reason or "").strip()
    RiskAssessment.objects.create(dispute=dispute, risk=risk, previous=previous, assessed_on=assessed_on,
                                  reason=reason, by=actor.user)
    dispute.risk = risk
    dispute.save(update_fields=["risk", "updated_at"])
    audit_record(actor=actor, action="disputes.dispute.risk_changed", target=dispute,
                 organisation=dispute.organisation, before={"risk": previous},
                 after={"risk": risk, "assessed_on": assessed_on, "reason": reason})
    return dispute


# --- case parties and positions -------------------------------------------------------------------


def _members_conflicting_with(*, dispute: Dispute, party: Party) -> list[CaseTeamMember]:
    names = party.match_names
    return [
        m for m in CaseTeamMember.objects.filter(dispute=dispute, active=True).select_related("user")
        if names & {normalise_name(a) for a in m.affiliations}
    ]


@transaction.atomic
def case_party_add(
    *,
    actor: Actor,
    dispute: Dispute,
    party: Party,
    role: str = CaseParty.Role.CONFLICT_PARTY,
    red_lines: str = "",
    override_reason: str = "",
) -> CaseParty:
    """Bring one of the organisation's parties into the dispute.

    The conflict-of-interest check runs this way round too: a party matching an affiliation a
    team member declared is refused unless an admin records an override with a reason.
    """
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="party")
    if party.organisation_id != dispute.organisation_id:
        raise ApplicationError(_("The party must belong to the dispute's organisation."), field="party")
    if role not in CaseParty.Role.values:
        raise ApplicationError(_("Unknown role for a party."), field="role")
    if CaseParty.objects.filter(dispute=dispute, party=party).exists():
        raise ApplicationError(_("This party is already in the dispute."), field="party")
    conflicted = _members_conflicting_with(dispute=dispute, party=party)
    override_reason = (override_reason or "").strip()
    if conflicted:
        if not override_reason:
            raise ApplicationError(
                _("Conflict of interest: %(people)s declared an affiliation with %(party)s.")
                % {"people": ", ".join(str(m.user) for m in conflicted), "party": party.name},
                field="party",
            )
        ensure_may_override_conflict(actor=actor, dispute=dispute)
    case_party = CaseParty(dispute=dispute, party=party, role=role, red_lines=(red_lines or "").strip())
    full_clean_or_raise(case_party, exclude=["dispute", "party"])
    with _unique_or_raise(_("This party is already in the dispute."), field="party"):
        case_party.save()
    after: dict = {"party": party.pk, "party_name": party.name, "role": role}
    if conflicted:
        after["conflict_override"] = {"members": [m.user_id for m in conflicted], "reason": override_reason}
    action = "disputes.case_party.conflict_overridden" if conflicted else "disputes.case_party.added"
    audit_record(actor=actor, action=action, target=case_party, organisation=dispute.organisation, after=after)
    return case_party


@transaction.atomic
def case_party_update(*, actor: Actor, case_party: CaseParty, data: dict) -> CaseParty:
    """Change a party's role in the dispute or its red lines."""
    ensure_may_write(actor=actor, dispute=case_party.dispute)
    ensure_not_closed(case_party.dispute)
    data = {k: v for k, v in data.items() if k in ("role", "red_lines")}
    if "red_lines" in data:
        data["red_lines"] = (data["red_lines"] or "").strip()
    case_party, before, after = model_update_or_raise(instance=case_party, fields=["role", "red_lines"], data=data)
    if before:
        audit_record(actor=actor, action="disputes.case_party.updated", target=case_party,
                     organisation=case_party.dispute.organisation, before=before, after=after)
    return case_party


@transaction.atomic
def case_party_remove(*, actor: Actor, case_party: CaseParty) -> None:
    """Take a party out of the dispute, with its positions; refused once sessions or proposals name it."""
    dispute = case_party.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="party")
    snapshot = {"party": case_party.party_id, "party_name": case_party.party.name, "role": case_party.role,
                "red_lines": case_party.red_lines, "positions": case_party.positions.count()}
    audit_record(actor=actor, action="disputes.case_party.removed", target=case_party,
                 organisation=dispute.organisation, before=snapshot)
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
    """Record what a party says it wants on an issue (position) and why (interests)."""
    dispute = case_party.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="issue")
    if issue.dispute_id != case_party.dispute_id:
        raise ApplicationError(_("The issue belongs to another dispute."), field="issue")
    position, interests = (position or "").strip(), (interests or "").strip()
    obj = PartyPosition.objects.select_for_update().filter(case_party=case_party, issue=issue).first()
    if obj is not None and (obj.position, obj.interests) == (position, interests):
        return obj
    before = {} if obj is None else {"position": obj.position, "interests": obj.interests}
    if obj is None:
        obj = PartyPosition(case_party=case_party, issue=issue)
    obj.position, obj.interests = position, interests
    with _unique_or_raise(_("Someone else recorded this position at the same time; reload."), field="issue"):
        obj.save()
    audit_record(actor=actor, action="disputes.position.set", target=obj, organisation=dispute.organisation,
                 dispute_id=dispute.pk, before=before,
                 after={"position": obj.position, "interests": obj.interests,
                        "party": case_party.party_id, "issue": issue.pk})
    return obj


# --- negotiation issues ------------------------------------------------------------------------------


def _ensure_unique_issue_title(dispute: Dispute, title: str, *, exclude_pk: int | None = None) -> None:
    clash = NegotiationIssue.objects.filter(dispute=dispute, title__iexact=title)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(_("The dispute already has an issue with this title."), field="title")


@transaction.atomic
def negotiation_issue_create(
    *, actor: Actor, dispute: Dispute, title: str, description: str = "", order: int | None = None
) -> NegotiationIssue:
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="title")
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError(_("An issue needs a title."), field="title")
    _ensure_unique_issue_title(dispute, title)
    if order is None:
        order = NegotiationIssue.objects.filter(dispute=dispute).count() + 1
    issue = NegotiationIssue(dispute=dispute, title=title, description=(description or "").strip(), order=order)
    full_clean_or_raise(issue)
    with _unique_or_raise(_("The dispute already has an issue with this title."), field="title"):
        issue.save()
    audit_record(actor=actor, action="disputes.issue.created", target=issue, organisation=dispute.organisation,
                 after={"title": title, "order": order})
    return issue


@transaction.atomic
def negotiation_issue_update(*, actor: Actor, issue: NegotiationIssue, data: dict) -> NegotiationIssue:
    """Change an agenda item: title, description, order or status (open, agreed, parked)."""
    ensure_may_write(actor=actor, dispute=issue.dispute)
    ensure_not_closed(issue.dispute)
    data = {k: v for k, v in data.items() if k in ("title", "description", "order", "status")}
    if "title" in data:
        data["title"] = " ".join((data["title"] or "").split())
        if not data["title"]:
            raise ApplicationError(_("An issue needs a title."), field="title")
        _ensure_unique_issue_title(issue.dispute, data["title"], exclude_pk=issue.pk)
    if "description" in data:
        data["description"] = (data["description"] or "").strip()
    with _unique_or_raise(_("The dispute already has an issue with this title."), field="title"):
        issue, before, after = model_update_or_raise(
            instance=issue, fields=["title", "description", "order", "status"], data=data
        )
    if before:
        audit_record(actor=actor, action="disputes.issue.updated", target=issue,
                     organisation=issue.dispute.organisation, before=before, after=after)
    return issue


# --- case team ---------------------------------------------------------------------------------------


def conflicting_parties(*, dispute: Dispute, affiliations: list[str]) -> list[Party]:
    """Parties of the dispute whose name or an alias matches a declared affiliation.

    Names are compared after ``normalise_name`` (case, accents, spacing, typographic quotes and
    dashes), whole name against whole name: "SPLM" matches the alias "S.P.L.M." only if declared so.
    """
    wanted = {normalise_name(a) for a in affiliations if a and a.strip()}
    wanted.discard("")
    if not wanted:
        return []
    return [
        cp.party for cp in CaseParty.objects.filter(dispute=dispute).select_related("party").order_by("id")
        if cp.party.match_names & wanted
    ]


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
    ensure_may_manage_team(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="user")
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
        raise ApplicationError(
            _("The dispute already has a lead mediator; hand the lead over instead."), field="role"
        )
    affiliations = _clean_affiliations(affiliations)
    conflicts = conflicting_parties(dispute=dispute, affiliations=affiliations)
    override_reason = (override_reason or "").strip()
    if conflicts:
        if not override_reason:
            raise ApplicationError(
                _("Conflict of interest: the declared affiliation matches %(parties)s, a party to this dispute.")
                % {"parties": ", ".join(p.name for p in conflicts)},
                field="affiliations",
            )
        ensure_may_override_conflict(actor=actor, dispute=dispute)
    member = CaseTeamMember(
        dispute=dispute, user=user, role=role, starts_on=starts_on or timezone.localdate(),
        affiliations=affiliations, no_conflict_declared=not affiliations,
        conflict_override_reason=override_reason if conflicts else "",
        conflict_override_by=actor.user if conflicts else None,
    )
    full_clean_or_raise(member, exclude=["dispute", "user"])
    with _unique_or_raise(_("The case team changed at the same time; reload and try again."), field="user"):
        member.save()
    after: dict = {"user": user.pk, "role": role, "affiliations": affiliations, "starts_on": member.starts_on}
    if conflicts:
        after["conflict_override"] = {"parties": [p.pk for p in conflicts], "reason": override_reason}
    # One event per call; an assignment over a declared conflict gets its own action so that
    # overrides stand out in the trail (its data is a member_added's plus the override).
    action = "disputes.team.conflict_overridden" if conflicts else "disputes.team.member_added"
    audit_record(actor=actor, action=action, target=member, organisation=dispute.organisation, after=after)
    return member


@transaction.atomic
def team_member_change_role(*, actor: Actor, member: CaseTeamMember, role: str) -> CaseTeamMember:
    """Change a member's role other than the lead (``team_lead_transfer`` moves the lead)."""
    dispute = member.dispute
    ensure_may_manage_team(actor=actor, dispute=dispute)
    ensure_not_closed(dispute, field="role")
    if role not in CaseTeamMember.Role.values:
        raise ApplicationError(_("Unknown team role."), field="role")
    if not member.active:
        raise ApplicationError(_("This person has already left the case team."), field="role")
    if CaseTeamMember.Role.LEAD_MEDIATOR in (role, member.role):
        raise ApplicationError(_("Hand the lead over instead of changing the lead's role."), field="role")
    if role == member.role:
        return member
    before = {"role": member.role}
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    audit_record(actor=actor, action="disputes.team.role_changed", target=member,
                 organisation=dispute.organisation, before=before, after={"role": role, "user": member.user_id})
    return member


@transaction.atomic
def team_member_remove(*, actor: Actor, member: CaseTeamMember, ends_on: dt.date | None = None) -> CaseTeamMember:
    """End an assignment. The lead stays until the dispute is closed (a suspended dispute resumes with it)."""
    dispute = member.dispute
    ensure_may_manage_team(actor=actor, dispute=dispute)
    _lock(dispute)
    if not member.active:
        raise ApplicationError(_("This person has already left the case team."))
    if member.role == CaseTeamMember.Role.LEAD_MEDIATOR and dispute.stage != Stage.CLOSED:
        raise ApplicationError(
            _("A dispute needs a lead mediator until it is closed: hand the lead to someone else first."),
            field="role",
        )
    ends_on = ends_on or timezone.localdate()
    if ends_on < member.starts_on:
        raise ApplicationError(_("A team assignment cannot end before it starts."), field="ends_on")
    member.active = False
    member.ends_on = ends_on
    member.save(update_fields=["active", "ends_on", "updated_at"])
    audit_record(actor=actor, action="disputes.team.member_removed", target=member,
                 organisation=dispute.organisation,
                 before={"active": True, "ends_on": None},
                 after={"active": False, "ends_on": ends_on, "user": member.user_id, "role": member.role})
    return member


@transaction.atomic
def team_lead_transfer(*, actor: Actor, dispute: Dispute, to_member: CaseTeamMember) -> CaseTeamMember:
    """Hand the lead to another active team member; the previous lead becomes co-mediator."""
    ensure_may_manage_team(actor=actor, dispute=dispute)
    _lock(dispute)
    ensure_not_closed(dispute, field="to_member")
    if to_member.dispute_id != dispute.pk or not to_member.active:
        raise ApplicationError(_("The new lead must be an active member of this case team."), field="to_member")
    membership = _membership(to_member.user, dispute.organisation)
    if membership is None or membership.role not in WRITING_ROLES:
        raise ApplicationError(_("The lead mediator must be a mediator of your organisation."), field="to_member")
    current = CaseTeamMember.objects.filter(
        dispute=dispute, role=CaseTeamMember.Role.LEAD_MEDIATOR, active=True
    ).first()
    if current is not None and current.pk == to_member.pk:
        return to_member
    if current is not None:
        current.role = CaseTeamMember.Role.CO_MEDIATOR
        current.save(update_fields=["role", "updated_at"])
    before = {"lead": current.user_id if current else None, "new_lead_role": to_member.role}
    to_member.role = CaseTeamMember.Role.LEAD_MEDIATOR
    to_member.save(update_fields=["role", "updated_at"])
    audit_record(actor=actor, action="disputes.team.lead_transferred", target=to_member,
                 organisation=dispute.organisation, before=before, after={"lead": to_member.user_id})
    return to_member


# --- sharing -----------------------------------------------------------------------------------------


@transaction.atomic
def case_share_grant(*, actor: Actor, dispute: Dispute, organisation: Organisation, level: str) -> CaseShare:
    """Share a standard dispute with another organisation (read or contribute), or change the level."""
    ensure_may_share(actor=actor, dispute=dispute)
    _lock(dispute)
    if organisation.pk == dispute.organisation_id:
        raise ApplicationError(_("A dispute cannot be shared with its own organisation."), field="organisation")
    if dispute.confidentiality == Confidentiality.RESTRICTED:
        raise ApplicationError(_("Restricted disputes cannot be shared."), field="dispute")
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
                     organisation=dispute.organisation, before=before,
                     after={"level": level, "organisation": organisation.pk})
        return share
    share = CaseShare(dispute=dispute, organisation=organisation, level=level, granted_by=actor.user)
    with _unique_or_raise(_("The dispute is already shared with this organisation."), field="organisation"):
        share.save()
    audit_record(actor=actor, action="disputes.share.granted", target=share, organisation=dispute.organisation,
                 after={"organisation": organisation.pk, "level": level})
    return share


@transaction.atomic
def case_share_revoke(*, actor: Actor, share: CaseShare) -> CaseShare:
    ensure_may_share(actor=actor, dispute=share.dispute)
    if share.revoked_at is not None:
        raise ApplicationError(_("This share is already revoked."))
    share.revoked_at = timezone.now()
    share.revoked_by = actor.user
    share.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=actor, action="disputes.share.revoked", target=share, organisation=share.dispute.organisation,
                 before={"level": share.level, "revoked": False},
                 after={"revoked": True, "organisation": share.organisation_id})
    return share
