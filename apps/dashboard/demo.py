"""Demo data: two organisations, their people, and a believable portfolio for ``demo``.

Written by hand. The countries, groups, places and people are fictional (no real person's
name); the practice is real: joint sessions and caucuses, team-only notes, a shuttle round
waiting on a party, proposal threads with counter-proposals, an overdue action item,
agreements in several statuses with provisions at every implementation level, one
restricted dispute and one shared read-only with ``partner``.

Everything goes through the services, as a user's actions would, so the demo obeys the
rules it shows and fills the audit trail. Dates are relative to today, so the demo always
has something upcoming and something overdue. Idempotent: a dispute that already exists
(by title) is left alone, and so are parties and people.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation, User
from apps.disputes.models import CaseParty, CaseShare, Dispute, NegotiationIssue
from apps.parties.models import Party, Representative, normalise_name

ORGS = [
    ("demo", "Demo Mediation Unit", Organisation.Kind.UN_MSU),
    ("partner", "Partner NGO", Organisation.Kind.NGO),
]
PEOPLE = [
    ("admin", Membership.Role.ADMIN, "Amina Okafor", "Africa/Lagos"),
    ("mediator", Membership.Role.MEDIATOR, "Lukas Brandt", "Europe/Berlin"),
    ("analyst", Membership.Role.ANALYST, "Sofia Reyes", "America/Bogota"),
]


@transaction.atomic
def seed_people(*, password: str) -> dict[str, User]:
    users: dict[str, User] = {}
    for slug, name, kind in ORGS:
        # The demo organisations do not require two-factor sign-in, so the printed demo login
        # works at once; a real organisation keeps the default (required for admins and mediators).
        org, _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "require_2fa": False}
        )
        for local, role, person, tz in PEOPLE:
            email = f"{local}@{slug}.example"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=password, name=f"{person} ({slug})",
                                                time_zone=tz)
            Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": role})
            users[email] = user
    return users


# --- the cast: fictional parties and their representatives -------------------------------------------

K = Party.Kind


@dataclass(frozen=True)
class Rep:
    name: str
    title: str
    tz: str
    languages: tuple[str, ...] = ("en",)
    may_commit: bool = False


@dataclass(frozen=True)
class Cast:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    notes: str = ""
    reps: tuple[Rep, ...] = ()


CAST: dict[str, Cast] = {c.name: c for c in [
    Cast("Government of Varenia", K.STATE, ("Varenian Government",), reps=(
        Rep("Teodor Vasko", "Deputy Minister of Water Resources", "Europe/Bucharest", ("en", "ro"), True),
        Rep("Ilinca Morar", "Legal adviser", "Europe/Bucharest", ("en", "fr")),
    )),
    Cast("Government of Kestria", K.STATE, ("Kestrian Government",), reps=(
        Rep("Dragan Pelosk", "Ambassador, chief negotiator", "Europe/Belgrade", ("en", "de"), True),
    )),
    Cast("Koral Basin Commission", K.INTERNATIONAL_ORGANISATION, ("KBC",), reps=(
        Rep("Hanne Solberg-Ruiz", "Executive Secretary", "Europe/Vienna", ("en", "de", "es")),
    )),
    Cast("Government of Solvana", K.STATE, reps=(
        Rep("Brig. Gen. (rtd) Amadou Keleba", "Head of the government delegation", "Africa/Bamako", ("fr", "en")),
        Rep("Mariam Tounkara-Lys", "Presidential envoy for the north", "Africa/Bamako", ("fr",), True),
    )),
    Cast("Northern Solvana Liberation Movement", K.NON_STATE_ARMED_GROUP, ("NSLM",), reps=(
        Rep("Ousmane Dari Fellah", "Political commissioner", "Africa/Niamey", ("fr", "ar")),
        Rep("Zeinab Ag Moussa", "Spokesperson, diaspora office", "Europe/Paris", ("fr", "en")),
    )),
    Cast("Sahel Regional Union", K.REGIONAL_ORGANISATION, ("SRU",), reps=(
        Rep("Félicité Nabaro", "Special envoy", "Africa/Ouagadougou", ("fr", "en")),
    )),
    Cast("Upper Halvoria Farmers' Cooperative", K.COMMUNITY, reps=(
        Rep("Kiptoo Arap Lelgo", "Chairperson", "Africa/Nairobi", ("en", "sw"), True),
    )),
    Cast("Dunmaro Herders' Association", K.COMMUNITY, reps=(
        Rep("Abdi Guled Haro", "Elder and spokesperson", "Africa/Nairobi", ("so", "sw")),
    )),
    Cast("Halvoria County Council", K.GOVERNMENT_BODY, reps=(
        Rep("Grace Wanjiro Otsembe", "County peace officer", "Africa/Nairobi", ("en", "sw")),
    )),
    Cast("Government of Pelmara", K.STATE, reps=(
        Rep("Rafael Quintero Avellán", "Minister of Transport", "America/Lima", ("es", "en"), True),
    )),
    Cast("Orvalia Shipping Consortium", K.BUSINESS, ("OSC",), reps=(
        Rep("Henrike Aalstad", "General counsel", "Europe/Oslo", ("en", "no")),
    )),
    Cast("Quorana National Alliance", K.POLITICAL_PARTY, ("QNA",), reps=(
        Rep("Emeka Durowaye", "Secretary-general", "Africa/Lagos", ("en",), True),
    )),
    Cast("Movement for Democratic Renewal", K.POLITICAL_PARTY, ("MDR",), reps=(
        Rep("Adaeze Okonkwo-Bright", "Party chairwoman", "Africa/Lagos", ("en",)),
        Rep("Tunde Ilesanmi", "Legal counsel", "Europe/London", ("en",)),
    )),
    Cast("Quorana Council of Churches", K.CIVIL_SOCIETY, reps=(
        Rep("Rev. Nnamdi Akubueze", "President", "Africa/Lagos", ("en",)),
    )),
    Cast("Government of Ristan", K.STATE, reps=(
        Rep("Farid Qadiri", "Deputy National Security Adviser", "Asia/Kabul", ("en", "fa"), True),
    )),
    Cast("Eastern Ristan Defence Forces", K.NON_STATE_ARMED_GROUP, ("ERDF",), reps=(
        Rep("Commander Zalmay Hotak", "Military council", "Asia/Karachi", ("ps",)),
        Rep("Nazo Barakzai", "External relations", "Asia/Dubai", ("ps", "en"), True),
    )),
    Cast("Committee of Detainees' Families", K.CIVIL_SOCIETY, reps=(
        Rep("Shirin Mahbubi", "Coordinator", "Asia/Kabul", ("fa", "en")),
    )),
    Cast("Government of Belucia", K.STATE, reps=(
        Rep("Ana Luísa Corveira", "Director, Boundaries Office", "America/Sao_Paulo", ("pt", "es")),
    )),
    Cast("Government of Taranth", K.STATE, reps=(
        Rep("Joaquín Iturbe Sallas", "Vice-minister for foreign affairs", "America/Asuncion", ("es",), True),
    )),
    Cast("Ysmeri Coastal Fishers' Union", K.COMMUNITY, reps=(
        Rep("Maricel Dumaguing", "Union president", "Asia/Manila", ("tl", "en")),
    )),
    Cast("Ysmeri Provincial Fisheries Office", K.GOVERNMENT_BODY, reps=(
        Rep("Rodel Pagatpatan", "Provincial fisheries officer", "Asia/Manila", ("tl", "en")),
    )),
    Cast("Aquamar Seafoods Ltd", K.BUSINESS, reps=(
        Rep("Kenji Morioka-Reyes", "Operations director", "Asia/Tokyo", ("ja", "en")),
    )),
    Cast("Kestrian Highland Peoples' Assembly", K.COMMUNITY, reps=(
        Rep("Tamsin Oru Waikele", "Speaker", "Pacific/Auckland", ("en", "mi")),
    )),
    Cast("Ministry of Lands of Kestria", K.GOVERNMENT_BODY, reps=(
        Rep("Piotr Halvas", "Permanent secretary", "Europe/Belgrade", ("en",)),
    )),
    Cast("National Cyber Agency of Orvalia", K.GOVERNMENT_BODY, reps=(
        Rep("Signe Traustadóttir", "Director-general", "Atlantic/Reykjavik", ("en", "is"), True),
    )),
    Cast("Computer Emergency Team of Pelmara", K.GOVERNMENT_BODY, ("Pelmara CERT",), reps=(
        Rep("Valentina Occhipinti", "Head of international cooperation", "America/Lima", ("es", "it"), True),
    )),
    Cast("Dunmaro Water Utility", K.BUSINESS, reps=(
        Rep("Leila Hamadeh", "Chief executive", "Asia/Amman", ("ar", "en")),
    )),
    Cast("Dunmaro Residents' Committees", K.CIVIL_SOCIETY, reps=(
        Rep("Yousef Qandeel", "Convenor", "Asia/Amman", ("ar",)),
    )),
]}


# --- helpers --------------------------------------------------------------------------------------


@dataclass
class Seeder:
    org: Organisation
    admin: Actor
    mediator: Actor
    today: dt.date = field(default_factory=timezone.localdate)
    parties: dict[str, Party] = field(default_factory=dict)
    reps: dict[str, Representative] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    def at(self, days: int, hour: int, tz: str, minute: int = 0) -> dt.datetime:
        """``days`` from today at a local hour of the venue: the same wall clock whatever the season."""
        day = self.today + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tz))

    def day(self, days: int) -> dt.date:
        return self.today + dt.timedelta(days=days)

    # The cast is shared by the organisation's disputes: created once, found by name next time.
    def ensure_cast(self) -> None:
        from apps.parties.services import party_create, representative_create

        existing = {p.normalised_name: p for p in Party.objects.filter(organisation=self.org)}
        for cast in CAST.values():
            party = existing.get(normalise_name(cast.name))
            if party is None:
                party = party_create(actor=self.admin, kind=cast.kind, name=cast.name, aliases=list(cast.aliases),
                                     notes=cast.notes)
            self.parties[cast.name] = party
            have = {r.name: r for r in party.representatives.all()}
            for rep in cast.reps:
                self.reps[rep.name] = have.get(rep.name) or representative_create(
                    actor=self.admin, party=party, name=rep.name, title=rep.title, time_zone=rep.tz,
                    languages=list(rep.languages),
                    authority=Representative.Authority.YES if rep.may_commit else Representative.Authority.REFER_BACK,
                )


@dataclass
class Case:
    """One dispute being built, with shortcuts for its parties, issues and writer."""

    seeder: Seeder
    dispute: Dispute
    actor: Actor
    cp: dict[str, CaseParty] = field(default_factory=dict)
    issues: dict[str, NegotiationIssue] = field(default_factory=dict)

    def party(self, name: str, role: str = CaseParty.Role.CONFLICT_PARTY, red_lines: str = "") -> CaseParty:
        from apps.disputes.services import case_party_add

        self.cp[name] = case_party_add(actor=self.actor, dispute=self.dispute, party=self.seeder.parties[name],
                                       role=role, red_lines=red_lines)
        return self.cp[name]

    def issue(self, title: str, description: str = "") -> NegotiationIssue:
        from apps.disputes.services import negotiation_issue_create

        self.issues[title] = negotiation_issue_create(actor=self.actor, dispute=self.dispute, title=title,
                                                      description=description)
        return self.issues[title]

    def position(self, party: str, issue: str, position: str, interests: str) -> None:
        from apps.disputes.services import party_position_set

        party_position_set(actor=self.actor, case_party=self.cp[party], issue=self.issues[issue], position=position,
                           interests=interests)

    def reps_of(self, *parties: str) -> list[Representative]:
        return [r for r in self.seeder.reps.values() if r.party.name in parties]

    def session(self, *, kind: str, title: str, days: int, hour: int, tz: str, hours: float = 3, parties=(),
                agenda=(), venue: str = "", summary: str = "", outcomes: str = "", round_number: int | None = None,
                virtual_link: str = ""):
        from apps.sessions import services as sessions

        starts = self.seeder.at(days, hour, tz)
        common: dict[str, Any] = {
            "actor": self.actor, "dispute": self.dispute, "kind": kind, "title": title, "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=hours), "time_zone": tz,
            "parties": [self.cp[p] for p in parties], "representatives": self.reps_of(*parties),
            "team_members": [self.actor.user], "agenda": [self.issues[i] for i in agenda], "venue": venue,
            "virtual_link": virtual_link, "round_number": round_number,
        }
        if days >= 0:
            return sessions.session_schedule(**common)
        private = kind == CAUCUS
        # What is said in a caucus is a team-only note, never a summary others could read.
        session = sessions.session_record_held(**common, summary="" if private else summary,
                                               outcomes="" if private else outcomes)
        if private and summary:
            self.note(session, summary)
        return session

    def note(self, session, text: str, visibility: str | None = None, parties=()):
        from apps.sessions import services as sessions

        return sessions.session_note_add(actor=self.actor, session=session, text=text, visibility=visibility,
                                         parties=[self.cp[p] for p in parties] or None)

    def action(self, session, description: str, due_days: int, *, owner_party: str | None = None, done: bool = False):
        from apps.sessions import services as sessions

        item = sessions.action_item_create(
            actor=self.actor, session=session, description=description, due_on=self.seeder.day(due_days),
            owner_user=None if owner_party else self.actor.user,
            owner_party=self.cp[owner_party] if owner_party else None,
        )
        if done:
            sessions.action_item_complete(actor=self.actor, item=item)
        return item

    def propose(self, issue: str, text: str, *, by: str | None = None, session=None, responds_to=None,
                days: int = -1, deadline_days: int | None = None, concessions: str = ""):
        from apps.negotiations import services as negotiations

        tz = session.time_zone if session is not None else "UTC"
        tabled_at = session.ends_at - dt.timedelta(minutes=30) if session is not None else self.seeder.at(days, 12, tz)
        return negotiations.proposal_table(
            actor=self.actor, dispute=self.dispute, issue=self.issues[issue], text=text,
            tabled_by=self.cp[by] if by else None, bridging=by is None, tabled_in=session, responds_to=responds_to,
            concessions=concessions, tabled_at=tabled_at,
            response_deadline=self.seeder.at(deadline_days, 17, tz) if deadline_days is not None else None,
        )

    def agreement(self, *, title: str, type: str, texts: list[str], summaries: list[str] | None = None,
                  place: str = "", languages=("en",), signatories=(), witnesses=(), signed_days: int | None = None,
                  then: list[tuple[str, int, str]] = (), provisions=()):
        """Draft, version, sign and move an agreement; provisions are (label, text, category, deadline days,
        responsible parties, [(days ago, score, narrative, source)])."""
        from apps.agreements import services as agreements

        a = agreements.agreement_create(actor=self.actor, dispute=self.dispute, title=title, type=type, place=place,
                                        languages=list(languages), text=texts[0],
                                        change_summary=(summaries or ["First draft"])[0])
        latest = a.versions.get()
        for i, text in enumerate(texts[1:], start=1):
            latest = agreements.agreement_version_create(
                actor=self.actor, agreement=a, based_on=latest, text=text,
                change_summary=(summaries or [])[i] if summaries and i < len(summaries) else "",
            )
        for name in signatories:
            agreements.signatory_add(actor=self.actor, agreement=a, party=self.seeder.parties[name],
                                     representative=next(iter(self.reps_of(name)), None),
                                     signed_on=self.seeder.day(signed_days) if signed_days is not None else None,
                                     place=place)
        for name in witnesses:
            agreements.signatory_add(actor=self.actor, agreement=a, party=self.seeder.parties[name], role="witness")
        if signed_days is not None:
            a = agreements.agreement_change_status(actor=self.actor, agreement=a, to_status="signed",
                                                   on=self.seeder.day(signed_days), place=place)
        for status, days, reason in then:
            a = agreements.agreement_change_status(actor=self.actor, agreement=a, to_status=status,
                                                   on=self.seeder.day(days), reason=reason)
        for label, text, category, deadline, responsible, history in provisions:
            p = agreements.provision_create(
                actor=self.actor, agreement=a, label=label, text=text, category=category,
                deadline=self.seeder.day(deadline) if deadline is not None else None,
                responsible_parties=[self.seeder.parties[r] for r in responsible],
            )
            for days_ago, score, narrative, source in history:
                agreements.assessment_record(actor=self.actor, provision=p, score=score,
                                             assessed_on=self.seeder.day(days_ago), narrative=narrative,
                                             source=source, period_end=self.seeder.day(days_ago))
        return a


def _open(seeder: Seeder, *, title: str, lead: Actor, stage: str, opened_days: int, **fields: Any) -> Case:
    from apps.disputes.services import dispute_open

    dispute = dispute_open(actor=lead, title=title, lead_mediator=lead.user, opened_on=seeder.day(opened_days),
                           stage=stage, **fields)
    seeder.created.append(title)
    return Case(seeder=seeder, dispute=dispute, actor=lead)


# --- the portfolio --------------------------------------------------------------------------------
# Each builder is one dispute, written as a mediation support unit would record it.

JOINT, CAUCUS, TECH, CSO, MULTI, BILATERAL = (
    "joint_session", "caucus", "technical_working_group", "civil_society_consultation", "multilateral_round",
    "bilateral_meeting",
)


KBC = "Basin Commission headquarters, Lindstad"


def koral_river(s: Seeder) -> Case:
    """Negotiation between two states over a river; a proposal thread and an upcoming round."""
    c = _open(s, title="Koral River water-sharing talks", lead=s.mediator, stage="negotiation", opened_days=-240,
              summary="Varenia's new upstream dam has cut dry-season flow into Kestria's irrigated plains by a "
                      "third. Both governments asked for facilitated talks after a border incident at the weir.",
              dispute_types=["resources", "environment"], process_format="bilateral_negotiation", track="1",
              risk="medium", root_causes=["resources", "climate_migration"])
    c.party("Government of Varenia", red_lines="No international control over the dam's operation.")
    c.party("Government of Kestria", red_lines="A guaranteed minimum flow in August and September.")
    c.party("Koral Basin Commission", role=CaseParty.Role.OBSERVER)
    c.issue("Dry-season flow allocation", "How much water passes the dam from July to October, and who measures it.")
    c.issue("Joint flow monitoring", "Gauging stations, data sharing and a hotline for releases.")
    c.issue("Compensation for crop losses")
    c.position("Government of Varenia", "Dry-season flow allocation", "40 m³/s as a yearly average.",
               "Filling the reservoir in its first five years; hydropower revenue for the budget.")
    c.position("Government of Kestria", "Dry-season flow allocation", "At least 65 m³/s every day of the dry season.",
               "Irrigation of 120,000 hectares; drinking water for two towns downstream.")
    tz = "Europe/Vienna"
    r1 = c.session(kind=JOINT, title="Round 1: agenda and principles", days=-150, hour=10, tz=tz,
                   parties=["Government of Varenia", "Government of Kestria"],
                   agenda=["Dry-season flow allocation", "Joint flow monitoring"], venue=KBC,
                   round_number=1, summary="Agreed the agenda and to keep the talks out of the press.",
                   outcomes="Agenda adopted; technical group on monitoring set up.")
    c.note(r1, "Both delegations accepted that the 1998 flow data will be the common baseline.")
    k1 = c.session(kind=CAUCUS, title="Caucus with the Kestrian delegation", days=-150, hour=15, tz=tz, hours=1.5,
                   parties=["Government of Kestria"], venue=KBC)
    c.note(k1, "Ambassador Pelosk hinted that 55 m³/s could be sold at home if the monitoring is joint. "
               "Not to be shared with Varenia.")
    t1 = c.session(kind=TECH, title="Technical group on gauging stations", days=-120, hour=9, tz="Europe/Bucharest",
                   parties=["Government of Varenia", "Government of Kestria", "Koral Basin Commission"],
                   agenda=["Joint flow monitoring"], venue="Online", virtual_link="https://meet.example/koral-tech",
                   summary="Three candidate sites for a joint gauging station; costs to be shared.")
    c.note(t1, "The Commission offered to host the data portal at no cost for two years.")
    r2 = c.session(kind=JOINT, title="Round 2: flow allocation", days=-45, hour=10, tz=tz,
                   parties=["Government of Varenia", "Government of Kestria"], agenda=["Dry-season flow allocation"],
                   venue=KBC, round_number=2,
                   summary="First figures on the table; both moved from their opening numbers.")
    p1 = c.propose("Dry-season flow allocation", "A guaranteed 45 m³/s from 1 July to 31 October, measured at the "
                   "weir.", by="Government of Varenia", session=r2)
    p2 = c.propose("Dry-season flow allocation", "60 m³/s in August and September, 50 m³/s in July and October, "
                   "measured jointly.", by="Government of Kestria", session=r2, responds_to=p1,
                   concessions="Accepts a lower figure outside the two driest months.")
    c.propose("Dry-season flow allocation", "A 52 m³/s floor from July to October, rising to 58 m³/s when the "
              "reservoir is above 70 %; joint station at Marren weir.", responds_to=p2, days=-20, deadline_days=6,
              concessions="Ties the higher figure to the reservoir level Varenia worries about.")
    c.action(r2, "Circulate the reservoir level series for 2015–2025 to both delegations", -10)
    c.session(kind=JOINT, title="Round 3: monitoring and the bridging proposal", days=9, hour=10, tz=tz,
              parties=["Government of Varenia", "Government of Kestria"],
              agenda=["Dry-season flow allocation", "Joint flow monitoring"], venue=KBC,
              round_number=3)
    return c


def northern_solvana(s: Seeder) -> Case:
    """Implementation of a ceasefire, a comprehensive agreement in drafting, provisions at every level."""
    c = _open(s, title="Northern Solvana peace process", lead=s.mediator, stage="implementation", opened_days=-900,
              summary="Armed conflict in the three northern regions since the 2019 uprising. A ceasefire holds "
                      "with violations; the comprehensive agreement is being drafted article by article.",
              dispute_types=["governance", "security", "identity"], process_format="mediation", track="1",
              risk="high", root_causes=["governance", "socio_economic_inequality", "security"])
    c.party("Government of Solvana", red_lines="The territorial integrity of the republic.")
    c.party("Northern Solvana Liberation Movement", red_lines="No disarmament before a political settlement.")
    c.party("Sahel Regional Union", role=CaseParty.Role.GUARANTOR)
    c.issue("Ceasefire and cantonment")
    c.issue("Regional autonomy")
    c.issue("Integration of fighters")
    tz = "Africa/Ouagadougou"
    s1 = c.session(kind=JOINT, title="Joint ceasefire commission, monthly meeting", days=-35, hour=9, tz=tz,
                   parties=["Government of Solvana", "Northern Solvana Liberation Movement", "Sahel Regional Union"],
                   agenda=["Ceasefire and cantonment"], venue="Regional Union liaison office, Kidara",
                   summary="Eleven reported violations reviewed; two confirmed, both near Kelvara-Nord.")
    c.note(s1, "The parties agreed to a joint patrol on the Kidara road from next month.")
    k = c.session(kind=CAUCUS, title="Caucus with the Movement", days=-35, hour=15, tz=tz, hours=1,
                  parties=["Northern Solvana Liberation Movement"])
    c.note(k, "The Movement's field commanders are split on cantonment; the political wing needs a visible gain "
              "on autonomy before the rainy season.")
    c.action(s1, "Send the list of cantonment sites to the Movement", -7, owner_party="Government of Solvana")
    c.session(kind=JOINT, title="Drafting session: chapter on regional autonomy", days=5, hour=9, tz=tz,
              parties=["Government of Solvana", "Northern Solvana Liberation Movement"],
              agenda=["Regional autonomy"], venue="Regional Union liaison office, Kidara")
    c.agreement(
        title="Agreement on a cessation of hostilities in the northern regions", type="ceasefire",
        texts=["Article 1. The parties cease all hostilities from 00:00 on the day after signature.\n"
               "Article 2. Forces remain in their positions.\n"
               "Article 3. A joint ceasefire commission chaired by the Sahel Regional Union verifies compliance.",
               "Article 1. The parties cease all hostilities from 00:00 on the day after signature.\n"
               "Article 2. Forces remain in their positions and withdraw heavy weapons 30 km from the lines "
               "within 60 days.\n"
               "Article 3. A joint ceasefire commission chaired by the Sahel Regional Union verifies compliance.\n"
               "Article 4. Detainees held in connection with the conflict are released within 90 days."],
        summaries=["Text of the first round", "Heavy weapons and detainees added at the request of the Movement"],
        place="Kidara", languages=("fr", "en"),
        signatories=["Government of Solvana", "Northern Solvana Liberation Movement"],
        witnesses=["Sahel Regional Union"], signed_days=-400, then=[("in_force", -399, "")],
        provisions=[
            ("Art. 1", "Cessation of all hostilities.", "ceasefire", None,
             ["Government of Solvana", "Northern Solvana Liberation Movement"],
             [(-300, 2, "Largely holding; sporadic clashes in the east.", "Joint ceasefire commission, report 4"),
              (-60, 3, "No confirmed violation for five months.", "Joint ceasefire commission, report 11")]),
            ("Art. 2", "Withdrawal of heavy weapons 30 km from the lines within 60 days.", "withdrawal", -340,
             ["Government of Solvana", "Northern Solvana Liberation Movement"],
             [(-330, 1, "Government artillery moved back; the Movement has not started.", "Commission site visit"),
              (-90, 2, "Most heavy weapons withdrawn; two depots unverified.", "Commission report 9")]),
            ("Art. 3", "Joint ceasefire commission chaired by the Regional Union.", "verification", -370,
             ["Sahel Regional Union"],
             [(-360, 3, "Commission constituted and meeting monthly.", "Commission minutes")]),
            ("Art. 4", "Release of detainees held in connection with the conflict within 90 days.",
             "prisoner_release", -310, ["Government of Solvana", "Northern Solvana Liberation Movement"],
             [(-200, 0, "No release yet; lists still disputed.", "ICRC-style confidential briefing (paraphrased)")]),
        ],
    )
    c.agreement(
        title="Comprehensive peace agreement for Solvana (draft)", type="comprehensive",
        texts=["Chapter 1. Principles\nChapter 2. Regional autonomy (to be negotiated)\nChapter 3. Security",
               "Chapter 1. Principles\nChapter 2. Regional autonomy: an elected regional assembly for the three "
               "northern regions.\nChapter 3. Security: integration of fighters into a northern brigade.",
               "Chapter 1. Principles\nChapter 2. Regional autonomy: an elected regional assembly for the three "
               "northern regions, with powers over land, education and local police.\nChapter 3. Security: "
               "integration of up to 3,000 fighters into a northern brigade.\nChapter 4. Implementation calendar"],
        summaries=["Skeleton agreed in principle", "Government's text on autonomy and security",
                   "Movement's amendments: powers, numbers, calendar"],
        place="Kidara", languages=("fr", "en"),
    )
    c.agreement(title="Declaration on humanitarian access", type="unilateral_declaration",
                texts=["The Movement guarantees safe passage to humanitarian convoys on the roads it controls."],
                signatories=["Northern Solvana Liberation Movement"], signed_days=-380, place="Kidara")
    return c


def halvoria_grazing(s: Seeder) -> Case:
    """A local resource conflict mediated by insiders; shared read-only with the partner NGO."""
    c = _open(s, title="Halvoria highland grazing corridors", lead=s.mediator, stage="agreement", opened_days=-300,
              summary="Herders moving south in the dry season cross farmland that has expanded into old livestock "
                      "corridors. Three deaths in the last season; county elders asked for mediation.",
              dispute_types=["resources", "identity"], process_format="facilitation", track="2", risk="high",
              root_causes=["resources", "climate_migration"])
    c.party("Upper Halvoria Farmers' Cooperative")
    c.party("Dunmaro Herders' Association")
    c.party("Halvoria County Council", role=CaseParty.Role.FACILITATOR)
    c.issue("Corridor routes and timing")
    c.issue("Compensation for crop damage")
    tz = "Africa/Nairobi"
    cs = c.session(kind=CSO, title="Consultation with women's groups in Lelgo ward", days=-90, hour=10, tz=tz,
                   parties=["Upper Halvoria Farmers' Cooperative", "Dunmaro Herders' Association"],
                   venue="Lelgo primary school", summary="Women on both sides want water points on the corridors.")
    c.note(cs, "Water points along the corridors came up in every group; it may unlock the route question.")
    j = c.session(kind=JOINT, title="Elders' meeting on the corridor map", days=-30, hour=9, tz=tz,
                  parties=["Upper Halvoria Farmers' Cooperative", "Dunmaro Herders' Association",
                           "Halvoria County Council"],
                  agenda=["Corridor routes and timing"], venue="County hall, Halvoria",
                  summary="Two of three corridors agreed on the map; the eastern one remains open.")
    p = c.propose("Corridor routes and timing", "Reopen the western and central corridors, 60 m wide, marked with "
                  "beacons, open from 15 January to 31 March.", by="Dunmaro Herders' Association", session=j)
    c.propose("Corridor routes and timing", "The central corridor only, 40 m wide, with herds passing in daylight.",
              by="Upper Halvoria Farmers' Cooperative", session=j, responds_to=p,
              concessions="Accepts a marked corridor through members' land.")
    c.agreement(
        title="Memorandum of understanding on the Halvoria grazing corridors", type="memorandum_of_understanding",
        texts=["1. The western and central corridors are reopened.\n2. Herds pass between 15 January and 31 March.\n"
               "3. A joint committee of six elders settles crop-damage claims within 14 days."],
        place="Halvoria", languages=("en", "sw"),
        signatories=["Upper Halvoria Farmers' Cooperative", "Dunmaro Herders' Association"],
    )
    from apps.agreements.services import agreement_change_status

    mou = c.dispute.agreements.get()
    agreement_change_status(actor=c.actor, agreement=mou, to_status="initialled", on=s.day(-3))
    return c


def pelmara_port(s: Seeder) -> Case:
    c = _open(s, title="Pelmara container port concession", lead=s.admin, stage="pre_negotiation", opened_days=-60,
              summary="The government cancelled a 30-year port concession after a change of administration; the "
                      "operator threatens arbitration and has stopped investment. Both asked for good offices.",
              dispute_types=["trade", "resources"], process_format="good_offices", track="1", risk="low")
    c.party("Government of Pelmara")
    c.party("Orvalia Shipping Consortium")
    c.issue("Terms of a renegotiated concession")
    c.issue("Labour and port fees")
    c.session(kind=CAUCUS, title="Exploratory meeting with the Consortium's counsel", days=-20, hour=14,
              tz="Europe/Oslo", parties=["Orvalia Shipping Consortium"], venue="Online",
              virtual_link="https://meet.example/pelmara-1",
              summary="Open to talks if arbitration stays available as a fallback.")
    c.session(kind=CAUCUS, title="Exploratory meeting with the Ministry of Transport", days=4, hour=9,
              tz="America/Lima", parties=["Government of Pelmara"], venue="Ministry of Transport, Pelmara City")
    return c


def quorana_elections(s: Seeder) -> Case:
    """A restricted case: only its team and the organisation's admins see it."""
    c = _open(s, title="Quorana post-election dialogue", lead=s.admin, stage="negotiation", opened_days=-75,
              summary="Disputed presidential results; protests and arrests in the capital. The churches convene "
                      "a dialogue; the mediator works discreetly at the request of both party leaders.",
              dispute_types=["governance"], process_format="multilateral_dialogue", track="1.5", risk="critical",
              confidentiality="restricted", root_causes=["governance", "identity"])
    c.party("Quorana National Alliance")
    c.party("Movement for Democratic Renewal")
    c.party("Quorana Council of Churches", role=CaseParty.Role.MEDIATING_INSTITUTION)
    c.issue("Audit of the results")
    c.issue("Release of detained protesters")
    tz = "Africa/Lagos"
    m = c.session(kind=MULTI, title="Dialogue round convened by the churches", days=-12, hour=10, tz=tz,
                  parties=["Quorana National Alliance", "Movement for Democratic Renewal",
                           "Quorana Council of Churches"],
                  agenda=["Audit of the results", "Release of detained protesters"], venue="Cathedral hall",
                  summary="Agreed that an audit is discussable; no agreement on who conducts it.")
    k = c.session(kind=CAUCUS, title="Caucus with the Movement for Democratic Renewal", days=-12, hour=16, tz=tz,
                  hours=1, parties=["Movement for Democratic Renewal"])
    c.note(k, "The chairwoman would accept a partial audit of 40 polling districts if detainees are released "
              "first. She has not told her own executive yet.")
    c.propose("Release of detained protesters", "Release of all protesters detained since election day, within "
              "two weeks, without charges.", by="Movement for Democratic Renewal", session=m, deadline_days=3)
    c.action(m, "Obtain the list of detainees from the police inspector-general", -4)
    return c


