"""Every write on agreements, versions, signatories, provisions and assessments.

Each service is atomic, checks the caller's write access to the dispute
(``ensure_may_write``, apps/disputes/policies.py), writes one audit event, and creates/moves reminders and webhook
outbox rows (notify.py) in the same transaction. Nothing is half-written: a refusal raises
before the first write, or rolls back with the transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.accounts.models import Organisation
from apps.agreements import notify
from apps.agreements.diff import ensure_version_text_size
from apps.agreements.importers.records import ImportedAgreement, ImportedParty
from apps.agreements.models import (
    AMENDABLE_STATUSES,
    SIGNED_STATUSES,
    STATUS_TRANSITIONS,
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
from apps.common import context as request_context
from apps.common.errors import ApplicationError, ConflictError
from apps.common.models import AuditEvent
from apps.common.services import _jsonable, audit_record, full_clean_or_raise, model_update_or_raise
from apps.disputes.models import CaseParty, CaseShare, Dispute
from apps.disputes.policies import ensure_may_write
from apps.disputes.selectors import disputes_visible
from apps.disputes.services import ensure_open
from apps.parties.models import Party, Representative, normalise_name

AGREEMENT_FIELDS = ["title", "type", "summary", "place", "languages", "source_url", "pax_agt_id", "ucdp_paid"]
PROVISION_FIELDS = ["label", "order", "text", "category", "deadline", "verifier_party", "verifier_organisation",
                    "responsible_parties"]
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _today() -> dt.date:
    return timezone.localdate()


def _squash(value: str | None) -> str:
    return " ".join((value or "").split())


def _not_in_future(day: dt.date | None, *, field: str, what: str) -> None:
    if day is not None and day > _today():
        raise ApplicationError(_("%(what)s cannot be in the future.") % {"what": what}, field=field)


def _clean_languages(languages: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for code in languages or []:
        code = str(code).strip()
        if not _LANGUAGE.match(code):
            raise ApplicationError(
                _("“%(code)s” is not a language code (use ISO 639, e.g. en, fr, ar).") % {"code": code},
                field="languages",
            )
        if code not in out:
            out.append(code)
    return out


def _lock(agreement: Agreement) -> Agreement:
    """Re-read the agreement under a row lock: status and the version chain change one writer at a time."""
    # of=self: lock the agreement only, not the dispute and organisation rows joined in.
    return Agreement.objects.select_for_update(of=("self",)).select_related("dispute", "organisation").get(
        pk=agreement.pk
    )


def _case_roles(dispute_id: int, party_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        CaseParty.objects.filter(dispute_id=dispute_id, party_id__in=list(party_ids)).values_list("party_id", "role")
    )


def _audit(actor: Actor, action: str, agreement: Agreement, **kwargs: Any) -> None:
    """Filed under the dispute's organisation, also when a partner with a contributor share writes."""
    audit_record(actor=actor, action=action, target=agreement, organisation=agreement.organisation,
                 dispute_id=agreement.dispute_id, **kwargs)


def _current_score(provision_id: int) -> int | None:
    return (
        ImplementationAssessment.objects.filter(provision_id=provision_id)
        .order_by("-assessed_on", "-id")
        .values_list("score", flat=True)
        .first()
    )


# --- agreements ---------------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor: Actor,
    dispute: Dispute,
    title: str,
    type: str,
    summary: str = "",
    place: str = "",
    languages: Iterable[str] | None = None,
    source_url: str = "",
    text: str = "",
    change_summary: str = "",
) -> Agreement:
    """Start an agreement in drafting; with ``text``, its first version too."""
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    title = _squash(title)
    if not title:
        raise ApplicationError(_("An agreement needs a title."), field="title")
    if type not in AgreementType.values:
        raise ApplicationError(_("Unknown agreement type."), field="type")
    agreement = Agreement(
        organisation_id=dispute.organisation_id, dispute=dispute, title=title, type=type, summary=summary or "",
        place=_squash(place), languages=_clean_languages(languages), source_url=source_url or "",
        created_by=actor.user,
    )
    full_clean_or_raise(agreement)
    agreement.save()
    _audit(actor, "agreements.agreement.created", agreement,
                 after={"title": title, "type": type, "status": agreement.status})
    if text.strip():
        _add_version(actor=actor, agreement=agreement, based_on=None, text=text, change_summary=change_summary)
    return agreement


@transaction.atomic
def agreement_update(*, actor: Actor, agreement: Agreement, data: dict[str, Any]) -> Agreement:
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    data = {k: v for k, v in data.items() if k in AGREEMENT_FIELDS}
    if "title" in data:
        data["title"] = _squash(data["title"])
        if not data["title"]:
            raise ApplicationError(_("An agreement needs a title."), field="title")
    if "type" in data:
        if data["type"] not in AgreementType.values:
            raise ApplicationError(_("Unknown agreement type."), field="type")
        # The signing rule depends on the type: changing it afterwards would rewrite history.
        if data["type"] != agreement.type and agreement.text_is_frozen:
            raise ApplicationError(_("The type of a signed agreement cannot change."), field="type")
    if "languages" in data:
        data["languages"] = _clean_languages(data["languages"])
    for key in ("pax_agt_id", "ucdp_paid", "place", "summary", "source_url"):
        if key in data:
            data[key] = (data[key] or "").strip()
    agreement, before, after = model_update_or_raise(instance=agreement, fields=AGREEMENT_FIELDS, data=data)
    if before:
        _audit(actor, "agreements.agreement.updated", agreement, before=before,
                     after=after)
    return agreement


