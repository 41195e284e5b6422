import datetime as dt

import pytest
from django.utils import timezone

from apps.common.errors import AccessDenied, ApplicationError, ConflictError
from apps.common.models import AuditEvent
from apps.sessions import selectors, services
from apps.sessions.models import (
    ConsentMethod,
    Disclosure,
    DisclosureConsent,
    SessionKind,
    SessionNote,
    SessionNoteParty,
    SessionNoteVersion,
    Visibility,
)
from apps.webhooks.models import WebhookDelivery
from tests.factories import CasePartyFactory, DisputeFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def _held(w, kind, parties, **kw):
    return services.session_record_held(
        actor=w.lead, dispute=w.dispute, kind=kind, title=kw.pop("title", f"{kind} session"), starts_at=w.past,
        ends_at=w.past + dt.timedelta(hours=1), time_zone="Africa/Nairobi", parties=parties, **kw,
    )


def _counts():
    return (SessionNote.objects.count(), SessionNoteVersion.objects.count(), SessionNoteParty.objects.count(),
            Disclosure.objects.count(), DisclosureConsent.objects.count(), AuditEvent.objects.count(),
            WebhookDelivery.objects.count())


@pytest.fixture
def caucus_a(w):
    return _held(w, SessionKind.CAUCUS, [w.a])


@pytest.fixture
def joint(w):
    return _held(w, SessionKind.JOINT, [w.a, w.b])


# --- notes ----------------------------------------------------------------------------------------