def ristan_prisoners(s: Seeder) -> Case:
    """Shuttle diplomacy: an open round waiting on a party."""
    from apps.sessions import services as sessions

    c = _open(s, title="Ristan prisoner exchange", lead=s.mediator, stage="negotiation", opened_days=-130,
              summary="The government and the Eastern Ristan Defence Forces will not meet. The mediator carries "
                      "lists and proposals between them for an exchange of detainees.",
              dispute_types=["security", "human_rights"], process_format="shuttle_diplomacy", track="1",
              risk="high", root_causes=["security", "violent_extremism"])
    c.party("Government of Ristan")
    c.party("Eastern Ristan Defence Forces")
    c.party("Committee of Detainees' Families", role=CaseParty.Role.OBSERVER)
    c.issue("Lists of detainees")
    c.issue("Sequencing of releases")
    first = c.propose("Sequencing of releases", "Simultaneous release of 50 detainees on each side at a neutral "
                      "crossing.", by="Government of Ristan", days=-15)
    round_ = sessions.shuttle_round_open(
        actor=c.actor, dispute=c.dispute, parties=[c.cp["Government of Ristan"], c.cp["Eastern Ristan Defence Forces"]],
        subject_proposal=first, title="Exchange of 50 for 50", opened_at=s.at(-14, 9, "Asia/Kabul"),
    )
    v1 = sessions.shuttle_visit_record(
        actor=c.actor, shuttle_round=round_, case_party=c.cp["Government of Ristan"],
        starts_at=s.at(-14, 10, "Asia/Kabul"), ends_at=s.at(-14, 12, "Asia/Kabul"), time_zone="Asia/Kabul",
        party_replied=True, venue="Ministry guest house",
        representatives=c.reps_of("Government of Ristan"), team_members=[c.actor.user],
    )
    c.note(v1, "Government confirmed its offer in writing. The deputy adviser can go to 60 if the first 20 "
               "released are the sick and the elderly.")
    v2 = sessions.shuttle_visit_record(
        actor=c.actor, shuttle_round=round_, case_party=c.cp["Eastern Ristan Defence Forces"],
        starts_at=s.at(-4, 11, "Asia/Dubai"), ends_at=s.at(-4, 13, "Asia/Dubai"), time_zone="Asia/Dubai",
        party_replied=False, venue="Hotel meeting room, abroad (neutral venue)",
        representatives=c.reps_of("Eastern Ristan Defence Forces"), team_members=[c.actor.user],
    )
    c.note(v2, "Proposal delivered; the military council must approve, answer promised within the week. "
               "External relations is in favour; the council is not. Do not push for a date yet.")
    c.agreement(
        title="Arrangement on family visits to detainees", type="confidence_building",
        texts=["1. Each side allows one family visit a month to detainees it holds.\n"
               "2. The Committee of Detainees' Families helps organise the visits."],
        signatories=["Government of Ristan", "Eastern Ristan Defence Forces"], signed_days=-70,
        place="Lake Arvel conference centre",
        provisions=[("1", "One family visit a month to each detainee.", "confidence_building", -40,
                     ["Government of Ristan", "Eastern Ristan Defence Forces"],
                     [(-45, 1, "Visits started in two of seven places of detention.", "Families' committee")]),
                    ("2", "Families' committee helps organise the visits.", "human_rights", None, [], [])],
    )
    return c


