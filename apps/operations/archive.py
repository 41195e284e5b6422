"""One dispute as a JSON archive, and back.

``dispute_archive_build`` reads through the domain selectors with the exporting member's
Actor, so the archive holds exactly what that member may see (a team-only note only when
the member is on the case team). ``dispute_archive_restore`` (called by
``services.dispute_archive_import``) writes the rows back directly: a restore is not new
activity, so it keeps timestamps and the dispute's reference, runs no domain rule, schedules
no reminder and emits no webhook; ids are new (the target database has its own) and every
reference between rows is mapped.

Rows are flat: each model's concrete fields by attribute name (``dispute_id``, ``party_id``),
users by e-mail (``<field>_email``), organisations by slug (``<field>_slug``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation, User
from apps.agreements.models import (
    Agreement,
    AgreementLink,
    AgreementVersion,
    ImplementationAssessment,
    Provision,
    Signatory,
)
from apps.agreements.selectors import agreement_list, assessment_list, provision_list, signatory_list
from apps.common.errors import ApplicationError
from apps.common.models import AuditEvent
from apps.disputes.models import (
    CaseParty,
    CaseTeamMember,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    RiskAssessment,
    StageChange,
)
from apps.disputes.selectors import (
    case_party_list,
    disputes_visible,
    negotiation_issue_list,
    party_position_list,
    party_visible_q,
    representative_list,
    risk_assessment_list,
    stage_change_list,
    team_member_list,
)
from apps.negotiations.models import Proposal, ProposalResponse
from apps.negotiations.selectors import proposal_list, proposals_visible
from apps.parties.models import Party, Representative
from apps.sessions.models import (
    ActionItem,
    Disclosure,
    DisclosureConsent,
    DisclosureConsentParty,
    MediationSession,
    SessionAgendaItem,
    SessionNote,
    SessionNoteParty,
    SessionNoteVersion,
    SessionParty,
    SessionRepresentative,
    SessionTeamMember,
    ShuttleRound,
    ShuttleRoundParty,
)
from apps.sessions.selectors import (
    action_item_list,
    disclosure_consent_list,
    disclosure_list,
    session_notes,
    session_notes_visible,
    sessions_visible,
    shuttle_round_list,
)

FORMAT = "peacecase-dispute-archive"
FORMAT_VERSION = 1
READ_VIA = "export"

# Archive section -> model, for readers of the archive (and the round-trip test). Nested rows
# (attendance, versions, responses...) are listed under their parent's key with a dot.
SECTIONS: dict[str, type[models.Model]] = {
    "dispute": Dispute,
    "parties": Party,
    "parties.representatives": Representative,
    "stage_changes": StageChange,
    "risk_history": RiskAssessment,
    "issues": NegotiationIssue,
    "case_parties": CaseParty,
    "positions": PartyPosition,
    "team": CaseTeamMember,
    "proposals": Proposal,
    "proposals.responses": ProposalResponse,
    "shuttle_rounds": ShuttleRound,
    "shuttle_rounds.parties": ShuttleRoundParty,
    "sessions": MediationSession,
    "sessions.parties": SessionParty,
    "sessions.representatives": SessionRepresentative,
    "sessions.team": SessionTeamMember,
    "sessions.agenda": SessionAgendaItem,
    "notes": SessionNote,
    "notes.parties": SessionNoteParty,
    "notes.versions": SessionNoteVersion,
    "consents": DisclosureConsent,
    "consents.parties": DisclosureConsentParty,
    "disclosures": Disclosure,
    "action_items": ActionItem,
    "agreements": Agreement,
    "agreements.versions": AgreementVersion,
    "agreements.signatories": Signatory,
    "agreements.provisions": Provision,
    "agreements.provisions.assessments": ImplementationAssessment,
    "agreement_links": AgreementLink,
    "audit_events": AuditEvent,
}

# Domain models deliberately left out, and why (the archive header repeats this).
NOT_ARCHIVED = {
    "disputes.CaseShare": "shares name other organisations; grant them again after a restore",
    "reminders.Reminder": "reminders are derived from sessions, proposals and deadlines; they are not restored",
    "webhooks.*": "deliveries belong to the organisation's endpoints, not to the dispute",
}


# --- export ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    model: type[models.Model]
    pk: Any


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, Promise)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool, _Ref)):
        return value
    return str(value)  # a django-countries Country, for one: its code


def _row(obj: models.Model) -> dict[str, Any]:
    """The concrete fields of a row; users and organisations as references resolved at the end."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        raw = getattr(obj, f.attname)
        if f.is_relation and f.related_model in (User, Organisation):
            suffix = "_email" if f.related_model is User else "_slug"
            out[f.name + suffix] = _Ref(f.related_model, raw) if raw is not None else None
        else:
            out[f.attname] = _plain(raw)
    return out


