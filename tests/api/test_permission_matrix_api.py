"""The permission matrix, every endpoint and method, from every side (DESIGN.md §3).

Out-of-reach objects are a 404, visible-but-not-writable a 403, and no body ever holds another
organisation's data, a restricted dispute the caller may not read, or a team note's text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from apps.agreements.services import agreement_create, agreement_link_add
from apps.common.models import AuditEvent
from tests.api.world import BETA_SECRET, PRINCIPALS, RESTRICTED_TITLE, TEAM_SECRET, World, build_world
from tests.factories import NegotiationIssueFactory

pytestmark = pytest.mark.django_db

TEAM = {"lead", "co"}
OWN_ORG_PEOPLE = {"admin", "lead", "co", "mediator_off_team", "analyst"}
KEYS = {"read_key", "write_key"}
SHARE_MEMBERS = {"read_share_member", "contribute_share_member"}
READERS = OWN_ORG_PEOPLE | KEYS | SHARE_MEMBERS


def _unauth(p: str) -> bool:
    return p in ("anonymous", "revoked_key")


def read_dispute(p: str) -> int:
    """Anything of the standard, shared dispute."""
    if _unauth(p):
        return 401
    return 200 if p in READERS else 404


def read_team(p: str) -> int:
    """A team-only note, its consent and its disclosure: the case team alone."""
    if _unauth(p):
        return 401
    return 200 if p in TEAM else 404


def read_own_org_people(p: str) -> int:
    """Shares: the owning organisation's members and keys; never the organisations shared with."""
    if _unauth(p):
        return 401
    return 200 if p in OWN_ORG_PEOPLE | KEYS else 404


def read_restricted(p: str) -> int:
    if _unauth(p):
        return 401
    return 200 if p in ("admin", "lead") else 404


def read_own_notification(p: str) -> int:
    if _unauth(p):
        return 401
    if p in KEYS:
        return 403
    return 200 if p == "lead" else 404


def read_audit(p: str) -> int:
    if _unauth(p):
        return 401
    if p in KEYS or p not in ("admin", "other_org_admin"):
        return 403
    return 200 if p == "admin" else 404


def list_ok(p: str) -> int:
    return 401 if _unauth(p) else 200


def list_people_only(p: str) -> int:
    if _unauth(p):
        return 401
    return 403 if p in KEYS else 200


def list_admins_only(p: str) -> int:
    if _unauth(p):
        return 401
    return 200 if p in ("admin", "other_org_admin") else 403