def _signing_parties_ok(agreement: Agreement) -> None:
    signers = list(
        Signatory.objects.filter(agreement=agreement, role=Signatory.Role.SIGNATORY).values_list("party_id", flat=True)
    )
    if agreement.is_unilateral:
        if not signers:
            raise ApplicationError(_("A unilateral declaration needs the party that makes it as signatory."),
                                   field="signatories")
        return
    roles = _case_roles(agreement.dispute_id, signers)
    conflict_parties = {pid for pid in signers if roles.get(pid) == CaseParty.Role.CONFLICT_PARTY}
    if len(conflict_parties) < 2:
        raise ApplicationError(
            _("Signing needs at least two signatories who are conflict parties of the dispute "
              "(this agreement has %(n)d). A declaration by one party is a unilateral declaration.")
            % {"n": len(conflict_parties)},
            field="signatories",
        )


@transaction.atomic
def agreement_change_status(
    *,
    actor: Actor,
    agreement: Agreement,
    to_status: str,
    on: dt.date | None = None,
    place: str = "",
    reason: str = "",
    superseded_by: Agreement | None = None,
) -> Agreement:
    """Move the agreement along its workflow (models.STATUS_TRANSITIONS).

    Signing needs a text and at least two conflict-party signatories (one signatory for a
    unilateral declaration) and freezes the text; suspending, terminating and going back to
    drafting need a reason; superseding names the agreement that replaces this one.
    """
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    if to_status not in AgreementStatus.values:
        raise ApplicationError(_("Unknown agreement status."), field="to_status")
    if to_status not in STATUS_TRANSITIONS[agreement.status]:
        raise ApplicationError(
            _("An agreement cannot move from %(from)s to %(to)s.")
            % {"from": agreement.get_status_display().lower(), "to": AgreementStatus(to_status).label.lower()},
            field="to_status",
        )
    _not_in_future(on, field="on", what=_("The date"))
    reason = (reason or "").strip()
    before = {"status": agreement.status}
    day = on or _today()
    update = ["status", "status_reason", "updated_at"]
    if to_status == AgreementStatus.SIGNED:
        if not agreement.versions.exists():
            raise ApplicationError(_("Add the text before signing: there is nothing to sign yet."), field="text")
        _signing_parties_ok(agreement)
        agreement.signed_on, agreement.signed_on_precision = day, DatePrecision.DAY
        if place.strip():
            agreement.place = _squash(place)
        update += ["signed_on", "signed_on_precision", "place"]
    elif to_status == AgreementStatus.IN_FORCE:
        if agreement.signed_on and day < agreement.signed_on:
            raise ApplicationError(_("An agreement cannot enter into force before it was signed."), field="on")
        agreement.in_force_on = day
        update.append("in_force_on")
    elif to_status in (AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED, AgreementStatus.DRAFTING) and not reason:
        raise ApplicationError(_("Say why the agreement changes status."), field="reason")
    if to_status in (AgreementStatus.TERMINATED, AgreementStatus.SUPERSEDED):
        if agreement.signed_on and day < agreement.signed_on:
            raise ApplicationError(_("An agreement cannot end before it was signed."), field="on")
        agreement.ended_on = day
        update.append("ended_on")
    if to_status == AgreementStatus.SUPERSEDED:
        _check_superseding(actor=actor, agreement=agreement, superseded_by=superseded_by)
        AgreementLink.objects.get_or_create(
            from_agreement=superseded_by, to_agreement=agreement, kind=AgreementLink.Kind.SUPERSEDES
        )
    agreement.status = to_status
    agreement.status_reason = reason
    full_clean_or_raise(agreement)
    agreement.save(update_fields=update)
    after = {"status": to_status, "on": day, "reason": reason}
    if superseded_by is not None:
        after["superseded_by"] = superseded_by.pk
    _audit(actor, "agreements.agreement.status_changed", agreement, before=before,
                 after=after)
    if to_status in (AgreementStatus.TERMINATED, AgreementStatus.SUPERSEDED):
        for provision_id in agreement.provisions.values_list("pk", flat=True):
            notify.provision_reminders_cancel(provision_id=provision_id)
    if to_status == AgreementStatus.SIGNED:
        notify.agreement_signed(agreement=agreement)
    return agreement


def _check_superseding(*, actor: Actor, agreement: Agreement, superseded_by: Agreement | None) -> None:
    if superseded_by is None:
        raise ApplicationError(_("Name the agreement that supersedes this one."), field="superseded_by")
    if superseded_by.pk == agreement.pk:
        raise ApplicationError(_("An agreement cannot supersede itself."), field="superseded_by")
    if superseded_by.organisation_id != agreement.organisation_id or not disputes_visible(actor=actor).filter(
        pk=superseded_by.dispute_id
    ).exists():
        raise ApplicationError(_("The superseding agreement was not found."), field="superseded_by")
    if superseded_by.status not in (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE):
        raise ApplicationError(_("Only a signed agreement can supersede another."), field="superseded_by")


