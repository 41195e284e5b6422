"""seed_demo: the hand-written portfolio (idempotent)."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, User
from apps.agreements.models import Agreement, AgreementVersion, Provision
from apps.agreements.selectors import agreements_visible, provisions_overdue
from apps.disputes.models import CaseShare, Dispute
from apps.disputes.selectors import disputes_visible
from apps.parties.models import Representative

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "parties", "disputes", "mediation_sessions", "negotiations", "agreements", "reminders",
               "common")


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in DOMAIN_APPS}


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-pass-123", *args, stdout=out)
    return out.getvalue()


def _actor(email: str) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(user__email=email)
    return Actor.for_membership(membership)


def test_seed_demo_builds_the_portfolio_and_a_second_run_changes_nothing():
    output = _seed()
    assert "12 disputes created" in output
    first = _counts()
    second_output = _seed()
    assert "0 disputes created" in second_output
    assert _counts() == first
    assert User.objects.get(email="mediator@demo.example").check_password("demo-pass-123")


def test_the_demo_portfolio_shows_the_practice():
    from apps.negotiations.models import Proposal
    from apps.sessions.models import ActionItem, MediationSession, SessionNote, ShuttleRound

    _seed()
    demo = Dispute.objects.filter(organisation__slug="demo")
    assert demo.count() == 12
    assert len(set(demo.values_list("stage", flat=True))) >= 7
    assert len({t for types in demo.values_list("dispute_types", flat=True) for t in types}) >= 6
    zones = set(Representative.objects.filter(party__organisation__slug="demo").values_list("time_zone", flat=True))
    assert len(zones) >= 8
    assert all(demo.filter(pk=d.pk, team__active=True).exists() for d in demo)
    # Joint sessions, caucuses with team-only notes, planned sessions ahead.
    sessions = MediationSession.objects.filter(dispute__organisation__slug="demo")
    assert sessions.filter(kind="joint_session", status="held").exists()
    assert sessions.filter(status="planned", starts_at__gt=timezone.now()).exists()
    assert SessionNote.objects.filter(session__kind="caucus", visibility="team").count() >= 3
    # An open shuttle round waiting on a party: its last visit has no reply.
    shuttle = ShuttleRound.objects.get(dispute__organisation__slug="demo", status="open")
    last_visit = shuttle.visits.order_by("-starts_at").first()
    assert last_visit.party_replied_at is None
    # Proposal threads with counter-proposals, one with a response deadline ahead.
    proposals = Proposal.objects.filter(dispute__organisation__slug="demo")
    assert proposals.filter(responds_to__isnull=False).count() >= 3
    assert proposals.filter(response_deadline__gt=timezone.now()).exists()
    # An action item overdue.
    assert ActionItem.objects.filter(dispute__organisation__slug="demo", done_at__isnull=True,
                                     due_on__lt=timezone.localdate()).exists()
    # Agreements in several statuses, with versions, and provisions at every implementation level.
    agreements = Agreement.objects.filter(organisation__slug="demo")
    assert set(agreements.values_list("status", flat=True)) >= {"drafting", "initialled", "signed", "in_force",
                                                                 "superseded"}
    assert AgreementVersion.objects.filter(agreement__organisation__slug="demo").values("agreement").annotate(
        n=Count("pk")).filter(n__gte=3).exists()
    levels = set(Provision.objects.filter(agreement__organisation__slug="demo").values_list("current_score",
                                                                                            flat=True))
    assert {0, 1, 2, 3} <= levels
    assert provisions_overdue(actor=_actor("admin@demo.example")).exists()


def test_the_restricted_and_the_shared_dispute_behave():
    _seed()
    restricted = Dispute.objects.get(organisation__slug="demo", confidentiality="restricted")
    assert not disputes_visible(actor=_actor("mediator@demo.example")).filter(pk=restricted.pk).exists()
    assert not disputes_visible(actor=_actor("analyst@demo.example")).filter(pk=restricted.pk).exists()
    assert disputes_visible(actor=_actor("admin@demo.example")).filter(pk=restricted.pk).exists()
    share = CaseShare.objects.get(dispute__organisation__slug="demo", revoked_at__isnull=True)
    assert share.level == CaseShare.Level.READ
    partner = _actor("analyst@partner.example")
    assert list(disputes_visible(actor=partner)) == [share.dispute]
    assert set(agreements_visible(actor=partner)) == set(share.dispute.agreements.all())
