"""A database that cannot be reached answers 503 with Retry-After, never a 500, on every path.

The outage is simulated with ``connection.execute_wrapper``: every query the request sends fails
the way psycopg2 fails while PostgreSQL restarts (the soak run does it with a real restart).
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError, connection

from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def every_query_raises(exc: Exception):
    def refuse(execute, sql, params, many, context):
        raise exc

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def web(client, mediator_membership):
    client.force_login(mediator_membership.user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("exc", [
    OperationalError("server closed the connection unexpectedly"),
    InterfaceError("connection already closed"),
])
def test_a_page_during_an_outage_is_a_503_page(web, exc):
    with every_query_raises(exc):
        response = web.get("/")  # the session middleware fails before any view runs
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "briefly unavailable" in body
    assert "Traceback" not in body and "server closed" not in body


def test_a_form_post_during_an_outage_is_a_503_page(web, mediator_membership):
    with every_query_raises(OperationalError("could not connect to server")):
        response = web.post("/disputes/new/", {"title": "Lost?"})
    assert response.status_code == 503
    assert "submit it again" in response.content.decode()


def test_an_api_request_during_an_outage_is_a_503_problem(client, org):
    _key, raw = make_api_key(org, scope="read", name="outage")
    client.raise_request_exception = False
    with every_query_raises(OperationalError("server closed the connection unexpectedly")):
        response = client.get("/api/v1/disputes/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == 503 and body["code"] == "database_unavailable"
    assert "server closed" not in response.content.decode()


def test_an_api_request_failing_in_middleware_is_a_503_problem(client, mediator_membership):
    client.force_login(mediator_membership.user)
    client.raise_request_exception = False
    with every_query_raises(InterfaceError("connection already closed")):
        response = client.get("/api/v1/disputes/")  # fails in SessionMiddleware, outside DRF
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"


def test_another_database_error_is_still_a_500(web, client, org):
    with every_query_raises(ProgrammingError("relation does not exist")):
        page = web.get("/")
    assert page.status_code == 500
    assert "Something went wrong" in page.content.decode()
    assert "relation does not exist" not in page.content.decode()
    _key, raw = make_api_key(org, scope="read", name="bug")
    client.raise_request_exception = False
    with every_query_raises(ProgrammingError("relation does not exist")):
        response = client.get("/api/v1/disputes/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert "relation does not exist" not in response.content.decode()
