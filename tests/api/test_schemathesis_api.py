"""Schemathesis over the whole API: generated requests against the WSGI app, as a write key of an
organisation with a seeded case. Zero server errors, zero undocumented status codes, zero
responses that break the schema. Bounded: a few examples per operation."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from peacecase.wsgi import application
from tests.factories import (
    CasePartyFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    SessionNoteFactory,
)
from tests.factories.api import make_api_key

pytestmark = [pytest.mark.django_db(transaction=False)]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def _keep_the_test_connection():
    # Called as a plain WSGI app (not through Django's test client), the handler's request signals
    # would close the test's database connection, and with it the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fast_throttle(settings):
    # Generated traffic is fast; the throttle is tested elsewhere and must not turn this into 429s only.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "api_key": "100000/min", "user": "100000/min", "anon": "100000/min"}}


def _load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves, generated in-process (no database needed at collection)."""
    generator = SchemaGenerator(patterns=None)
    raw = json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    return loaded


@pytest.fixture
def write_key_header(db):
    org = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    lead = MembershipFactory(organisation=org, role="mediator").user
    dispute = DisputeFactory(organisation=org, lead=lead)
    CasePartyFactory.create_batch(2, dispute=dispute)
    NegotiationIssueFactory(dispute=dispute)
    SessionNoteFactory(session__dispute=dispute)
    _key, raw = make_api_key(org, scope="write", name="fuzz")
    return {"Authorization": f"Api-Key {raw}"}


schema = _load_schema()


@schema.parametrize()
@settings(max_examples=3, phases=[Phase.explicit, Phase.generate], deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case, write_key_header, fast_throttle, _keep_the_test_connection):
    response = case.call(headers=write_key_header)
    case.validate_response(response, checks=CHECKS)