def belucia_border(s: Seeder) -> Case:
    """A border agreement that superseded a framework; demarcation behind schedule."""
    c = _open(s, title="Belucia–Taranth border demarcation", lead=s.mediator, stage="implementation",
              opened_days=-1400,
              summary="A 1890s treaty border along a river that has moved. After clashes over the Isla Garzal "
                      "pastures, the two governments agreed a framework, then a full boundary agreement.",
              dispute_types=["territorial"], process_format="bilateral_negotiation", track="1", risk="low")
    c.party("Government of Belucia")
    c.party("Government of Taranth")
    c.issue("Boundary line on the Rio Velado")
    framework = c.agreement(
        title="Framework agreement on the Rio Velado boundary", type="framework",
        texts=["The parties will demarcate the boundary by joint commission on the basis of the thalweg."],
        signatories=["Government of Belucia", "Government of Taranth"], signed_days=-1000, place="Puerto Iturbe",
        languages=("es", "pt"),
    )
    treaty = c.agreement(
        title="Boundary agreement on the Rio Velado", type="comprehensive",
        texts=["Art. 1 The boundary follows the thalweg as surveyed in 2022.\n"
               "Art. 2 Isla Garzal is Taranthian; Belucian herders keep grazing rights.\n"
               "Art. 3 A joint commission places 140 boundary markers within 24 months."],
        signatories=["Government of Belucia", "Government of Taranth"], signed_days=-700, place="Puerto Iturbe",
        languages=("es", "pt"), then=[("in_force", -640, "")],
        provisions=[
            ("Art. 1", "Boundary along the surveyed thalweg.", "other", None,
             ["Government of Belucia", "Government of Taranth"],
             [(-600, 3, "Both parliaments ratified the map.", "Official gazettes")]),
            ("Art. 2", "Grazing rights of Belucian herders on Isla Garzal.", "confidence_building", -500,
             ["Government of Taranth"],
             [(-450, 2, "Permits issued; border post hours still restrict passage.", "Herders' association")]),
            ("Art. 3", "140 boundary markers placed by the joint commission within 24 months.", "verification", -10,
             ["Government of Belucia", "Government of Taranth"],
             [(-400, 0, "Commission appointed, no fieldwork yet.", "Commission minutes"),
              (-30, 1, "38 of 140 markers placed.", "Commission progress report")]),
        ],
    )
    from apps.agreements.services import agreement_change_status

    agreement_change_status(actor=c.actor, agreement=framework, to_status="superseded", on=s.day(-700),
                            superseded_by=treaty)
    c.session(kind=TECH, title="Joint boundary commission: marker schedule", days=12, hour=9,
              tz="America/Asuncion", parties=["Government of Belucia", "Government of Taranth"],
              agenda=["Boundary line on the Rio Velado"], venue="Puerto Iturbe")
    return c


