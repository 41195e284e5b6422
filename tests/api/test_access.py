"""Who may call what: keys, members, admins, and the other organisation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Membership
from tests.api.helpers import assert_problem
from tests.factories import MembershipFactory, UserFactory
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


def test_no_credentials_is_a_401_problem(api):
    response = api.get("/api/v1/organisation/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_signed_in_user_without_membership_is_a_403(api):
    api.force_login(UserFactory())
    assert_problem(api.get("/api/v1/me/"), 403, "no_membership")


def test_me_describes_a_key(org, read_key, key_client):
    api_key, raw_key = read_key
    body = key_client(raw_key).get("/api/v1/me/").json()
    assert body["kind"] == "api_key" and body["user"] is None
    # The prefix and name only: the key's stored id holds its hash (issue #15).
    assert body["api_key"] == {"prefix": api_key.prefix, "name": "reader"}
    assert api_key.pk.partition(".")[2] not in str(body) and "sha512" not in str(body)
    assert body["organisation"]["slug"] == org.slug
    assert body["role"] == "partner" and body["scopes"] == ["read"] and body["can_write"] is False


def test_me_describes_a_member(org, analyst_membership, api):
    api.force_login(analyst_membership.user)
    body = api.get("/api/v1/me/").json()
    assert body["kind"] == "user" and body["api_key"] is None
    assert body["user"]["email"] == analyst_membership.user.email
    assert body["role"] == "analyst" and body["scopes"] == ["read"] and body["can_write"] is False


@pytest.mark.urls("tests.api.urls")
def test_a_read_key_cannot_write(read_key, key_client):
    _key, raw_key = read_key
    assert_problem(key_client(raw_key).post("/test-api/probes/", {"name": "X"}, format="json"), 403, "read_only_key")


@pytest.mark.urls("tests.api.urls")
def test_a_write_key_can_write(write_key, key_client):
    _key, raw_key = write_key
    response = key_client(raw_key).post("/test-api/probes/", {"name": "Probe Org"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Probe Org" and response["ETag"]


@pytest.mark.urls("tests.api.urls")
def test_an_analyst_cannot_write_through_the_api(analyst_membership, api):
    api.force_login(analyst_membership.user)
    assert_problem(api.post("/test-api/probes/", {"name": "X"}, format="json"), 403, "read_only_role")


@pytest.mark.urls("tests.api.urls")
def test_session_writes_need_the_csrf_token(mediator_membership):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(mediator_membership.user)
    assert_problem(client.post("/test-api/probes/", {"name": "X"}, format="json"), 403)


def test_members_lists_only_the_callers_organisation(org, other_org, admin_membership, api):
    MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR)
    outsider = MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN)
    api.force_login(admin_membership.user)
    emails = {row["email"] for row in api.get("/api/v1/members/").json()["results"]}
    assert admin_membership.user.email in emails and len(emails) == 2
    assert outsider.user.email not in emails


def test_keys_of_another_organisation_never_see_this_one(org, other_org, admin_membership, key_client):
    MembershipFactory(organisation=org)
    _key, raw_key = make_api_key(other_org, scope="write")
    client = key_client(raw_key)
    assert client.get("/api/v1/organisation/").json()["slug"] == other_org.slug
    assert client.get("/api/v1/me/").json()["organisation"]["id"] == other_org.pk
    # Members are people: not available to any API key, of this organisation or another.
    assert_problem(client.get("/api/v1/members/"), 403, "no_api_keys")


def test_a_member_sees_the_organisation_chosen_in_the_session(org, other_org, api):
    user = UserFactory()
    MembershipFactory(user=user, organisation=org)
    MembershipFactory(user=user, organisation=other_org)
    api.force_login(user)
    session = api.session
    session["organisation_id"] = other_org.pk
    session.save()
    assert api.get("/api/v1/organisation/").json()["slug"] == other_org.slug
