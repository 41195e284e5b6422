import pytest

from apps.sessions.models import Visibility
from tests.dashboard.record_world import SECRET, build
from tests.factories import SessionNoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(org):
    return build(org)


def test_the_workspace_timeline_shows_team_notes_to_the_team_only(client, w):
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/").content.decode()
    timeline = body.split('id="timeline"')[1].split("</section>")[0]
    assert "ZEBRA-CAUCUS-7731" in timeline and "Team only" in timeline
    for user in (w.analyst, w.outsider):
        client.force_login(user)
        body = client.get(f"/disputes/{w.dispute.pk}/").content.decode()
        assert "ZEBRA-CAUCUS" not in body
        assert "Caucus with the farmers" in body


def test_the_timeline_is_paginated_with_a_cursor(client, w):
    for i in range(25):
        SessionNoteFactory(session=w.joint, visibility=Visibility.SHARED, text=f"numbered note {i:02d}")
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/timeline/").content.decode()
    assert "Older entries" in body
    cursor = body.split("?cursor=")[1].split('"')[0]
    more = client.get(f"/disputes/{w.dispute.pk}/timeline/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in more and "timeline-entry" in more
    assert client.get(f"/disputes/{w.dispute.pk}/timeline/?cursor=garbage").status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_the_timeline_page_runs_a_bounded_number_of_queries(client, w, n, django_assert_max_num_queries):
    for i in range(n):
        SessionNoteFactory(session=w.caucus, visibility=Visibility.TEAM, text=f"t{i}")
    client.force_login(w.mediator)
    client.get(f"/disputes/{w.dispute.pk}/timeline/")
    with django_assert_max_num_queries(19):
        client.get(f"/disputes/{w.dispute.pk}/timeline/")


def test_the_printable_summary_leaves_notes_out_and_has_a_print_stylesheet(client, w):
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/summary/").content.decode()
    assert "Northern grazing corridor" in body and "Caucus with the farmers" in body
    assert SECRET not in body and "Both sides want the rains" not in body
    assert 'media="print"' in body and "data-print" in body
    assert "<script>" not in body and "style=" not in body


def test_out_of_reach_timeline_and_summary_are_a_404(client, w, other_org):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert client.get(f"/disputes/{w.dispute.pk}/timeline/").status_code == 404
    assert client.get(f"/disputes/{w.dispute.pk}/summary/").status_code == 404
