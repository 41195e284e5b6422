"""Issue #16: the shuttle board agrees with itself. Each test is one contradiction the issue saw."""

import pytest

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.sessions.models import Disclosure, DisclosureConsent
from apps.sessions.shuttle_board import shuttle_board
from tests.dashboard.record_world import SECRET, build
from tests.dashboard.shuttle_world import COUNTER, NO_CONSENT_SECRET, TOLD_SECRET, build_shuttle

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def sw(w):
    return build_shuttle(w)


def _page(client, w, sw, who="mediator"):
    client.force_login(getattr(w, who))
    return client.get(f"/shuttle/{sw.round.pk}/").content.decode()


def _column(body, name):
    return body.split('<h2 id="col-')[1:][0 if name == "Riverside Farmers Union" else 1].split("</section>")[0]


def test_after_a_counter_proposal_the_move_passes_to_the_other_party(client, w, sw):
    body = _page(client, w, sw)
    header = body.split('<p class="whose-move">')[1].split("</p>")[0]
    assert "Next move: Hill Herders Council" in header
    assert "Riverside Farmers Union" not in header
    assert "2 items to carry to them" in header  # the counter-proposal and a shared note
    assert "4 days, 14 hours" not in header  # the farmers' old visit no longer sets the clock


def test_the_selector_says_whose_move_and_why(w, sw):
    actor = Actor.for_membership(Membership.objects.get(user=w.mediator))
    board = shuttle_board(actor=actor, round_id=sw.round.pk)
    farmers, herders = board.columns
    assert board.whose_move is herders and herders.turn.why == "news" and herders.turn.news == 2
    assert farmers.turn.answered_at == sw.counter.tabled_at and not farmers.turn.owes_reply


def test_nothing_new_is_never_said_beside_a_carry_list_that_holds_something(client, w, sw):
    herders = _column(_page(client, w, sw), "Hill Herders Council")
    assert COUNTER in herders.split("Carry list for")[1]
    assert "nothing new to put to them" not in herders
    farmers = _column(_page(client, w, sw), "Riverside Farmers Union")
    assert "Nothing to carry." in farmers and "nothing new to put to them" in farmers


def test_a_note_already_told_shows_told_on_and_offers_no_second_record(client, w, sw):
    farmers = _column(_page(client, w, sw), "Riverside Farmers Union")
    item = farmers.split(TOLD_SECRET)[1].split("</ul>")[0]
    assert "Told to Hill Herders Council on" in item
    assert "Record: told" not in item


def test_a_team_note_without_consent_offers_the_consent_step_not_a_button_that_fails(client, w, sw):
    farmers = _column(_page(client, w, sw), "Riverside Farmers Union")
    for secret in (NO_CONSENT_SECRET, SECRET):
        item = farmers.split(secret)[1].split("</ul>")[0]
        assert "Record: told" not in item
        assert "Not to be told to Hill Herders Council without consent." in item
        assert f"/sessions/{w.caucus.pk}/#note-" in item or "#note-" in item


def test_with_a_consent_the_team_note_offers_record_and_it_succeeds(client, w, sw):
    consent = DisclosureConsent.objects.create(dispute=w.dispute, note=sw.untold_note, source_party=w.farmers,
                                               given_by_name="Amina", given_at=sw.counter.tabled_at,
                                               method="in_session")
    farmers = _column(_page(client, w, sw), "Riverside Farmers Union")
    item = farmers.split(NO_CONSENT_SECRET)[1].split("</ul>")[0]
    assert f'name="consent" value="{consent.pk}"' in item and "Record: told Hill Herders Council" in item
    r = client.post(f"/shuttle/{sw.round.pk}/disclose/", {"to_party": w.herders.pk, "note": sw.untold_note.pk,
                                                          "consent": consent.pk}, **HX)
    assert "Recorded: Hill Herders Council was told." in r.content.decode()
    assert Disclosure.objects.filter(note=sw.untold_note, to_party=w.herders, consent=consent).count() == 1


def test_each_column_has_the_ledger_of_what_the_party_has_been_told(client, w, sw):
    herders = _column(_page(client, w, sw), "Hill Herders Council")
    ledger = herders.split("What Hill Herders Council has been told")[1].split("</ol>")[0]
    assert "KESTREL-4410" in ledger and "told on" in ledger and "with consent" in ledger
    farmers = _column(_page(client, w, sw), "Riverside Farmers Union")
    assert "Nothing recorded yet." in farmers.split("What Riverside Farmers Union has been told")[1]


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_off_the_team_the_ledger_and_offers_never_show_team_notes(client, w, sw, who):
    body = _page(client, w, sw, who)
    for secret in (SECRET, TOLD_SECRET, NO_CONSENT_SECRET):
        assert secret not in body
    assert "said in confidence" not in body and "Record: told" not in body
    assert "Next move: Hill Herders Council" in body  # the same whose-move for every reader


@pytest.mark.parametrize("extra", [0, 4])
def test_the_board_runs_a_fixed_number_of_queries(client, w, sw, extra, django_assert_num_queries):
    from tests.factories import SessionNoteFactory

    for i in range(extra):
        SessionNoteFactory(session=w.caucus, visibility="team", source_party=w.farmers, text=f"t{i}")
        SessionNoteFactory(session=w.caucus, visibility="shared", source_party=w.farmers, text=f"s{i}")
    client.force_login(w.mediator)
    client.get(f"/shuttle/{sw.round.pk}/")
    with django_assert_num_queries(26):
        assert client.get(f"/shuttle/{sw.round.pk}/").status_code == 200