def _resolve(data: Any, names: dict[tuple[type, Any], str]) -> Any:
    if isinstance(data, _Ref):
        return names.get((data.model, data.pk))
    if isinstance(data, list):
        return [_resolve(v, names) for v in data]
    if isinstance(data, dict):
        return {k: _resolve(v, names) for k, v in data.items()}
    return data


def _refs(data: Any, found: dict[type, set]) -> None:
    if isinstance(data, _Ref):
        found[data.model].add(data.pk)
    elif isinstance(data, list):
        for v in data:
            _refs(v, found)
    elif isinstance(data, dict):
        for v in data.values():
            _refs(v, found)


def _by_pk(rows: Iterable[models.Model]) -> list[models.Model]:
    return sorted(rows, key=lambda r: r.pk)


def _group(rows: Iterable[models.Model], key: str) -> dict[Any, list[dict]]:
    out: dict[Any, list[dict]] = defaultdict(list)
    for r in _by_pk(rows):
        out[getattr(r, key)].append(_row(r))
    return out


def dispute_for_export(*, actor: Actor, reference: str) -> Dispute | None:
    """The actor's own organisation's dispute with this reference, if the actor may see it."""
    return (
        disputes_visible(actor=actor)
        .filter(organisation=actor.organisation, reference=str(reference).strip().upper())
        .select_related("organisation")
        .first()
    )


