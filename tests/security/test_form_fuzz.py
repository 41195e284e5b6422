"""Bad input (issue 10): a fuzz pass over every HTML form the app serves.

The forms are found, not listed: every web URL of the URLconf is fetched (path parameters filled
from the security world) as A's lead mediator (on the case team), as A's admin and anonymously,
and each ``<form method="post">`` is parsed with html.parser into its action and fields (inputs,
hidden inputs, checkboxes, selects, textareas, the CSRF token). Each form is then posted, with the
CSRF check on, in two passes:

- rounds: every field hostile at once, each field taking 20 different hostile values over the rounds;
- one field at a time: the others plausible, the field taking the script, the NUL, an overlong string
  and the values for its kind (dates, datetimes, zones, numbers and ids of B's objects for a select).

Fields with a known crash (test_known_crashes.KNOWN_CRASHES, each an xfail test) stay plausible.
Each post runs in a transaction that is rolled back. Asserted: no 5xx, and neither the raw
``<script>alert(1)</script>`` nor the raw ``<img ... onerror>`` ever comes back unescaped — in the
answer, or on the page a successful post redirects to (a value that was stored, then rendered).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from apps.api.throttling import ActorRateThrottle
from tests.security.test_known_crashes import KNOWN_CRASHES
from tests.security.urlsweep import fill, walk
from tests.security.world import World, build_world

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_MARKS = (SCRIPT.encode(), b"<img src=x onerror=alert(1)>")

HOSTILE = [
    "A" * 10_050,                                # overlong
    "é" * 12_000,                                # overlong, multi-byte
    "\x00",                                      # NUL alone
    "abc\x00def",                                # NUL inside
    "\x01\x02\x1b[31m\x7f\x08",                  # control characters
    "\u202eevil.exe\u202c",                      # RTL override
    SCRIPT,
    IMG,
    "' OR 1=1 --",
    "1; DROP TABLE disputes_dispute; --",
    "😀🏳️‍🌈👨‍👩‍👧 🕊️",                              # emoji, ZWJ sequences
    "Z̴̡̛͎a̷͖͐l̸̰̓g̶̣̈́o̵̧͝",                                  # combining characters
    "2026-02-30",                                # invalid dates
    "9999-99-99",
    "0000-00-00",
    "Mars/Olympus",                              # invalid time zone
    "2026-03-01T10:00:00",                       # naive datetime
    "2026-03-01T10:00:00+14:00",                 # offset datetime
    "2026-03-01 25:61",
    "-1",                                        # negative and huge numbers
    "-99999999999999999999",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "",                                          # empty and blank
    "   \t\n ",
    "{{ settings.SECRET_KEY }} %s %n {0}",       # template and format strings
    "\r\nSet-Cookie: fuzz=1",                    # header injection
    "../../../../etc/passwd",
    "０１２３",                                   # full-width digits
    "²",                                         # a digit (isdigit) that int() refuses
    "③",
    "[]",
    "{}",
]
ROUNDS = 20  # all-hostile rounds: each field meets this many different hostile values
FULL_PAGE_ROUNDS = 3
DATES = ["2026-02-30", "9999-99-99", "0000-00-00", "2026-13-01", "31/12/2026", "-2026-01-01", "2026-1-1x"]
DATETIMES = ["2026-03-01T10:00", "2026-03-01T10:00:00+14:00", "2026-03-01T25:00", "2026-02-30T10:00",
             "10000-01-01T00:00", "2026-03-29T02:30"]  # the last does not exist in Europe (spring forward)
ZONES = ["Mars/Olympus", "UTC+99", "Europe/../etc/passwd", "", "utc", "Etc/GMT+15"]
NUMBERS = ["-1", "0", "99999999999999999999", "1.5", "NaN", "1e309", "-0"]


@dataclass
class Form:
    page: str  # where the form was found
    action: str
    fields: dict[str, str]  # name -> kind: text, hidden, checkbox, select, textarea, date, number, ...
    defaults: dict[str, list[str]] = field(default_factory=dict)  # name -> [value] to start from
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> its option values
    token: str = ""


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(page=self.page, action=urljoin(self.page, a.get("action") or self.page), fields={})
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if name == "csrfmiddlewaretoken":
                form.token = a.get("value", "")
            elif kind in ("submit", "button", "image", "reset", "file"):
                return
            elif kind in ("checkbox", "radio"):
                form.fields[name] = kind
                if "checked" in a:
                    form.defaults.setdefault(name, []).append(a.get("value", "on"))
            else:
                form.fields[name] = kind
                form.defaults[name] = [a.get("value", "")]
        elif tag == "textarea" and name:
            form.fields[name] = "textarea"
        elif tag == "select" and name:
            form.fields[name] = "select"
            form.options[name] = []
            self._select = name
        elif tag == "option" and self._select:
            form.options[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


def _plausible(form: Form, name: str) -> list[str]:
    kind = form.fields[name]
    if name in form.defaults and any(form.defaults[name]):
        return form.defaults[name]
    if kind == "select":
        return [next((v for v in form.options[name] if v), "")]
    return {
        "checkbox": ["on"], "radio": [], "date": ["2026-03-01"], "datetime-local": ["2026-03-01T10:00"],
        "time": ["10:00"], "number": ["1"], "email": ["fuzz@example.org"], "url": ["https://example.org"],
        "password": ["Fuzz-passw0rd-long"],
    }.get(kind, ["Fuzz value"])


def _kind_values(form: Form, name: str, b_ids: list[str]) -> list[str]:
    kind, lower = form.fields[name], name.lower()
    values = []
    if kind == "date" or lower.endswith(("_on", "date", "deadline")):
        values += DATES
    if kind == "datetime-local" or lower.endswith(("_at", "starts", "ends")):
        values += DATETIMES
    if "zone" in lower or lower in ("tz", "timezone"):
        values += ZONES
    if kind in ("select", "number", "hidden", "radio") or lower.endswith(("_id", "party", "dispute", "user")):
        values += b_ids + NUMBERS
    return values


def _view_name(action: str) -> str:
    try:
        return resolve(urlsplit(action).path).url_name or action
    except Resolver404:
        return action


def _discover(world: World) -> list[Form]:
    """One form per (view, field names): the same form repeated down a page (a position per party and
    issue, a remove button per member) is fuzzed once. The lead is asked first, then A's admin (pages
    only admins see), then an anonymous visitor (sign-in, password reset)."""
    callers = {"lead": world.lead.user, "a_admin": world.members["a_admin"].user, "anonymous": None}
    found: dict[tuple, Form] = {}
    for who, user in callers.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for pattern in walk():
            if pattern.is_admin or pattern.is_api:
                continue
            for path in fill(world, pattern):
                if "?" in path:
                    continue
                response = client.get(path)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in _forms_on(path, response.content.decode()):
                    key = (_view_name(form.action), tuple(sorted(form.fields)))
                    if key not in found:
                        form.page = f"{who}:{path}"
                        found[key] = form
    return list(found.values())


def _client_for(world: World, who: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.raise_request_exception = False
    user = {"lead": world.lead.user, "a_admin": world.members["a_admin"].user}.get(who)
    if user is not None:
        client.force_login(user)
    return client


def _post(client: Client, form: Form, data: dict[str, list[str]], token: str, *,
          htmx: bool) -> tuple[int, bytes, str]:
    """Post inside a rolled-back transaction; a redirect is followed so a stored value is rendered too."""
    cookies = copy.deepcopy(client.cookies)
    headers = {"HX-Request": "true"} if htmx else {}
    with transaction.atomic():
        try:
            response = client.post(form.action, {**data, "csrfmiddlewaretoken": token}, headers=headers)
            status, body, where = response.status_code, response.content, ""
            if status in (301, 302, 303) and response.get("Location", "").startswith("/"):
                where = response["Location"]
                followed = client.get(where)
                if followed.status_code >= 500:
                    status = followed.status_code
                body += b"\n" + (b"" if getattr(followed, "streaming", False) else followed.content)
        except Exception as exc:  # a crash anywhere in the round trip counts as a 500
            status, body, where = 500, repr(exc).encode(), ""
        transaction.set_rollback(True)
    client.cookies = cookies
    return status, body, where


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    monkeypatch.setattr(ActorRateThrottle, "allow_request", lambda self, request, view: True)


def test_no_form_crashes_or_echoes_script_for_hostile_input():
    started = time.monotonic()
    world = build_world()
    beta = world.beta
    b_ids = sorted({str(pk) for pk in (beta.dispute.pk, beta.a.pk, beta.a.party_id, beta.issue.pk, beta.joint.pk,
                                       beta.team_note.pk, beta.proposal.pk, beta.lead_member.pk, world.b.pk,
                                       beta.lead_member.user_id)})
    forms = _discover(world)
    pages = {f.page.split(":", 1)[1] for f in forms}
    assert len(forms) >= 15 and "/disputes/new/" in pages, sorted(pages)

    failures: list[str] = []
    posts = 0
    values_per_field: dict[tuple[str, str], set[str]] = {}
    clients: dict[str, Client] = {}
    timings: list[str] = []
    for form in forms:
        who = form.page.split(":", 1)[0]
        client = clients.setdefault(who, _client_for(world, who))
        # A fresh token from the page the form was found on (the CSRF cookie goes with it).
        page = client.get(form.page.split(":", 1)[1])
        fresh = next((f for f in _forms_on(form.action, page.content.decode())
                      if urlsplit(f.action).path == urlsplit(form.action).path), None)
        token = fresh.token if fresh and fresh.token else form.token
        view = _view_name(form.action)
        known = {name for name in form.fields if (view, name) in KNOWN_CRASHES}
        names = [name for name in form.fields if name not in known]
        baseline = {name: _plausible(form, name) for name in form.fields}
        attempts: list[tuple[dict[str, list[str]], bool]] = []
        # Pass 1: all fields hostile at once, rotating so each field meets ROUNDS different values. The first
        # rounds render the whole page (the form re-shown in its workspace), the rest as htmx posts
        # (the partial that htmx swaps in: the same form, at a fraction of the cost).
        for round_ in range(ROUNDS):
            attempts.append(({**baseline, **{name: [HOSTILE[(round_ + i) % len(HOSTILE)]]
                                             for i, name in enumerate(names)}}, round_ >= FULL_PAGE_ROUNDS))
        # Pass 2: one field at a time, the others plausible, as htmx posts (the partial is rendered).
        for name in names:
            for value in dict.fromkeys([SCRIPT, IMG, "\x00", *_kind_values(form, name, b_ids)]):
                attempts.append(({**baseline, name: [value]}, True))
        if not form.fields:  # a button-only form: post garbage alongside the token
            attempts = [({"x": [value]}, False) for value in (SCRIPT, "\x00", "-1")]
        form_started = time.monotonic()
        for data, htmx in attempts:
            status, body, where = _post(client, form, data, token, htmx=htmx)
            posts += 1
            for name, value in data.items():
                values_per_field.setdefault((form.action, name), set()).update(value)
            label = f"{form.page} -> POST {form.action}"
            if status == 403 and b"CSRF" in body:
                failures.append(f"{label}: the CSRF token was refused; the fuzz did not reach the view")
                break
            if status >= 500:
                bad = {k: (v[0][:40] + "…" if len(v[0]) > 40 else v[0]) for k, v in data.items()}
                failures.append(f"{label}: {status} with {bad!r}: {body[:300]!r}")
            for raw in RAW_MARKS:
                if raw in body:
                    at = body.index(raw)
                    failures.append(f"{label}{' then GET ' + where if where else ''}: {raw!r} unescaped: "
                                    f"{body[max(0, at - 150):at + 60]!r}")
        timings.append(f"{time.monotonic() - form_started:5.1f}s {len(attempts):3d} posts {form.page} -> {form.action}")
        print(timings[-1], flush=True)
    thin = [key for key, seen in values_per_field.items()
            if len(seen) < 20 and key[1] != "x" and (_view_name(key[0]), key[1]) not in KNOWN_CRASHES]
    print(f"\nform fuzz: {len(forms)} forms on {len(pages)} pages, {posts} posts, "
          f"{len(values_per_field)} fields, {time.monotonic() - started:.0f}s")
    print("\n".join(timings))
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(dict.fromkeys(failures))
    assert not thin, f"fields that met fewer than 20 hostile values: {thin}"