def test_a_caucus_note_is_team_only_by_default_and_comes_from_the_party_present(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A could accept a phased withdrawal.")
    assert note.visibility == Visibility.TEAM
    assert note.source_party == w.a
    assert note.dispute == w.dispute
    assert list(note.versions.values_list("version", "text")) == [(1, "A could accept a phased withdrawal.")]
    event = AuditEvent.objects.get(action="sessions.note.created", target_id=str(note.pk))
    assert "phased" not in str(event.after)
    assert event.after["visibility"] == "team"


def test_a_shuttle_visit_note_is_team_only_by_default(w):
    rnd = services.shuttle_round_open(actor=w.lead, dispute=w.dispute, parties=[w.a, w.b], subject_issue=w.issue)
    visit = services.shuttle_visit_record(actor=w.lead, shuttle_round=rnd, case_party=w.b, starts_at=w.past,
                                          ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC", party_replied=False)
    note = services.session_note_add(actor=w.lead, session=visit, text="B will not move on the river line.")
    assert (note.visibility, note.source_party) == (Visibility.TEAM, w.b)


def test_a_joint_session_note_is_shared_by_default(w, joint):
    note = services.session_note_add(actor=w.lead, session=joint, text="Both welcomed the ceasefire.")
    assert note.visibility == Visibility.SHARED
    assert note.source_party is None


def test_a_parties_note_names_its_parties(w, joint):
    with pytest.raises(ApplicationError, match="Name the parties"):
        services.session_note_add(actor=w.lead, session=joint, text="x", visibility=Visibility.PARTIES)
    with pytest.raises(ApplicationError, match="Name parties only"):
        services.session_note_add(actor=w.lead, session=joint, text="x", visibility=Visibility.SHARED, parties=[w.a])
    note = services.session_note_add(actor=w.lead, session=joint, text="x", visibility=Visibility.PARTIES,
                                     parties=[w.c])
    assert list(note.note_parties.values_list("case_party_id", flat=True)) == [w.c.pk]


def test_an_edit_keeps_every_previous_version_with_who_and_when(w, caucus_a):
    # The co-mediator writes, the lead corrects (only the author or the lead edit a note's text).
    note = services.session_note_add(actor=w.co, session=caucus_a, text="First draft")
    services.session_note_edit(actor=w.lead, note=note, based_on_version=1, text="Second draft")
    note.refresh_from_db()
    assert (note.text, note.version) == ("Second draft", 2)
    versions = list(note.versions.order_by("version"))
    assert [(v.version, v.text, v.written_by, v.written_by_organisation) for v in versions] == [
        (1, "First draft", w.co.user, w.co.organisation), (2, "Second draft", w.lead.user, w.lead.organisation)
    ]
    assert versions[0].written_at <= versions[1].written_at


def test_an_edit_from_a_stale_version_is_refused_and_nothing_is_overwritten(w, caucus_a):
    note = services.session_note_add(actor=w.co, session=caucus_a, text="Original")
    services.session_note_edit(actor=w.lead, note=note, based_on_version=1, text="Lead's edit")
    before = _counts()
    with pytest.raises(ConflictError) as exc:
        services.session_note_edit(actor=w.co, note=note, based_on_version=1, text="Co-mediator's edit from v1")
    assert exc.value.code == "conflict"
    assert "version 2" in str(exc.value.message)
    assert _counts() == before
    assert SessionNote.objects.get(pk=note.pk).text == "Lead's edit"


def test_visibility_may_narrow_but_never_widen(w, joint):
    note = services.session_note_add(actor=w.lead, session=joint, text="Shared at first")
    services.session_note_edit(actor=w.lead, note=note, based_on_version=1, visibility=Visibility.TEAM)
    before = _counts()
    with pytest.raises(ApplicationError, match="only be narrowed"):
        services.session_note_edit(actor=w.lead, note=note, based_on_version=2, visibility=Visibility.SHARED)
    assert _counts() == before
    assert SessionNote.objects.get(pk=note.pk).visibility == Visibility.TEAM


def test_only_the_case_team_edits_a_team_note(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="Private")
    before = _counts()
    with pytest.raises(AccessDenied):
        services.session_note_edit(actor=w.outsiders["admin_off_team"], note=note, based_on_version=1, text="x")
    with pytest.raises(AccessDenied):
        services.session_note_edit(actor=w.outsiders["contribute_share_mediator"], note=note, based_on_version=1,
                                   text="x")
    assert _counts() == before


def test_a_note_cannot_be_written_in_a_cancelled_session_or_by_a_reader(w):
    s = services.session_schedule(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="c",
                                  starts_at=w.future, ends_at=w.future + dt.timedelta(hours=1), time_zone="UTC",
                                  parties=[w.a])
    services.session_cancel(actor=w.lead, session=s)
    before = _counts()
    with pytest.raises(ApplicationError, match="cancelled"):
        services.session_note_add(actor=w.lead, session=s, text="x")
    with pytest.raises(AccessDenied):
        services.session_note_add(actor=w.outsiders["analyst"], session=s, text="x")
    assert _counts() == before


# --- disclosures ------------------------------------------------------------------------------------


def test_a_shared_note_may_be_told_to_any_party(w, joint):
    note = services.session_note_add(actor=w.lead, session=joint, text="Shared")
    d = services.disclosure_record(actor=w.lead, to_party=w.c, note=note)
    assert (d.note, d.to_party, d.note_visibility, d.disclosed_by) == (note, w.c, "shared", w.lead.user)
    assert AuditEvent.objects.filter(action="sessions.disclosure.recorded", target_id=str(d.pk)).exists()


def test_a_note_is_not_told_to_a_party_outside_the_dispute(w, joint):
    note = services.session_note_add(actor=w.lead, session=joint, text="Shared")
    foreign = CasePartyFactory(dispute=DisputeFactory(organisation=w.dispute.organisation))
    before = _counts()
    with pytest.raises(ApplicationError, match="not a party to this dispute") as exc:
        services.disclosure_record(actor=w.lead, to_party=foreign, note=note)
    assert exc.value.field == "to_party"
    assert _counts() == before


def test_a_parties_note_goes_only_to_the_named_parties(w, joint):
    note = services.session_note_add(actor=w.lead, session=joint, text="For C only", visibility=Visibility.PARTIES,
                                     parties=[w.c])
    before = _counts()
    with pytest.raises(ApplicationError, match="named on it"):
        services.disclosure_record(actor=w.lead, to_party=w.b, note=note)
    assert _counts() == before
    assert services.disclosure_record(actor=w.lead, to_party=w.c, note=note).pk


def test_a_team_note_is_not_told_without_the_source_partys_consent(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A's fallback position")
    before = _counts()
    with pytest.raises(ApplicationError, match="record Government of Northland's consent") as exc:
        services.disclosure_record(actor=w.lead, to_party=w.b, note=note)
    assert exc.value.field == "consent"
    assert _counts() == before


def test_a_team_note_is_told_under_recorded_consent_that_covers_the_party(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A's fallback position")
    consent = services.disclosure_consent_record(
        actor=w.lead, note=note, method=ConsentMethod.IN_SESSION, given_at=w.past + dt.timedelta(minutes=30),
        given_by_representative=w.rep_a, parties=[w.b], reference="caucus minutes p.2",
    )
    assert (consent.source_party, consent.given_by_representative, consent.method) == (w.a, w.rep_a, "in_session")
    before = _counts()
    with pytest.raises(ApplicationError, match="does not cover telling Eastern Council"):
        services.disclosure_record(actor=w.lead, to_party=w.c, note=note, consent=consent)
    assert _counts() == before
    d = services.disclosure_record(actor=w.lead, to_party=w.b, note=note, consent=consent)
    assert (d.consent, d.note_visibility) == (consent, "team")
    with pytest.raises(ApplicationError, match="already told"):
        services.disclosure_record(actor=w.lead, to_party=w.b, note=note, consent=consent)


def test_withdrawn_or_foreign_consent_does_not_count(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="one")
    other = services.session_note_add(actor=w.lead, session=caucus_a, text="two")
    consent = services.disclosure_consent_record(actor=w.lead, note=other, method=ConsentMethod.WRITTEN,
                                                 given_at=w.past, given_by_name="Minister A")
    with pytest.raises(ApplicationError, match="another note"):
        services.disclosure_record(actor=w.lead, to_party=w.b, note=note, consent=consent)
    services.disclosure_consent_withdraw(actor=w.lead, consent=consent)
    before = _counts()
    with pytest.raises(ApplicationError, match="withdrawn"):
        services.disclosure_record(actor=w.lead, to_party=w.b, note=other, consent=consent)
    assert _counts() == before


def test_consent_must_come_from_the_source_party(w, caucus_a):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A speaks")
    before = _counts()
    with pytest.raises(ApplicationError, match="does not represent"):
        services.disclosure_consent_record(actor=w.lead, note=note, method=ConsentMethod.PHONE, given_at=w.past,
                                           given_by_representative=w.rep_b)
    with pytest.raises(ApplicationError, match="Say who"):
        services.disclosure_consent_record(actor=w.lead, note=note, method=ConsentMethod.PHONE, given_at=w.past)
    with pytest.raises(ApplicationError, match="time zone"):
        services.disclosure_consent_record(actor=w.lead, note=note, method=ConsentMethod.PHONE,
                                           given_at=dt.datetime(2026, 1, 1, 12, 0), given_by_name="x")
    with pytest.raises(AccessDenied):
        services.disclosure_consent_record(actor=w.outsiders["admin_off_team"], note=note,
                                           method=ConsentMethod.PHONE, given_at=w.past, given_by_name="x")
    assert _counts() == before


def test_the_source_party_and_the_session_must_make_sense(w, caucus_a, joint):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A speaks", visibility=Visibility.SHARED)
    with pytest.raises(ApplicationError, match="came from this party"):
        services.disclosure_record(actor=w.lead, to_party=w.a, note=note)
    with pytest.raises(ApplicationError, match="did not take part"):
        services.disclosure_record(actor=w.lead, to_party=w.c, note=note, session=joint)
    d = services.disclosure_record(actor=w.lead, to_party=w.b, note=note, session=joint)
    assert d.session == joint


def test_a_proposal_is_disclosed_without_consent_but_not_to_its_author(w):
    p = ProposalFactory(issue=w.issue, tabled_by=w.a)
    with pytest.raises(ApplicationError, match="came from this party"):
        services.disclosure_record(actor=w.lead, to_party=w.a, proposal=p)
    d = services.disclosure_record(actor=w.lead, to_party=w.b, proposal=p)
    assert (d.proposal, d.note, d.note_visibility) == (p, None, "")


# --- carry list, what they were told, who knows ------------------------------------------------------


def test_the_carry_list_holds_what_may_be_told_and_has_not_been(w, caucus_a, joint):
    caucus_b = _held(w, SessionKind.CAUCUS, [w.b])
    a_secret = services.session_note_add(actor=w.lead, session=caucus_a, text="A secret, no consent")
    a_ok = services.session_note_add(actor=w.lead, session=caucus_a, text="A allows telling B")
    consent = services.disclosure_consent_record(actor=w.lead, note=a_ok, method=ConsentMethod.IN_SESSION,
                                                 given_at=w.past, given_by_name="A's negotiator")
    a_shared = services.session_note_add(actor=w.lead, session=caucus_a, text="A: public line",
                                         visibility=Visibility.SHARED)
    for_c = services.session_note_add(actor=w.lead, session=caucus_a, text="A: for C", visibility=Visibility.PARTIES,
                                      parties=[w.c])
    heard_in_joint = services.session_note_add(actor=w.lead, session=joint, text="said in the joint session")
    b_own = services.session_note_add(actor=w.lead, session=caucus_b, text="B's own words",
                                      visibility=Visibility.SHARED)
    told = services.session_note_add(actor=w.lead, session=caucus_a, text="already told", visibility=Visibility.SHARED)
    services.disclosure_record(actor=w.lead, to_party=w.b, note=told)
    p_a = ProposalFactory(issue=w.issue, tabled_by=w.a)
    p_b = ProposalFactory(issue=w.issue, tabled_by=w.b)
    p_joint = ProposalFactory(issue=w.issue, tabled_by=w.a, tabled_in=joint)

    carry = selectors.party_carry_list(actor=w.lead, case_party_id=w.b.pk)
    assert [n.pk for n in carry.notes] == [a_ok.pk, a_shared.pk]
    assert carry.notes[0].consent_id == consent.pk
    assert carry.notes[1].consent_id is None
    assert [p.pk for p in carry.proposals] == [p_a.pk]
    unexpected = {a_secret.pk, for_c.pk, heard_in_joint.pk, b_own.pk, told.pk}
    assert not unexpected & {n.pk for n in carry.notes}
    assert p_b.pk not in {p.pk for p in carry.proposals} and p_joint.pk not in {p.pk for p in carry.proposals}
    carry_c = selectors.party_carry_list(actor=w.lead, case_party_id=w.c.pk)
    assert {n.pk for n in carry_c.notes} >= {for_c.pk, heard_in_joint.pk, a_ok.pk}


def test_what_a_party_was_told_and_who_knows_a_note(w, caucus_a, joint):
    note = services.session_note_add(actor=w.lead, session=caucus_a, text="A's offer")
    consent = services.disclosure_consent_record(actor=w.lead, note=note, method=ConsentMethod.EMAIL,
                                                 given_at=w.past, given_by_name="A's envoy")
    d_b = services.disclosure_record(actor=w.lead, to_party=w.b, note=note, consent=consent, session=joint)
    p = ProposalFactory(issue=w.issue, tabled_by=w.a)
    d_p = services.disclosure_record(actor=w.lead, to_party=w.b, proposal=p)
    told = selectors.party_told(actor=w.lead, case_party_id=w.b.pk)
    assert [d.pk for d in told] == [d_b.pk, d_p.pk]
    assert told[0].note.text == "A's offer"
    assert told[1].proposal == p
    knowers = selectors.note_knowers(actor=w.lead, note_id=note.pk)
    assert [(k.case_party.pk, k.how) for k in knowers] == [(w.a.pk, "source"), (w.b.pk, "told")]
    assert knowers[1].disclosure.consent_id == consent.pk
    shared = services.session_note_add(actor=w.lead, session=joint, text="said at the table")
    assert [(k.case_party.pk, k.how) for k in selectors.note_knowers(actor=w.lead, note_id=shared.pk)] == [
        (w.a.pk, "present"), (w.b.pk, "present")
    ]


def test_carry_list_and_ledger_reads_run_in_a_fixed_number_of_queries(
    w, caucus_a, django_assert_max_num_queries
):
    def grow(n):
        for i in range(n):
            note = services.session_note_add(actor=w.lead, session=caucus_a, text=f"t{i}",
                                             visibility=Visibility.SHARED)
            services.disclosure_record(actor=w.lead, to_party=w.c, note=note)
            services.session_note_add(actor=w.lead, session=caucus_a, text=f"s{i}", visibility=Visibility.SHARED)

    for n in (2, 10):
        grow(n)
        # party, notes, note parties, proposals; told: disclosures, notes, note parties.
        with django_assert_max_num_queries(4):
            carry = selectors.party_carry_list(actor=w.lead, case_party_id=w.b.pk)
        assert carry.notes
        with django_assert_max_num_queries(3):
            told = selectors.party_told(actor=w.lead, case_party_id=w.c.pk)
            assert all(d.note.text for d in told)


# --- who may change a note (issue #14, DESIGN.md §3b) ----------------------------------------------------


def test_a_team_only_note_by_someone_off_the_team_is_refused_with_the_reason_and_nothing_is_written(w, caucus_a):
    before = _counts()
    for name in ("contribute_share_mediator", "api_key", "admin_off_team"):
        with pytest.raises(AccessDenied, match="case team"):
            services.session_note_add(actor=w.outsiders[name], session=caucus_a, text="x", visibility=Visibility.TEAM)
    assert _counts() == before


def test_off_the_team_a_caucus_note_defaults_to_shared_and_records_the_writers_organisation(w, caucus_a):
    contributor = w.outsiders["contribute_share_mediator"]
    note = services.session_note_add(actor=contributor, session=caucus_a, text="Seen from the partner")
    assert note.visibility == Visibility.SHARED and note.source_party == w.a
    assert note.author_organisation_label == contributor.organisation.name
    assert note.versions.get().written_by_organisation == contributor.organisation
    # The case team's own caucus note stays team-only by default.
    assert services.session_note_add(actor=w.co, session=caucus_a, text="Ours").visibility == Visibility.TEAM


def test_only_the_author_or_the_lead_changes_a_notes_text(w, joint):
    note = services.session_note_add(actor=w.co, session=joint, text="Co's words")
    with pytest.raises(AccessDenied, match="author"):
        services.session_note_edit(actor=w.outsiders["contribute_share_mediator"], note=note, based_on_version=1,
                                   text="Partner's rewrite")
    with pytest.raises(AccessDenied, match="author"):
        services.session_note_edit(actor=w.outsiders["api_key"], note=note, based_on_version=1, text="Key's rewrite")
    services.session_note_edit(actor=w.co, note=note, based_on_version=1, text="Co's words, v2")
    services.session_note_edit(actor=w.lead, note=note, based_on_version=2, text="Lead's correction")
    note.refresh_from_db()
    assert note.text == "Lead's correction"
    assert note.edited_by_label == f"{w.lead.label} ({w.lead.organisation.name})"


def test_the_source_party_is_one_present_and_fixed_once_consent_refers_to_it(w, caucus_a, joint):
    with pytest.raises(ApplicationError) as absent:
        services.session_note_add(actor=w.lead, session=caucus_a, text="x", source_party=w.b)
    assert absent.value.field == "source_party"
    note = services.session_note_add(actor=w.lead, session=joint, text="B said it", visibility=Visibility.TEAM,
                                     source_party=w.b)
    note = services.session_note_edit(actor=w.lead, note=note, based_on_version=1, source_party=w.a)
    assert note.source_party == w.a  # no consent yet: a correction is fine
    services.disclosure_consent_record(actor=w.lead, note=note, method=ConsentMethod.IN_SESSION,
                                       given_at=timezone.now(), given_by_name="A's envoy")
    before = _counts()
    with pytest.raises(ApplicationError) as fixed:
        services.session_note_edit(actor=w.lead, note=note, based_on_version=2, source_party=w.b)
    assert fixed.value.field == "source_party" and "consent" in str(fixed.value.message)
    assert _counts() == before
    assert SessionNote.objects.get(pk=note.pk).source_party_id == w.a.pk


def test_the_migration_names_the_organisation_of_versions_written_before_it(w, joint):
    import importlib

    from django.db import connection

    note = services.session_note_add(actor=w.co, session=joint, text="Before the migration")
    services.session_note_edit(actor=w.lead, note=note, based_on_version=1, text="Edited before it")
    SessionNoteVersion.objects.filter(note=note).update(written_by_organisation=None)
    SessionNote.objects.filter(pk=note.pk).update(author_organisation_label="", edited_by_label="")
    migration = importlib.import_module("apps.sessions.migrations.0005_note_versions_record_organisation")
    sql = next(op.sql for op in migration.Migration.operations if hasattr(op, "sql"))
    with connection.cursor() as cursor:
        cursor.execute(sql)
    note.refresh_from_db()
    org = w.dispute.organisation
    assert set(SessionNoteVersion.objects.filter(note=note).values_list("written_by_organisation", flat=True)) \
        == {org.pk}
    assert note.author_organisation_label == org.name
    assert note.edited_by_label == f"{w.lead.label} ({org.name})"