def ysmeri_fisheries(s: Seeder) -> Case:
    c = _open(s, title="Ysmeri coastal fisheries", lead=s.mediator, stage="assessment", opened_days=-25,
              summary="Small-scale fishers blockade a processing plant, accusing its trawlers of fishing inside the "
                      "municipal waters. The provincial office asked for an assessment before any dialogue.",
              dispute_types=["resources", "environment"], process_format="facilitation", track="2", risk="medium",
              root_causes=["resources", "socio_economic_inequality"])
    c.party("Ysmeri Coastal Fishers' Union")
    c.party("Aquamar Seafoods Ltd")
    c.party("Ysmeri Provincial Fisheries Office", role=CaseParty.Role.THIRD_PARTY)
    c.session(kind=CAUCUS, title="Assessment interview with the fishers' union", days=-6, hour=8,
              tz="Asia/Manila", parties=["Ysmeri Coastal Fishers' Union"], venue="Barangay hall, Punta Ysmeri",
              summary="Catch down by half in three years; members ready for talks if the blockade is not criminalised.")
    return c


def kestria_land(s: Seeder) -> Case:
    c = _open(s, title="Kestrian highland land claims", lead=s.mediator, stage="intake", opened_days=-5,
              summary="The highland peoples' assembly asks for facilitation of its land claims against the "
                      "ministry's forestry concessions. Intake: mandate and conflict-of-interest checks pending.",
              dispute_types=["human_rights", "identity", "resources"], process_format="mediation", track="1.5",
              risk="low", root_causes=["identity", "resources"])
    c.party("Kestrian Highland Peoples' Assembly")
    c.party("Ministry of Lands of Kestria")
    return c