def dispute_archive_build(*, actor: Actor, dispute: Dispute) -> dict[str, Any]:
    """Everything about the dispute that the actor may see, as JSON-ready data.

    Reading team-only notes here is audited like any other read (``via="export"``). The
    dispute's audit events are taken first, so the archive does not contain the read events
    its own making records.
    """
    did = dispute.pk
    audit = list(AuditEvent.objects.filter(dispute_id=did).order_by("created_at", "id"))

    on_team = actor.may_read_team_notes and team_member_list(actor=actor, dispute_id=did).filter(
        user_id=actor.user_id
    ).exists()

    stage_changes = _by_pk(stage_change_list(actor=actor, dispute_id=did))
    risk = _by_pk(risk_assessment_list(actor=actor, dispute_id=did))
    issues = _by_pk(negotiation_issue_list(actor=actor, dispute_id=did))
    case_parties = _by_pk(case_party_list(actor=actor, dispute_id=did))
    positions = _by_pk(party_position_list(actor=actor, dispute_id=did))
    team = _by_pk(team_member_list(actor=actor, dispute_id=did, include_past=True))

    visible_sessions = sessions_visible(actor=actor).filter(dispute_id=did)
    sessions = _by_pk(visible_sessions)
    session_ids = visible_sessions.values("pk")
    session_parties = _group(SessionParty.objects.filter(session__in=session_ids), "session_id")
    session_reps = _group(SessionRepresentative.objects.filter(session__in=session_ids), "session_id")
    session_team = _group(SessionTeamMember.objects.filter(session__in=session_ids), "session_id")
    agenda = _group(SessionAgendaItem.objects.filter(session__in=session_ids), "session_id")

    notes = _by_pk(session_notes(actor=actor, dispute_id=did, via=READ_VIA))
    note_ids = [n.pk for n in notes]
    versions = _group(
        SessionNoteVersion.objects.filter(note__in=session_notes_visible(actor=actor).filter(dispute_id=did)
                                          .values("pk"))
        .for_reader(actor, via=READ_VIA)
        .annotate(note_visibility=F("note__visibility"), note_dispute_id=F("note__dispute_id")),
        "note_id",
    )
    consents = _by_pk(disclosure_consent_list(actor=actor).filter(dispute_id=did, note_id__in=note_ids))
    disclosures = _by_pk(disclosure_list(actor=actor, dispute_id=did))
    rounds = _by_pk(shuttle_round_list(actor=actor, dispute_id=did))
    action_items = _by_pk(action_item_list(actor=actor, dispute_id=did))

    proposals = _by_pk(proposal_list(actor=actor, dispute_id=did))
    responses = _group(
        ProposalResponse.objects.filter(proposal__in=proposals_visible(actor=actor).filter(dispute_id=did)
                                        .values("pk")),
        "proposal_id",
    )

    agreements = _by_pk(agreement_list(actor=actor, dispute_id=did).prefetch_related("third_parties"))
    agreement_ids = [a.pk for a in agreements]
    agreement_versions = _group(AgreementVersion.objects.filter(agreement_id__in=agreement_ids), "agreement_id")
    signatories = _by_pk(signatory_list(actor=actor).filter(agreement_id__in=agreement_ids))
    provisions = _by_pk(provision_list(actor=actor, dispute_id=did).prefetch_related("responsible_parties"))
    assessments = _group(
        assessment_list(actor=actor).filter(provision__agreement__dispute_id=did), "provision_id"
    )
    links = _by_pk(AgreementLink.objects.filter(from_agreement_id__in=agreement_ids, to_agreement_id__in=agreement_ids))

    # Every party the dispute refers to, and their representatives.
    party_ids = {cp.party_id for cp in case_parties} | {s.party_id for s in signatories}
    for a in agreements:
        party_ids |= {p.pk for p in a.third_parties.all()}
    for p in provisions:
        party_ids |= {rp.pk for rp in p.responsible_parties.all()}
        if p.verifier_party_id:
            party_ids.add(p.verifier_party_id)
    rep_ids = {r["representative_id"] for rows in session_reps.values() for r in rows}
    rep_ids |= {c.given_by_representative_id for c in consents if c.given_by_representative_id}
    rep_ids |= {s.representative_id for s in signatories if s.representative_id}
    party_ids |= set(Representative.objects.filter(pk__in=rep_ids).values_list("party_id", flat=True))
    parties = _by_pk(Party.objects.filter(party_visible_q(actor), pk__in=party_ids))
    reps = _group(representative_list(actor=actor).filter(party_id__in=party_ids), "party_id")

    consent_parties = _group(
        DisclosureConsentParty.objects.filter(consent_id__in=[c.pk for c in consents]), "consent_id"
    )
    versions_by_agreement = agreement_versions
    signatories_by_agreement: dict[int, list[dict]] = defaultdict(list)
    for s in signatories:
        signatories_by_agreement[s.agreement_id].append(_row(s))
    provisions_by_agreement: dict[int, list[dict]] = defaultdict(list)
    for p in provisions:
        provisions_by_agreement[p.agreement_id].append({
            **_row(p),
            "responsible_party_ids": sorted(rp.pk for rp in p.responsible_parties.all()),
            "assessments": assessments.get(p.pk, []),
        })

    archive: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "notice": _(
            "This archive holds what %(email)s (%(role)s) may see of dispute %(reference)s. Team-only notes, their "
            "consents and disclosures are included only when that member is on the case team: %(included)s."
        ) % {
            "email": actor.user.email if actor.user else actor.label, "role": actor.role,
            "reference": dispute.reference, "included": _("included") if on_team else _("NOT included"),
        },
        "team_only_notes_included": bool(on_team),
        "not_archived": NOT_ARCHIVED,
        "exported_at": _plain(timezone.now()),
        "exported_by": actor.user.email if actor.user else actor.label,
        "exported_by_role": actor.role,
        "organisation": {"slug": dispute.organisation.slug, "name": dispute.organisation.name},
        "reference": dispute.reference,
        "dispute": _row(dispute),
        "parties": [{**_row(p), "representatives": reps.get(p.pk, [])} for p in parties],
        "stage_changes": [_row(r) for r in stage_changes],
        "risk_history": [_row(r) for r in risk],
        "issues": [_row(r) for r in issues],
        "case_parties": [_row(r) for r in case_parties],
        "positions": [_row(r) for r in positions],
        "team": [_row(r) for r in team],
        "proposals": [{**_row(p), "responses": responses.get(p.pk, [])} for p in proposals],
        "shuttle_rounds": [
            {**_row(r), "parties": [_row(rp) for rp in r.parties_loaded]} for r in rounds
        ],
        "sessions": [
            {
                **_row(s),
                "parties": session_parties.get(s.pk, []),
                "representatives": session_reps.get(s.pk, []),
                "team": session_team.get(s.pk, []),
                "agenda": agenda.get(s.pk, []),
            }
            for s in sessions
        ],
        "notes": [
            {**_row(n), "parties": [_row(np) for np in _by_pk(n.parties_loaded)], "versions": versions.get(n.pk, [])}
            for n in notes
        ],
        "consents": [{**_row(c), "parties": consent_parties.get(c.pk, [])} for c in consents],
        "disclosures": [_row(d) for d in disclosures],
        "action_items": [_row(a) for a in action_items],
        "agreements": [
            {
                **_row(a),
                "third_party_ids": sorted(p.pk for p in a.third_parties.all()),
                "versions": versions_by_agreement.get(a.pk, []),
                "signatories": signatories_by_agreement.get(a.pk, []),
                "provisions": provisions_by_agreement.get(a.pk, []),
            }
            for a in agreements
        ],
        "agreement_links": [_row(link) for link in links],
        "audit_events": [_row(e) for e in audit],
    }
    found: dict[type, set] = defaultdict(set)
    _refs(archive, found)
    names: dict[tuple[type, Any], str] = {}
    for pk, email in User.objects.filter(pk__in=found[User]).values_list("pk", "email"):
        names[(User, pk)] = email
    for pk, slug in Organisation.objects.filter(pk__in=found[Organisation]).values_list("pk", "slug"):
        names[(Organisation, pk)] = slug
    return _resolve(archive, names)


