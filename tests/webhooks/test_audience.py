"""Who hears of what (#14, #15): every organisation that may read a dispute gets its events, as a read
key of that organisation would see it, checked again when each delivery is sent. A real Celery worker,
the real broker, a real HTTP receiver on 127.0.0.1; signatures verified with the standardwebhooks library."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation
from apps.disputes.models import CaseParty, CaseShare, Confidentiality, Dispute
from apps.disputes.services import case_share_revoke, dispute_change_stage
from apps.sessions.models import MediationSession, SessionKind
from apps.sessions.services import session_note_add, session_schedule
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    MembershipFactory,
    OrganisationFactory,
    PartyFactory,
)
from tests.factories.webhooks import WebhookEndpointFactory
from tests.webhooks.helpers import wait_for

Role = Membership.Role
EVENTS = ["session.scheduled", "session.cancelled", "dispute.stage_changed"]
CAUCUS_SECRET = "ZEBRA-CAUCUS-LINE"  # said in a caucus, team-only: must never leave PeaceCase
RESTRICTED_REF = "PC-RESTRICTED-9"
FAST = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOKS_RETRY_BASE_SECONDS": 0.2}


@dataclass
class Scene:
    owner: Organisation
    partner: Organisation  # holds a read share of `dispute`
    stranger: Organisation  # no share
    admin: Actor
    lead: Actor
    dispute: Dispute
    restricted: Dispute
    party: CaseParty
    restricted_party: CaseParty
    share: CaseShare
    endpoints: dict[str, WebhookEndpoint]


def _scene(receiver) -> Scene:
    owner = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    partner = OrganisationFactory(slug="partner", name="Reading Partner")
    stranger = OrganisationFactory(slug="stranger", name="Stranger")
    admin = Actor.for_membership(MembershipFactory(organisation=owner, role=Role.ADMIN))
    lead_m = MembershipFactory(organisation=owner, role=Role.MEDIATOR)
    dispute = DisputeFactory(organisation=owner, lead=lead_m.user, reference="PC-SHARED-1")
    restricted = DisputeFactory(organisation=owner, lead=lead_m.user, reference=RESTRICTED_REF,
                                confidentiality=Confidentiality.RESTRICTED)
    share = CaseShareFactory(dispute=dispute, organisation=partner, level=CaseShare.Level.READ)
    # A share row on the restricted dispute (left from before it was restricted) must grant nothing.
    CaseShareFactory(dispute=restricted, organisation=partner, level=CaseShare.Level.READ)
    party = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=owner, name="Northland"))
    restricted_party = CasePartyFactory(dispute=restricted, party=PartyFactory(organisation=owner, name="Eastland"))
    endpoints = {
        org.slug: WebhookEndpointFactory(organisation=org, url=f"{receiver.url}?org={org.slug}", events=EVENTS)
        for org in (owner, partner, stranger)
    }
    return Scene(owner=owner, partner=partner, stranger=stranger, admin=admin, lead=Actor.for_membership(lead_m),
                 dispute=dispute, restricted=restricted, party=party, restricted_party=restricted_party,
                 share=share, endpoints=endpoints)


def _caucus(scene: Scene, dispute: Dispute, party: CaseParty) -> MediationSession:
    start = timezone.now() + dt.timedelta(days=3)
    return session_schedule(actor=scene.lead, dispute=dispute, kind=SessionKind.CAUCUS, title="Caucus",
                            starts_at=start, ends_at=start + dt.timedelta(hours=2), time_zone="Africa/Nairobi",
                            parties=[party])


def _received(receiver, endpoints: dict[str, WebhookEndpoint]) -> list[tuple[str, str, dict]]:
    """(organisation slug, event, data) per request, each verified with the endpoint's secret."""
    out = []
    for request in list(receiver.requests):
        slug = parse_qs(urlsplit(request["path"]).query)["org"][0]
        body = Webhook(endpoints[slug].secret).verify(request["body"], request["headers"])
        out.append((slug, body["type"], body["data"]))
    return out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_shared_organisation_receives_what_its_keys_may_read_and_nothing_else(receiver, celery_worker_thread):
    scene = _scene(receiver)
    caucus = _caucus(scene, scene.dispute, scene.party)
    _caucus(scene, scene.restricted, scene.restricted_party)
    session_note_add(actor=scene.lead, session=caucus, text=f"Northland said {CAUCUS_SECRET}", visibility="team")
    dispute_change_stage(actor=scene.lead, dispute=scene.dispute, to_stage="assessment")
    dispute_change_stage(actor=scene.lead, dispute=scene.restricted, to_stage="assessment")

    # Two events of the shared dispute, for its owner and its partner: four deliveries in all.
    wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 4)
    time.sleep(0.5)  # anything else would have been sent by now
    got = _received(receiver, scene.endpoints)
    assert sorted((slug, event) for slug, event, _data in got) == [
        ("alpha", "dispute.stage_changed"), ("alpha", "session.scheduled"),
        ("partner", "dispute.stage_changed"), ("partner", "session.scheduled"),
    ]
    assert {data["dispute"]["reference"] for _s, _e, data in got} == {"PC-SHARED-1"}
    partner_session = next(d for s, e, d in got if s == "partner" and e == "session.scheduled")
    assert partner_session["session"] == {
        "id": caucus.pk, "kind": "caucus", "status": "planned", "starts_at": caucus.starts_at.isoformat(),
        "ends_at": caucus.ends_at.isoformat(), "time_zone": "Africa/Nairobi", "shuttle_round": None,
    }
    raw = b"".join(r["body"] for r in receiver.requests)
    # Nothing of the restricted dispute (not even to the owner's own integrations), no team-only text,
    # and no row anywhere for the stranger.
    assert RESTRICTED_REF.encode() not in raw and CAUCUS_SECRET.encode() not in raw
    assert not WebhookDelivery.objects.filter(dispute_id=scene.restricted.pk).exists()
    assert not WebhookDelivery.objects.filter(endpoint=scene.endpoints["stranger"]).exists()
    assert CAUCUS_SECRET not in json.dumps(list(WebhookDelivery.objects.values_list("payload", flat=True)))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_share_revoked_before_sending_withholds_the_delivery(receiver, celery_worker_thread):
    scene = _scene(receiver)
    with transaction.atomic():
        # Emitted while the share was active; revoked before the worker could send it.
        session = _caucus(scene, scene.dispute, scene.party)
        case_share_revoke(actor=scene.admin, share=scene.share)
    partner_row = wait_for(lambda: WebhookDelivery.objects.filter(
        endpoint=scene.endpoints["partner"], status="withheld").first())
    wait_for(lambda: WebhookDelivery.objects.filter(endpoint=scene.endpoints["alpha"], status="delivered").exists())
    assert partner_row.attempts == 0 and partner_row.last_status_code is None
    assert partner_row.dispute_id == scene.dispute.pk

    # After the revocation the partner is not even in the audience.
    from apps.sessions.services import session_cancel

    session_cancel(actor=scene.lead, session=session, reason="Postponed by the parties")
    wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 2)
    time.sleep(0.5)
    assert [slug for slug, _e, _d in _received(receiver, scene.endpoints)] == ["alpha", "alpha"]
    assert WebhookDelivery.objects.filter(endpoint=scene.endpoints["partner"]).count() == 1


@pytest.mark.django_db
def test_a_dispute_restricted_after_the_event_is_withheld_at_send_time(receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    scene = _scene(receiver)
    with transaction.atomic():  # the enqueue is on_commit: the test sends by hand below
        _caucus(scene, scene.dispute, scene.party)
    assert WebhookDelivery.objects.filter(dispute_id=scene.dispute.pk).count() == 2
    Dispute.objects.filter(pk=scene.dispute.pk).update(confidentiality=Confidentiality.RESTRICTED)
    from apps.webhooks.services import webhook_delivery_attempt

    for delivery in WebhookDelivery.objects.all():
        assert webhook_delivery_attempt(delivery_id=delivery.pk).status == "withheld"
    assert receiver.requests == []


def test_verification_fails_with_a_wrong_secret():
    """The verifier the tests rely on does reject: a test of the test."""
    from apps.webhooks.transport import generate_secret, sign

    body = b'{"type":"webhook.ping"}'
    now = int(time.time())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now),
               "webhook-signature": sign(secret=generate_secret(), webhook_id="msg_1", timestamp=now, body=body)}
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