def cyber_hotline(s: Seeder) -> Case:
    """Reached agreement and closed: a confidence-building hotline, fully implemented."""
    from apps.disputes.services import dispute_change_stage

    c = _open(s, title="Orvalia–Pelmara cyber incident hotline", lead=s.mediator, stage="implementation",
              opened_days=-500,
              summary="After an outage blamed on the other side, the two national cyber bodies agreed on a hotline "
                      "and notification rules to keep incidents from escalating.",
              dispute_types=["security"], process_format="facilitation", track="1.5", risk="low",
              root_causes=["cyber_threats"])
    c.party("National Cyber Agency of Orvalia")
    c.party("Computer Emergency Team of Pelmara")
    c.agreement(
        title="Memorandum on a cyber incident hotline", type="confidence_building",
        texts=["1. A 24-hour hotline between the two agencies.\n2. Notification of major incidents within 24 hours.\n"
               "3. A yearly joint exercise."],
        signatories=["National Cyber Agency of Orvalia", "Computer Emergency Team of Pelmara"], signed_days=-420,
        place="Vella", then=[("in_force", -420, "")],
        provisions=[
            ("1", "24-hour hotline between the agencies.", "confidence_building", -390,
             ["National Cyber Agency of Orvalia", "Computer Emergency Team of Pelmara"],
             [(-380, 3, "Hotline tested weekly.", "Test logs")]),
            ("2", "Notification of major incidents within 24 hours.", "confidence_building", -390,
             ["National Cyber Agency of Orvalia", "Computer Emergency Team of Pelmara"],
             [(-200, 3, "Two incidents notified within hours.", "Agency reports")]),
            ("3", "A yearly joint exercise.", "verification", -60,
             ["National Cyber Agency of Orvalia", "Computer Emergency Team of Pelmara"],
             [(-70, 3, "Second exercise held.", "Exercise report")]),
        ],
    )
    dispute_change_stage(actor=c.actor, dispute=c.dispute, to_stage="closed", closure_reason="agreement_reached",
                         closed_on=s.day(-50), reason="All commitments implemented; the agencies talk directly.")
    return c