# --- restore --------------------------------------------------------------------------------------


def required_emails(archive: dict[str, Any]) -> set[str]:
    """Users the restored rows cannot do without: the case team, the team at sessions, owners of action items."""
    emails = {r.get("user_email") for r in archive.get("team", [])}
    for s in archive.get("sessions", []):
        emails |= {r.get("user_email") for r in s.get("team", [])}
    emails |= {r.get("owner_user_email") for r in archive.get("action_items", [])}
    return {e for e in emails if e}


@dataclass
class _Restore:
    organisation: Organisation
    source_slug: str
    users: dict[str, int]
    maps: dict[type, dict[Any, Any]] = field(default_factory=lambda: defaultdict(dict))

    def user(self, email: str | None) -> int | None:
        return self.users.get(email.lower()) if email else None

    def org(self, slug: str | None) -> int | None:
        if not slug:
            return None
        if slug == self.source_slug:
            return self.organisation.pk
        # Another organisation (a provision's verifier): kept when it exists here, else dropped.
        return Organisation.objects.filter(slug=slug).values_list("pk", flat=True).first()

    def build(self, model: type[models.Model], row: dict[str, Any], **overrides: Any) -> models.Model:
        obj = model()
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            if f.attname in overrides:
                value = overrides[f.attname]
            elif f.is_relation and f.related_model is User:
                value = self.user(row.get(f.name + "_email"))
            elif f.is_relation and f.related_model is Organisation:
                value = self.org(row.get(f.name + "_slug"))
            elif f.is_relation:
                old = row.get(f.attname)
                if old is None:
                    value = None
                else:
                    value = self.maps[f.related_model].get(old)
                    if value is None:
                        raise ApplicationError(
                            _("The archive is inconsistent: %(model)s refers to a missing %(related)s #%(id)s.")
                            % {"model": model._meta.label, "related": f.related_model._meta.label, "id": old}
                        )
            elif f.attname in row:
                value = f.to_python(row[f.attname])
            else:
                continue
            setattr(obj, f.attname, value)
        return obj

    def insert(self, model: type[models.Model], rows: list[dict], **overrides: Any) -> list[models.Model]:
        """Insert rows as they are (raw: auto_now fields keep the archive's timestamps); map old ids to new."""
        if not rows:
            return []
        objs = [self.build(model, row, **overrides) for row in rows]
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        returned = model._base_manager._insert(objs, fields=fields, returning_fields=[model._meta.pk], raw=True)
        for obj, row, values in zip(objs, rows, returned, strict=True):
            obj.pk = values[0]
            if "id" in row:
                self.maps[model][row["id"]] = obj.pk
        return objs

    def insert_one_by_one(self, model: type[models.Model], rows: list[dict], **overrides: Any) -> None:
        """For tables that refer to themselves: each row's parent is inserted (and mapped) before it."""
        for row in sorted(rows, key=lambda r: r["id"]):
            self.insert(model, [row], **overrides)


def _restore_parties(r: _Restore, archive: dict[str, Any]) -> None:
    """Parties are the organisation's, reused across disputes: one with the same name is reused."""
    for row in archive.get("parties", []):
        existing = Party.objects.filter(organisation=r.organisation, normalised_name=row.get("normalised_name")).first()
        if existing is None:
            party = r.insert(Party, [row], organisation_id=r.organisation.pk)[0]
            r.insert(Representative, row.get("representatives", []), party_id=party.pk)
            continue
        r.maps[Party][row["id"]] = existing.pk
        known = dict(Representative.objects.filter(party=existing).values_list("name", "pk"))
        new = []
        for rep in row.get("representatives", []):
            if rep["name"] in known:
                r.maps[Representative][rep["id"]] = known[rep["name"]]
            else:
                new.append(rep)
        r.insert(Representative, new, party_id=existing.pk)


