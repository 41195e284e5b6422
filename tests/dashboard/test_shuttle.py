import datetime as dt

import pytest
from django.utils import timezone

from apps.sessions.models import Disclosure, DisclosureConsent, MediationSession, ShuttleRoundParty, Visibility
from tests.dashboard.record_world import SECRET, build
from tests.factories import SessionNoteFactory, ShuttleRoundFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def shuttle(w):
    r = ShuttleRoundFactory(dispute=w.dispute, subject_issue=w.issue, title="Water points round",
                            opened_at=timezone.now() - dt.timedelta(days=2))
    ShuttleRoundParty.objects.create(shuttle_round=r, case_party=w.farmers, order=0)
    ShuttleRoundParty.objects.create(shuttle_round=r, case_party=w.herders, order=1)
    return r


def board(r):
    return f"/shuttle/{r.pk}/"


def test_the_board_shows_parties_as_columns_whose_move_and_the_team_side(client, w, shuttle):
    client.force_login(w.mediator)
    body = client.get(board(shuttle)).content.decode()
    assert "Riverside Farmers Union" in body and "Hill Herders Council" in body
    assert "Next move: Riverside Farmers Union" in body and "waiting for 2" in body
    team_side = body.split("What Riverside Farmers Union said in confidence")[1].split("</section>")[0]
    assert SECRET in team_side
    # The herders' carry list has the shared note, never the team-only one.
    carry = body.split("Carry list for Hill Herders Council")[1].split("What Hill Herders Council said")[0]
    assert "Both sides want the rains season respected" in carry
    assert SECRET not in carry


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_the_team_side_is_absent_for_anyone_off_the_team(client, w, shuttle, who):
    client.force_login(getattr(w, who))
    body = client.get(board(shuttle)).content.decode()
    assert "Riverside Farmers Union" in body
    assert SECRET not in body and "said in confidence" not in body


def test_recording_a_disclosure_of_a_shared_note_takes_one_click(client, w, shuttle):
    client.force_login(w.mediator)
    r = client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk, "note": w.shared_note.pk}, **HX)
    assert "Recorded: Hill Herders Council was told." in r.content.decode()
    assert Disclosure.objects.filter(note=w.shared_note, to_party=w.herders).count() == 1
    carry = r.content.decode().split("Carry list for Hill Herders Council")[1].split("has been told")[0]
    assert "Both sides want the rains season respected" not in carry
    ledger = r.content.decode().split("What Hill Herders Council has been told")[1].split("</ol>")[0]
    assert "Both sides want the rains season respected" in ledger and "told on" in ledger


def test_a_team_only_note_without_consent_is_refused_with_the_services_message(client, w, shuttle):
    client.force_login(w.mediator)
    r = client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk, "note": w.team_note.pk}, **HX)
    body = r.content.decode()
    assert "This note is team-only: record Riverside Farmers Union" in body and "consent before passing it on" in body
    assert Disclosure.objects.count() == 0


def test_with_consent_the_team_note_enters_the_carry_list_and_can_be_recorded(client, w, shuttle):
    consent = DisclosureConsent.objects.create(dispute=w.dispute, note=w.team_note, source_party=w.farmers,
                                               given_by_name="Amina", given_at=timezone.now(), method="in_session")
    client.force_login(w.mediator)
    body = client.get(board(shuttle)).content.decode()
    carry = body.split("Carry list for Hill Herders Council")[1].split("said in confidence")[0]
    assert SECRET in carry and "with consent" in carry
    r = client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk, "note": w.team_note.pk,
                                                    "consent": consent.pk}, **HX)
    assert r.status_code == 200
    assert Disclosure.objects.get(note=w.team_note).consent == consent


def test_an_analyst_cannot_record_a_disclosure(client, w, shuttle):
    client.force_login(w.analyst)
    r = client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk, "note": w.shared_note.pk})
    assert r.status_code == 403
    # A team note is not even reachable for them: a 404.
    r = client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk, "note": w.team_note.pk})
    assert r.status_code == 404
    assert Disclosure.objects.count() == 0


def test_rounds_out_of_reach_are_a_404(client, w, shuttle, other_org):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert client.get(board(shuttle)).status_code == 404
    assert client.post(board(shuttle) + "disclose/", {"to_party": w.herders.pk,
                                                       "note": w.shared_note.pk}).status_code == 404


def test_opening_a_round_and_recording_a_visit(client, w):
    client.force_login(w.mediator)
    r = client.post(f"/disputes/{w.dispute.pk}/shuttle/", {"subject_issue": w.issue.pk, "title": "Round two",
                                                           "parties": [w.farmers.pk, w.herders.pk]})
    assert r.status_code == 302
    round_url = r["Location"]
    past = timezone.now() - dt.timedelta(hours=3)
    r = client.post(round_url + "visits/", {"case_party": w.herders.pk, "day": past.date().isoformat(),
                                            "start": past.strftime("%H:%M"), "duration": "60", "time_zone": "UTC",
                                            "held": "on"}, **HX)
    assert "Visit recorded." in r.content.decode()
    assert MediationSession.objects.filter(kind="shuttle_visit", status="held").count() == 1


@pytest.mark.parametrize("extra", [0, 5])
def test_the_board_runs_a_fixed_number_of_queries(client, w, shuttle, extra, django_assert_num_queries):
    for i in range(extra):
        SessionNoteFactory(session=w.caucus, visibility=Visibility.TEAM, source_party=w.farmers, text=f"t{i}")
        SessionNoteFactory(session=w.caucus, visibility=Visibility.SHARED, source_party=w.farmers, text=f"s{i}")
    client.force_login(w.mediator)
    client.get(board(shuttle))
    with django_assert_num_queries(22):
        assert client.get(board(shuttle)).status_code == 200