def dunmaro_water(s: Seeder) -> Case:
    """Suspended: talks paused after the utility raised tariffs during the process."""
    from apps.disputes.services import dispute_change_stage

    c = _open(s, title="Dunmaro water tariff protests", lead=s.mediator, stage="negotiation", opened_days=-160,
              summary="Residents' committees protest a tariff rise; the utility says it cannot cover costs. "
                      "Facilitated talks with the municipality as observer.",
              dispute_types=["governance", "resources"], process_format="facilitation", track="2", risk="medium")
    c.party("Dunmaro Water Utility")
    c.party("Dunmaro Residents' Committees")
    c.issue("Social tariff for poor households")
    j = c.session(kind=JOINT, title="Second facilitated meeting", days=-70, hour=18, tz="Asia/Amman",
                  parties=["Dunmaro Water Utility", "Dunmaro Residents' Committees"],
                  agenda=["Social tariff for poor households"], venue="Community centre, Dunmaro",
                  summary="The utility agreed to model a social tariff.")
    c.action(j, "Utility to share the cost model with the committees", -60, owner_party="Dunmaro Water Utility",
             done=True)
    dispute_change_stage(actor=c.actor, dispute=c.dispute, to_stage="suspended",
                         reason="The utility raised tariffs by decree during the talks; the committees walked out.")
    return c


