"""Production settings: `check --deploy` is clean, and a page carries the security headers."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

# Settings that production sets differently from tests, read back from the real settings module.
PRODUCTION_NAMES = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SECURE_CSP",
]


def _database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    db = settings.DATABASES["default"]
    return f"postgres://{db.get('USER') or 'postgres'}@{quote(db.get('HOST') or '127.0.0.1', safe='')}" \
           f":{db.get('PORT') or 5432}/{db['NAME']}"


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEACECASE_TESTING", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "peacecase.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "peacecase.example",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
    })
    return env


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=production_env(), capture_output=True, text=True,
                          timeout=120, check=False)


def test_check_deploy_is_clean_with_production_settings():
    proc = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_production_refuses_to_start_without_a_secret():
    env = production_env()
    env.pop("DJANGO_SECRET_KEY")
    proc = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY" in proc.stderr


@pytest.fixture(scope="module")
def production_settings() -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {PRODUCTION_NAMES!r}}}))"
    )
    proc = _run("-c", code)
    assert proc.returncode == 0, proc.stderr
    values = json.loads(proc.stdout.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"]:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_turns_on_https_only_cookies_and_hsts(production_settings):
    assert production_settings["DEBUG"] is False
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True
    assert production_settings["SESSION_COOKIE_HTTPONLY"] is True


def test_a_page_in_production_mode_carries_the_security_headers(client, production_settings):
    with override_settings(**production_settings, ALLOWED_HOSTS=["testserver"]):
        response = client.get("/accounts/login/", secure=True)
        plain = client.get("/accounts/login/")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    script_src = directives["script-src"]
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    assert len(nonces) == 1
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-inline'" not in directives.get("style-src", [])
    assert directives["frame-ancestors"] == ["'none'"]
    # Every script on the page carries this response's nonce; no inline handler or inline script without it.
    html = response.content.decode()
    nonce = nonces[0][len("'nonce-"):-1]
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert not re.search(r"\son[a-z]+=", html)
    assert response.cookies["csrftoken"]["secure"] is True
    # Plain HTTP is sent to HTTPS.
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")


def test_the_nonce_changes_with_every_response(client, production_settings):
    with override_settings(**production_settings, ALLOWED_HOSTS=["testserver"]):
        first = client.get("/accounts/login/", secure=True)["Content-Security-Policy"]
        second = client.get("/accounts/login/", secure=True)["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", first).group(1) != re.search(r"'nonce-([^']+)'", second).group(1)
