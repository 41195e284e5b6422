"""The admin shows every agreements model; history (versions, assessments) is read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.agreements.models import ImplementationAssessment
from tests.factories import (
    AgreementVersionFactory,
    ImplementationAssessmentFactory,
    SignatoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = ["agreement", "agreementversion", "agreementlink", "signatory", "provision", "implementationassessment"]


@pytest.fixture
def staff_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_changelist(staff_client, model):
    version = AgreementVersionFactory()
    SignatoryFactory(agreement=version.agreement)
    ImplementationAssessmentFactory()
    response = staff_client.get(reverse(f"admin:agreements_{model}_changelist"))
    assert response.status_code == 200


def test_the_agreement_page_lists_its_versions_and_history_cannot_be_edited(staff_client):
    version = AgreementVersionFactory(change_summary="First reading")
    page = staff_client.get(reverse("admin:agreements_agreement_change", args=[version.agreement.pk]))
    assert page.status_code == 200
    assert "First reading" in page.content.decode()
    assessment = ImplementationAssessmentFactory(score=2)
    response = staff_client.post(reverse("admin:agreements_implementationassessment_change", args=[assessment.pk]),
                                 {"score": 3})
    assert response.status_code == 403
    assert ImplementationAssessment.objects.get(pk=assessment.pk).score == 2