def solvana_returns(s: Seeder) -> Case:
    c = _open(s, title="Return of displaced families to Kidara district", lead=s.mediator, stage="pre_negotiation",
              opened_days=-40,
              summary="Families displaced by the northern conflict want to return before the planting season; "
                      "the Movement and the government disagree on security guarantees.",
              dispute_types=["human_rights", "security"], process_format="mediation", track="2", risk="medium",
              root_causes=["security", "climate_migration"])
    c.party("Government of Solvana")
    c.party("Northern Solvana Liberation Movement")
    c.issue("Security guarantees for returnees")
    c.session(kind=CSO, title="Listening session with displaced families", days=-8, hour=10,
              tz="Africa/Ouagadougou", parties=["Government of Solvana", "Northern Solvana Liberation Movement"],
              venue="Camp community hall", summary="Land titles and schools come before security in what families say.")
    return c


PORTFOLIO: list[Callable[[Seeder], Case]] = [
    koral_river, northern_solvana, halvoria_grazing, pelmara_port, quorana_elections, ristan_prisoners,
    belucia_border, ysmeri_fisheries, kestria_land, cyber_hotline, dunmaro_water, solvana_returns,
]
# Shared read-only with the partner organisation (sharing never includes team-only notes).
SHARED_WITH_PARTNER = "Halvoria highland grazing corridors"


