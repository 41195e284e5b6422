from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.api.models import OrganisationAPIKey
from apps.api.services import api_key_create, api_key_revoke
from apps.common.errors import AccessDenied
from apps.common.models import AuditEvent
from tests.api.helpers import assert_problem
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


def test_the_raw_key_is_never_stored(org, admin_membership):
    api_key, raw_key = api_key_create(
        actor=Actor.for_membership(admin_membership), organisation=org, name="ERP", scope="write"
    )
    secret = raw_key.partition(".")[2]
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM api_organisationapikey")
        rows = cur.fetchall()
    assert rows
    dump = repr(rows)
    assert raw_key not in dump and secret not in dump
    assert api_key.hashed_key.startswith("sha512$$")  # the library's fast hasher, not a password hash
    assert AuditEvent.objects.filter(action="api.api_key.created", after__prefix=api_key.prefix).exists()


def test_only_an_admin_of_the_organisation_creates_keys(org, other_org, make_actor):
    with pytest.raises(AccessDenied):
        api_key_create(actor=make_actor(org, "mediator"), organisation=org, name="x")
    with pytest.raises(AccessDenied):
        api_key_create(actor=make_actor(other_org, "admin"), organisation=org, name="x")


def test_the_command_prints_the_key_once(org, key_client):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", organisation=org.slug, name="Partner ERP", scope="write", stdout=out, stderr=err)
    raw_key = out.getvalue().strip()
    api_key = OrganisationAPIKey.objects.get(organisation=org)
    assert raw_key.startswith(api_key.prefix + ".")
    assert api_key.scope == "write" and api_key.name == "Partner ERP"
    assert raw_key not in err.getvalue()
    assert key_client(raw_key).get("/api/v1/me/").json()["scopes"] == ["read", "write"]


def test_a_revoked_key_is_a_401_problem(org, admin_membership, read_key, key_client):
    api_key, raw_key = read_key
    client = key_client(raw_key)
    assert client.get("/api/v1/organisation/").status_code == 200
    api_key_revoke(actor=Actor.for_membership(admin_membership), api_key=api_key)
    response = client.get("/api/v1/organisation/")
    assert_problem(response, 401, "invalid_api_key")
    assert response["WWW-Authenticate"] == "Api-Key"
    assert AuditEvent.objects.filter(action="api.api_key.revoked", after__prefix=api_key.prefix).exists()


def test_a_wrong_secret_with_a_real_prefix_is_a_401(read_key, key_client):
    api_key, _raw = read_key
    assert_problem(key_client(f"{api_key.prefix}.not-the-secret").get("/api/v1/me/"), 401, "invalid_api_key")
    assert_problem(key_client("garbage").get("/api/v1/me/"), 401, "invalid_api_key")


def test_an_expired_key_is_a_401(org, key_client):
    api_key, raw_key = make_api_key(org)
    OrganisationAPIKey.objects.filter(pk=api_key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    assert_problem(key_client(raw_key).get("/api/v1/me/"), 401)


def test_last_used_is_written_at_most_once_a_minute(read_key, key_client, django_assert_num_queries):
    api_key, raw_key = read_key
    client = key_client(raw_key)
    client.get("/api/v1/me/")
    first = OrganisationAPIKey.objects.get(pk=api_key.pk).last_used_at
    assert first is not None
    # Second call within the minute: one query to load the key, none to write last_used_at.
    with django_assert_num_queries(1):
        client.get("/api/v1/me/")
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).last_used_at == first
    OrganisationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me/")
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).last_used_at > first - timedelta(minutes=2)
