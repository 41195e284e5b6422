"""One error shape (RFC 9457) for every failure."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.api.helpers import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


@pytest.fixture
def writer(write_key, key_client) -> APIClient:
    return key_client(write_key[1])


def test_a_validation_error_names_the_field(writer):
    body = assert_problem(writer.post("/test-api/probes/", {"name": ""}, format="json"), 400)
    assert "name" in body["errors"] and body["errors"]["name"]


def test_an_unknown_field_is_a_400(writer):
    body = assert_problem(writer.post("/test-api/probes/", {"name": "A", "nmae": "typo"}, format="json"), 400)
    assert body["errors"] == {"nmae": ["Unknown field."]}
    assert body["code"] == "unknown_field"


def test_malformed_json_is_a_400(writer):
    body = assert_problem(writer.post("/test-api/probes/", b'{"name": ', content_type="application/json"), 400)
    assert "JSON" in body["detail"]


def test_a_json_list_instead_of_an_object_is_a_400(writer):
    assert_problem(writer.post("/test-api/probes/", [1, 2], format="json"), 400)


def test_another_content_type_is_a_415(writer):
    assert_problem(writer.post("/test-api/probes/", "name=A", content_type="application/x-www-form-urlencoded"), 415)


def test_an_oversized_body_is_a_413(writer):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        response = writer.post("/test-api/probes/", {"name": "A" * 2000}, format="json")
    assert_problem(response, 413, "request_too_large")


def test_an_object_out_of_reach_is_a_404(writer, other_org):
    assert_problem(writer.get(f"/test-api/probes/{other_org.pk}/"), 404, "not_found")


def test_an_unknown_api_path_is_a_404_problem(writer):
    assert_problem(writer.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_problem(writer.get("/api/v1/webhooks/abc/"), 404, "not_found")


def test_a_method_not_offered_is_a_405(writer):
    assert_problem(writer.delete("/api/v1/organisation/"), 405, "method_not_allowed")
    # The router does not route actions a resource lacks (no destroy_object on the probe).
    assert_problem(writer.delete("/test-api/probes/1/"), 405, "method_not_allowed")


def test_an_unexpected_error_is_a_500_problem_without_internals(writer, caplog):
    response = writer.get("/test-api/probes/boom/")
    body = assert_problem(response, 500, "internal_server_error")
    assert "boom" not in response.content.decode()
    assert "Unhandled API error" in caplog.text
    assert body["errors"] == {}


def test_nested_and_list_errors_keep_the_documented_shape():
    """errors is always {field: [strings]}: list positions and nested fields become a prefix."""
    from rest_framework.exceptions import ErrorDetail

    from apps.api.problems import _as_messages

    detail = {
        "languages": {1: [ErrorDetail("Not a valid choice.", code="invalid_choice")]},
        "tabled_by": {"id": [ErrorDetail("Required.", code="required")]},
        "items": [{}, {"due_on": [ErrorDetail("Bad date.", code="invalid")]}],
        "title": [ErrorDetail("Too long.", code="max_length")],
    }
    assert _as_messages(detail) == {
        "languages": ["item 2: Not a valid choice."],
        "tabled_by": ["id: Required."],
        "items": ["item 2: due_on: Bad date."],
        "title": ["Too long."],
    }
    assert _as_messages([ErrorDetail("Whole request.", code="invalid")]) == {"non_field_errors": ["Whole request."]}
