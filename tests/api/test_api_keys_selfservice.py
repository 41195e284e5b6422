"""/api/v1/api-keys/ (#15): an organisation's signed-in admins create, list, revoke and rotate its keys;
nobody else may, and keys never manage keys."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.api.models import OrganisationAPIKey
from apps.common.models import AuditEvent
from tests.api.helpers import assert_problem
from tests.factories import MembershipFactory
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


def _signed_in(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user)
    return client


@pytest.fixture
def admin_api(admin_membership) -> APIClient:
    return _signed_in(admin_membership)


def test_an_admin_creates_a_key_sees_it_once_and_it_works(org, admin_api, key_client):
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = admin_api.post("/api/v1/api-keys/", {"name": "Partner ERP", "scope": "write",
                                                     "expires_at": expires.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    raw_key = body["key"]
    assert raw_key.startswith(body["prefix"] + ".") and body["scope"] == "write" and body["revoked"] is False
    assert body["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M"))
    assert key_client(raw_key).get("/api/v1/me/").json()["scopes"] == ["read", "write"]
    # Never again: not in the list, not in the detail, not in the audit trail.
    listed = admin_api.get("/api/v1/api-keys/").json()["results"]
    detail = admin_api.get(f"/api/v1/api-keys/{body['prefix']}/").json()
    assert "key" not in listed[0] and "key" not in detail and detail["last_used_at"] is not None
    assert raw_key.partition(".")[2] not in str(list(AuditEvent.objects.values_list("after", flat=True)))


def test_bad_input_is_a_400_with_field_messages(admin_api):
    body = assert_problem(admin_api.post("/api/v1/api-keys/", {"name": "", "scope": "admin"}, format="json"), 400)
    assert set(body["errors"]) >= {"name", "scope"}
    past = (timezone.now() - timedelta(days=1)).isoformat()
    body = assert_problem(admin_api.post("/api/v1/api-keys/", {"name": "x", "expires_at": past}, format="json"), 400)
    assert list(body["errors"]) == ["expires_at"]
    assert not OrganisationAPIKey.objects.exists()


def test_revoking_stops_the_key_at_once(org, admin_api, key_client):
    api_key, raw_key = make_api_key(org, scope="read")
    assert key_client(raw_key).get("/api/v1/me/").status_code == 200
    response = admin_api.post(f"/api/v1/api-keys/{api_key.prefix}/revoke/", format="json")
    assert response.status_code == 200 and response.json()["revoked"] is True
    assert_problem(key_client(raw_key).get("/api/v1/me/"), 401)
    assert AuditEvent.objects.filter(action="api.api_key.revoked", after__prefix=api_key.prefix).exists()


def test_rotation_gives_a_new_key_and_the_old_one_works_for_the_overlap(org, admin_api, key_client):
    api_key, raw_key = make_api_key(org, scope="write", name="Sync")
    response = admin_api.post(f"/api/v1/api-keys/{api_key.prefix}/rotate/", {"overlap_hours": 1}, format="json")
    assert response.status_code == 201, response.content
    new, old = response.json()["new"], response.json()["old"]
    assert old["prefix"] == api_key.prefix and old["revoked"] is False and old["expires_at"] is not None
    assert new["name"] == "Sync" and new["scope"] == "write" and new["prefix"] != api_key.prefix
    assert key_client(new["key"]).get("/api/v1/me/").status_code == 200
    assert key_client(raw_key).get("/api/v1/me/").status_code == 200  # still, during the overlap
    api_key.refresh_from_db()
    assert timedelta(minutes=59) < api_key.expiry_date - timezone.now() <= timedelta(hours=1)
    # Without overlap the old key is revoked at once.
    response = admin_api.post(f"/api/v1/api-keys/{new['prefix']}/rotate/", {"overlap_hours": 0}, format="json")
    assert response.json()["old"]["revoked"] is True
    assert_problem(key_client(new["key"]).get("/api/v1/me/"), 401)


@pytest.mark.parametrize("role", ["mediator", "case_officer", "analyst", "partner"])
def test_members_who_are_not_admins_get_a_403(org, role):
    api_key, _raw = make_api_key(org)
    client = _signed_in(MembershipFactory(organisation=org, role=role))
    assert_problem(client.get("/api/v1/api-keys/"), 403, "admin_only")
    assert_problem(client.post("/api/v1/api-keys/", {"name": "mine"}, format="json"), 403, "admin_only")
    assert_problem(client.post(f"/api/v1/api-keys/{api_key.prefix}/revoke/", format="json"), 403, "admin_only")
    api_key.refresh_from_db()
    assert not api_key.revoked and OrganisationAPIKey.objects.count() == 1


@pytest.mark.parametrize("scope", ["read", "write"])
def test_keys_never_manage_keys(org, scope, key_client):
    api_key, raw_key = make_api_key(org, scope=scope)
    client = key_client(raw_key)
    assert_problem(client.get("/api/v1/api-keys/"), 403, "no_api_keys")
    assert_problem(client.post("/api/v1/api-keys/", {"name": "more"}, format="json"), 403, "no_api_keys")
    assert_problem(client.post(f"/api/v1/api-keys/{api_key.prefix}/rotate/", format="json"), 403, "no_api_keys")
    assert OrganisationAPIKey.objects.count() == 1


def test_another_organisations_admin_sees_nothing_and_gets_404(org, other_org):
    api_key, _raw = make_api_key(org, name="alpha-only")
    outsider = _signed_in(MembershipFactory(organisation=other_org, role="admin"))
    assert outsider.get("/api/v1/api-keys/").json()["results"] == []
    assert_problem(outsider.get(f"/api/v1/api-keys/{api_key.prefix}/"), 404)
    assert_problem(outsider.post(f"/api/v1/api-keys/{api_key.prefix}/revoke/", format="json"), 404)
    api_key.refresh_from_db()
    assert not api_key.revoked


def test_the_key_list_has_a_fixed_number_of_queries(org, admin_api, django_assert_max_num_queries):
    for n in range(6):
        make_api_key(org, name=f"k{n}")
    make_api_key(MembershipFactory(role="admin").organisation, name="someone-else")
    with django_assert_max_num_queries(8):
        rows = admin_api.get("/api/v1/api-keys/").json()["results"]
    assert len(rows) == 6 and "someone-else" not in {r["name"] for r in rows}


def test_the_revoke_command_revokes_by_prefix_in_the_named_organisation(org, other_org, key_client):
    api_key, raw_key = make_api_key(org)
    with pytest.raises(CommandError):
        call_command("revoke_api_key", api_key.prefix, organisation=other_org.slug)
    out = StringIO()
    call_command("revoke_api_key", raw_key, organisation=org.slug, stdout=out)
    assert api_key.prefix in out.getvalue() and raw_key.partition(".")[2] not in out.getvalue()
    assert_problem(key_client(raw_key).get("/api/v1/me/"), 401)