def _reads(w: World) -> list[tuple[str, Callable[[str], int]]]:
    d, a = w.dispute, w.a
    return [
        ("/api/v1/organisation/", list_ok),
        ("/api/v1/me/", list_ok),
        ("/api/v1/parties/", list_ok), (f"/api/v1/parties/{a.party_id}/", read_dispute),
        ("/api/v1/representatives/", list_ok), (f"/api/v1/representatives/{w.rep.pk}/", read_dispute),
        ("/api/v1/disputes/", list_ok), (f"/api/v1/disputes/{d.pk}/", read_dispute),
        (f"/api/v1/disputes/{w.restricted.pk}/", read_restricted),
        (f"/api/v1/disputes/{d.pk}/timeline/", read_dispute),
        (f"/api/v1/disputes/{d.pk}/current-texts/", read_dispute),
        ("/api/v1/stage-changes/", list_ok), ("/api/v1/risk-assessments/", list_ok),
        ("/api/v1/case-parties/", list_ok), (f"/api/v1/case-parties/{a.pk}/", read_dispute),
        ("/api/v1/issues/", list_ok), (f"/api/v1/issues/{w.issue.pk}/", read_dispute),
        (f"/api/v1/issues/{w.issue.pk}/thread/", read_dispute),
        ("/api/v1/positions/", list_ok),
        ("/api/v1/team-members/", list_ok),
        ("/api/v1/shares/", list_ok),
        (f"/api/v1/shares/{d.shares.first().pk}/", read_own_org_people),
        ("/api/v1/sessions/", list_ok), (f"/api/v1/sessions/{w.joint.pk}/", read_dispute),
        (f"/api/v1/sessions/{w.caucus.pk}/", read_dispute),
        ("/api/v1/notes/", list_ok), (f"/api/v1/notes/{w.shared_note.pk}/", read_dispute),
        (f"/api/v1/notes/{w.shared_note.pk}/versions/", read_dispute),
        (f"/api/v1/notes/{w.team_note.pk}/", read_team), (f"/api/v1/notes/{w.team_note.pk}/versions/", read_team),
        ("/api/v1/disclosures/", list_ok), (f"/api/v1/disclosures/{w.disclosure.pk}/", read_dispute),
        (f"/api/v1/disclosures/{w.team_disclosure.pk}/", read_team),
        ("/api/v1/consents/", list_ok), (f"/api/v1/consents/{w.consent.pk}/", read_team),
        ("/api/v1/shuttle-rounds/", list_ok), (f"/api/v1/shuttle-rounds/{w.round.pk}/", read_dispute),
        ("/api/v1/action-items/", list_ok), (f"/api/v1/action-items/{w.item.pk}/", read_dispute),
        ("/api/v1/proposals/", list_ok), (f"/api/v1/proposals/{w.proposal.pk}/", read_dispute),
        ("/api/v1/agreements/", list_ok), (f"/api/v1/agreements/{w.agreement.pk}/", read_dispute),
        (f"/api/v1/agreements/{w.agreement.pk}/diff/?from=1&to=2", read_dispute),
        ("/api/v1/agreement-versions/", list_ok), (f"/api/v1/agreement-versions/{w.v2.pk}/", read_dispute),
        ("/api/v1/signatories/", list_ok), (f"/api/v1/signatories/{w.signatory.pk}/", read_dispute),
        ("/api/v1/provisions/", list_ok), (f"/api/v1/provisions/{w.provision.pk}/", read_dispute),
        ("/api/v1/assessments/", list_ok), (f"/api/v1/assessments/{w.assessment.pk}/", read_dispute),
        ("/api/v1/rollups/", list_ok),
        (f"/api/v1/agreements/{w.agreement.pk}/links/", read_dispute),
        ("/api/v1/reminder-rules/", list_ok),
        ("/api/v1/notifications/", list_people_only),
        (f"/api/v1/notifications/{w.notification.pk}/", read_own_notification),
        ("/api/v1/audit-events/", list_admins_only),
        (f"/api/v1/audit-events/{AuditEvent.objects.filter(organisation=w.org).first().pk}/", read_audit),
    ]


def _forbidden_texts(w: World, principal: str) -> list[str]:
    texts = [TEAM_SECRET] if principal not in TEAM else []
    if principal != "other_org_admin":
        texts.append(BETA_SECRET)
    else:
        texts += ["Northland", "Southern Liberation Front", w.org.slug]
    if principal not in ("admin", "lead"):
        texts.append(RESTRICTED_TITLE)
    return texts


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_read_answers_by_reach_and_never_leaks(principal):
    w = build_world()
    client = w.client(principal)
    forbidden = _forbidden_texts(w, principal)
    failures = []
    for url, rule in _reads(w):
        response = client.get(url)
        expected = rule(principal)
        if response.status_code != expected:
            failures.append(f"{url}: {response.status_code} (expected {expected}) {response.content[:200]!r}")
        body = response.content.decode()
        failures += [f"{url}: body holds {text!r}" for text in forbidden if text in body]
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/problem+json"), url
    assert not failures, "\n".join(failures)


# --- writes ---------------------------------------------------------------------------------------------


def write_dispute(p: str) -> int:
    """Changing the standard dispute or anything in it: case team, admins, write keys, contributors."""
    if _unauth(p):
        return 401
    if p in ("admin", "lead", "co", "write_key", "contribute_share_member"):
        return 200
    return 404 if p == "other_org_admin" else 403