@transaction.atomic
def agreement_link_add(*, actor: Actor, agreement: Agreement, target: Agreement, kind: str) -> AgreementLink:
    """Record that ``agreement`` supersedes / implements / renews ``target``."""
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    if kind not in AgreementLink.Kind.values:
        raise ApplicationError(_("Unknown kind of link."), field="kind")
    if target.pk == agreement.pk:
        raise ApplicationError(_("An agreement cannot refer to itself."), field="target")
    if target.organisation_id != agreement.organisation_id or not disputes_visible(actor=actor).filter(
        pk=target.dispute_id
    ).exists():
        raise ApplicationError(_("The other agreement was not found."), field="target")
    if AgreementLink.objects.filter(from_agreement=agreement, to_agreement=target, kind=kind).exists():
        raise ApplicationError(_("This link is already recorded."), field="target")
    if AgreementLink.objects.filter(from_agreement=target, to_agreement=agreement, kind=kind).exists():
        raise ApplicationError(_("The other agreement already %(kind)s this one.") % {"kind": kind}, field="target")
    link = AgreementLink.objects.create(from_agreement=agreement, to_agreement=target, kind=kind)
    _audit(actor, "agreements.link.added", agreement,
                 after={"kind": kind, "to_agreement": target.pk})
    return link


@transaction.atomic
def agreement_link_remove(*, actor: Actor, link: AgreementLink) -> None:
    agreement = link.from_agreement
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    if (
        link.kind == AgreementLink.Kind.SUPERSEDES
        and link.to_agreement.status == AgreementStatus.SUPERSEDED
    ):
        raise ApplicationError(_("This link records why the other agreement is superseded; it stays."))
    _audit(actor, "agreements.link.removed", agreement,
                 before={"kind": link.kind, "to_agreement": link.to_agreement_id})
    link.delete()


# --- versions -----------------------------------------------------------------------------------


def _add_version(
    *, actor: Actor, agreement: Agreement, based_on: AgreementVersion | None, text: str, change_summary: str,
    amendment: bool = False, reason: str = "",
) -> AgreementVersion:
    """Append a version after checking that its base is the latest (optimistic concurrency).

    The caller holds the agreement's row lock; the database constraints (one first version,
    one successor per version) refuse a stale base even from a writer that skipped the lock.
    """
    if not (text or "").strip():
        raise ApplicationError(_("The text cannot be empty."), field="text")
    ensure_version_text_size(text)  # a bounded text keeps its diffs bounded (apps/agreements/diff.py)
    latest = agreement.versions.order_by("-number").first()
    if based_on is not None and based_on.agreement_id != agreement.pk:
        raise ApplicationError(_("The base version belongs to another agreement."), field="based_on")
    if (latest is None) != (based_on is None) or (latest is not None and based_on.pk != latest.pk):
        raise ConflictError(
            _("The text has changed since you opened it: version %(latest)d is the latest, your edit is based on "
              "%(base)s. Reload, compare and apply your change again.")
            % {"latest": latest.number if latest else 0,
               "base": _("version %d") % based_on.number if based_on else _("no version")},
            field="based_on",
        )
    if latest is not None and latest.text == text:
        raise ApplicationError(_("The text is the same as version %(n)d.") % {"n": latest.number}, field="text")
    version = AgreementVersion(
        agreement=agreement, number=(latest.number + 1) if latest else 1, based_on=latest, text=text,
        change_summary=_squash(change_summary)[:500], is_amendment=amendment, author=actor.user,
        author_label=actor.label[:200],
    )
    try:
        with transaction.atomic():
            version.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("Someone else saved a version at the same moment. Reload and try again."),
                            field="based_on") from exc
    _audit(
        actor, "agreements.version.amended" if amendment else "agreements.version.created", agreement,
        after={"version": version.number, "based_on": latest.number if latest else None,
                                 "change_summary": version.change_summary, "reason": reason},
    )
    return version


@transaction.atomic
def agreement_version_create(
    *, actor: Actor, agreement: Agreement, based_on: AgreementVersion | None, text: str, change_summary: str = ""
) -> AgreementVersion:
    """A new version of a text under negotiation. ``based_on`` must be the latest version (None for the first)."""
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    if agreement.text_is_frozen:
        raise ApplicationError(
            _("The text was signed and is frozen. Amend it formally instead."), field="text", code="frozen"
        )
    return _add_version(actor=actor, agreement=agreement, based_on=based_on, text=text,
                        change_summary=change_summary)


@transaction.atomic
def agreement_amend(
    *, actor: Actor, agreement: Agreement, based_on: AgreementVersion, text: str, change_summary: str, reason: str
) -> AgreementVersion:
    """The explicit way to change a signed text: a new version marked as an amendment, with its reason."""
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    if agreement.status not in AMENDABLE_STATUSES:
        if agreement.text_is_frozen:
            raise ApplicationError(_("A terminated or superseded agreement cannot be amended."), field="text")
        raise ApplicationError(_("The text is not signed yet: add a version instead of an amendment."),
                               field="text")
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the signed text is amended (e.g. the amending protocol)."),
                               field="reason")
    if not _squash(change_summary):
        raise ApplicationError(_("Summarise the amendment."), field="change_summary")
    return _add_version(actor=actor, agreement=agreement, based_on=based_on, text=text,
                        change_summary=change_summary, amendment=True, reason=reason.strip())


