"""Team-only notes reach the case team and nobody else, by every way a note can be read;
and every read of one by the team is audited (DESIGN.md §2–§3)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from apps.accounts.actors import Actor
from apps.common.models import AuditEvent
from apps.disputes.models import CaseTeamMember, Confidentiality
from apps.sessions import selectors, services
from apps.sessions.models import ConsentMethod, SessionKind, SessionNote, Visibility
from apps.sessions.reads import READ_TEAM_ACTION
from tests.factories import UserFactory
from tests.sessions.world import OUTSIDER_NAMES

pytestmark = pytest.mark.django_db

TEAM_WORDS = "TEAM-SECRET"


@dataclass
class Record:
    caucus: object
    joint: object
    team_caucus: SessionNote  # team note from A's caucus, consented for any party, told to C
    team_joint: SessionNote  # a team-only observation made in the joint session
    shared: SessionNote
    consent: object


@pytest.fixture
def rec(w):
    caucus = services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="Caucus A",
                                          starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC",
                                          parties=[w.a])
    joint = services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.JOINT, title="Joint",
                                         starts_at=w.past + dt.timedelta(hours=3),
                                         ends_at=w.past + dt.timedelta(hours=5), time_zone="UTC", parties=[w.a, w.b])
    team_caucus = services.session_note_add(actor=w.lead, session=caucus, text=f"{TEAM_WORDS}-1 A's bottom line")
    services.session_note_edit(actor=w.lead, note=team_caucus, based_on_version=1,
                               text=f"{TEAM_WORDS}-1 A's bottom line, revised")
    consent = services.disclosure_consent_record(actor=w.lead, note=team_caucus, method=ConsentMethod.IN_SESSION,
                                                 given_at=w.past + dt.timedelta(minutes=50), given_by_name="A's envoy")
    services.disclosure_record(actor=w.lead, to_party=w.c, note=team_caucus, consent=consent)
    team_joint = services.session_note_add(actor=w.lead, session=joint, text=f"{TEAM_WORDS}-2 B's envoy looked tired",
                                           visibility=Visibility.TEAM)
    shared = services.session_note_add(actor=w.lead, session=joint, text="SHARED-1 both sides welcomed the talks")
    services.disclosure_record(actor=w.lead, to_party=w.c, note=shared)
    return Record(caucus, joint, SessionNote.objects.get(pk=team_caucus.pk), team_joint, shared, consent)


def _reads(actor: Actor, w, rec) -> dict[str, list]:
    """Every way this issue lets a note be read, for one caller: name -> the objects returned."""
    timeline = selectors.dispute_timeline(actor=actor, dispute_id=w.dispute.pk, limit=200).entries
    caucus_page = selectors.session_get_for_reader(actor=actor, session_id=rec.caucus.pk)
    joint_page = selectors.session_get_for_reader(actor=actor, session_id=rec.joint.pk)
    carry_b = selectors.party_carry_list(actor=actor, case_party_id=w.b.pk)
    carry_c = selectors.party_carry_list(actor=actor, case_party_id=w.c.pk)
    return {
        "timeline notes": [e.obj for e in timeline if e.kind == "note"],
        "timeline disclosures": [e.obj.note_id for e in timeline if e.kind == "disclosure"],
        "session page (caucus)": caucus_page.notes_loaded if caucus_page else [],
        "session page (joint)": joint_page.notes_loaded if joint_page else [],
        "session notes": list(selectors.session_notes(actor=actor, dispute_id=w.dispute.pk)),
        "note detail": [n for n in [selectors.session_note_get(actor=actor, note_id=rec.team_caucus.pk),
                                    selectors.session_note_get(actor=actor, note_id=rec.team_joint.pk)] if n],
        "note versions": list(selectors.session_note_versions(actor=actor, note_id=rec.team_caucus.pk)),
        "carry list B": carry_b.notes if carry_b else [],
        "carry list C": carry_c.notes if carry_c else [],
        "told C": [d.note for d in selectors.party_told(actor=actor, case_party_id=w.c.pk) if d.note_id],
        "who knows": selectors.note_knowers(actor=actor, note_id=rec.team_caucus.pk) or [],
        "ledger": [d.note_id for d in selectors.disclosure_list(actor=actor, dispute_id=w.dispute.pk)],
        "consents": list(selectors.disclosure_consent_list(actor=actor)),
    }


def _ids(objs) -> set[int]:
    out = set()
    for o in objs:
        if isinstance(o, int):
            out.add(o)
        elif hasattr(o, "note_id") and not isinstance(o, SessionNote):
            out.add(o.note_id)
        elif hasattr(o, "pk"):
            out.add(o.pk)
    return out


@pytest.mark.parametrize("who", OUTSIDER_NAMES)
def test_a_team_note_is_never_returned_to_anyone_off_the_case_team(w, rec, who):
    actor = w.outsiders[who]
    reads = _reads(actor, w, rec)
    team_ids = {rec.team_caucus.pk, rec.team_joint.pk}
    for way, objs in reads.items():
        if way in ("who knows", "consents"):
            assert objs == [], f"{who} got something from {way}"
            continue
        assert not team_ids & _ids(objs), f"{who} got a team note from {way}"
        assert TEAM_WORDS not in " ".join(getattr(o, "text", "") for o in objs), f"{who} read team text via {way}"
    assert not AuditEvent.objects.filter(action=READ_TEAM_ACTION).exists()


@pytest.mark.parametrize("who", ["analyst", "mediator_off_team", "admin_off_team", "read_share_mediator",
                                 "contribute_share_mediator", "api_key"])
def test_those_who_may_read_the_dispute_still_read_its_shared_notes(w, rec, who):
    reads = _reads(w.outsiders[who], w, rec)
    assert rec.shared.pk in _ids(reads["timeline notes"])
    assert rec.shared.pk in _ids(reads["session page (joint)"])
    assert rec.shared.pk in _ids(reads["told C"])


def test_another_organisation_sees_nothing_at_all(w, rec):
    reads = _reads(w.outsiders["other_org_admin"], w, rec)
    assert all(objs == [] for objs in reads.values())


def test_the_case_team_reads_team_notes_everywhere(w, rec):
    for actor in (w.lead, w.co):
        reads = _reads(actor, w, rec)
        assert {rec.team_caucus.pk, rec.team_joint.pk} <= _ids(reads["timeline notes"])
        assert rec.team_caucus.pk in _ids(reads["session page (caucus)"])
        assert rec.team_joint.pk in _ids(reads["session page (joint)"])
        assert len(reads["note detail"]) == 2
        assert [v.version for v in reads["note versions"]] == [1, 2]
        assert rec.team_caucus.pk in _ids(reads["carry list B"])
        assert rec.team_caucus.pk in _ids(reads["told C"])
        assert rec.team_caucus.pk in reads["ledger"]
        assert [k.how for k in reads["who knows"]] == ["source", "told"]
        assert [c.pk for c in reads["consents"]] == [rec.consent.pk]


def _team_reads(actor: Actor) -> list[tuple[str, str]]:
    return sorted(
        (e.target_id, e.after["via"])
        for e in AuditEvent.objects.filter(action=READ_TEAM_ACTION, actor=actor.user)
    )


def test_every_read_of_a_team_note_by_the_team_is_audited(w, rec):
    t1, t2 = str(rec.team_caucus.pk), str(rec.team_joint.pk)
    lead = w.lead

    selectors.dispute_timeline(actor=lead, dispute_id=w.dispute.pk)
    assert _team_reads(lead) == sorted([(t1, "timeline"), (t2, "timeline")])

    AuditEvent.objects.filter(action=READ_TEAM_ACTION).count()
    selectors.session_get_for_reader(actor=lead, session_id=rec.caucus.pk)
    assert (t1, "session") in _team_reads(lead)

    n = len(_team_reads(lead))
    selectors.session_note_get(actor=lead, note_id=rec.team_joint.pk)
    selectors.session_note_get(actor=lead, note_id=rec.shared.pk)  # a shared note: no read event
    list(selectors.session_note_versions(actor=lead, note_id=rec.team_caucus.pk))
    selectors.party_carry_list(actor=lead, case_party_id=w.b.pk)
    selectors.party_told(actor=lead, case_party_id=w.c.pk)
    list(selectors.session_notes(actor=lead, session_id=rec.joint.pk))
    reads = _team_reads(lead)
    assert len(reads) == n + 5
    assert {(t2, "detail"), (t1, "versions"), (t1, "carry_list"), (t1, "told"), (t2, "list")} <= set(reads)
    assert str(rec.shared.pk) not in {target for target, _via in reads}

    event = AuditEvent.objects.filter(action=READ_TEAM_ACTION, target_id=t1).first()
    assert (event.organisation, event.dispute_id, event.target_type) == (
        w.dispute.organisation, w.dispute.pk, "mediation_sessions.sessionnote"
    )
    assert TEAM_WORDS not in event.target_label + str(event.after)
    # The co-mediator's reads are theirs.
    selectors.dispute_timeline(actor=w.co, dispute_id=w.dispute.pk)
    assert _team_reads(w.co) == sorted([(t1, "timeline"), (t2, "timeline")])


def test_the_reads_of_one_page_are_recorded_in_one_insert(w, rec, django_assert_num_queries):
    qs = selectors.session_notes(actor=w.lead, dispute_id=w.dispute.pk)
    # notes, their named parties, one INSERT for both team notes
    with django_assert_num_queries(3):
        notes = list(qs)
    assert len(notes) == 3
    assert AuditEvent.objects.filter(action=READ_TEAM_ACTION).count() == 2


def test_a_marked_queryset_audits_whatever_evaluates_it_and_refuses_unaudited_text(w, rec):
    qs = selectors.session_notes(actor=w.lead, dispute_id=w.dispute.pk)
    assert qs.count() == 3  # counting reads no text
    assert qs.filter(visibility=Visibility.TEAM).exists()
    assert not AuditEvent.objects.filter(action=READ_TEAM_ACTION).exists()
    assert sorted(qs.values_list("pk", flat=True)) == sorted(n.pk for n in SessionNote.objects.all())
    first = qs.filter(visibility=Visibility.TEAM).order_by("id")[:1].get()  # sliced, filtered, get()
    assert first.pk == rec.team_caucus.pk
    assert AuditEvent.objects.filter(action=READ_TEAM_ACTION).count() == 1
    list(qs.iterator())
    assert AuditEvent.objects.filter(action=READ_TEAM_ACTION).count() == 3
    with pytest.raises(TypeError, match="audited"):
        list(qs.values("pk", "text"))
    with pytest.raises(TypeError, match="audited"):
        list(qs.values_list("text", flat=True))
    with pytest.raises(TypeError, match="audited"):
        qs.aiterator()


def test_a_former_team_member_loses_access(w, rec):
    member = CaseTeamMember.objects.get(dispute=w.dispute, user=w.co.user)
    member.active = False
    member.save(update_fields=["active"])
    assert selectors.session_note_get(actor=w.co, note_id=rec.team_caucus.pk) is None
    assert rec.team_caucus.pk not in _ids(_reads(w.co, w, rec)["timeline notes"])


def test_an_analyst_with_a_stale_team_row_still_reads_no_team_note(w, rec):
    analyst = w.outsiders["analyst"]
    CaseTeamMember.objects.create(dispute=w.dispute, user=analyst.user, role="observer", starts_on=dt.date(2026, 1, 1))
    reads = _reads(analyst, w, rec)
    assert not {rec.team_caucus.pk, rec.team_joint.pk} & _ids(reads["timeline notes"] + reads["session notes"])


def test_a_read_only_api_key_reads_no_team_note(w, rec):
    key = Actor(organisation=w.dispute.organisation, role="partner", api_key_id="key-2", scopes=frozenset({"read"}))
    reads = _reads(key, w, rec)
    assert rec.shared.pk in _ids(reads["session notes"])
    assert not {rec.team_caucus.pk, rec.team_joint.pk} & _ids(reads["session notes"] + reads["timeline notes"])


def test_on_a_restricted_dispute_the_admin_off_the_team_reads_shared_notes_only(w, rec):
    w.dispute.shares.all().delete()
    w.dispute.confidentiality = Confidentiality.RESTRICTED
    w.dispute.save(update_fields=["confidentiality"])
    admin = w.outsiders["admin_off_team"]
    notes = _ids(_reads(admin, w, rec)["session notes"])
    assert notes == {rec.shared.pk}
    assert _ids(_reads(w.outsiders["mediator_off_team"], w, rec)["session notes"]) == set()
    assert _ids(_reads(w.lead, w, rec)["session notes"]) == {rec.shared.pk, rec.team_caucus.pk, rec.team_joint.pk}


def test_the_admin_site_never_lists_or_opens_a_team_note(w, rec, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)
    listing = client.get(reverse("admin:mediation_sessions_sessionnote_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f"Note #{rec.shared.pk}" in body
    assert f"Note #{rec.team_caucus.pk}" not in body and f"Note #{rec.team_joint.pk}" not in body
    page = client.get(reverse("admin:mediation_sessions_sessionnote_change", args=[rec.team_caucus.pk]))
    assert page.status_code in (302, 404)
    assert TEAM_WORDS not in page.content.decode()
    versions = client.get(reverse("admin:mediation_sessions_sessionnoteversion_changelist")).content.decode()
    assert f"Note #{rec.team_caucus.pk} v" not in versions
    shared_page = client.get(reverse("admin:mediation_sessions_sessionnote_change", args=[rec.shared.pk]))
    assert shared_page.status_code == 200
    for name in ("mediationsession", "disclosure", "disclosureconsent", "shuttleround", "actionitem"):
        response = client.get(reverse(f"admin:mediation_sessions_{name}_changelist"))
        assert response.status_code == 200
        assert TEAM_WORDS not in response.content.decode()


def test_has_team_access_answers_for_the_team_alone(w, rec):
    assert selectors.has_team_access(actor=w.lead, dispute_id=w.dispute.pk)
    assert selectors.has_team_access(actor=w.co, dispute_id=w.dispute.pk)
    for who in OUTSIDER_NAMES:
        assert not selectors.has_team_access(actor=w.outsiders[who], dispute_id=w.dispute.pk), who


def test_the_ledger_of_a_proposal_is_readable_by_those_who_read_the_dispute(w, rec):
    from tests.factories import ProposalFactory

    p = ProposalFactory(issue=w.issue, tabled_by=w.a)
    d = services.disclosure_record(actor=w.lead, to_party=w.b, proposal=p)
    for actor in (w.lead, w.outsiders["analyst"], w.outsiders["read_share_mediator"]):
        assert [x.pk for x in selectors.disclosure_list(actor=actor, proposal_id=p.pk)] == [d.pk]
    assert list(selectors.disclosure_list(actor=w.outsiders["other_org_admin"], proposal_id=p.pk)) == []
