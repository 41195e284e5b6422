"""The permission sweep (issue 10): every URL of the URLconf, web and API, from every caller.

For each pattern (path parameters filled with A's objects, the restricted dispute's and the team
note's wherever a resource can hold them) and each caller of DESIGN.md §3 that is not on a case
team, it sends GET, POST with a garbage body and, on API detail URLs, PATCH and DELETE — each
inside a transaction that is rolled back, so the world stays the same for the next request — and
asserts: no 5xx, no team-note text anywhere, nothing of A for B's callers, nothing of the
restricted dispute for anyone but A's admin, nothing of B for anyone of A or C.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict

import pytest
from django.db import transaction
from django.test import Client

from apps.api.throttling import ActorRateThrottle
from tests.security.urlsweep import Pattern, fill, walk
from tests.security.world import FORBIDDEN, MARKERS, RES, ROLES, STD, TEAM, World, build_world

pytestmark = pytest.mark.django_db

# A garbage body: half a JSON object for the API, nonsense fields for the web forms.
API_GARBAGE = b'{"dispute": "1 OR 1=1", "text": '
WEB_GARBAGE = {"title": "\x00<script>alert(1)</script>", "pk": "-1", "dispute": "../../", "csrfmiddlewaretoken": "x"}


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    # The sweep sends hundreds of requests a minute per caller; throttling is tested in tests/api.
    monkeypatch.setattr(ActorRateThrottle, "allow_request", lambda self, request, view: True)


def _patterns() -> list[Pattern]:
    # Nothing is skipped: the admin's URLs answer every one of these callers (none is staff) with a
    # redirect to its login, and the API's catch-all gets a path of its own.
    return list(walk())


def _methods(role: str, pattern: Pattern, path: str, *, first: bool) -> list[str]:
    if pattern.is_admin:
        # The admin refuses every non-staff caller before it reads a row or a body: GET says it all.
        return ["get"]
    if pattern.name == "api-schema":
        # Built from the code alone (no row is read), and slow: one signed-in and one anonymous fetch.
        return ["get"] if role in ("a_admin", "anonymous") else []
    if "?" in path:
        return ["get"]
    methods = ["get", "post"]
    if first and pattern.is_api and path.rstrip("/").split("/")[-1].isdigit():
        # Edits and deletes on the most sensitive object of each resource (listed first).
        methods += ["patch", "delete"]
    return methods


def _send(client: Client, method: str, pattern: Pattern, path: str):
    if method == "get":
        return client.get(path)
    if method == "post" and not pattern.is_api:
        return client.post(path, WEB_GARBAGE)
    return getattr(client, method)(path, API_GARBAGE, content_type="application/json")


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _sweep(world: World, role: str, patterns: list[Pattern], results: dict, seen: dict) -> list[str]:
    client = world.client(role)
    client.raise_request_exception = False
    failures: list[str] = []
    for pattern in patterns:
        for index, path in enumerate(fill(world, pattern)):
            forbidden = FORBIDDEN[role]
            if world.feed_token in path:  # a bearer token: its owner's reach, whoever holds it
                forbidden = FORBIDDEN["a_mediator"]
            for method in _methods(role, pattern, path, first=index == 0):
                cookies = copy.deepcopy(client.cookies)
                with transaction.atomic():
                    try:
                        response = _send(client, method, pattern, path)
                        status, body = response.status_code, _body(response)
                    except Exception as exc:  # a crash while streaming is a 500 too
                        status, body = 500, repr(exc).encode()
                    transaction.set_rollback(True)
                # Whatever the request did to the session (a sign-out, a new key) was rolled back.
                client.cookies = cookies
                results[(method.upper(), path)][role] = status
                if status >= 500:
                    failures.append(f"{role} {method.upper()} {path}: {status} {body[:300]!r}")
                for marker in MARKERS:
                    if marker.encode() in body:
                        seen[role].add(marker)
                        if marker in forbidden:
                            at = body.index(marker.encode())
                            failures.append(f"{role} {method.upper()} {path}: {status} body holds {marker}: "
                                            f"{body[max(0, at - 120):at + 80]!r}")
    return failures


def _summary(results: dict, failures: list[str]) -> str:
    bad = {line.split(" ", 3)[1] + " " + line.split(" ", 3)[2].rstrip(":") for line in failures}
    lines = [f"{len(failures)} failure(s); statuses by caller for the URLs that failed:",
             "  " + " ".join(f"{r[:10]:>10}" for r in ROLES)]
    for key in sorted(bad):
        method, path = key.split(" ", 1)
        row = results.get((method, path), {})
        lines.append(f"{method} {path}\n  " + " ".join(f"{row.get(r, '-')!s:>10}" for r in ROLES))
    return "\n".join([*lines, "", *failures[:80]])


def test_no_caller_gets_a_500_or_anything_beyond_its_reach_on_any_url():
    started = time.monotonic()
    world = build_world()
    patterns = _patterns()
    results: dict = defaultdict(dict)
    seen: dict[str, set[str]] = defaultdict(set)
    failures: list[str] = []
    for role in ROLES:
        failures += _sweep(world, role, patterns, results, seen)
    requests = sum(len(row) for row in results.values())
    print(f"\npermission sweep: {len(patterns)} patterns, {len(results)} method+URL pairs, {len(ROLES)} callers, "
          f"{requests} requests in {time.monotonic() - started:.0f}s")
    assert not failures, _summary(results, failures)
    # The markers are really rendered, so their absence above means something.
    assert {STD, RES} <= seen["a_admin"], seen["a_admin"]
    assert STD in seen["c_member"] and STD in seen["a_read_key"] and STD in seen["a_analyst"]
    assert requests > 3000


def test_the_team_sees_the_team_note_so_the_marker_search_is_meaningful():
    world = build_world()
    client = Client()
    client.force_login(world.lead.user)
    note = world.std.team_note
    assert TEAM.encode() in client.get(f"/api/v1/notes/{note.pk}/").content
    assert TEAM.encode() in client.get(f"/api/v1/notes/?dispute={world.std.dispute.pk}").content