# --- signatories --------------------------------------------------------------------------------


@transaction.atomic
def signatory_add(
    *,
    actor: Actor,
    agreement: Agreement,
    party: Party,
    role: str = Signatory.Role.SIGNATORY,
    representative: Representative | None = None,
    signed_on: dt.date | None = None,
    place: str = "",
) -> Signatory:
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    if role not in Signatory.Role.values:
        raise ApplicationError(_("Unknown signatory role."), field="role")
    if party.pk not in _case_roles(agreement.dispute_id, [party.pk]):
        raise ApplicationError(
            _("%(party)s is not a party to this dispute. Add it to the dispute first.") % {"party": party.name},
            field="party",
        )
    if representative is not None and representative.party_id != party.pk:
        raise ApplicationError(_("The representative acts for another party."), field="representative")
    _not_in_future(signed_on, field="signed_on", what=_("The signing date"))
    if Signatory.objects.filter(agreement=agreement, party=party, role=role).exists():
        raise ApplicationError(_("This party is already recorded in that role."), field="party")
    signatory = Signatory(agreement=agreement, party=party, role=role, representative=representative,
                          signed_on=signed_on, place=_squash(place))
    full_clean_or_raise(signatory)
    signatory.save()
    _audit(actor, "agreements.signatory.added", agreement,
                 after={"party": party.pk, "role": role,
                        "representative": representative.pk if representative else None})
    return signatory


@transaction.atomic
def signatory_remove(*, actor: Actor, signatory: Signatory) -> None:
    agreement = signatory.agreement
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    agreement = _lock(agreement)
    if agreement.text_is_frozen:
        raise ApplicationError(_("The signatories of a signed agreement are part of the record."), field="party")
    _audit(actor, "agreements.signatory.removed", agreement,
                 before={"party": signatory.party_id, "role": signatory.role})
    signatory.delete()


# --- provisions ---------------------------------------------------------------------------------


def _check_provision(
    *, agreement: Agreement, data: dict[str, Any]
) -> None:
    if "text" in data:
        data["text"] = (data["text"] or "").strip()
        if not data["text"]:
            raise ApplicationError(_("A provision needs its text or a summary."), field="text")
    if "label" in data:
        data["label"] = _squash(data["label"])[:40]
    if "category" in data and data["category"] not in ProvisionCategory.values:
        raise ApplicationError(_("Unknown provision category."), field="category")
    deadline = data.get("deadline")
    if deadline is not None and agreement.signed_on and deadline < agreement.signed_on:
        raise ApplicationError(
            _("The deadline (%(deadline)s) is before the agreement was signed (%(signed)s).")
            % {"deadline": deadline.isoformat(), "signed": agreement.signed_on.isoformat()},
            field="deadline",
        )
    if data.get("responsible_parties"):
        ids = {p.pk if isinstance(p, Party) else int(p) for p in data["responsible_parties"]}
        missing = ids - set(_case_roles(agreement.dispute_id, ids))
        if missing:
            raise ApplicationError(_("Responsible parties must be parties to the dispute."),
                                   field="responsible_parties")
        data["responsible_parties"] = sorted(ids)
    verifier = data.get("verifier_party")
    if verifier is not None and verifier.organisation_id != agreement.organisation_id:
        raise ApplicationError(_("The verifier was not found."), field="verifier_party")
    org = data.get("verifier_organisation")
    if org is not None and org.pk != agreement.organisation_id and not CaseShare.objects.filter(
        dispute_id=agreement.dispute_id, organisation=org, revoked_at__isnull=True
    ).exists():
        # Only an organisation that already sees the dispute: the verifier list must not reveal tenants.
        raise ApplicationError(_("The verifying organisation was not found."), field="verifier_organisation")
    if verifier is not None and org is not None:
        raise ApplicationError(_("Name one verifier: a party or an organisation."), field="verifier_party")


@transaction.atomic
def provision_create(
    *,
    actor: Actor,
    agreement: Agreement,
    text: str,
    category: str,
    label: str = "",
    order: int | None = None,
    responsible_parties: Iterable[Party] | None = None,
    verifier_party: Party | None = None,
    verifier_organisation: Organisation | None = None,
    deadline: dt.date | None = None,
) -> Provision:
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    data: dict[str, Any] = {
        "text": text, "category": category, "label": label, "deadline": deadline,
        "responsible_parties": list(responsible_parties or []), "verifier_party": verifier_party,
        "verifier_organisation": verifier_organisation,
    }
    _check_provision(agreement=agreement, data=data)
    if order is None:
        order = agreement.provisions.count() + 1
    provision = Provision(
        agreement=agreement, text=data["text"], category=category, label=data["label"], order=order,
        deadline=deadline, verifier_party=verifier_party, verifier_organisation=verifier_organisation,
    )
    full_clean_or_raise(provision)
    provision.save()
    if data["responsible_parties"]:
        provision.responsible_parties.set(data["responsible_parties"])
    notify.provision_reminders_sync(provision=provision, current_score=None)
    audit_record(actor=actor, action="agreements.provision.created", target=provision,
                 organisation=agreement.organisation, dispute_id=agreement.dispute_id,
                 after={"agreement": agreement.pk, "label": provision.label, "category": category,
                        "deadline": deadline, "responsible_parties": data["responsible_parties"]})
    return provision


