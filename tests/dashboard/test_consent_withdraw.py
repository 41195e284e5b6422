"""Withdrawing a party's consent to pass on a team-only note, from the session page.

The control shows beside each active consent, to those the service allows (the case team, who
may write); the POST withdraws it (when, by whom, audited), the shuttle board stops offering the
note under it, and everyone else, or another organisation's consent, changes nothing.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.common.services import audit_record
from apps.disputes.models import CaseTeamMember
from apps.sessions.models import Disclosure, DisclosureConsent, ShuttleRoundParty, Visibility
from tests.dashboard.record_world import SECRET, build
from tests.factories import (
    CasePartyFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    SessionNoteFactory,
    ShuttleRoundFactory,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
BUTTON = "Withdraw consent"
WITHDRAWN = "sessions.consent.withdrawn"


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def admin(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user


def _consent(note, *, by="Amina Farmer", days_ago=1, **kwargs):
    return DisclosureConsent.objects.create(
        dispute=note.dispute, note=note, source_party=note.source_party, given_by_name=by,
        given_at=timezone.now() - dt.timedelta(days=days_ago), method="in_session", **kwargs)


@pytest.fixture
def consent(w):
    return _consent(w.team_note)


def page(session):
    return f"/sessions/{session.pk}/"


def withdraw_url(session, consent):
    return f"/sessions/{session.pk}/consents/{consent.pk}/withdraw/"


def _on_team(w, role):
    user = MembershipFactory(organisation=w.dispute.organisation, role=role).user
    CaseTeamMemberFactory(dispute=w.dispute, user=user, role=CaseTeamMember.Role.CASE_OFFICER)
    return user


def _unchanged(consent):
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and consent.withdrawn_by is None
    assert not AuditEvent.objects.filter(action=WITHDRAWN).exists()


# --- who sees the control ------------------------------------------------------------------------------


def test_the_case_team_sees_withdraw_on_each_active_consent_only(client, w, consent):
    _consent(w.team_note, by="Old Envoy", days_ago=3, withdrawn_at=timezone.now() - dt.timedelta(days=2))
    for user in (w.mediator, _on_team(w, Membership.Role.CASE_OFFICER)):
        client.force_login(user)
        body = client.get(page(w.caucus)).content.decode()
        assert body.count(f'>{BUTTON}<') == 1, user  # the active consent; the withdrawn one has none
        assert withdraw_url(w.caucus, consent) in body
        assert 'data-confirm="Withdraw this consent?' in body  # the page's confirm step (static/js/app.js)


def test_nobody_off_the_case_team_sees_the_control_or_the_consent(client, w, consent, admin):
    analyst_on_team = _on_team(w, Membership.Role.ANALYST)  # on the team, but analysts never read team notes
    for user in (w.analyst, w.outsider, admin, analyst_on_team):
        client.force_login(user)
        body = client.get(page(w.caucus)).content.decode()
        assert BUTTON not in body and "/withdraw/" not in body and "Amina Farmer" not in body, user
        assert SECRET not in body


# --- withdrawing ---------------------------------------------------------------------------------------


def test_the_lead_withdraws_a_consent_and_the_list_says_when_and_by_whom(client, w, consent):
    client.force_login(w.mediator)
    r = client.post(withdraw_url(w.caucus, consent), follow=True)
    assert r.status_code == 200
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == w.mediator
    event = AuditEvent.objects.get(action=WITHDRAWN)
    assert event.actor == w.mediator and event.target_id == str(consent.pk)
    assert event.dispute_id == w.dispute.pk
    body = r.content.decode()
    assert "Consent withdrawn: nothing more may be passed on under it." in body
    item = body.split(f'id="consent-{consent.pk}"')[1].split("</li>")[0]
    assert "Consent withdrawn" in item and "by Mina Mediator" in item
    # In the reader's own zone, like every other time on the page (the given_at beside it, the notes' times).
    when = timezone.localtime(consent.withdrawn_at, w.mediator.tzinfo)
    assert f"withdrawn {when.day} {when:%b %Y, %H:%M} (Europe/Paris) by Mina Mediator" in item
    assert BUTTON not in item and withdraw_url(w.caucus, consent) not in body


def test_with_htmx_the_notes_part_comes_back_with_the_message(client, w, consent):
    client.force_login(w.mediator)
    r = client.post(withdraw_url(w.caucus, consent), **HX)
    body = r.content.decode()
    assert r.status_code == 200 and r["HX-Trigger"] == "peacecase-saved"
    assert 'id="notes"' in body and "Consent withdrawn: nothing more may be passed on under it." in body
    assert "by Mina Mediator" in body and BUTTON not in body
    assert DisclosureConsent.objects.get(pk=consent.pk).withdrawn_by == w.mediator


def test_a_withdrawn_consent_is_no_longer_offered_on_the_shuttle_board(client, w, consent):
    shuttle = ShuttleRoundFactory(dispute=w.dispute, subject_issue=w.issue, title="Water points round",
                                  opened_at=timezone.now() - dt.timedelta(days=2))
    ShuttleRoundParty.objects.create(shuttle_round=shuttle, case_party=w.farmers, order=0)
    ShuttleRoundParty.objects.create(shuttle_round=shuttle, case_party=w.herders, order=1)
    client.force_login(w.mediator)

    def herders_carry():
        body = client.get(f"/shuttle/{shuttle.pk}/").content.decode()
        return body.split("Carry list for Hill Herders Council")[1].split("said in confidence")[0]

    assert SECRET in herders_carry() and f'name="consent" value="{consent.pk}"' in herders_carry()
    client.post(withdraw_url(w.caucus, consent))
    assert SECRET not in herders_carry() and 'name="consent"' not in herders_carry()
    # A board left open in another tab still posts the old consent: refused, nothing recorded.
    r = client.post(f"/shuttle/{shuttle.pk}/disclose/", {"to_party": w.herders.pk, "note": w.team_note.pk,
                                                          "consent": consent.pk}, **HX)
    assert "That consent was withdrawn." in r.content.decode()
    assert not Disclosure.objects.exists()


# --- refusals ------------------------------------------------------------------------------------------


def test_callers_off_the_team_get_a_404_and_nothing_changes(client, w, consent, admin):
    for user in (w.analyst, w.outsider, admin, _on_team(w, Membership.Role.ANALYST)):
        client.force_login(user)
        assert client.post(withdraw_url(w.caucus, consent)).status_code == 404, user
        assert client.post(withdraw_url(w.caucus, consent), **HX).status_code == 404, user
    _unchanged(consent)


def test_a_get_is_not_a_withdrawal(client, w, consent):
    client.force_login(w.mediator)
    assert client.get(withdraw_url(w.caucus, consent)).status_code == 405
    _unchanged(consent)


def test_another_organisations_consent_is_out_of_reach(client, w, other_org):
    foreign = DisputeFactory(organisation=other_org, title="Beta's harbour dispute")
    session = MediationSessionFactory(dispute=foreign)
    source = CasePartyFactory(dispute=foreign)
    theirs = _consent(SessionNoteFactory(session=session, visibility=Visibility.TEAM, text="Beta's secret",
                                         source_party=source))
    client.force_login(w.mediator)
    assert client.post(withdraw_url(session, theirs)).status_code == 404
    assert client.post(withdraw_url(w.caucus, theirs)).status_code == 404  # nor through one's own session
    _unchanged(theirs)


def test_a_consent_of_another_session_is_not_withdrawn_through_this_one(client, w):
    note = SessionNoteFactory(session=w.joint, visibility=Visibility.TEAM, source_party=w.herders,
                              text="Herders' confidence")
    elsewhere = _consent(note, by="Hamid Herder")
    client.force_login(w.mediator)
    assert client.post(withdraw_url(w.caucus, elsewhere)).status_code == 404
    _unchanged(elsewhere)


def test_a_consent_already_withdrawn_is_a_form_error_and_nothing_is_written(client, w, consent):
    client.force_login(w.mediator)
    client.post(withdraw_url(w.caucus, consent))  # e.g. a second tab, or a double click
    consent.refresh_from_db()
    first = (consent.withdrawn_at, consent.withdrawn_by_id, consent.updated_at)
    r = client.post(withdraw_url(w.caucus, consent), **HX)
    body = r.content.decode()
    assert r.status_code == 200 and "HX-Trigger" not in r
    assert "Not saved:" in body and "This consent was already withdrawn." in body
    consent.refresh_from_db()
    assert (consent.withdrawn_at, consent.withdrawn_by_id, consent.updated_at) == first
    assert AuditEvent.objects.filter(action=WITHDRAWN).count() == 1
    # Without htmx the whole page comes back with the same answer.
    body = client.post(withdraw_url(w.caucus, consent)).content.decode()
    assert "This consent was already withdrawn." in body and SECRET in body


# --- queries -------------------------------------------------------------------------------------------


def test_the_session_page_does_not_grow_with_the_number_of_consents(client, w, django_assert_num_queries):
    # One consent limited to a party: the prefetch of the parties it names runs from the first one on.
    _consent(w.team_note).consent_parties.create(case_party=w.herders)
    client.force_login(w.mediator)
    client.get(page(w.caucus))  # warm the session and membership caches
    with CaptureQueriesContext(connection) as one:
        client.get(page(w.caucus))
    for i in range(5):  # active and withdrawn ones, some limited to a party, on two notes
        c = _consent(w.team_note, by=f"Envoy {i}", withdrawn_at=timezone.now() if i % 2 else None,
                     withdrawn_by=w.mediator if i % 2 else None)
        c.consent_parties.create(case_party=w.herders)
    note = SessionNoteFactory(session=w.caucus, visibility=Visibility.TEAM, source_party=w.farmers, text="More")
    for i in range(3):
        _consent(note, by=f"Delegate {i}")
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(page(w.caucus)).content.decode()
    assert body.count(f">{BUTTON}<") == 1 + 3 + 3 and body.count("by Mina Mediator") == 2


# --- consents withdrawn before withdrawn_by existed ----------------------------------------------------


def test_the_migration_names_who_withdrew_earlier_consents_from_the_audit_trail(w, consent):
    migration = importlib.import_module("apps.sessions.migrations.0004_consent_withdrawn_by")
    never = _consent(w.team_note, by="Not withdrawn")
    DisclosureConsent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    audit_record(actor=w.mediator, action=WITHDRAWN, target=consent, dispute_id=w.dispute.pk)
    migration.from_the_audit_trail(apps, None)
    consent.refresh_from_db()
    never.refresh_from_db()
    assert consent.withdrawn_by == w.mediator
    assert never.withdrawn_by is None  # an active consent names nobody
