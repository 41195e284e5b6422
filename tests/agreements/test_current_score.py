"""Provision.current_score is the latest assessment, whoever writes the assessments and however."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.agreements.models import ImplementationAssessment, Provision
from tests.factories import ImplementationAssessmentFactory, ProvisionFactory

pytestmark = pytest.mark.django_db


def _score(provision):
    return Provision.objects.values_list("current_score", "current_assessed_on").get(pk=provision.pk)


def test_the_latest_by_date_then_by_id_is_current_even_when_recorded_out_of_order():
    provision = ProvisionFactory(agreement__signed=True)
    assert _score(provision) == (None, None)
    ImplementationAssessmentFactory(provision=provision, score=1, assessed_on=dt.date(2026, 3, 1))
    ImplementationAssessmentFactory(provision=provision, score=0, assessed_on=dt.date(2026, 2, 1))  # backdated
    assert _score(provision) == (1, dt.date(2026, 3, 1))
    ImplementationAssessmentFactory(provision=provision, score=3, assessed_on=dt.date(2026, 3, 1))  # same day, later
    assert _score(provision) == (3, dt.date(2026, 3, 1))


def test_a_bulk_insert_sets_every_provision_once():
    provisions = ProvisionFactory.create_batch(3, agreement__signed=True)
    ImplementationAssessment.objects.bulk_create([
        ImplementationAssessment(provision=p, score=s, assessed_on=dt.date(2026, 4, d))
        for p in provisions for s, d in ((2, 1), (1, 2))
    ])
    assert [_score(p)[0] for p in provisions] == [1, 1, 1]


def test_removing_the_history_clears_the_score():
    provision = ProvisionFactory(agreement__signed=True)
    ImplementationAssessmentFactory(provision=provision, score=2)
    ImplementationAssessment.objects.filter(provision=provision).delete()
    assert _score(provision) == (None, None)


def test_a_full_save_of_a_stale_provision_keeps_the_current_score():
    provision = ProvisionFactory(agreement__signed=True)
    stale = Provision.objects.get(pk=provision.pk)
    ImplementationAssessmentFactory(provision=provision, score=2)
    stale.text = "Reworded"
    stale.save()
    assert _score(provision)[0] == 2
    assert Provision.objects.get(pk=provision.pk).text == "Reworded"
