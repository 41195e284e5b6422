"""A shuttle round in the state the issue (#16) walked into: the farmers were visited and have
since tabled a counter-proposal; the herders answered their visit and have not been told it;
a team-only note of the farmers was already passed to the herders under consent; another
team-only note has no consent at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.negotiations.models import Proposal
from apps.sessions.models import (
    ConsentMethod,
    Disclosure,
    DisclosureConsent,
    MediationSession,
    SessionKind,
    SessionNote,
    ShuttleRound,
    ShuttleRoundParty,
    Visibility,
)
from tests.dashboard.record_world import RecordWorld
from tests.factories import MediationSessionFactory, ProposalFactory, SessionNoteFactory, ShuttleRoundFactory

TOLD_SECRET = "KESTREL-4410 the farmers could share the eastern well at night"
NO_CONSENT_SECRET = "OSPREY-2210 the farmers fear the council militia"
COUNTER = "Water points open to herds from dawn to noon, farmers after noon"


@dataclass
class ShuttleWorld:
    round: ShuttleRound
    proposal: Proposal
    counter: Proposal
    told_note: SessionNote
    untold_note: SessionNote
    disclosure: Disclosure


def build_shuttle(w: RecordWorld) -> ShuttleWorld:
    now = timezone.now()
    r = ShuttleRoundFactory(dispute=w.dispute, subject_issue=w.issue, title="Water points round",
                            opened_at=now - dt.timedelta(days=6))
    ShuttleRoundParty.objects.create(shuttle_round=r, case_party=w.farmers, order=0)
    ShuttleRoundParty.objects.create(shuttle_round=r, case_party=w.herders, order=1)
    to_farmers = now - dt.timedelta(days=4, hours=14)
    MediationSessionFactory(dispute=w.dispute, kind=SessionKind.SHUTTLE_VISIT, shuttle_round=r,
                            title="Visit to the farmers", starts_at=to_farmers - dt.timedelta(hours=1),
                            ends_at=to_farmers, parties=[w.farmers], status=MediationSession.Status.HELD)
    to_herders = now - dt.timedelta(days=3)
    MediationSessionFactory(dispute=w.dispute, kind=SessionKind.SHUTTLE_VISIT, shuttle_round=r,
                            title="Visit to the herders", starts_at=to_herders - dt.timedelta(hours=1),
                            ends_at=to_herders, parties=[w.herders], status=MediationSession.Status.HELD,
                            party_replied_at=to_herders)
    proposal = ProposalFactory(issue=w.issue, dispute=w.dispute, tabled_by=w.herders, text="Herds first, all day",
                               tabled_at=now - dt.timedelta(days=5), status="superseded")
    counter = ProposalFactory(issue=w.issue, dispute=w.dispute, tabled_by=w.farmers, responds_to=proposal,
                              text=COUNTER, tabled_at=now - dt.timedelta(days=1), status="tabled")
    told_note = SessionNoteFactory(session=w.caucus, text=TOLD_SECRET, visibility=Visibility.TEAM,
                                   source_party=w.farmers)
    consent = DisclosureConsent.objects.create(dispute=w.dispute, note=told_note, source_party=w.farmers,
                                               given_by_name="Amina", given_at=now - dt.timedelta(days=2),
                                               method=ConsentMethod.values[0])
    disclosure = Disclosure.objects.create(dispute=w.dispute, note=told_note, note_visibility=Visibility.TEAM,
                                           to_party=w.herders, consent=consent,
                                           disclosed_at=now - dt.timedelta(days=2), disclosed_by=w.mediator)
    untold_note = SessionNoteFactory(session=w.caucus, text=NO_CONSENT_SECRET, visibility=Visibility.TEAM,
                                     source_party=w.farmers)
    return ShuttleWorld(round=r, proposal=proposal, counter=counter, told_note=told_note,
                        untold_note=untold_note, disclosure=disclosure)