def dispute_archive_restore(*, organisation: Organisation, archive: dict[str, Any]) -> Dispute:
    """Write the archive's rows into the organisation. The caller holds the transaction and checks."""
    emails = {m.user.email.lower(): m.user_id
              for m in Membership.objects.filter(organisation=organisation).select_related("user")}
    r = _Restore(organisation=organisation, source_slug=archive["organisation"]["slug"], users=emails)
    _restore_parties(r, archive)

    dispute = r.insert(Dispute, [archive["dispute"]], organisation_id=organisation.pk)[0]
    r.insert(StageChange, archive.get("stage_changes", []))
    r.insert(RiskAssessment, archive.get("risk_history", []))
    r.insert(NegotiationIssue, archive.get("issues", []))
    r.insert(CaseParty, archive.get("case_parties", []))
    r.insert(PartyPosition, archive.get("positions", []))
    r.insert(CaseTeamMember, archive.get("team", []))

    # Proposal -> session (tabled_in) -> shuttle round -> proposal (subject) can be a cycle:
    # proposals first without their session, which is set once the sessions exist.
    proposals = archive.get("proposals", [])
    r.insert_one_by_one(Proposal, proposals, tabled_in_id=None)
    r.insert(ProposalResponse, [x for p in proposals for x in p.get("responses", [])])
    rounds = archive.get("shuttle_rounds", [])
    r.insert(ShuttleRound, rounds)
    r.insert(ShuttleRoundParty, [x for s in rounds for x in s.get("parties", [])])
    sessions = archive.get("sessions", [])
    r.insert(MediationSession, sessions)
    for key, model in (("parties", SessionParty), ("representatives", SessionRepresentative),
                       ("team", SessionTeamMember), ("agenda", SessionAgendaItem)):
        r.insert(model, [x for s in sessions for x in s.get(key, [])])
    for p in proposals:
        if p.get("tabled_in_id"):
            Proposal.objects.filter(pk=r.maps[Proposal][p["id"]]).update(
                tabled_in_id=r.maps[MediationSession][p["tabled_in_id"]]
            )

    notes = archive.get("notes", [])
    r.insert(SessionNote, notes)
    r.insert(SessionNoteParty, [x for n in notes for x in n.get("parties", [])])
    r.insert(SessionNoteVersion, [x for n in notes for x in n.get("versions", [])])
    consents = archive.get("consents", [])
    r.insert(DisclosureConsent, consents)
    r.insert(DisclosureConsentParty, [x for c in consents for x in c.get("parties", [])])
    r.insert(Disclosure, archive.get("disclosures", []))
    r.insert(ActionItem, archive.get("action_items", []))

    agreements = archive.get("agreements", [])
    r.insert(Agreement, agreements, organisation_id=organisation.pk)
    Agreement.third_parties.through.objects.bulk_create([
        Agreement.third_parties.through(agreement_id=r.maps[Agreement][a["id"]], party_id=r.maps[Party][pid])
        for a in agreements for pid in a.get("third_party_ids", [])
    ])
    r.insert(AgreementLink, archive.get("agreement_links", []))
    r.insert_one_by_one(AgreementVersion, [x for a in agreements for x in a.get("versions", [])])
    r.insert(Signatory, [x for a in agreements for x in a.get("signatories", [])])
    provisions = [x for a in agreements for x in a.get("provisions", [])]
    r.insert(Provision, provisions)
    Provision.responsible_parties.through.objects.bulk_create([
        Provision.responsible_parties.through(provision_id=r.maps[Provision][p["id"]], party_id=r.maps[Party][pid])
        for p in provisions for pid in p.get("responsible_party_ids", [])
    ])
    r.insert(ImplementationAssessment, [x for p in provisions for x in p.get("assessments", [])])

    # The dispute's history comes along, filed under its new id; the target of each event points
    # at the restored row where the archive holds it.
    by_label = {m._meta.label_lower: m for m in r.maps}
    events = []
    for e in archive.get("audit_events", []):
        model = by_label.get(e.get("target_type", ""))
        target_id = e.get("target_id", "")
        if model is not None and str(target_id).isdecimal():
            target_id = str(r.maps[model].get(int(target_id), target_id))
        events.append({**e, "target_id": target_id})
    r.insert(AuditEvent, events, organisation_id=organisation.pk, dispute_id=dispute.pk)
    return dispute