def seed_portfolio(*, today: dt.date | None = None) -> list[str]:
    """Create the demo organisation's disputes that do not exist yet; returns the titles created."""
    from apps.disputes.services import case_share_grant, team_member_add

    org = Organisation.objects.get(slug="demo")
    members = {m.role: m for m in Membership.objects.filter(organisation=org).select_related("user", "organisation")}
    admin, mediator = Actor.for_membership(members["admin"]), Actor.for_membership(members["mediator"])
    seeder = Seeder(org=org, admin=admin, mediator=mediator, today=today or timezone.localdate())
    with transaction.atomic():
        seeder.ensure_cast()
    existing = set(Dispute.objects.filter(organisation=org).values_list("title", flat=True))
    for build in PORTFOLIO:
        if _TITLES[build.__name__] in existing:
            continue
        # One dispute, one transaction: a failure leaves no half-built case, and the next run retries it.
        with transaction.atomic():
            case = build(seeder)
            # A second pair of hands on the bigger cases: the admin co-mediates the mediator's disputes.
            if case.actor is mediator and case.dispute.stage in ("negotiation", "implementation"):
                team_member_add(actor=admin, dispute=case.dispute, user=admin.user, role="co_mediator",
                                starts_on=case.dispute.opened_on)
            if case.dispute.title == SHARED_WITH_PARTNER:
                case_share_grant(actor=admin, dispute=case.dispute, organisation=Organisation.objects.get(
                    slug="partner"), level=CaseShare.Level.READ)
    return seeder.created


_TITLES = {
    "koral_river": "Koral River water-sharing talks",
    "northern_solvana": "Northern Solvana peace process",
    "halvoria_grazing": "Halvoria highland grazing corridors",
    "pelmara_port": "Pelmara container port concession",
    "quorana_elections": "Quorana post-election dialogue",
    "ristan_prisoners": "Ristan prisoner exchange",
    "belucia_border": "Belucia–Taranth border demarcation",
    "ysmeri_fisheries": "Ysmeri coastal fisheries",
    "kestria_land": "Kestrian highland land claims",
    "cyber_hotline": "Orvalia–Pelmara cyber incident hotline",
    "dunmaro_water": "Dunmaro water tariff protests",
    "solvana_returns": "Return of displaced families to Kidara district",
}