@transaction.atomic
def provision_update(*, actor: Actor, provision: Provision, data: dict[str, Any]) -> Provision:
    """Change a provision; a changed deadline moves its reminders in the same transaction."""
    agreement = provision.agreement
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    provision = Provision.objects.select_for_update(of=("self",)).select_related("agreement__dispute").get(
        pk=provision.pk
    )
    data = {k: v for k, v in data.items() if k in PROVISION_FIELDS}
    _check_provision(agreement=agreement, data=data)
    old_deadline = provision.deadline
    provision, before, after = model_update_or_raise(instance=provision, fields=PROVISION_FIELDS, data=data)
    if provision.deadline != old_deadline:
        notify.provision_reminders_sync(provision=provision, current_score=_current_score(provision.pk))
    if before:
        audit_record(actor=actor, action="agreements.provision.updated", target=provision,
                     organisation=agreement.organisation, dispute_id=agreement.dispute_id, before=before, after=after)
    return provision


def provision_set_deadline(*, actor: Actor, provision: Provision, deadline: dt.date | None) -> Provision:
    return provision_update(actor=actor, provision=provision, data={"deadline": deadline})


@transaction.atomic
def provision_delete(*, actor: Actor, provision: Provision) -> None:
    agreement = provision.agreement
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    if agreement.text_is_frozen or provision.assessments.exists():
        raise ApplicationError(_("Provisions of a signed or assessed agreement are part of the record."))
    audit_record(actor=actor, action="agreements.provision.deleted", target=provision,
                 organisation=agreement.organisation, dispute_id=agreement.dispute_id,
                 before={"label": provision.label, "category": provision.category})
    notify.provision_reminders_cancel(provision_id=provision.pk)
    provision.delete()


# --- implementation -----------------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    provision: Provision,
    score: int,
    assessed_on: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    narrative: str = "",
    evidence: str = "",
    source: str = "",
) -> ImplementationAssessment:
    """Record how far a provision is implemented (Peace Accords Matrix: 0 not initiated … 3 full).

    History is kept; the latest assessment by date is the current score. Reaching 3 cancels
    the provision's deadline reminders; falling back below 3 restores them.
    """
    # The agreement as it is now: its status and signing date decide whether an assessment may be made.
    agreement = Agreement.objects.select_related("dispute", "organisation").get(pk=provision.agreement_id)
    provision.agreement = agreement
    ensure_may_write(actor=actor, dispute=agreement.dispute)
    if isinstance(score, bool) or not isinstance(score, int) or score not in ImplementationLevel.values:
        raise ApplicationError(
            _("The score is on the Peace Accords Matrix scale: 0 not initiated, 1 minimal, 2 intermediate, 3 full."),
            field="score",
        )
    assessed_on = assessed_on or _today()
    _not_in_future(assessed_on, field="assessed_on", what=_("An assessment"))
    if agreement.status not in SIGNED_STATUSES:
        raise ApplicationError(_("Implementation is assessed once the agreement is signed."), field="provision")
    if agreement.signed_on and assessed_on < agreement.signed_on:
        raise ApplicationError(_("An assessment cannot predate the signing of the agreement."),
                               field="assessed_on")
    if period_start and period_end and period_end < period_start:
        raise ApplicationError(_("The period must end after it starts."), field="period_end")
    if period_end and period_end > assessed_on:
        raise ApplicationError(_("The period assessed cannot end after the assessment."), field="period_end")
    assessment = ImplementationAssessment(
        provision=provision, score=score, assessed_on=assessed_on, period_start=period_start,
        period_end=period_end, narrative=(narrative or "").strip(), evidence=(evidence or "").strip(),
        source=_squash(source)[:500], assessed_by=actor.user, assessed_by_label=actor.label[:200],
    )
    full_clean_or_raise(assessment)
    assessment.save(force_insert=True)
    current = _current_score(provision.pk)
    audit_record(actor=actor, action="agreements.assessment.recorded", target=provision,
                 organisation=agreement.organisation, dispute_id=agreement.dispute_id,
                 after={"assessment": assessment.pk, "score": score, "assessed_on": assessed_on,
                        "current_score": current, "source": assessment.source})
    notify.provision_reminders_sync(provision=provision, current_score=current)
    notify.assessment_recorded(assessment=assessment, current_score=current)
    return assessment


# --- public datasets ----------------------------------------------------------------------------

EXTERNAL_ID_FIELD = {"ucdp": "ucdp_paid", "pax": "pax_agt_id"}