def write_org(p: str) -> int:
    """The organisation's own parties: its writing members and write keys."""
    if _unauth(p):
        return 401
    if p in ("admin", "lead", "co", "mediator_off_team", "write_key"):
        return 200
    return 404 if p == "other_org_admin" else 403


def write_team(p: str) -> int:
    """The case team (DESIGN.md §3b): the owning organisation's admins and the lead mediator; never a key,
    a contributor organisation or another team member."""
    if _unauth(p):
        return 401
    if p in ("admin", "lead"):
        return 200
    return 404 if p == "other_org_admin" else 403


def edit_note_text(p: str) -> int:
    """A note's text: its author (here the lead) or the lead; other writers are refused with the reason."""
    status = write_dispute(p)
    if p == "lead":
        return 200
    return 403 if status == 200 else status


def write_share(p: str) -> int:
    """Shares: the owning organisation's admins (an API key is nobody's admin)."""
    if _unauth(p):
        return 401
    if p == "admin":
        return 204
    if p in KEYS or p in OWN_ORG_PEOPLE:
        return 403
    return 404


def write_team_note(p: str) -> int:
    if _unauth(p):
        return 401
    if p in TEAM:
        return 200
    return 403 if p in ("analyst", "read_key") else 404


def edit_team_note_text(p: str) -> int:
    status = write_team_note(p)
    if p == "lead":
        return 200
    return 403 if status == 200 else status


def write_notification(p: str) -> int:
    if _unauth(p):
        return 401
    if p in KEYS:
        return 403
    return 200 if p == "lead" else 404


def write_rules(p: str) -> int:
    """The organisation's reminder rules: its admin (each organisation its own); the service refuses the rest."""
    if _unauth(p):
        return 401
    return 200 if p in ("admin", "other_org_admin") else 403


def change_confidentiality(p: str) -> int:
    """Opening up the restricted dispute: its readers who may decide (admin, lead); the rest cannot see it."""
    if _unauth(p):
        return 401
    if p in ("admin", "lead"):
        return 200
    return 403 if p in ("analyst", "read_key") else 404


def _made(rule: Callable[[str], int], status: int = 201) -> Callable[[str], int]:
    """An action on an object in the URL that creates (201) or removes (204): the object decides reach."""

    def expected(p: str) -> int:
        got = rule(p)
        return status if got == 200 else got

    return expected


def _created(rule: Callable[[str], int]) -> Callable[[str], int]:
    """A POST naming objects in its body: another organisation's caller gets a 400 naming the field
    (its ids resolve to nothing), never a silent link."""

    def expected(p: str) -> int:
        status = rule(p)
        return 201 if status == 200 else 400 if status == 404 else status

    return expected


