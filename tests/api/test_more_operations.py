"""Service operations the API exposes on top of the resources: agreement links, counter-proposals,
reopening an issue, a provision's deadline, a dispute's confidentiality, the reminder rules, and
positions answering 201 when set and 200 when replaced.

Each: the happy path with its content and audit event, another organisation's object (404), a
read-only key (403), bad input (400 with field errors), and what must not appear.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.actors import Actor
from apps.agreements.models import AgreementLink
from apps.agreements.services import agreement_create, agreement_link_add
from apps.common.models import AuditEvent
from apps.disputes.models import Confidentiality, NegotiationIssue, PartyPosition
from apps.negotiations.models import Proposal
from apps.reminders.models import ReminderRules
from tests.api.helpers import assert_problem
from tests.api.world import BETA_SECRET, RESTRICTED_TITLE, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return build_world()


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- agreement links ------------------------------------------------------------------------------------


def _second_agreement(w: World, *, title: str = "Implementation protocol"):
    return agreement_create(actor=w.actor("lead"), dispute=w.dispute, title=title, type="implementation",
                            text="Article 1\nThe commission meets monthly.")


def test_a_link_is_added_listed_from_both_ends_and_removed(w):
    protocol = _second_agreement(w)
    client = w.client("admin")
    response = client.post(f"/api/v1/agreements/{protocol.pk}/links/",
                           {"target": w.agreement.pk, "kind": "implements"}, format="json")
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["from_agreement_id"] == protocol.pk
    assert link["to_agreement_id"] == w.agreement.pk
    assert link["kind"] == "implements"
    assert link["direction"] == "out"
    assert link["other_agreement_title"] == w.agreement.title
    assert _events("agreements.link.added") == 1

    seen_from_target = client.get(f"/api/v1/agreements/{w.agreement.pk}/links/").json()
    assert seen_from_target["agreement_id"] == w.agreement.pk
    assert [(x["id"], x["direction"], x["other_agreement_id"]) for x in seen_from_target["links"]] == [
        (link["id"], "in", protocol.pk)
    ]

    response = client.delete(f"/api/v1/agreements/{w.agreement.pk}/links/{link['id']}/")
    assert response.status_code == 204, response.content
    assert not AgreementLink.objects.filter(pk=link["id"]).exists()
    assert _events("agreements.link.removed") == 1
    assert client.get(f"/api/v1/agreements/{protocol.pk}/links/").json()["links"] == []


def test_links_of_another_organisation_are_out_of_reach(w):
    client = w.client("admin")
    beta_agreement = w.beta_ids["agreement"]
    assert_problem(client.get(f"/api/v1/agreements/{beta_agreement}/links/"), 404)
    assert_problem(client.post(f"/api/v1/agreements/{beta_agreement}/links/",
                               {"target": w.agreement.pk, "kind": "renews"}, format="json"), 404)
    # Beta's agreement named in the body resolves to nothing: a 400 on the field, never a silent link.
    body = assert_problem(client.post(f"/api/v1/agreements/{w.agreement.pk}/links/",
                                      {"target": beta_agreement, "kind": "renews"}, format="json"), 400)
    assert set(body["errors"]) == {"target"}
    beta_link = agreement_link_add(
        actor=Actor(organisation=w.beta, role="admin"), agreement=w.beta_dispute.agreements.first(),
        target=_beta_second_agreement(w), kind="renews",
    )
    assert_problem(client.delete(f"/api/v1/agreements/{beta_agreement}/links/{beta_link.pk}/"), 404)
    # Nor through one of Alpha's own agreements.
    assert_problem(client.delete(f"/api/v1/agreements/{w.agreement.pk}/links/{beta_link.pk}/"), 404)
    assert AgreementLink.objects.filter(pk=beta_link.pk).exists()
    assert AgreementLink.objects.filter(from_agreement__organisation=w.org).count() == 0


def _beta_second_agreement(w: World):
    beta_lead = w.beta_dispute.team.get(role="lead_mediator").user
    from apps.accounts.models import Membership

    actor = Actor.for_membership(Membership.objects.get(user=beta_lead, organisation=w.beta))
    return agreement_create(actor=actor, dispute=w.beta_dispute, title="Beta renewal", type="renewal", text="x")


def test_a_read_only_key_cannot_link_or_unlink(w):
    protocol = _second_agreement(w)
    link = agreement_link_add(actor=w.actor("lead"), agreement=protocol, target=w.agreement, kind="implements")
    client = w.client("read_key")
    assert_problem(client.post(f"/api/v1/agreements/{protocol.pk}/links/",
                               {"target": w.agreement.pk, "kind": "renews"}, format="json"), 403, "read_only_key")
    assert_problem(client.delete(f"/api/v1/agreements/{protocol.pk}/links/{link.pk}/"), 403, "read_only_key")
    # Reading is fine.
    assert [x["id"] for x in client.get(f"/api/v1/agreements/{protocol.pk}/links/").json()["links"]] == [link.pk]
    assert AgreementLink.objects.count() == 1


def test_bad_link_input_is_a_400_with_field_errors(w):
    protocol = _second_agreement(w)
    client = w.client("lead")
    url = f"/api/v1/agreements/{protocol.pk}/links/"
    body = assert_problem(client.post(url, {"target": w.agreement.pk, "kind": "renews", "note": "x"},
                                      format="json"), 400)
    assert set(body["errors"]) == {"note"}
    body = assert_problem(client.post(url, {"target": w.agreement.pk, "kind": "replaces"}, format="json"), 400)
    assert set(body["errors"]) == {"kind"}
    body = assert_problem(client.post(url, {"target": protocol.pk, "kind": "renews"}, format="json"), 400)
    assert set(body["errors"]) == {"target"}  # the service: not to itself
    body = assert_problem(client.post(url, {"target": "one", "kind": "renews"}, format="json"), 400)
    assert set(body["errors"]) == {"target"}
    assert_problem(client.delete(f"/api/v1/agreements/{protocol.pk}/links/999999/"), 404)
    assert AgreementLink.objects.count() == 0


def test_a_link_that_records_a_supersession_stays(w):
    # The service's rule, answered as a 400 problem (documented on the DELETE).
    renewal = _second_agreement(w, title="Renewed ceasefire")
    link = agreement_link_add(actor=w.actor("lead"), agreement=renewal, target=w.agreement, kind="supersedes")
    w.agreement.__class__.objects.filter(pk=w.agreement.pk).update(status="superseded")
    body = assert_problem(w.client("lead").delete(f"/api/v1/agreements/{renewal.pk}/links/{link.pk}/"), 400)
    assert "superseded" in body["errors"]["non_field_errors"][0]
    assert AgreementLink.objects.filter(pk=link.pk).exists()


def test_links_to_a_restricted_agreement_are_left_out_for_those_who_cannot_read_it(w):
    secret = agreement_create(actor=w.actor("lead"), dispute=w.restricted, title=f"Protocol {RESTRICTED_TITLE}",
                              type="implementation", text="x")
    link = agreement_link_add(actor=w.actor("lead"), agreement=secret, target=w.agreement, kind="implements")
    assert [x["id"] for x in w.client("lead").get(f"/api/v1/agreements/{w.agreement.pk}/links/").json()["links"]] \
        == [link.pk]
    for principal in ("co", "analyst", "write_key", "contribute_share_member"):
        response = w.client(principal).get(f"/api/v1/agreements/{w.agreement.pk}/links/")
        assert response.status_code == 200
        assert response.json()["links"] == [], principal
        assert RESTRICTED_TITLE not in response.content.decode()
    # Nor can it be removed from the end they can see.
    assert_problem(w.client("co").delete(f"/api/v1/agreements/{w.agreement.pk}/links/{link.pk}/"), 404)
    assert AgreementLink.objects.filter(pk=link.pk).exists()


# --- counter-proposals ------------------------------------------------------------------------------------


def test_a_counter_proposal_answers_its_parent_on_the_same_issue(w):
    response = w.client("write_key").post(
        f"/api/v1/proposals/{w.counter.pk}/counter/",
        {"text": "Line halfway between river and ridge", "tabled_by": w.a.pk, "concessions": "Grazing rights",
         "response_deadline": "2030-01-05T12:00:00+03:00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["responds_to_id"] == w.counter.pk
    assert body["issue_id"] == w.issue.pk
    assert body["tabled_by_id"] == w.a.pk
    assert body["tabled_by_name"] == w.a.party.name
    assert body["text"] == "Line halfway between river and ridge"
    assert body["status"] == "tabled"
    assert body["response_deadline"].startswith("2030-01-05T09:00:00")
    created = Proposal.objects.get(pk=body["id"])
    assert created.responds_to_id == w.counter.pk
    assert AuditEvent.objects.filter(action="negotiations.proposal.tabled", target_id=str(created.pk)).exists()


def test_a_counter_proposal_to_another_organisations_proposal_is_a_404(w):
    before = Proposal.objects.count()
    assert_problem(w.client("admin").post(f"/api/v1/proposals/{w.beta_ids['counter']}/counter/",
                                          {"text": "x", "tabled_by": w.a.pk}, format="json"), 404)
    # Beta's case party in the body: a 400 naming the field.
    body = assert_problem(w.client("admin").post(f"/api/v1/proposals/{w.counter.pk}/counter/",
                                                 {"text": "x", "tabled_by": w.beta_ids["a"]}, format="json"), 400)
    assert set(body["errors"]) == {"tabled_by"}
    assert BETA_SECRET not in str(body)
    assert Proposal.objects.count() == before


def test_a_read_only_key_cannot_counter(w):
    before = Proposal.objects.count()
    assert_problem(w.client("read_key").post(f"/api/v1/proposals/{w.counter.pk}/counter/",
                                             {"text": "x", "tabled_by": w.a.pk}, format="json"), 403)
    assert_problem(w.client("analyst").post(f"/api/v1/proposals/{w.counter.pk}/counter/",
                                            {"text": "x", "tabled_by": w.a.pk}, format="json"), 403)
    assert Proposal.objects.count() == before


def test_bad_counter_input_is_a_400_with_field_errors(w):
    client = w.client("lead")
    url = f"/api/v1/proposals/{w.counter.pk}/counter/"
    before = Proposal.objects.count()
    body = assert_problem(client.post(url, {"text": "x", "tabled_by": w.a.pk, "issue": w.issue.pk}, format="json"),
                          400)
    assert set(body["errors"]) == {"issue"}  # always the parent's issue
    body = assert_problem(client.post(url, {"text": "x", "tabled_by": w.a.pk,
                                            "response_deadline": "2030-01-05T12:00:00"}, format="json"), 400)
    assert set(body["errors"]) == {"response_deadline"}  # a naive time is refused, not guessed
    body = assert_problem(client.post(url, {"text": "x"}, format="json"), 400)
    assert set(body["errors"]) == {"tabled_by"}  # the service: a party, or bridging
    body = assert_problem(client.post(url, {"tabled_by": w.a.pk}, format="json"), 400)
    assert set(body["errors"]) == {"text"}
    assert Proposal.objects.count() == before


# --- reopening an issue ----------------------------------------------------------------------------------


def test_an_agreed_issue_is_reopened_with_a_reason(w):
    NegotiationIssue.objects.filter(pk=w.issue.pk).update(status=NegotiationIssue.Status.AGREED)
    response = w.client("co").post(f"/api/v1/issues/{w.issue.pk}/reopen/",
                                   {"reason": "The survey moved the river"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert response.json()["id"] == w.issue.pk
    event = AuditEvent.objects.get(action="negotiations.issue.reopened")
    assert event.after["reason"] == "The survey moved the river"


def test_reopening_is_refused_out_of_reach_for_readers_and_on_bad_input(w):
    NegotiationIssue.objects.filter(pk__in=[w.issue.pk, w.beta_ids["issue"]]).update(status="agreed")
    assert_problem(w.client("admin").post(f"/api/v1/issues/{w.beta_ids['issue']}/reopen/", {"reason": "x"},
                                          format="json"), 404)
    assert_problem(w.client("read_key").post(f"/api/v1/issues/{w.issue.pk}/reopen/", {"reason": "x"},
                                             format="json"), 403)
    # Visible but not writable: the service's 403 (a mediator off the case team).
    assert_problem(w.client("mediator_off_team").post(f"/api/v1/issues/{w.issue.pk}/reopen/", {"reason": "x"},
                                                      format="json"), 403)
    body = assert_problem(w.client("lead").post(f"/api/v1/issues/{w.issue.pk}/reopen/", {}, format="json"), 400)
    assert set(body["errors"]) == {"reason"}
    body = assert_problem(w.client("lead").post(f"/api/v1/issues/{w.issue.pk}/reopen/", {"reason": "   "},
                                                format="json"), 400)
    assert set(body["errors"]) == {"reason"}
    assert set(NegotiationIssue.objects.filter(pk__in=[w.issue.pk, w.beta_ids["issue"]])
               .values_list("status", flat=True)) == {"agreed"}
    NegotiationIssue.objects.filter(pk=w.issue.pk).update(status="open")
    body = assert_problem(w.client("lead").post(f"/api/v1/issues/{w.issue.pk}/reopen/", {"reason": "x"},
                                                format="json"), 400)
    assert set(body["errors"]) == {"status"}
    assert _events("negotiations.issue.reopened") == 0


# --- a provision's deadline --------------------------------------------------------------------------------


def test_a_provisions_deadline_is_set_moved_and_cleared(w):
    client = w.client("write_key")
    url = f"/api/v1/provisions/{w.provision.pk}/deadline/"
    response = client.post(url, {"deadline": "2030-06-30"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deadline"] == "2030-06-30"
    assert body["is_overdue"] is False
    assert body["responsible_party_ids"] == sorted([w.a.party_id, w.b.party_id])
    w.provision.refresh_from_db()
    assert w.provision.deadline == dt.date(2030, 6, 30)
    event = AuditEvent.objects.filter(action="agreements.provision.updated").latest("id")
    assert event.after == {"deadline": "2030-06-30"}
    response = client.post(url, {"deadline": None}, format="json")
    assert response.status_code == 200
    assert response.json()["deadline"] is None


def test_a_provisions_deadline_is_refused_out_of_reach_for_readers_and_on_bad_input(w):
    old = w.provision.deadline
    assert_problem(w.client("admin").post(f"/api/v1/provisions/{w.beta_ids['provision']}/deadline/",
                                          {"deadline": "2030-06-30"}, format="json"), 404)
    url = f"/api/v1/provisions/{w.provision.pk}/deadline/"
    assert_problem(w.client("read_key").post(url, {"deadline": "2030-06-30"}, format="json"), 403)
    assert_problem(w.client("read_share_member").post(url, {"deadline": "2030-06-30"}, format="json"), 403)
    client = w.client("lead")
    body = assert_problem(client.post(url, {"deadline": "2030-06-30", "reason": "x"}, format="json"), 400)
    assert set(body["errors"]) == {"reason"}
    body = assert_problem(client.post(url, {"deadline": "30/06/2030"}, format="json"), 400)
    assert set(body["errors"]) == {"deadline"}
    body = assert_problem(client.post(url, {}, format="json"), 400)
    assert set(body["errors"]) == {"deadline"}
    # The service: not before the agreement was signed.
    body = assert_problem(client.post(url, {"deadline": "2001-01-01"}, format="json"), 400)
    assert set(body["errors"]) == {"deadline"}
    w.provision.refresh_from_db()
    assert w.provision.deadline == old


# --- a dispute's confidentiality ---------------------------------------------------------------------------


def test_an_admin_opens_up_a_restricted_dispute_and_restricts_it_again(w):
    client = w.client("admin")
    url = f"/api/v1/disputes/{w.restricted.pk}/confidentiality/"
    response = client.post(url, {"confidentiality": "standard", "reason": "The parties agreed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["confidentiality"] == "standard"
    assert response.json()["reference"] == w.restricted.reference
    event = AuditEvent.objects.get(action="disputes.dispute.unrestricted")
    assert event.after == {"confidentiality": "standard", "reason": "The parties agreed"}
    # Now every member of the organisation reads it.
    assert w.client("co").get(f"/api/v1/disputes/{w.restricted.pk}/").status_code == 200
    response = client.post(url, {"confidentiality": "restricted"}, format="json")
    assert response.status_code == 200
    assert response.json()["confidentiality"] == "restricted"
    assert w.client("co").get(f"/api/v1/disputes/{w.restricted.pk}/").status_code == 404


def test_who_may_change_confidentiality_is_the_services_rule(w):
    # A standard dispute: writers may write it, but only an admin or the lead changes who reads it.
    url = f"/api/v1/disputes/{w.dispute.pk}/confidentiality/"
    for principal in ("co", "write_key", "contribute_share_member"):
        body = assert_problem(w.client(principal).post(url, {"confidentiality": "restricted"}, format="json"),
                              403, "forbidden")
        assert set(body["errors"]) <= {"confidentiality"}
    assert_problem(w.client("read_key").post(url, {"confidentiality": "restricted"}, format="json"), 403,
                   "read_only_key")
    # The lead may, but a shared dispute cannot be restricted: a 400 on the field.
    body = assert_problem(w.client("lead").post(url, {"confidentiality": "restricted"}, format="json"), 400)
    assert set(body["errors"]) == {"confidentiality"}
    w.dispute.refresh_from_db()
    assert w.dispute.confidentiality == Confidentiality.STANDARD
    assert _events("disputes.dispute.restricted") == 0


def test_confidentiality_out_of_reach_and_bad_input(w):
    assert_problem(w.client("admin").post(f"/api/v1/disputes/{w.beta_dispute.pk}/confidentiality/",
                                          {"confidentiality": "restricted"}, format="json"), 404)
    # A restricted dispute is out of reach for those who cannot read it: 404, and its title stays hidden.
    response = w.client("co").post(f"/api/v1/disputes/{w.restricted.pk}/confidentiality/",
                                   {"confidentiality": "standard"}, format="json")
    assert_problem(response, 404)
    assert RESTRICTED_TITLE not in response.content.decode()
    url = f"/api/v1/disputes/{w.restricted.pk}/confidentiality/"
    body = assert_problem(w.client("admin").post(url, {"confidentiality": "standard", "why": "x"}, format="json"),
                          400)
    assert set(body["errors"]) == {"why"}
    body = assert_problem(w.client("admin").post(url, {"confidentiality": "secret"}, format="json"), 400)
    assert set(body["errors"]) == {"confidentiality"}
    w.restricted.refresh_from_db()
    assert w.restricted.confidentiality == Confidentiality.RESTRICTED


# --- reminder rules ------------------------------------------------------------------------------------------


def test_every_caller_reads_the_rules_and_an_admin_changes_them(w):
    response = w.client("read_key").get("/api/v1/reminder-rules/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_default"] is True
    assert body["session_upcoming_hours"] == [24, 1]
    assert body["dispute_stale_days"] == 30
    assert not ReminderRules.objects.exists()  # reading never writes

    response = w.client("admin").patch("/api/v1/reminder-rules/",
                                       {"dispute_stale_days": 45, "session_upcoming_hours": [48, 2]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_default"] is False
    assert body["dispute_stale_days"] == 45
    assert body["session_upcoming_hours"] == [48, 2]
    assert body["shuttle_follow_up_hours"] == 48
    event = AuditEvent.objects.get(action="reminders.rules.updated")
    assert event.organisation_id == w.org.pk
    assert w.client("analyst").get("/api/v1/reminder-rules/").json()["dispute_stale_days"] == 45
    # Another organisation's rules are its own.
    other = w.client("other_org_admin").get("/api/v1/reminder-rules/").json()
    assert other["dispute_stale_days"] == 30
    assert other["is_default"] is True


def test_only_an_admin_changes_the_rules(w):
    assert_problem(w.client("read_key").patch("/api/v1/reminder-rules/", {"dispute_stale_days": 5},
                                              format="json"), 403, "read_only_key")
    assert_problem(w.client("analyst").patch("/api/v1/reminder-rules/", {"dispute_stale_days": 5},
                                             format="json"), 403)
    for principal in ("write_key", "lead", "mediator_off_team"):
        assert_problem(w.client(principal).patch("/api/v1/reminder-rules/", {"dispute_stale_days": 5},
                                                 format="json"), 403, "forbidden")
    assert_problem(w.client("anonymous").get("/api/v1/reminder-rules/"), 401)
    assert not ReminderRules.objects.exists()
    assert _events("reminders.rules.updated") == 0


def test_bad_rules_are_a_400_with_field_errors(w):
    client = w.client("admin")
    body = assert_problem(client.patch("/api/v1/reminder-rules/", {"shuttle_hours": 3}, format="json"), 400)
    assert set(body["errors"]) == {"shuttle_hours"}
    body = assert_problem(client.patch("/api/v1/reminder-rules/",
                                       {"session_upcoming_hours": [0, 24, 1, 2, 3], "provision_days_before": -1,
                                        "quiet_hours_start": "late", "dispute_stale_days": 2**40}, format="json"), 400)
    assert set(body["errors"]) == {"session_upcoming_hours", "provision_days_before", "quiet_hours_start",
                                   "dispute_stale_days"}
    # Flat messages per field (the problem shape), not one per list index.
    assert all(isinstance(m, str) for m in body["errors"]["session_upcoming_hours"])
    # Quiet hours are wall-clock times in each recipient's zone: an offset is refused, not stored.
    body = assert_problem(client.patch("/api/v1/reminder-rules/", {"quiet_hours_end": "06:00:00Z"}, format="json"),
                          400)
    assert set(body["errors"]) == {"quiet_hours_end"}
    # PUT replaces the whole set: every field is required.
    body = assert_problem(client.put("/api/v1/reminder-rules/", {"dispute_stale_days": 10}, format="json"), 400)
    assert "session_upcoming_hours" in body["errors"]
    assert "dispute_stale_days" not in body["errors"]
    assert not ReminderRules.objects.exists()
    full = {"session_upcoming_hours": [], "shuttle_follow_up_hours": 24, "proposal_response_hours_before": 12,
            "action_item_days_before": 1, "provision_days_before": 14, "dispute_stale_days": 60,
            "quiet_hours_enabled": True, "quiet_hours_start": "22:00:00", "quiet_hours_end": "06:30:00"}
    response = client.put("/api/v1/reminder-rules/", full, format="json")
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in full} == full


# --- positions: set (201) or replaced (200) -------------------------------------------------------------


def test_a_position_is_created_with_201_and_replaced_with_200(w):
    client = w.client("co")
    body = {"case_party": w.a.pk, "issue": w.issue.pk, "position": "The river", "interests": "Water access"}
    first = client.post("/api/v1/positions/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["position"] == "The river"
    second = client.post("/api/v1/positions/", {**body, "position": "The ridge"}, format="json")
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["position"] == "The ridge"
    assert second.json()["party_name"] == w.a.party.name
    assert PartyPosition.objects.filter(case_party=w.a, issue=w.issue).count() == 1
    assert _events("disputes.position.set") == 2
    # The same body again changes nothing and says so with a 200.
    assert client.post("/api/v1/positions/", {**body, "position": "The ridge"}, format="json").status_code == 200
    assert _events("disputes.position.set") == 2


def test_positions_have_no_delete_and_refuse_readers_and_other_organisations(w):
    PartyPosition.objects.create(case_party=w.a, issue=w.issue, position="The river")
    position = PartyPosition.objects.get()
    # No service deletes a position, so the API has no DELETE.
    assert_problem(w.client("admin").delete(f"/api/v1/positions/{position.pk}/"), 405)
    assert_problem(w.client("read_key").post("/api/v1/positions/",
                                             {"case_party": w.a.pk, "issue": w.issue.pk, "position": "x"},
                                             format="json"), 403)
    body = assert_problem(w.client("admin").post(
        "/api/v1/positions/", {"case_party": w.beta_ids["a"], "issue": w.beta_ids["issue"], "position": "x"},
        format="json"), 400)
    assert set(body["errors"]) == {"case_party", "issue"}
    body = assert_problem(w.client("admin").post("/api/v1/positions/",
                                                 {"case_party": w.a.pk, "issue": w.issue.pk, "stance": "x"},
                                                 format="json"), 400)
    assert set(body["errors"]) == {"stance"}
    position.refresh_from_db()
    assert position.position == "The river"


def test_the_links_of_an_agreement_are_read_in_a_fixed_number_of_queries(w, django_assert_num_queries):
    client = w.client("lead")
    url = f"/api/v1/agreements/{w.agreement.pk}/links/"
    first = _second_agreement(w, title="First protocol")
    agreement_link_add(actor=w.actor("lead"), agreement=first, target=w.agreement, kind="implements")
    client.get(url)  # warm the session and the key caches
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["links"]) == 1
    assert len(one.captured_queries) <= 16  # the session and membership, then agreement_detail's 8
    for n in range(4):
        other = _second_agreement(w, title=f"Protocol {n}")
        agreement_link_add(actor=w.actor("lead"), agreement=other, target=w.agreement, kind="implements")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(url).json()["links"]) == 5


def test_setting_todays_confidentiality_still_needs_the_right_to_change_it(w):
    """A write key may write the standard dispute but not decide its confidentiality: asking for
    the level it already has is a 403 too, not a silent 200."""
    url = f"/api/v1/disputes/{w.dispute.pk}/confidentiality/"
    for principal in ("co", "write_key", "contribute_share_member"):
        assert_problem(w.client(principal).post(url, {"confidentiality": "standard"}, format="json"), 403, "forbidden")
    assert w.client("lead").post(url, {"confidentiality": "standard"}, format="json").status_code == 200
