"""A dispute with a row in every table the archive covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from apps.accounts.models import Membership
from apps.agreements.models import AgreementLink, AgreementVersion, Signatory
from apps.common.services import audit_record
from apps.negotiations.models import ProposalResponse
from apps.sessions.models import (
    Disclosure,
    DisclosureConsent,
    DisclosureConsentParty,
    SessionAgendaItem,
    SessionKind,
    SessionNoteParty,
    SessionNoteVersion,
    SessionRepresentative,
    SessionTeamMember,
    ShuttleRoundParty,
    Visibility,
)
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CasePartyFactory,
    DisputeFactory,
    ImplementationAssessmentFactory,
    MediationSessionFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    PartyFactory,
    PartyPositionFactory,
    ProposalFactory,
    ProvisionFactory,
    RepresentativeFactory,
    RiskAssessmentFactory,
    SessionNoteFactory,
    ShuttleRoundFactory,
    StageChangeFactory,
)

TEAM_NOTE_TEXT = "Caucus: the Northern Front would accept a 5 km buffer zone (never to leave the team)"
SHARED_NOTE_TEXT = "Both delegations agreed on the agenda."
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class World:
    dispute: object
    lead: object
    admin: object
    officer: object
    team_note: object
    shared_note: object


@pytest.fixture
def world(org) -> World:
    lead = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    officer = MembershipFactory(organisation=org, role=Membership.Role.CASE_OFFICER).user
    dispute = DisputeFactory(organisation=org, lead=lead, title="Grazing land", reference="PC-2026-0042",
                             root_causes=["resources"], countries=["KE", "ET"])
    dispute.team.create(user=officer, role="case_officer", starts_on=dispute.opened_on, affiliations=["None"])
    StageChangeFactory(dispute=dispute, from_stage="intake", to_stage="assessment", by=lead, reason="ready")
    RiskAssessmentFactory(dispute=dispute, risk="high", previous="medium", by=lead, reason="clashes")
    north = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Northern Front",
                                                                 aliases=["NF"], country="KE"))
    south = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Southern Council"))
    guarantor = PartyFactory(organisation=org, name="Regional Guarantor")
    rep_n = RepresentativeFactory(party=north.party, name="Amina N.")
    RepresentativeFactory(party=south.party, name="Brook S.")
    issue = NegotiationIssueFactory(dispute=dispute, title="Border demarcation")
    NegotiationIssueFactory(dispute=dispute, title="Prisoner exchange")
    PartyPositionFactory(case_party=north, issue=issue, position="River line", interests="Water access")

    joint = MediationSessionFactory(dispute=dispute, title="Joint round 1", parties=[north, south], status="held",
                                    created_by=lead, starts_at=T0, ends_at=T0 + dt.timedelta(hours=3))
    SessionRepresentative.objects.create(session=joint, representative=rep_n, case_party=north)
    SessionTeamMember.objects.create(session=joint, user=officer)
    SessionAgendaItem.objects.create(session=joint, issue=issue, order=1)
    proposal = ProposalFactory(dispute=dispute, issue=issue, tabled_by=north, tabled_in=joint, recorded_by=lead,
                               text="Buffer zone along the river")
    counter = ProposalFactory(dispute=dispute, issue=issue, tabled_by=south, responds_to=proposal,
                              text="Buffer zone of 2 km")
    ProposalResponse.objects.create(proposal=proposal, case_party=south, stance="considering", responded_at=T0)
    shuttle = ShuttleRoundFactory(dispute=dispute, subject_issue=None, subject_proposal=counter, opened_by=lead,
                                  title="Buffer zone shuttle")
    ShuttleRoundParty.objects.create(shuttle_round=shuttle, case_party=north, order=1)
    ShuttleRoundParty.objects.create(shuttle_round=shuttle, case_party=south, order=2)
    caucus = MediationSessionFactory(dispute=dispute, kind=SessionKind.SHUTTLE_VISIT, shuttle_round=shuttle,
                                     title="Visit to the Front", parties=[north], status="held")
    team_note = SessionNoteFactory(session=caucus, text=TEAM_NOTE_TEXT, visibility=Visibility.TEAM,
                                   source_party=north, author=lead)
    SessionNoteVersion.objects.create(note=team_note, version=2, text=TEAM_NOTE_TEXT + " (edited)",
                                      visibility=Visibility.TEAM, written_by=lead, written_at=T0)
    team_note.version = 2
    team_note.save(update_fields=["version"])
    shared_note = SessionNoteFactory(session=joint, text=SHARED_NOTE_TEXT, visibility=Visibility.PARTIES,
                                     author=officer)
    SessionNoteParty.objects.create(note=shared_note, case_party=south)
    consent = DisclosureConsent.objects.create(dispute=dispute, note=team_note, source_party=north,
                                               given_by_representative=rep_n, given_at=T0, method="in_session",
                                               recorded_by=lead)
    DisclosureConsentParty.objects.create(consent=consent, case_party=south)
    Disclosure.objects.create(dispute=dispute, note=team_note, note_visibility="team", to_party=south,
                              consent=consent, disclosed_at=T0, disclosed_by=lead, session=joint)
    Disclosure.objects.create(dispute=dispute, proposal=counter, to_party=north, disclosed_at=T0,
                              disclosed_by=lead)
    ActionItemFactory(session=joint, owner_user=officer, created_by=lead, description="Send the maps")
    ActionItemFactory(session=joint, owner_party=south, description="Name a liaison")

    agreement = AgreementFactory(dispute=dispute, title="Ceasefire", type="ceasefire", created_by=lead,
                                 status="signed", signed_on=dt.date(2026, 3, 10))
    agreement.third_parties.add(guarantor)
    earlier = AgreementFactory(dispute=dispute, title="Declaration of principles", type="pre_negotiation")
    AgreementLink.objects.create(from_agreement=agreement, to_agreement=earlier, kind="implements")
    v1 = AgreementVersion.objects.create(agreement=agreement, number=1, text="Article 1", author=lead)
    AgreementVersion.objects.create(agreement=agreement, number=2, based_on=v1, text="Article 1\nArticle 2",
                                    author=lead, change_summary="Article 2")
    Signatory.objects.create(agreement=agreement, party=north.party, representative=rep_n,
                             signed_on=dt.date(2026, 3, 10), place="Nairobi")
    Signatory.objects.create(agreement=agreement, party=guarantor, role="guarantor")
    provision = ProvisionFactory(agreement=agreement, category="ceasefire", verifier_party=guarantor,
                                 deadline=dt.date(2026, 6, 1))
    provision.responsible_parties.add(north.party, south.party)
    ImplementationAssessmentFactory(provision=provision, score=1, assessed_by=lead, evidence="Monitors' report")
    ImplementationAssessmentFactory(provision=provision, score=2, assessed_on=dt.date(2026, 5, 1))

    audit_record(actor=lead, action="disputes.dispute.opened", target=dispute, after={"title": dispute.title})
    audit_record(actor=lead, action="sessions.note.added", target=team_note, after={"visibility": "team"})
    return World(dispute=dispute, lead=lead, admin=admin, officer=officer, team_note=team_note,
                 shared_note=shared_note)