def _writes(w: World) -> list[tuple[str, str, dict[str, Any], dict[str, str], Callable[[str], int]]]:
    d, star = w.dispute, {"HTTP_IF_MATCH": "*"}
    co_member = d.team.get(user=w.members["co"].user)
    agreed = NegotiationIssueFactory(dispute=d, title="Prisoner exchange", status="agreed")
    protocol = agreement_create(actor=w.actor("lead"), dispute=d, title="Protocol", type="implementation", text="x")
    renewal = agreement_create(actor=w.actor("lead"), dispute=d, title="Renewal", type="renewal", text="x")
    link = agreement_link_add(actor=w.actor("lead"), agreement=renewal, target=w.agreement, kind="renews")
    return [
        ("patch", f"/api/v1/disputes/{d.pk}/", {"summary": "Changed"}, star, write_dispute),
        ("post", f"/api/v1/disputes/{d.pk}/risk/", {"risk": "high"}, {}, write_dispute),
        ("post", f"/api/v1/disputes/{d.pk}/stage/", {"to_stage": "assessment"}, {}, write_dispute),
        ("patch", f"/api/v1/issues/{w.issue.pk}/", {"description": "Changed"}, {}, write_dispute),
        ("post", "/api/v1/issues/", {"dispute": d.pk, "title": "Prisoners"}, {}, _created(write_dispute)),
        ("patch", f"/api/v1/case-parties/{w.a.pk}/", {"red_lines": "No foreign troops"}, {}, write_dispute),
        ("post", "/api/v1/positions/", {"case_party": w.a.pk, "issue": w.issue.pk, "position": "River"}, {},
         _created(write_dispute)),
        ("patch", f"/api/v1/sessions/{w.joint.pk}/", {"summary": "Changed"}, {}, write_dispute),
        ("patch", f"/api/v1/notes/{w.shared_note.pk}/", {"text": "Changed"}, star, edit_note_text),
        ("post", f"/api/v1/action-items/{w.item.pk}/complete/", {}, {}, write_dispute),
        ("post", f"/api/v1/proposals/{w.proposal.pk}/consider/", {"case_party": w.b.pk}, {}, write_dispute),
        ("patch", f"/api/v1/agreements/{w.agreement.pk}/", {"summary": "Changed"}, {}, write_dispute),
        ("patch", f"/api/v1/provisions/{w.provision.pk}/", {"label": "1.1"}, {}, write_dispute),
        ("post", "/api/v1/assessments/", {"provision": w.provision.pk, "score": 2}, {}, _created(write_dispute)),
        ("post", f"/api/v1/shuttle-rounds/{w.round.pk}/conclude/", {}, {}, write_dispute),
        ("patch", f"/api/v1/parties/{w.a.party_id}/", {"aliases": ["GoN"]}, {}, write_org),
        ("patch", f"/api/v1/representatives/{w.rep.pk}/", {"title": "Envoy"}, {}, write_org),
        ("patch", f"/api/v1/team-members/{co_member.pk}/", {"role": "adviser"}, {}, write_team),
        ("delete", f"/api/v1/shares/{d.shares.first().pk}/", {}, {}, write_share),
        ("patch", f"/api/v1/notes/{w.team_note.pk}/", {"text": "Changed"}, star, edit_team_note_text),
        ("post", f"/api/v1/notifications/{w.notification.pk}/read/", {}, {}, write_notification),
        ("post", f"/api/v1/issues/{agreed.pk}/reopen/", {"reason": "New survey"}, {}, write_dispute),
        ("post", f"/api/v1/proposals/{w.counter.pk}/counter/", {"text": "Halfway", "tabled_by": w.a.pk}, {},
         _made(write_dispute)),
        ("post", f"/api/v1/provisions/{w.provision.pk}/deadline/", {"deadline": "2030-06-30"}, {}, write_dispute),
        ("post", f"/api/v1/agreements/{protocol.pk}/links/", {"target": w.agreement.pk, "kind": "implements"}, {},
         _made(write_dispute)),
        ("delete", f"/api/v1/agreements/{renewal.pk}/links/{link.pk}/", {}, {}, _made(write_dispute, 204)),
        ("post", f"/api/v1/disputes/{w.restricted.pk}/confidentiality/", {"confidentiality": "standard"}, {},
         change_confidentiality),
        ("patch", "/api/v1/reminder-rules/", {"dispute_stale_days": 45}, {}, write_rules),
    ]


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_write_answers_by_reach_and_right(principal):
    w = build_world()
    client = w.client(principal)
    failures = []
    for method, url, body, headers, rule in _writes(w):
        events = AuditEvent.objects.count()
        with transaction.atomic():
            response = getattr(client, method)(url, body, format="json", **headers)
            transaction.set_rollback(True)
        expected = rule(principal)
        if response.status_code != expected:
            failures.append(f"{method.upper()} {url}: {response.status_code} (expected {expected}) "
                            f"{response.content[:200]!r}")
        if response.status_code >= 400:
            assert AuditEvent.objects.count() == events, url  # a refusal changes nothing
        body_text = response.content.decode()
        failures += [f"{url}: body holds {t!r}" for t in _forbidden_texts(w, principal) if t in body_text]
    assert not failures, "\n".join(failures)