@dataclass
class DatasetIndex:
    """What an import looks up for every row, loaded once: the organisation's parties by
    normalised name and alias, and each dispute's case parties. The import services add what
    they create; after a rolled-back savepoint the caller restores a snapshot taken before it.
    """

    organisation: Organisation
    parties: dict[str, Party] = field(default_factory=dict)
    case_roles: dict[int, dict[int, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, organisation: Organisation, dispute_ids: Iterable[int]) -> DatasetIndex:
        index = cls(organisation=organisation)
        for party in Party.objects.filter(organisation=organisation).only(
            "id", "organisation_id", "name", "kind", "normalised_name", "normalised_aliases"
        ).order_by("id"):
            for key in (party.normalised_name, *party.normalised_aliases):
                index.parties.setdefault(key, party)
        index.load_disputes(dispute_ids)
        return index

    def load_disputes(self, dispute_ids: Iterable[int]) -> None:
        wanted = [pk for pk in dispute_ids if pk not in self.case_roles]
        for pk in wanted:
            self.case_roles[pk] = {}
        for dispute_id, party_id, role in CaseParty.objects.filter(dispute_id__in=wanted).values_list(
            "dispute_id", "party_id", "role"
        ):
            self.case_roles[dispute_id][party_id] = role

    def snapshot(self) -> tuple[dict[str, Party], dict[int, dict[int, str]]]:
        return dict(self.parties), {k: dict(v) for k, v in self.case_roles.items()}

    def restore(self, snapshot: tuple[dict[str, Party], dict[int, dict[int, str]]]) -> None:
        """Back to a snapshot taken before a savepoint that was rolled back."""
        parties, case_roles = snapshot
        self.parties, self.case_roles = dict(parties), {k: dict(v) for k, v in case_roles.items()}

    def find(self, imported: ImportedParty) -> Party | None:
        for key in (normalise_name(imported.name), *(normalise_name(a) for a in imported.aliases)):
            if key in self.parties:
                return self.parties[key]
        return None


@dataclass
class ImportOutcome:
    agreement: Agreement
    outcome: str  # "created", "updated" or "unchanged"
    parties_created: int = 0  # on the first outcome of a batch: the parties the batch created


def _audit_events(
    actor: Actor, action: str, rows: list[tuple[Any, dict[str, Any]]], *, organisation: Organisation,
    dispute_id: int | None, before: dict[str, Any] | None = None,
) -> list[AuditEvent]:
    """The events audit_record would write, unsaved, so a bulk import inserts a row's events in one statement."""
    ctx = request_context.current()
    user = actor.user if actor.user is not None and actor.user.pk else None
    return [
        AuditEvent(
            actor=user, actor_label=actor.label[:200], organisation=organisation, action=action,
            target_type=f"{obj._meta.app_label}.{obj._meta.model_name}", target_id=str(obj.pk),
            target_label=str(obj)[:300], dispute_id=dispute_id, before=_jsonable(before or {}),
            after=_jsonable(after), request_id=ctx.request_id, ip=ctx.ip,
        )
        for obj, after in rows
    ]


@dataclass
class ImportItem:
    """One dataset row to write: its record, the dispute it goes into, the agreement it may update."""

    record: ImportedAgreement
    dispute: Dispute
    existing: Agreement | None = None

    @property
    def target(self) -> Dispute:
        return self.existing.dispute if self.existing is not None else self.dispute

    @property
    def own(self) -> bool:
        """Whether this dataset created the agreement (else it only adds its id to another's)."""
        return self.existing is None or self.existing.import_source == self.record.source


def _import_parties(
    *, actor: Actor, items: list[ImportItem], index: DatasetIndex, events: list[AuditEvent]
) -> tuple[list[list[Party]], int]:
    """Find or create each row's parties (by normalised name or alias) and make them case parties.

    The same rules as parties.services.party_create and disputes.services.case_party_add
    (one party per normalised name in the organisation; a party joins a dispute once, in the
    dispute's organisation), applied in bulk: per-party service calls made a whole-dataset
    import several times slower than its budget.
    """
    per_item: list[list[Party]] = []
    wanted_roles: list[list[str]] = []
    new_parties: list[Party] = []
    for item in items:
        record = item.record
        wanted = [] if not item.own else (
            [(p, CaseParty.Role.CONFLICT_PARTY) for p in record.conflict_parties]
            + [(p, CaseParty.Role.THIRD_PARTY) for p in record.witnesses]
            + [(p, CaseParty.Role.THIRD_PARTY) for p in record.third_parties]
        )
        resolved = []
        for imported, _role in wanted:
            party = index.find(imported)
            if party is None:
                name = _squash(imported.name)[:300]
                if not name or imported.kind not in Party.Kind.values:
                    raise ApplicationError(_("A party needs a name and a known kind."), field="parties")
                aliases = list(dict.fromkeys(a for a in (_squash(x)[:300] for x in imported.aliases) if a))
                party = Party(
                    organisation=index.organisation, kind=imported.kind, name=name, aliases=aliases,
                    normalised_name=normalise_name(name), normalised_aliases=[normalise_name(a) for a in aliases],
                    country=(imported.country or "").upper(),
                )
                new_parties.append(party)
                for key in (party.normalised_name, *party.normalised_aliases):
                    index.parties.setdefault(key, party)
            resolved.append(party)
        per_item.append(resolved)
        wanted_roles.append([role for _p, role in wanted])
    Party.objects.bulk_create(new_parties)
    events += _audit_events(actor, "parties.party.created",
                            [(p, {"name": p.name, "kind": p.kind, "country": p.country, "source": "dataset import"})
                             for p in new_parties],
                            organisation=index.organisation, dispute_id=None)

    new_case_parties: list[CaseParty] = []
    for item, parties, roles_wanted in zip(items, per_item, wanted_roles, strict=True):
        dispute = item.target
        roles = index.case_roles.setdefault(dispute.pk, {})
        for party, role in zip(parties, roles_wanted, strict=True):
            if party.organisation_id != dispute.organisation_id:
                raise ApplicationError(_("The party must belong to the dispute's organisation."), field="parties")
            if party.pk not in roles:
                roles[party.pk] = role
                new_case_parties.append(CaseParty(dispute=dispute, party=party, role=role))
    CaseParty.objects.bulk_create(new_case_parties)
    for cp in new_case_parties:
        events += _audit_events(actor, "disputes.case_party.added",
                                [(cp, {"party": cp.party_id, "role": cp.role, "source": "dataset import"})],
                                organisation=index.organisation, dispute_id=cp.dispute_id)
    return per_item, len(new_parties)


@transaction.atomic
def agreement_import_upsert(
    *, actor: Actor, dispute: Dispute, record: ImportedAgreement, existing: Agreement | None, index: DatasetIndex
) -> ImportOutcome:
    """Create or refresh one agreement from a public dataset (see _import_many)."""
    return _import_many(
        actor=actor, items=[ImportItem(record=record, dispute=dispute, existing=existing)], index=index
    )[0]


@transaction.atomic
def _import_many(*, actor: Actor, items: list[ImportItem], index: DatasetIndex) -> list[ImportOutcome]:
    """Create or refresh agreements from a public dataset, with their parties, signatories and provisions.

    All or nothing for the batch (callers retry a failed batch row by row to find the bad row).
    The dataset is the evidence of what happened, so a signed agreement is stored as signed
    without the signing workflow (which needs the signatories as case parties and a text;
    the datasets give neither reliably) and without an ``agreement.signed`` webhook: nothing
    was signed today. What the organisation may have changed since is respected: the status
    only moves when the dataset says the agreement ended, signatories, provisions and third
    parties are only added, never removed. An agreement another dataset created (matched
    by the cross-reference) only gets this dataset's id.
    """
    checked: set[int] = set()
    for item in items:
        if item.target.pk not in checked:
            ensure_may_write(actor=actor, dispute=item.target)
            checked.add(item.target.pk)
        if item.existing is None and item.dispute.organisation_id != index.organisation.pk:
            raise ApplicationError(_("The dispute belongs to another organisation."), field="dispute")
    events: list[AuditEvent] = []
    parties_per_item, parties_created = _import_parties(actor=actor, items=items, index=index, events=events)
    outcomes: list[ImportOutcome] = []
    new_agreements: list[Agreement] = []
    children: list[tuple[Agreement, ImportItem, list[Party], bool]] = []
    updated: list[tuple[Agreement, dict[str, Any], dict[str, Any]]] = []
    for item, parties in zip(items, parties_per_item, strict=True):
        record = item.record
        id_field = EXTERNAL_ID_FIELD[record.source]
        values = _imported_values(record)
        if item.existing is None:
            agreement = Agreement(organisation=index.organisation, dispute=item.dispute, status=record.status,
                                  import_source=record.source, **values, **{id_field: record.external_id})
            if record.source == "pax" and record.cross_ucdp_paid:
                agreement.ucdp_paid = record.cross_ucdp_paid
            if record.status == AgreementStatus.IN_FORCE:
                agreement.in_force_on = record.signed_on
            if record.status == AgreementStatus.TERMINATED:
                agreement.ended_on = record.ended_on
            _clean_fields(agreement)
            new_agreements.append(agreement)
            children.append((agreement, item, parties, True))
            outcomes.append(ImportOutcome(agreement, "created"))
            continue
        agreement = item.existing
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if getattr(agreement, id_field) != record.external_id:
            before[id_field], after[id_field] = getattr(agreement, id_field), record.external_id
            setattr(agreement, id_field, record.external_id)
        if item.own:
            for name, value in values.items():
                if getattr(agreement, name) != value:
                    before[name], after[name] = getattr(agreement, name), value
                    setattr(agreement, name, value)
            if record.ended and agreement.status in (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE):
                before["status"], after["status"] = agreement.status, AgreementStatus.TERMINATED
                agreement.status, agreement.ended_on = AgreementStatus.TERMINATED, record.ended_on
                after["ended_on"] = record.ended_on
            children.append((agreement, item, parties, False))
        if before:
            _clean_fields(agreement)
            agreement.save()
        updated.append((agreement, before, after))
        outcomes.append(ImportOutcome(agreement, "unchanged"))
    Agreement.objects.bulk_create(new_agreements)
    added = _import_children(children)
    for outcome in outcomes:
        agreement = outcome.agreement
        if outcome.outcome == "created":
            record = next(i.record for a, i, _p, _f in children if a is agreement)
            events += _audit_events(
                actor, "agreements.agreement.imported",
                [(agreement, {"source": record.source, EXTERNAL_ID_FIELD[record.source]: record.external_id,
                              "status": record.status, "signatories": len(added[id(agreement)]["signatories_added"]),
                              "provisions": len(record.provisions)})],
                organisation=index.organisation, dispute_id=agreement.dispute_id,
            )
    for agreement, before, after in updated:
        after.update({k: v for k, v in added.get(id(agreement), {}).items() if v})
        if before or after:
            events += _audit_events(actor, "agreements.agreement.import_updated", [(agreement, after)],
                                    organisation=index.organisation, dispute_id=agreement.dispute_id, before=before)
            next(o for o in outcomes if o.agreement is agreement).outcome = "updated"
    AuditEvent.objects.bulk_create(events)
    if outcomes:
        outcomes[0].parties_created = parties_created
    return outcomes


def _imported_values(record: ImportedAgreement) -> dict[str, Any]:
    return {
        "title": record.title, "type": record.type, "summary": record.summary, "signed_on": record.signed_on,
        "signed_on_precision": record.signed_on_precision, "place": record.place, "languages": record.languages,
        "source_url": record.source_url, "signatories_text": record.signatories_text,
        "third_parties_text": record.third_parties_text,
    }


def _clean_fields(agreement: Agreement) -> None:
    """Field checks only: an import writes thousands of rows, and full_clean() would ask the database
    about every check constraint first. The constraints still hold (the database enforces them);
    a violation fails the row's savepoint and is reported with its line."""
    try:
        agreement.clean_fields(exclude=["dispute", "organisation", "created_by"])
    except ValidationError as exc:
        name, errors = next(iter(exc.error_dict.items()))
        raise ApplicationError(f"{name}: {errors[0].messages[0]}", field=name) from exc


def _import_children(
    children: list[tuple[Agreement, ImportItem, list[Party], bool]],
) -> dict[int, dict[str, Any]]:
    """Add the signatories, provisions and third parties each agreement lacks, in three INSERTs for
    all of them; returns what changed, by id() of the agreement."""
    new_signatories: list[Signatory] = []
    new_provisions: list[Provision] = []
    changed_provisions: list[Provision] = []
    new_third: list[Any] = []
    through = Agreement.third_parties.through
    changes: dict[int, dict[str, Any]] = {}
    for agreement, item, parties, fresh in children:
        record = item.record
        n_conflict, n_witness = len(record.conflict_parties), len(record.witnesses)
        signatories = [(p, Signatory.Role.SIGNATORY) for p in parties[:n_conflict]] + [
            (p, Signatory.Role.WITNESS) for p in parties[n_conflict : n_conflict + n_witness]
        ]
        third_parties = parties[n_conflict + n_witness :]
        have_signatories = set() if fresh else {(s.party_id, s.role) for s in agreement.signatories.all()}
        sig_added = []
        for party, role in signatories:
            if (party.pk, role) not in have_signatories:
                have_signatories.add((party.pk, role))
                sig_added.append(Signatory(agreement=agreement, party=party, role=role, signed_on=record.signed_on,
                                           place=record.place))
        have = {} if fresh else {p.source_code: p for p in agreement.provisions.all() if p.source_code}
        prov_added, prov_changed = [], []
        for order, provision_item in enumerate(record.provisions, start=1):
            provision = have.get(provision_item.source_code)
            if provision is None:
                prov_added.append(Provision(agreement=agreement, label=provision_item.label, order=order,
                                            text=provision_item.text, category=provision_item.category,
                                            source_code=provision_item.source_code))
            elif (provision.category, provision.text) != (provision_item.category, provision_item.text):
                provision.category, provision.text = provision_item.category, provision_item.text
                provision.updated_at = timezone.now()
                prov_changed.append(provision)
        have_third = set() if fresh else {p.pk for p in agreement.third_parties.all()}
        third_added = [p for p in dict.fromkeys(third_parties) if p.pk not in have_third]
        new_signatories += sig_added
        new_provisions += prov_added
        changed_provisions += prov_changed
        new_third += [(agreement, p) for p in third_added]
        changes[id(agreement)] = {
            "signatories_added": [(s.party, s.role) for s in sig_added],
            "provisions_added": [p.source_code for p in prov_added],
            "provisions_changed": [p.source_code for p in prov_changed],
            "third_parties_added": list(third_added),
        }
    Signatory.objects.bulk_create(new_signatories)
    Provision.objects.bulk_create(new_provisions)
    if changed_provisions:
        Provision.objects.bulk_update(changed_provisions, ["category", "text", "updated_at"])
    through.objects.bulk_create([through(agreement_id=a.pk, party_id=p.pk) for a, p in new_third])
    # Ids for the audit trail, now that every row has one.
    for change in changes.values():
        change["signatories_added"] = [(party.pk, role) for party, role in change["signatories_added"]]
        change["third_parties_added"] = [p.pk for p in change["third_parties_added"]]
    return changes
