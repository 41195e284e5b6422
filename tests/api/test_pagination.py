from __future__ import annotations

import pytest

from apps.accounts.models import Membership
from tests.api.helpers import assert_problem
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_api(org, admin_membership, api):
    MembershipFactory.create_batch(11, organisation=org, role=Membership.Role.MEDIATOR)
    api.force_login(admin_membership.user)
    return api


def _walk(client, url):
    ids, pages = [], 0
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return ids, pages


@pytest.mark.parametrize(("page_size", "pages"), [(1, 12), (10, 2), (200, 1)])
def test_cursor_pages_cover_every_row_once_in_a_stable_order(member_api, page_size, pages):
    ids, seen_pages = _walk(member_api, f"/api/v1/members/?page_size={page_size}")
    assert len(ids) == 12 and ids == sorted(ids)
    assert seen_pages == pages


def test_the_default_page_size_is_50(org, member_api):
    MembershipFactory.create_batch(40, organisation=org)
    body = member_api.get("/api/v1/members/").json()
    assert len(body["results"]) == 50 and body["next"] and body["previous"] is None


@pytest.mark.parametrize("page_size", ["201", "0", "-1", "ten"])
def test_a_page_size_out_of_range_is_a_400_not_clamped(member_api, page_size):
    body = assert_problem(member_api.get(f"/api/v1/members/?page_size={page_size}"), 400)
    assert "page_size" in body["errors"]


def test_a_forged_cursor_is_a_404_problem(member_api):
    assert_problem(member_api.get("/api/v1/members/?cursor=garbage"), 404)


def test_rows_are_built_without_model_objects(member_api, django_assert_num_queries):
    # Session, user, membership; one query for the page, whatever its size; then the session is
    # renewed by this first request (savepoint, update, release; at most once a minute after that);
    # the first page of a pull also reads the sync watermark.
    with django_assert_num_queries(8):
        response = member_api.get("/api/v1/members/?page_size=200")
    row = response.json()["results"][0]
    assert set(row) == {"id", "user_id", "email", "name", "role", "joined_at"}
    assert row["joined_at"].endswith("Z")
