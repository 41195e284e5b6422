"""The Django admin: every case-core model has a working changelist and change page, with search and
filters; the audit trail is read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.common.models import AuditEvent
from apps.common.services import audit_record
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    NegotiationIssueFactory,
    PartyPositionFactory,
    RepresentativeFactory,
    RiskAssessmentFactory,
    StageChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    "parties.party": lambda: RepresentativeFactory().party,
    "parties.representative": RepresentativeFactory,
    "disputes.dispute": lambda: CasePartyFactory(dispute=DisputeFactory(countries=["SD"])).dispute,
    "disputes.stagechange": StageChangeFactory,
    "disputes.riskassessment": RiskAssessmentFactory,
    "disputes.caseparty": CasePartyFactory,
    "disputes.partyposition": PartyPositionFactory,
    "disputes.negotiationissue": NegotiationIssueFactory,
    "disputes.caseteammember": CaseTeamMemberFactory,
    "disputes.caseshare": CaseShareFactory,
    "common.auditevent": lambda: audit_record(actor=None, action="disputes.dispute.opened",
                                              target=DisputeFactory(), after={"title": "x"}),
}


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("label", list(FACTORIES))
def test_the_changelist_search_filters_and_change_page_render(superuser_client, label):
    obj = FACTORIES[label]()
    app, model = label.split(".")
    changelist = reverse(f"admin:{app}_{model}_changelist")
    response = superuser_client.get(changelist)
    assert response.status_code == 200, label
    assert response.context["cl"].result_count >= 1, label
    assert superuser_client.get(changelist, {"q": "a"}).status_code == 200, label
    model_admin = response.context["cl"].model_admin
    for spec in response.context["cl"].filter_specs:
        for choice in list(spec.choices(response.context["cl"]))[1:2]:
            assert superuser_client.get(changelist + choice["query_string"]).status_code == 200, (label, spec.title)
    assert model_admin.search_fields and model_admin.list_filter, label
    change = reverse(f"admin:{app}_{model}_change", args=[obj.pk])
    assert superuser_client.get(change).status_code == 200, label


def test_the_audit_trail_cannot_be_added_changed_or_deleted_in_the_admin(superuser_client):
    event = FACTORIES["common.auditevent"]()
    assert superuser_client.get(reverse("admin:common_auditevent_add")).status_code == 403
    change = reverse("admin:common_auditevent_change", args=[event.pk])
    body = superuser_client.get(change).content.decode()
    assert 'name="_save"' not in body
    assert superuser_client.post(change, {"action": "forged"}).status_code == 403
    assert superuser_client.get(reverse("admin:common_auditevent_delete", args=[event.pk])).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "disputes.dispute.opened"


def test_the_workflow_fields_are_read_only_in_the_dispute_admin(superuser_client):
    dispute = DisputeFactory()
    body = superuser_client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()
    for name in ("stage", "reference", "closure_reason", "closed_on", "confidentiality"):
        assert f'name="{name}"' not in body, name


@pytest.mark.parametrize("label", ["disputes.caseteammember", "disputes.caseshare"])
def test_case_teams_and_shares_are_read_only_in_the_admin(superuser_client, label):
    """They decide who reads a case: they change only through the services' policy (DESIGN.md §3b)."""
    obj = FACTORIES[label]()
    app, model = label.split(".")
    assert superuser_client.get(reverse(f"admin:{app}_{model}_add")).status_code == 403
    change = reverse(f"admin:{app}_{model}_change", args=[obj.pk])
    assert 'name="_save"' not in superuser_client.get(change).content.decode()
    assert superuser_client.post(change, {"role": "lead_mediator", "level": "contribute"}).status_code == 403
    assert superuser_client.get(reverse(f"admin:{app}_{model}_delete", args=[obj.pk])).status_code == 403
    fresh = type(obj).objects.get(pk=obj.pk)
    assert (getattr(fresh, "role", None), getattr(fresh, "level", None)) == (
        getattr(obj, "role", None), getattr(obj, "level", None))


def test_the_dispute_page_in_the_admin_shows_its_team_without_a_form_to_change_it(superuser_client):
    member = CaseTeamMemberFactory()
    body = superuser_client.get(reverse("admin:disputes_dispute_change", args=[member.dispute_id])).content.decode()
    assert str(member.user) in body  # listed
    assert 'name="team-0-role"' not in body and 'name="team-0-user"' not in body  # not editable
